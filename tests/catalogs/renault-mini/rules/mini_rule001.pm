or(
Var1 = A  and Var2 = X
Var1 = B  and Var2 = Y
Var1 = C  and Var2 = Y
or)

or(
Var2 = X  and Var3 = P
Var2 = Y  and Var3 = P
Var2 = Y  and Var3 = Q
or)

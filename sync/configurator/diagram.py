"""The decision-diagram backend: every valid configuration compiled into one BDD (dd on CUDD).

Each variable is log-encoded on its own bits, grouped so that CUDD's dynamic reordering moves
them together: a variable is one contiguous block of levels. Valid domains under some choices are then read in ONE traversal
of the diagram restricted to the choices: a value is available when a path to TRUE passes
through its code in the variable's block, or skips the block altogether. Compiling costs
seconds, so this backend is for large, structured product data (the Renault tables); loosely
structured rule sets can blow the diagram up, where the SAT backend stays small. A compiled
diagram can be kept on disk (``cache_dir``) so a restart loads it instead of compiling.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dd
import dd.cudd as cudd

from sync.configurator.model import Clause, Constraint, Problem
from sync.configurator.propagate import Derivation, Propagator
from sync.configurator.quickxplain import quickxplain

#: bump when what the cache holds changes meaning
CACHE_FORMAT = 1


def problem_key(problem: Problem) -> str:
    """A hash of everything that shapes the compiled diagram: a cached diagram is reused only for this problem."""
    digest = hashlib.sha256(f"dd {dd.__version__} format {CACHE_FORMAT}\n".encode())
    for var in problem.variables:
        digest.update(json.dumps(["var", var.name, list(var.values)]).encode())
    for constraint in problem.constraints:
        if isinstance(constraint, Clause):
            literals = [[name, sorted(values)] for name, values in constraint.literals]
            digest.update(json.dumps(["clause", constraint.name, literals]).encode())
        else:
            digest.update(json.dumps(["table", constraint.name, constraint.variables, constraint.rows]).encode())
    return digest.hexdigest()[:32]


class DiagramTooLarge(Exception):
    """The diagram outgrew the node limit while compiling: use the SAT backend instead."""


@dataclass(frozen=True)
class _Rule:
    name: str
    scope: frozenset[str]
    diagram: Any


class DiagramBackend:
    """Exact answers from a compiled BDD; rule names come from small per-rule diagrams."""

    def __init__(self, problem: Problem, node_limit: int | None = None, cache_dir: Path | None = None) -> None:
        self.problem = problem
        self.bdd = cudd.BDD()
        self.names = [v.name for v in problem.variables]
        self.values = {v.name: v.values for v in problem.variables}
        self.index = {v.name: {value: j for j, value in enumerate(v.values)} for v in problem.variables}
        self.bits: dict[str, list[str]] = {}
        for i, var in enumerate(problem.variables):
            width = math.ceil(math.log2(len(var.values))) if len(var.values) > 1 else 0
            self.bits[var.name] = [f"v{i}b{j}" for j in range(width)]
            if width:
                self.bdd.declare(*self.bits[var.name])
                if width > 1:  # reordering moves a variable's bits together, as one block
                    self.bdd.group({self.bits[var.name][0]: width})
        scopes = [frozenset(_scope(c)) for c in problem.constraints]
        folder = None if cache_dir is None else Path(cache_dir) / problem_key(problem)
        loaded = None if folder is None else self._load(folder, len(problem.constraints))
        #: "compiled" or "loaded" (from cache_dir)
        self.origin = "loaded" if loaded else "compiled"
        if loaded:
            self.root, diagrams = loaded
        else:
            self.root, diagrams = self._compile(problem, node_limit)
            if folder is not None:
                self._store(folder, diagrams)
        self._rules = [_Rule(c.name, scope, d) for c, scope, d in zip(problem.constraints, scopes, diagrams, strict=True)]
        # Fixed levels from here on; CUDD's garbage collector aborted the process here
        # ("dead count != deleted") on Renault taps with dd 0.6.0, so dead nodes are kept.
        self.bdd.configure(reordering=False, garbage_collection=False)
        self._levels()
        # every explanation check starts from the explained value's cofactor: build them all now
        self._cofactors: dict[tuple[str, str], Any] = {}
        for name in self.names:
            for value in self.values[name]:
                self._cofactor((name, value))
        self._rule_cofactors: dict[tuple[int, tuple[tuple[str, str], ...]], Any] = {}
        self._propagator = Propagator(problem)
        self._last_derivation: Derivation | None = None
        self._rules_on: dict[str, list[int]] = {name: [] for name in self.names}
        for i, rule in enumerate(self._rules):
            for name in rule.scope:
                self._rules_on[name].append(i)
        # small diagrams first, then by name: the order rules are tried in a search
        ranked = sorted(range(len(self._rules)), key=lambda i: (len(self._rules[i].diagram), self._rules[i].name))
        self._rule_rank = {i: rank for rank, i in enumerate(ranked)}

    # -- building -----------------------------------------------------------------------
    def _compile(self, problem: Problem, node_limit: int | None) -> tuple[Any, list[Any]]:
        """Conjoin every rule's diagram under dynamic reordering; then make each variable's bits contiguous."""
        self.bdd.configure(reordering=True)
        parts = [
            self._literal(var.name, var.values)
            for var in problem.variables
            if len(var.values) < 2 ** len(self.bits[var.name])
        ]
        diagrams = [self._constraint(c) for c in problem.constraints]
        # A balanced tree of conjunctions, smallest first, then one more sifting pass; with each
        # variable's bits grouped this compiles Renault in ~5 s CPU to ~11,000 nodes (one running
        # conjunction with free bits: ~14 s to ~23,500 nodes, after making blocks contiguous).
        parts = sorted([*parts, *diagrams], key=len) or [self.bdd.true]
        while len(parts) > 1:
            paired = []
            for k in range(0, len(parts) - 1, 2):
                paired.append(parts[k] & parts[k + 1])
                if node_limit is not None and len(self.bdd) > node_limit:
                    raise DiagramTooLarge(f"more than {node_limit} nodes")
            parts = sorted([*paired, *parts[len(paired) * 2 :]], key=len)
        root = parts[0]
        del parts
        cudd.reorder(self.bdd)  # one more sifting pass on the final diagram alone
        self._make_blocks_contiguous()
        return root, diagrams

    def _store(self, folder: Path, diagrams: list[Any]) -> None:
        """Write the variable order and the diagrams (DDDMP) with a manifest of their hashes, atomically."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            files: dict[str, str] = {}
            for name, diagram in [("root", self.root), *((f"rule{i:04d}", d) for i, d in enumerate(diagrams))]:
                self.bdd.dump(str(scratch / f"{name}.dddmp"), [diagram])
                files[name] = hashlib.sha256((scratch / f"{name}.dddmp").read_bytes()).hexdigest()
            order = sorted(self.bdd.vars, key=self.bdd.level_of_var)
            manifest = {"format": CACHE_FORMAT, "order": order, "files": files}
            (scratch / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)  # a damaged earlier copy
            try:
                scratch.rename(folder)
            except OSError:  # another process stored the same problem first
                shutil.rmtree(scratch, ignore_errors=True)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise

    def _load(self, folder: Path, rules: int) -> tuple[Any, list[Any]] | None:
        """The cached root and rule diagrams, or None when absent or not exactly what was stored.

        Every file is checked against the manifest's hash before CUDD reads it: a truncated
        DDDMP file can crash the DDDMP reader instead of raising.
        """
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            files = manifest["files"]
            expected = ["root", *(f"rule{i:04d}" for i in range(rules))]
            if manifest.get("format") != CACHE_FORMAT or sorted(files) != sorted(expected):
                return None
            if sorted(manifest["order"]) != sorted(self.bdd.vars):
                return None
            for name in expected:
                if hashlib.sha256((folder / f"{name}.dddmp").read_bytes()).hexdigest() != files[name]:
                    return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self.bdd.configure(reordering=False)  # the stored order: bits of a variable stay contiguous
        cudd.reorder(self.bdd, {bit: level for level, bit in enumerate(manifest["order"])})
        loaded = [self.bdd.load(str(folder / f"{name}.dddmp"))[0] for name in expected]
        return loaded[0], loaded[1:]

    def _cube(self, name: str, value: str) -> dict[str, bool]:
        code = self.index[name][value]
        return {bit: bool((code >> j) & 1) for j, bit in enumerate(self.bits[name])}

    def _cube_of(self, assignment: Mapping[str, str]) -> dict[str, bool]:
        cube: dict[str, bool] = {}
        for name, value in assignment.items():
            cube.update(self._cube(name, value))
        return cube

    def _literal(self, name: str, values: Iterable[str]) -> Any:
        result = self.bdd.false
        for value in values:
            result |= self.bdd.cube(self._cube(name, value))
        return result

    def _table(self, variables: Sequence[str], rows: Sequence[tuple[str, ...]]) -> Any:
        if not variables:
            return self.bdd.true
        groups: dict[str, list[tuple[str, ...]]] = {}
        for row in rows:
            groups.setdefault(row[0], []).append(row[1:])
        result = self.bdd.false
        for value, rest in groups.items():
            result |= self.bdd.cube(self._cube(variables[0], value)) & self._table(variables[1:], rest)
        return result

    def _constraint(self, constraint: Constraint) -> Any:
        if isinstance(constraint, Clause):
            result = self.bdd.false
            for name, values in constraint.literals:
                result |= self._literal(name, values)
            return result
        return self._table(constraint.variables, constraint.rows)

    def _make_blocks_contiguous(self) -> None:
        level = self.bdd.level_of_var
        ordered = sorted(
            (name for name in self.names if self.bits[name]),
            key=lambda name: sum(level(bit) for bit in self.bits[name]) / len(self.bits[name]),
        )
        order: dict[str, int] = {}
        for name in ordered:
            for bit in self.bits[name]:
                order[bit] = len(order)
        cudd.reorder(self.bdd, order)

    def _levels(self) -> None:
        """Map each level to (block number, bit) and each block to its variable."""
        self.block_of_level: list[int] = []
        self.bit_of_level: list[int] = []
        self.block_names: list[str] = []
        self.block_width: list[int] = []
        by_level = sorted((self.bdd.level_of_var(bit), name, j) for name in self.names for j, bit in enumerate(self.bits[name]))
        for _, name, j in by_level:
            if j == 0:
                self.block_names.append(name)
                self.block_width.append(len(self.bits[name]))
            self.block_of_level.append(len(self.block_names) - 1)
            self.bit_of_level.append(j)
        self.levels = len(by_level)

    # -- answers ------------------------------------------------------------------------
    def _let(self, cube: dict[str, bool], diagram: Any) -> Any:
        """Fix the bits in ``cube``; single-value variables have no bits, so the cube may be empty."""
        return self.bdd.let(cube, diagram) if cube else diagram

    def restrict(self, assignment: Mapping[str, str]) -> Any:
        """The diagram with ``assignment`` fixed; starts from a cached one-value cofactor.

        Explanation checks all share the explained value, so restricting its (smaller)
        cofactor is much cheaper than restricting the whole diagram each time.
        """
        if not assignment:
            return self.root
        items = list(assignment.items())
        start = self._cofactor(items[0])
        if len(items) == 1:
            return start
        return self._let(self._cube_of(dict(items[1:])), start)

    def consistent(self, assignment: Mapping[str, str]) -> bool:
        """Some valid configuration extends ``assignment``: the diagram does not imply its negation.

        CUDD's implication test (Cudd_bddLeq) stops at the first witness path and builds no
        nodes, where restricting the diagram would rebuild most of it.
        """
        if not assignment:
            return bool(self.root != self.bdd.false)
        items = list(assignment.items())
        if len(items) == 1:
            return bool(self._cofactor(items[0]) != self.bdd.false)
        # explanation checks all start with the explained value: test on its (smaller) cofactor
        return not (self._cofactor(items[0]) <= ~self.bdd.cube(self._cube_of(dict(items[1:]))))

    def core(self, assignment: Mapping[str, str]) -> set[str] | None:
        """Assigned variables that propagation alone shows inconsistent (None when it cannot)."""
        derived = self._last_derivation = self._propagator.conflict(assignment)
        return None if derived is None else set(derived.variables)

    def _cofactor(self, item: tuple[str, str]) -> Any:
        found = self._cofactors.get(item)
        if found is None:
            found = self._cofactors[item] = self._let(self._cube(*item), self.root)
        return found

    def domains(
        self, choices: Mapping[str, str], ruled_out_before: Iterable[tuple[str, str]] = ()
    ) -> dict[str, dict[str, bool]]:
        restricted = self.restrict(choices)
        result = {name: dict.fromkeys(self.values[name], False) for name in self.names}
        if restricted == self.bdd.false:
            return result
        codes = self._codes(restricted)
        for name in self.names:
            if name in choices:
                result[name][choices[name]] = True
            elif not self.bits[name]:
                result[name][self.values[name][0]] = True
            else:
                for code in codes.get(name, ()):
                    if code < len(self.values[name]):
                        result[name][self.values[name][code]] = True
        return result

    def _codes(self, root: Any) -> dict[str, set[int]]:
        """One traversal: for every block, the codes some path to TRUE takes (all codes when skipped).

        Written for speed (this is most of a first tap): locals, no helper calls per edge.
        """
        true, false = self.bdd.true, self.bdd.false
        block_of_level = self.block_of_level
        blocks = len(self.block_names)
        full = [0] * (blocks + 1)  # difference array over blocks skipped by some edge
        first = blocks if root == true else block_of_level[root.level]
        full[0] += 1
        full[first] -= 1
        entries: set[Any] = {root} if first < blocks else set()
        seen: set[Any] = {root}
        stack = [(root, first)] if first < blocks else []
        while stack:
            node, here = stack.pop()
            low, high = node.low, node.high
            if node.negated:
                low, high = ~low, ~high
            for child in (low, high):
                if child == false:
                    continue
                there = blocks if child == true else block_of_level[child.level]
                if there != here:
                    full[here + 1] += 1
                    full[there] -= 1
                    if there < blocks:
                        entries.add(child)
                if there < blocks and child not in seen:
                    seen.add(child)
                    stack.append((child, there))
        codes: dict[str, set[int]] = {}
        memo: dict[Any, set[int]] = {}
        for entry in entries:
            level = entry.level
            b = block_of_level[level]
            bit = self.bit_of_level[level]
            found = codes.setdefault(self.block_names[b], set())
            suffixes = self._suffixes(entry, b, memo)
            if bit:
                found.update(suffix | prefix for suffix in suffixes for prefix in range(1 << bit))
            else:
                found.update(suffixes)
        running = 0
        for b in range(blocks):
            running += full[b]
            if running > 0:
                codes[self.block_names[b]] = set(range(1 << self.block_width[b]))
        return codes

    def _suffixes(self, node: Any, b: int, memo: dict[Any, set[int]]) -> set[int]:
        """Codes over the bits from ``node``'s bit to the end of block ``b`` on paths to TRUE."""
        found = memo.get(node)
        if found is not None:
            return found
        width = self.block_width[b]
        bit = self.bit_of_level[node.level]
        true, false = self.bdd.true, self.bdd.false
        result: set[int] = set()
        low, high = node.low, node.high
        if node.negated:
            low, high = ~low, ~high
        for value, child in ((0, low), (1, high)):
            if child == false:
                continue
            level = -1 if child == true else child.level
            if level >= 0 and self.block_of_level[level] == b:
                next_bit = self.bit_of_level[level]
                tails = self._suffixes(child, b, memo)
            else:
                next_bit = width
                tails = {0}
            here = value << bit
            for tail in tails:
                for free in range(1 << (next_bit - bit - 1)):
                    result.add(tail | (free << (bit + 1)) | here)
        memo[node] = result
        return result

    def rules(self, assignment: Mapping[str, str]) -> tuple[str, ...]:
        """A subset-minimal set of rules that on their own rule ``assignment`` out.

        Arc consistency over the rules (sync.configurator.propagate) usually derives the
        conflict and names the 1-7 rules its derivation used; QuickXplain then minimizes those
        with exact checks on the rules' cofactors (cached per rule and assigned values in its
        scope). When propagation misses the conflict: one touching rule whose cofactor is FALSE,
        a pair of touching rules found by implication tests that build nothing, and otherwise
        rules added nearest first (rules on the assigned variables, then on their neighbours,
        ...) to a running conjunction until it is FALSE, minimized by QuickXplain.
        """
        false = self.bdd.false

        def factor(i: int) -> Any:
            if self._rules[i].scope.isdisjoint(assignment):
                return self._rules[i].diagram
            return self._rule_cofactor(i, assignment)

        def consistent(subset: list[int]) -> bool:
            return bool(self._conjoin([factor(i) for i in subset]) != false)

        def named(found: Iterable[int]) -> tuple[str, ...]:
            return tuple(sorted(self._rules[i].name for i in found))

        # The rules of the derivation behind the last core (the explanation's choices usually
        # come from it) often still rule the assignment out: verified exactly, then minimized.
        # Otherwise propagation over the rules on the assigned variables (cheap), then over all.
        hint = self._last_derivation
        if hint is not None:
            candidates = sorted(hint.rules, key=self._rule_rank.__getitem__)
            if not consistent(candidates):
                return named(quickxplain(consistent, candidates))
        for derive in (self._propagator.local_conflict, self._propagator.conflict):
            derived = derive(assignment)
            if derived is not None:
                candidates = sorted(derived.rules, key=self._rule_rank.__getitem__)
                if not consistent(candidates):  # always, propagation is sound; checked all the same
                    return named(quickxplain(consistent, candidates))
        order = self._nearest_first(set(assignment))
        touching = [i for i in order if not self._rules[i].scope.isdisjoint(assignment)]
        for a, i in enumerate(touching):
            negated = ~factor(i)
            for j in touching[a + 1 :]:
                if factor(j) <= negated:
                    return named([i, j])
        prefix: list[int] = []
        running = self.bdd.true
        for i in order:
            prefix.append(i)
            running &= factor(i)
            if running == false:
                return named(quickxplain(consistent, prefix))
        return ()

    def _rule_cofactor(self, i: int, assignment: Mapping[str, str]) -> Any:
        """Rule ``i`` with the assigned values in its scope fixed (cached: conflicts repeat values)."""
        rule = self._rules[i]
        key = (i, tuple(sorted((k, v) for k, v in assignment.items() if k in rule.scope)))
        found = self._rule_cofactors.get(key)
        if found is None:
            found = self._rule_cofactors[key] = self._let(self._cube_of(dict(key[1])), rule.diagram)
        return found

    def _nearest_first(self, variables: set[str]) -> list[int]:
        """Every rule reachable from ``variables``, by distance in the rule graph, small diagrams first."""
        ordered: list[int] = []
        placed: set[int] = set()
        reach = set(variables)
        ring_vars = set(variables)
        while ring_vars:
            ring = {i for name in ring_vars for i in self._rules_on[name] if i not in placed}
            if not ring:
                break
            placed |= ring
            ordered.extend(sorted(ring, key=self._rule_rank.__getitem__))
            new_vars = {name for i in ring for name in self._rules[i].scope} - reach
            reach |= new_vars
            ring_vars = new_vars
        return ordered

    def _conjoin(self, diagrams: list[Any]) -> Any:
        if not diagrams:
            return self.bdd.true
        ordered = sorted(diagrams, key=len)
        result = self.bdd.true
        for diagram in ordered[:-1]:
            result &= diagram
            if result == self.bdd.false:
                return result
        # the last conjunction only has to be tested, not built
        return self.bdd.false if result <= ~ordered[-1] else self.bdd.true

    def complete(self, choices: Mapping[str, str], preferred: Sequence[tuple[str, str]]) -> dict[str, str] | None:
        current = dict(choices)
        restricted = self.restrict(current)
        if restricted == self.bdd.false:
            return None
        for name, value in preferred:
            if name in current:  # chosen, or an earlier wish took it: the cofactor no longer sees its bits
                continue
            trial = self._let(self._cube(name, value), restricted)
            if trial != self.bdd.false:
                current[name] = value
                restricted = trial
        picked = self.bdd.pick(restricted) or {}
        result: dict[str, str] = {}
        for name in self.names:
            if name in current:
                result[name] = current[name]
                continue
            code = sum(1 << j for j, bit in enumerate(self.bits[name]) if picked.get(bit, False))
            result[name] = self.values[name][code]
        return result


def _scope(constraint: Constraint) -> tuple[str, ...]:
    if isinstance(constraint, Clause):
        return tuple(dict.fromkeys(name for name, _ in constraint.literals))
    return constraint.variables


def _children(node: Any) -> tuple[Any, Any]:
    """The else/then cofactors; dd.cudd reports them for the regular node, so undo a complement edge."""
    low, high = node.low, node.high
    if node.negated:
        return ~low, ~high
    return low, high

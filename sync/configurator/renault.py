"""Importer for the CLib Renault Mégane benchmark (ChocoKB packaging) into a :class:`Problem`.

The format: ``domains.txt`` holds one ``VarN : v1, v2, ...`` line per variable; every
``rules/*.pm`` file is one table constraint written as ``or(``, one allowed combination per
line (``VarA = X  and VarB = Y ...``, the same variables on every line), then ``or)``;
nested ``or( ... or)`` blocks are disjunctions too and add their rows to the same table.
Errors name the file and line so a broken copy is easy to find.
"""

from __future__ import annotations

from pathlib import Path

from sync.configurator.model import Problem, Table, Variable
from sync.errors import ConfigurationError


def load_renault(folder: Path) -> Problem:
    """Read ``folder/domains.txt`` and ``folder/rules/*.pm`` (in name order) into a Problem."""
    folder = Path(folder)
    domains_path = folder / "domains.txt"
    rules_dir = folder / "rules"
    if not domains_path.is_file():
        raise ConfigurationError("domains.txt not found", where=str(folder), fix="point at the renault folder")
    if not rules_dir.is_dir():
        raise ConfigurationError("rules/ folder not found", where=str(folder), fix="point at the renault folder")
    variables = _read_domains(domains_path)
    domains = {v.name: set(v.values) for v in variables}
    tables = tuple(_read_table(path, domains) for path in sorted(rules_dir.glob("*.pm")))
    if not tables:
        raise ConfigurationError("no rules/*.pm files", where=str(rules_dir))
    return Problem(variables=tuple(variables), constraints=tables)


def _read_domains(path: Path) -> list[Variable]:
    variables: list[Variable] = []
    seen: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        where = f"{path}:{number}"
        name, colon, rest = line.partition(":")
        name = name.strip()
        values = tuple(v.strip() for v in rest.split(","))
        if not colon or not name or not rest.strip() or any(not v for v in values):
            raise ConfigurationError(
                f"expected 'VarN : v1, v2, ...', got {raw!r}", where=where, fix="one variable per line"
            )
        if name in seen:
            raise ConfigurationError(f"variable {name} declared twice", where=where)
        if len(set(values)) != len(values):
            raise ConfigurationError(f"variable {name} lists a value twice", where=where)
        seen.add(name)
        variables.append(Variable(name, values))
    if not variables:
        raise ConfigurationError("no variables declared", where=str(path))
    return variables


def _read_table(path: Path, domains: dict[str, set[str]]) -> Table:
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [(n, line.strip()) for n, line in enumerate(lines, start=1) if line.strip()]
    if not body or body[0][1] != "or(":
        raise ConfigurationError("a rule file must start with 'or('", where=f"{path}:{body[0][0] if body else 1}")
    scope: tuple[str, ...] | None = None
    rows: list[tuple[str, ...]] = []
    depth = 0  # nested or( ... or) blocks are disjunctions too: their rows join the table
    for number, line in body:
        where = f"{path}:{number}"
        if line == "or(":
            depth += 1
            continue
        if line == "or)":
            depth -= 1
            if depth < 0:
                raise ConfigurationError("'or)' without a matching 'or('", where=where)
            continue
        if depth == 0:
            raise ConfigurationError("combination outside 'or( ... or)'", where=where)
        names: list[str] = []
        row: list[str] = []
        for term in line.split(" and "):
            name, eq, value = term.partition("=")
            name, value = name.strip(), value.strip()
            if not eq or not name or not value:
                raise ConfigurationError(f"expected 'VarA = X and VarB = Y ...', got {term.strip()!r}", where=where)
            if name not in domains:
                raise ConfigurationError(f"unknown variable {name}", where=where, fix="declare it in domains.txt")
            if value not in domains[name]:
                raise ConfigurationError(f"unknown value {value} of {name}", where=where)
            names.append(name)
            row.append(value)
        if scope is None:
            if len(set(names)) != len(names):
                raise ConfigurationError("a variable occurs twice in one combination", where=where)
            scope = tuple(names)
        elif tuple(names) != scope:
            raise ConfigurationError(
                f"combination names {', '.join(names)}, earlier lines name {', '.join(scope)}", where=where
            )
        rows.append(tuple(row))
    if depth != 0:
        raise ConfigurationError(f"{depth} 'or(' not closed by 'or)'", where=f"{path}:{body[-1][0]}")
    if scope is None:
        raise ConfigurationError("a rule file lists no combination", where=str(path))
    return Table(name=path.stem, variables=scope, rows=tuple(rows))

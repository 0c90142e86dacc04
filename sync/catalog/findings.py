"""Problems found in a catalog, and the one error that carries all of them.

Why collect: a person fixing a catalog wants every problem in one run, not one per run.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.errors import CatalogError


@dataclass(frozen=True)
class Finding:
    """One problem: ``where`` is ``file:line field``; ``severity`` is ``error`` or ``warning``."""

    where: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{prefix}{self.where}: {self.message}" if self.where else f"{prefix}{self.message}"


class CatalogInvalid(CatalogError):
    """A catalog has errors; ``findings`` lists every one (and the warnings found on the way)."""

    def __init__(self, findings: list[Finding], *, source: str) -> None:
        self.findings = findings
        errors = [f for f in findings if f.severity == "error"]
        listing = "\n".join(f"  {f}" for f in errors)
        super().__init__(
            f"{len(errors)} problem(s), nothing loaded:\n{listing}",
            where=source,
            fix="correct the files named above and run `python -m sync.catalog check` again",
        )

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

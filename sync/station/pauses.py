"""Why a worker pauses, and which of those reasons call the supervisor.

The station offers these reasons on its pause page; the hub raises a "work stopped" alert while an
operation stays paused for a reason that needs someone else (parts to fetch, a machine to repair, an
inspector to come), and resolves it when the work resumes or completes. A break or a tool change is
the worker's own business and raises nothing. The texts are English keys; screens translate them.
"""

from __future__ import annotations

PAUSE_REASONS = ("Break", "Material missing", "Machine fault", "Waiting for QC", "Tool change", "Other job")

#: the reasons a supervisor has to act on (an andon call)
CALLS_SUPERVISOR = frozenset({"Material missing", "Machine fault", "Waiting for QC"})


def calls_supervisor(reason: str | None) -> bool:
    """Whether a pause for ``reason`` needs the supervisor (an unknown or missing reason does not)."""
    return (reason or "").strip() in CALLS_SUPERVISOR

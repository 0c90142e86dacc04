"""Why a worker pauses, and which of those reasons call the supervisor.

The station offers these reasons on its pause page; the hub raises a "work stopped" alert while an
operation stays paused for a reason that needs someone else (parts to fetch, a machine to repair, an
inspector to come), and resolves it when the work resumes or completes. A break or a tool change is
the worker's own business and raises nothing. The texts are English keys; screens translate them.
"""

from __future__ import annotations

PAUSE_REASONS = ("Break", "Material missing", "Machine fault", "Waiting for QC", "Tool change", "Other job")

#: what a station records for the operations a worker is on when they log out: their time stops there, and the
#: operation waits paused for them or for whoever resumes it (not offered on the pause page)
LOGGED_OUT = "Logged out"

#: the reasons a supervisor has to act on (an andon call)
CALLS_SUPERVISOR = frozenset({"Material missing", "Machine fault", "Waiting for QC"})
_CALLING = frozenset(" ".join(reason.casefold().split()) for reason in CALLS_SUPERVISOR)


def calls_supervisor(reason: object) -> bool:
    """Whether a pause for ``reason`` needs the supervisor, in any case and spacing (another maker's station
    may send "material missing"); an unknown, missing or non-text reason does not."""
    return isinstance(reason, str) and " ".join(reason.casefold().split()) in _CALLING

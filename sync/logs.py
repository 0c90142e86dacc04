"""Logging for every FloorLink process, set up once at its entry point.

Each line carries the time (UTC, ISO 8601), the level and the node (device id, or the tool's
name), so lines from a hub, a kiosk and a station can be read side by side. Lines go to stderr
and to a rotating file in the node's data folder (``{node.data_dir}/logs/{node}.log``). Uncaught
exceptions, on the main thread or any other, are logged with their traceback instead of reaching
stderr without a time.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sync.settings import Settings

LEVELS = ("debug", "info", "warning", "error")
FORMAT = "%(asctime)s %(levelname)s %(node)s %(name)s: %(message)s"

log = logging.getLogger("floorlink")


class _UtcFormatter(logging.Formatter):
    """ISO 8601 times in UTC with milliseconds: the same clock on every node."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class _NodeFilter(logging.Filter):
    """Stamps every record with the node name (the format needs ``%(node)s``)."""

    def __init__(self, node: str) -> None:
        super().__init__()
        self.node = node

    def filter(self, record: logging.LogRecord) -> bool:
        record.node = self.node
        return True


def add_log_argument(parser: argparse.ArgumentParser) -> None:
    """``--log-level`` for an entry point (overrides the node.log_level setting for one run)."""
    parser.add_argument("--log-level", choices=LEVELS, default=None, metavar="LEVEL",
                        help=f"how much to log: {', '.join(LEVELS)} (default: the node.log_level setting)")


def setup(node: str, settings: Settings | None = None, *, level: str | None = None, data_dir: Path | None = None,
          file: bool = True) -> Path | None:
    """Configure the root logger for this process; the log file's path (None: stderr only).

    ``level`` (from ``--log-level``) wins over ``node.log_level``; ``data_dir`` over ``node.data_dir``.
    Calling it again replaces what an earlier call installed (tests, a demo starting several nodes)."""
    chosen = (level or (settings.get("node.log_level") if settings is not None else "info")).upper()
    folder = data_dir or (Path(str(settings.get("node.data_dir"))).expanduser() if settings is not None else None)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "floorlink", False)]:
        root.removeHandler(handler)
        handler.close()
    formatter = _UtcFormatter(FORMAT)
    node_filter = _NodeFilter(node)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    path: Path | None = None
    problem = ""
    if file and folder is not None:
        path = folder / "logs" / f"{node}.log"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            size_mb = settings.get("node.log_file_mb") if settings is not None else 10
            keep = settings.get("node.log_files") if settings is not None else 5
            handlers.append(logging.handlers.RotatingFileHandler(path, maxBytes=int(size_mb * 1_000_000),
                                                                 backupCount=keep, encoding="utf-8"))
        except OSError as exc:
            problem = f"no log file at {path}: {exc.strerror or exc} (check node.data_dir); logging to stderr only"
            path = None
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(node_filter)
        handler.floorlink = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(chosen)
    _install_hooks()
    if problem:
        log.warning(problem)
    log.debug("%s logging at %s to %s", node, chosen.lower(), path or "stderr")  # debug: first lines stay the apps own
    return path


def _log_uncaught(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    log.critical("uncaught exception", exc_info=(kind, value, tb))


def _log_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    log.critical("uncaught exception in thread %s", name,
                 exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback))


def _install_hooks() -> None:
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_thread

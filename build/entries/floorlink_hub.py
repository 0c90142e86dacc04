"""Frozen entry point of the hub (PyInstaller)."""

import multiprocessing
import sys

# the API's report worker (sync.hub.reports_pool) is this program started again with spawn's arguments:
# freeze_support runs the worker there instead of a second hub
multiprocessing.freeze_support()

from sync.hub.__main__ import main  # noqa: E402

sys.exit(main())

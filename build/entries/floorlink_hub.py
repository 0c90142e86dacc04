"""Frozen entry point of the hub (PyInstaller)."""

import sys

from sync.hub.__main__ import main

sys.exit(main())

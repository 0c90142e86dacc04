"""Frozen entry point of the station terminal and dashboard (PyInstaller)."""

import sys

from terminal.app import main

sys.exit(main())

"""Frozen entry point of the kiosk (PyInstaller)."""

import sys

from kiosk.app import main

sys.exit(main())

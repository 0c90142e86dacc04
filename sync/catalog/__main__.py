"""``python -m sync.catalog`` entry point."""

import sys

from sync.catalog.cli import main

sys.exit(main())

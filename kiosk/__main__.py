"""``python -m kiosk [--config FILE] [--catalog FOLDER] [--windowed]``."""

from kiosk.app import main

raise SystemExit(main())

"""``python -m terminal``: the station terminal (see terminal/app.py for the options)."""

from terminal.app import main

raise SystemExit(main())

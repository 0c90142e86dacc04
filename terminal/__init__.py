"""The station terminal and supervisor dashboard (PySide6). Reaches the core only through ``sync``."""

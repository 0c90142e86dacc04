"""The in-store touchscreen configurator (PySide6). Reaches the core only through ``sync``."""

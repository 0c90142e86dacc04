"""FloorLink's shared core: catalog, configurator, planning, stores, protocol and hub.

Nothing here imports Qt, ``kiosk`` or ``terminal``: the apps build on this package,
never the other way round (tests/test_layering.py checks it).
"""

__version__ = "0.1.0"

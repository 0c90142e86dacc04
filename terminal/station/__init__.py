"""Plain-Python view-models and rules of the station terminal: no Qt, driven by tests without a screen."""

"""Thin widgets of the station terminal: they call the session and redraw from its view."""

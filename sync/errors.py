"""One error base class for everything FloorLink reports to a person.

Every message says what failed, where (file, line, field, topic...) and how to fix it,
so a kiosk, a terminal or a CLI can show it as it is.
"""

from __future__ import annotations


def quoted(value: object, limit: int = 40) -> str:
    """A caller's value as a message quotes it (``repr``), cut to about ``limit`` characters: a refusal must
    not echo back the 5,000 characters a hostile client sent. A text is cut before it is quoted ('ABC…')."""
    if isinstance(value, str):
        return repr(value if len(value) <= limit else value[:limit] + "…")
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "…"


class FloorLinkError(Exception):
    """Base of every error FloorLink raises on purpose.

    ``what`` says what failed, ``where`` names the place (a file and line, a field,
    a device), ``fix`` tells the reader what to do about it. ``code`` names the refusal for a
    machine (the hub's ack carries it, docs/hub.md lists them); empty when there is none.
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None, code: str = "") -> None:
        self.what = what
        self.where = where
        self.fix = fix
        self.code = code
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text += f" ({self.fix})"
        return text

    def __str__(self) -> str:
        return self.message


class SettingsError(FloorLinkError):
    """A configuration value is missing, of the wrong type or out of range."""


class CatalogError(FloorLinkError):
    """A catalog file or revision is malformed, inconsistent or not allowed in this state."""


class ConfigurationError(FloorLinkError):
    """A configurator request names an unknown product, attribute or option, or is not allowed."""


class StoreError(FloorLinkError):
    """A local database cannot be opened, migrated or written."""


class CorruptDatabase(StoreError):
    """The database file is damaged: retrying cannot help, a person must restore or move it."""


class BrokerError(FloorLinkError):
    """An MQTT broker cannot be configured, started or reached (bad config, port in use, binary missing)."""


class ProtocolError(FloorLinkError):
    """A message does not follow the FloorLink protocol (envelope, version, topic, size)."""


class PlanningError(FloorLinkError):
    """An order or event cannot be planned (unknown revision, work order, impossible quantity)."""


class DecodeError(FloorLinkError):
    """A scanned code or image cannot be read or does not follow the label syntax."""


class StationError(FloorLinkError):
    """A station action is refused (not routed here, out of order, already done, wrong quantity).

    ``overridable`` says whether a supervisor badge may allow it anyway (the override is recorded).
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None,
                 overridable: bool = False, code: str = "") -> None:
        super().__init__(what, where=where, fix=fix, code=code)
        self.overridable = overridable


class PrintError(FloorLinkError):
    """A document cannot be printed as asked (a traveler in a language whose font is not installed)."""

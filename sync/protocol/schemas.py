"""The protocol's JSON Schemas (docs/schemas/): one per event type, envelope and body, read by the hub.

The schema files are the one definition of what a device may send: the hub loads them at start
and refuses an event whose type has no schema (``unknown_type``) or whose body breaks its type's
schema (``invalid_body``); docs/protocol.md is rendered from the same files
(``python -m sync.protocol.schema_docs --write``). A third-party device can validate its own messages
with any JSON Schema (2020-12) validator against the same files.

jsonschema takes about 40 µs per body, twice the hub's whole per-event budget in a backlog, so
each body schema is also compiled here into a plain Python check (the subset of keywords the
files use; a file using another keyword is refused when loaded). The compiled check decides;
jsonschema, the reference, explains a refusal in words. ``tests/test_protocol_schemas.py`` checks
that both agree on generated bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import referencing

from sync.errors import ProtocolError

BASE_URI = "https://floorlink.example/schemas/"
ENVELOPE = "envelope.schema.json"


def schema_dir() -> Path:
    """``sync/protocol/schemas`` in a wheel or the frozen build (packaged from docs/), else the checkout's docs/schemas."""
    packaged = Path(__file__).resolve().parent / "schemas"
    if (packaged / ENVELOPE).is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "docs" / "schemas"


@dataclass(frozen=True)
class EventSchema:
    """One event type: its whole schema (envelope + body), the body's part and the compiled body check."""

    type: str
    file: Path
    schema: dict[str, Any]
    body: dict[str, Any]
    check: Callable[[Any], bool]

    @property
    def title(self) -> str:
        return str(self.schema.get("title", self.type))

    @property
    def description(self) -> str:
        return str(self.schema.get("description", ""))


class Protocol:
    """The loaded schemas: :meth:`body_error` for the hub, :meth:`validator` for anyone checking a whole message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        envelope_file = folder / ENVELOPE
        self.envelope = _read(envelope_file)
        resources = [(BASE_URI + ENVELOPE, referencing.Resource.from_contents(self.envelope))]
        self.events: dict[str, EventSchema] = {}
        for file in sorted((folder / "events").glob("*.schema.json")):
            schema = _read(file)
            type_ = file.name.removesuffix(".schema.json")
            declared = schema.get("properties", {}).get("type", {}).get("const")
            if declared != type_:
                raise ProtocolError(f"schema declares type {declared!r}, its file name says {type_!r}", where=str(file))
            body = schema.get("properties", {}).get("body")
            if not isinstance(body, dict):
                raise ProtocolError("schema has no properties.body", where=str(file))
            try:
                check = compile_check(body)
            except ValueError as exc:
                raise ProtocolError(f"schema uses something the hub cannot check fast: {exc}", where=str(file),
                                    fix="keep to the keywords listed in sync/protocol/schemas.py") from None
            self.events[type_] = EventSchema(type_, file, schema, body, check)
            resources.append((BASE_URI + f"events/{file.name}", referencing.Resource.from_contents(schema)))
        if not self.events:
            raise ProtocolError("no event schemas found", where=str(folder / "events"))
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resources(resources)
        self._body_validators: dict[str, Any] = {}

    @property
    def types(self) -> list[str]:
        return sorted(self.events)

    def body_error(self, type_: str, body: Any) -> str | None:
        """None when ``body`` fits its type's schema, else a sentence naming the field (the hub's refusal reason)."""
        event = self.events[type_]
        if event.check(body):
            return None
        validator = self._body_validators.get(type_)
        if validator is None:
            validator = self._body_validators[type_] = jsonschema.Draft202012Validator(event.body)
        error = jsonschema.exceptions.best_match(validator.iter_errors(body))
        if error is None:  # the compiled check and the reference disagree: the reference wins
            return None
        where = "body" + "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        return f"{where}: {error.message}"[:500]

    def validator(self, type_: str) -> jsonschema.protocols.Validator:
        """A jsonschema validator for a whole message of ``type_`` (envelope and body)."""
        return jsonschema.Draft202012Validator(self.events[type_].schema, registry=self.registry)  # type: ignore[call-arg]


def _read(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProtocolError(f"cannot read the schema: {exc}", where=str(file),
                            fix="reinstall FloorLink; the schemas ship with it") from None
    jsonschema.Draft202012Validator.check_schema(data)
    return data  # type: ignore[no-any-return]


@cache
def load(folder: str | None = None) -> Protocol:
    """The protocol's schemas (read once per process)."""
    return Protocol(Path(folder) if folder else schema_dir())


# --- the compiled check -----------------------------------------------------------------------------
_ANNOTATIONS = {"title", "description", "examples", "default", "$comment", "format", "$schema", "$id", "x-handled-by",
                "x-sent-by"}
_TYPES = {"string": "type({v}) is str", "integer": "(type({v}) is int or (type({v}) is float and {v}.is_integer()))",
          "number": "type({v}) in (int, float)", "boolean": "type({v}) is bool", "null": "{v} is None",
          "object": "type({v}) is dict", "array": "type({v}) is list"}
_NUMBER = "type({v}) in (int, float)"


def compile_check(schema: dict[str, Any]) -> Callable[[Any], bool]:
    """A function ``check(value) -> bool`` equal to JSON Schema 2020-12 validation for the keywords used here."""
    lines = ["def check(v0):"]
    env: dict[str, Any] = {"re": re}
    counter = iter(range(1, 10_000))
    _emit(schema, "v0", 1, lines, env, counter)
    lines.append("    return True")
    exec("\n".join(lines), env)  # noqa: S102 - code generated from our own schema files
    return env["check"]  # type: ignore[no-any-return]


def _emit(schema: Any, v: str, depth: int, lines: list[str], env: dict[str, Any], counter: Iterator[int]) -> None:
    pad = "    " * depth
    if schema is True or schema == {}:
        return
    if schema is False:
        lines.append(f"{pad}return False")
        return
    unknown = set(schema) - _ANNOTATIONS - {"type", "properties", "required", "additionalProperties", "enum", "const",
                                             "minimum", "maximum", "minLength", "maxLength", "pattern", "items",
                                             "minItems", "maxItems", "maxProperties"}
    if unknown:
        raise ValueError(f"keywords {sorted(unknown)}")
    kind = schema.get("type")
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else list(kind)
        lines.append(f"{pad}if not ({' or '.join(_TYPES[k].format(v=v) for k in kinds)}): return False")
    for word in ("enum", "const"):
        if word in schema:
            values = schema[word] if word == "enum" else [schema[word]]
            if not all(isinstance(x, str) for x in values):
                raise ValueError(f"{word} with values other than text")
            name = f"_set{next(counter)}"
            env[name] = frozenset(values)
            lines.append(f"{pad}if not (type({v}) is str and {v} in {name}): return False")
    for word, op in (("minimum", "<"), ("maximum", ">")):
        if word in schema:
            lines.append(f"{pad}if {_NUMBER.format(v=v)} and {v} {op} {schema[word]!r}: return False")
    if "minLength" in schema:
        lines.append(f"{pad}if type({v}) is str and len({v}) < {int(schema['minLength'])}: return False")
    if "maxLength" in schema:
        lines.append(f"{pad}if type({v}) is str and len({v}) > {int(schema['maxLength'])}: return False")
    if "pattern" in schema:
        name = f"_re{next(counter)}"
        env[name] = re.compile(schema["pattern"]).search
        lines.append(f"{pad}if type({v}) is str and {name}({v}) is None: return False")
    if "minItems" in schema:
        lines.append(f"{pad}if type({v}) is list and len({v}) < {int(schema['minItems'])}: return False")
    if "maxItems" in schema:
        lines.append(f"{pad}if type({v}) is list and len({v}) > {int(schema['maxItems'])}: return False")
    if "maxProperties" in schema:
        lines.append(f"{pad}if type({v}) is dict and len({v}) > {int(schema['maxProperties'])}: return False")
    if "items" in schema and schema["items"] not in (True, {}):
        item = f"v{next(counter)}"
        lines.append(f"{pad}if type({v}) is list:")
        lines.append(f"{pad}    for {item} in {v}:")
        before = len(lines)
        _emit(schema["items"], item, depth + 2, lines, env, counter)
        if len(lines) == before:
            lines.append(f"{pad}        pass")
    properties: dict[str, Any] = schema.get("properties", {})
    required: list[str] = schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    if properties or required or extra is not True:
        lines.append(f"{pad}if type({v}) is dict:")
        for key in required:
            lines.append(f"{pad}    if {key!r} not in {v}: return False")
        for key, sub in properties.items():
            if sub in (True, {}):
                continue
            value = f"v{next(counter)}"
            lines.append(f"{pad}    if {key!r} in {v}:")
            lines.append(f"{pad}        {value} = {v}[{key!r}]")
            _emit(sub, value, depth + 2, lines, env, counter)
        if extra is not True:
            known = f"_keys{next(counter)}"
            env[known] = frozenset(properties)
            value = f"v{next(counter)}"
            lines.append(f"{pad}    for _k, {value} in {v}.items():")
            lines.append(f"{pad}        if _k in {known}: continue")
            if extra is False:
                lines.append(f"{pad}        return False")
            else:
                before = len(lines)
                _emit(extra, value, depth + 2, lines, env, counter)
                if len(lines) == before:
                    lines.append(f"{pad}        pass")
        lines.append(f"{pad}    pass")

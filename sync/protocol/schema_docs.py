"""docs/protocol.md's envelope and event-type sections, rendered from the schema files (docs/schemas/).

The part between the two markers is generated: ``python -m sync.protocol.schema_docs --write``
rewrites it, and ``tests/test_protocol_schemas.py`` fails when it differs from the schemas.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sync.protocol.schemas import Protocol, load

BEGIN = "<!-- generated from docs/schemas by python -m sync.protocol.schema_docs --write: do not edit below -->"
END = "<!-- end of generated part -->"


def render_into(text: str, protocol: Protocol) -> str:
    """``text`` with the generated part replaced (appended at the end when the markers are missing)."""
    part = f"{BEGIN}\n\n{render(protocol)}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + part + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + part + "\n"


def render(protocol: Protocol) -> str:
    lines = ["## Envelope", "", str(protocol.envelope.get("description", "")), ""]
    lines += _fields(protocol.envelope)
    lines += ["", "The schema: [docs/schemas/envelope.schema.json](schemas/envelope.schema.json).", "",
              "## Event types the hub handles", "",
              "One schema per type under [docs/schemas/events/](schemas/events/) (envelope and body; JSON Schema "
              "2020-12). The hub refuses any other type (`unknown_type`) and a body that breaks its type's schema "
              "(`invalid_body`), both answered with a `rejected` ack (see *Quarantine*).", "",
              "| type | sent by | what the hub does |", "|---|---|---|"]
    for event in protocol.events.values():
        lines.append(f"| [`{event.type}`](#{_anchor(event.type)}) | {event.schema.get('x-sent-by', '')} | "
                     f"{_cell(str(event.schema.get('x-handled-by', '')))} |")
    for event in protocol.events.values():
        lines += ["", f"### {event.type}", "", f"**{event.title}.** {event.description}", "",
                  f"Schema: [docs/schemas/events/{event.file.name}](schemas/events/{event.file.name}).", ""]
        lines += _fields(event.body, prefix="body.")
        for example in event.schema.get("examples", []):
            lines += ["", "```json", json.dumps(example, ensure_ascii=False), "```"]
    return "\n".join(lines) + "\n"


def _anchor(type_: str) -> str:
    return type_.replace(".", "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fields(schema: dict[str, Any], prefix: str = "") -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| field | type | required | rule | meaning |", "|---|---|---|---|---|"]
    for name, sub in schema.get("properties", {}).items():
        rows.append(f"| `{prefix}{name}` | {_type(sub)} | {'yes' if name in required else 'no'} | "
                    f"{_cell(_rule(sub))} | {_cell(str(sub.get('description', '')))} |")
        items = sub.get("items")
        if isinstance(items, dict) and items.get("type") == "object":
            for inner in _fields(items, prefix=f"{prefix}{name}[].")[2:]:
                rows.append(inner)
    extra = schema.get("additionalProperties", True)
    if extra is False:
        rows.append("| other fields | | | refused | |")
    return rows


def _type(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return " or ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    kind = schema.get("type", "any")
    kinds = [kind] if isinstance(kind, str) else kind
    text = " or ".join(kinds)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and "object" in kinds:
        text += f" of {extra.get('type', 'any')}"
    items = schema.get("items")
    if isinstance(items, dict) and "array" in kinds:
        text += f" of {items.get('type', 'any')}"
    return text


def _rule(schema: dict[str, Any]) -> str:
    parts = []
    if "minimum" in schema or "maximum" in schema:
        parts.append(f"{schema.get('minimum', '…')} to {schema.get('maximum', '…')}")
    if "minLength" in schema or "maxLength" in schema:
        parts.append(f"{schema.get('minLength', 0)}-{schema.get('maxLength', '…')} characters")
    if "pattern" in schema:
        parts.append(f"matches `{schema['pattern']}`")
    for word, what in (("maxItems", "items"), ("maxProperties", "entries")):
        if word in schema:
            parts.append(f"at most {schema[word]} {what}")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    """``python -m sync.protocol.schema_docs [--write | --check]``: render the schema section of docs/protocol.md."""
    args = argv if argv is not None else sys.argv[1:]
    doc = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
    text = doc.read_text(encoding="utf-8")
    fresh = render_into(text, load())
    if "--write" in args:
        doc.write_text(fresh, encoding="utf-8")
        print(f"wrote {doc}")
        return 0
    if fresh != text:
        print(f"{doc} is out of date: run python -m sync.protocol.schema_docs --write", file=sys.stderr)
        return 1
    print(f"{doc} is up to date ({len(load().events)} event types)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

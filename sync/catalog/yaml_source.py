"""Reading catalog YAML while remembering where every value came from (file and line).

Why a custom loader: errors must name file, line and field, so we keep the node marks; money must
be exact, so floats are read as :class:`Decimal`; and YAML 1.1 surprises (``no`` as a boolean,
dates as ``datetime``) would silently change option codes, so only ``true``/``false`` are booleans
and dates stay text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses ~5x faster


class CatalogYamlLoader(_Base):  # type: ignore[valid-type,misc]
    """SafeLoader with exact decimals, strict booleans and text dates."""


CatalogYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CatalogYamlLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return loader.construct_yaml_float(node)  # type: ignore[arg-type]


CatalogYamlLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


PathKey = tuple[str, ...]


def field_path(path: tuple[Any, ...] | list[Any]) -> str:
    """``('rules', 3, 'then', 'battery')`` -> ``rules[3].then.battery``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


@dataclass
class Located:
    """A YAML document's data plus the line of every node, addressed by path."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, path: tuple[Any, ...] | list[Any]) -> int:
        """The line of the node at ``path``, or of its nearest ancestor that exists."""
        key = tuple(str(p) for p in path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)

    def where(self, path: tuple[Any, ...] | list[Any]) -> str:
        """``file:line field`` for messages."""
        return f"{self.file}:{self.line(path)} {field_path(path)}"


def _index(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            lines[child] = key_node.start_mark.line + 1
            _index(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = (*path, str(i))
            lines[child] = item.start_mark.line + 1
            _index(item, child, lines)


class YamlSyntaxError(Exception):
    """A file is not readable YAML; carries the line for the report."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.message = message


def read_yaml(path: Path, name: str) -> Located:
    """Parse one YAML file; ``name`` is how messages call it (relative to the catalog folder)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlSyntaxError(name, 1, f"cannot read file: {exc}") from None
    loader = CatalogYamlLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(name, line, f"YAML syntax: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(name, 1, f"YAML: {exc}") from None
    finally:
        loader.dispose()
    lines: dict[PathKey, int] = {}
    if node is not None:
        _index(node, (), lines)
    return Located(name, data, lines)

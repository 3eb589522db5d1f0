"""YAML loading that remembers where every value came from, so a problem in a scenario file is
reported as `file:line: what is wrong` instead of a traceback.

`load_marked(text)` returns plain dicts/lists (subclasses) that carry the line of each mapping,
sequence and key; `line_of(root, path)` finds the line of a JSON-Schema error path.

Plain scalars are read by YAML 1.2's core schema, not PyYAML's YAML 1.1 one: `Country: NO`,
`Opted: yes` and `Code: on` are text (1.1 makes them booleans, and a boolean written to Salesforce
becomes "false"), `010` is ten, `2026-01-05` is text (no date objects), `1:30` is text. Only
true/false (any case style YAML 1.2 allows) are booleans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml


class MarkedDict(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class MarkedList(list[Any]):
    line: int = 0
    item_lines: list[int]


# The C-accelerated loader when PyYAML has it (same marks, several times faster), else pure Python.
_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _MarkedLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution): tag, regex, first characters.
_CORE_SCALARS: list[tuple[str, str, str]] = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
]
_MarkedLoader.yaml_implicit_resolvers = {}  # YAML 1.1's (and its `<<` merge keys) are not inherited
for _tag, _regex, _first in _CORE_SCALARS:
    _MarkedLoader.add_implicit_resolver(_tag, re.compile(_regex), [*_first, ""] if _first == "~nN" else list(_first))


def _construct_int(loader: _MarkedLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # YAML 1.2: a leading zero is not octal


_MarkedLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _construct_mapping(loader: _MarkedLoader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word, not a list or mapping", key_node.start_mark
            )
        key = str(key) if not isinstance(key, str) else key
        if key in result:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {result.key_lines[key]})",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _MarkedLoader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_MarkedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_MarkedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_marked(text: str) -> Any:
    """Parse one YAML document; raises yaml.YAMLError (with problem_mark) on bad YAML."""
    return yaml.load(text, Loader=_MarkedLoader)  # noqa: S506 - a SafeLoader subclass


def line_of(root: Any, path: Iterable[str | int]) -> int:
    """The line of the value at `path` (a JSON-Schema error's absolute_path), or of its nearest
    known parent when the value itself is a scalar without a mark."""
    line = getattr(root, "line", 1) or 1
    node = root
    for part in path:
        if isinstance(node, MarkedDict) and isinstance(part, str) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, MarkedList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line

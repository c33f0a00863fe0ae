"""Edits that keep what the user wrote: comments, quoting, key order, indentation.

Analysis uses the fast reader; anything that changes the file (quick fixes,
renames, `stp` commands that update a config) goes through ruamel's
round-trip loader here so the rest of the file comes back byte-for-byte.
"""

from __future__ import annotations

import io

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines
    return y


def _detect_indent(text: str) -> tuple[int, int]:
    """(mapping indent, sequence dash offset) as the file uses them."""
    mapping, offset = 2, 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if stripped.startswith("- ") and line[: len(line) - len(stripped)]:
            offset = 2 if len(line) - len(stripped) >= 2 else 0
            break
    return mapping, offset


def load(text: str):
    return _yaml().load(text)


def dump(doc, like: str = "") -> str:
    y = _yaml()
    mapping, offset = _detect_indent(like)
    y.indent(mapping=mapping, sequence=mapping + offset, offset=offset)
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def _parent(doc, path):
    node = doc
    for step in path[:-1]:
        node = node[step]
    return node


def set_value(text: str, path: tuple, value) -> str:
    """Set (or add) the value at ``path``; everything else is kept."""
    doc = load(text)
    _parent(doc, path)[path[-1]] = value
    return dump(doc, text)


def delete(text: str, path: tuple) -> str:
    doc = load(text)
    del _parent(doc, path)[path[-1]]
    return dump(doc, text)


def rename_key(text: str, path: tuple, new_key: str) -> str:
    """Rename the key at ``path`` in place, keeping its position and comments."""
    doc = load(text)
    parent = _parent(doc, path)
    old = path[-1]
    if not isinstance(parent, CommentedMap):
        raise TypeError("only map keys can be renamed")
    pos = list(parent.keys()).index(old)
    value = parent[old]
    comment = parent.ca.items.pop(old, None)
    del parent[old]
    parent.insert(pos, new_key, value)
    if comment is not None:
        parent.ca.items[new_key] = comment
    return dump(doc, text)


__all__ = ["load", "dump", "set_value", "delete", "rename_key", "CommentedMap", "CommentedSeq"]

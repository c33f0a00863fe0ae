"""Edits that keep what the user wrote: comments, quoting, key order, indentation.

Analysis uses the fast reader; anything that changes the file (quick fixes,
renames, `stp` commands that update a config) goes through ruamel's
round-trip loader here so the rest of the file comes back byte-for-byte.
"""

from __future__ import annotations

import io
import re

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines
    return y


def _detect_indent(text: str) -> tuple[int, int]:
    """(mapping indent, sequence dash offset) as the file uses them.

    Read from the first block key (``key:`` at the end of a line) whose next content line is nested under it:
    a nested key gives the mapping indent, a nested ``- `` item gives the dash offset.
    """
    mapping = offset = None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for line, nxt in zip(lines, lines[1:]):
        body = re.sub(r"\s+#.*$", "", line).strip()  # a trailing comment does not count
        if not body.endswith(":") or body.startswith("- "):
            continue
        here = len(line) - len(line.lstrip(" "))
        there = len(nxt) - len(nxt.lstrip(" "))
        if nxt.lstrip().startswith("- "):
            if offset is None and there >= here:
                offset = there - here
        elif there > here and mapping is None:
            mapping = there - here
        if mapping is not None and offset is not None:
            break
    return mapping or 2, offset if offset is not None else 0


def load(text: str):
    return _yaml().load(text)


def dump(doc, like: str = "") -> str:
    y = _yaml()
    mapping, offset = _detect_indent(like)
    y.indent(mapping=mapping, sequence=offset + 2, offset=offset)  # "- " then the item
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

"""Config path → node, and position → config path.

Paths are tuples of map keys and list indexes, e.g.
``("resources", "api", "properties", "containers", 0, "name")``. Lookups walk
the node tree on demand, so building an analysis costs nothing per node;
only reported or navigated paths are ever resolved.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.source.span import Span


@dataclass(slots=True)
class Found:
    """The deepest node reached for a path and how far the path got."""

    key: object | None  # the key node, when the last step was a map key
    value: object | None
    depth: int  # how many path elements were matched


def _index(node) -> tuple[dict, list]:
    """Key → (key node, value node) of a mapping, plus its merge sources.

    Among duplicates the last wins, as in the converter.
    """
    keys: dict = {}
    merges: list = []
    for k, v in node.value:
        if k.id != "scalar":
            continue
        if k.value == "<<" and not k.style:
            merges.append(v)
        else:
            keys[k.value] = (k, v)
    return keys, merges


class _Indexes(dict):
    """Lazily built per-mapping key indexes, keyed by node id (nodes live as long as the tree)."""

    def of(self, node):
        found = self.get(id(node))
        if found is None:
            found = self[id(node)] = _index(node)
        return found


class Locator:
    def __init__(self, root):
        self.root = root
        self._indexes = _Indexes()

    def _lookup(self, node, key: str):
        """Explicit keys win over merged ones; among merge sources the first wins."""
        keys, merges = self._indexes.of(node)
        hit = keys.get(key)
        if hit is not None:
            return hit
        for m in merges:
            for src in (m.value if m.id == "sequence" else [m]):
                if src.id == "mapping":
                    found = self._lookup(src, key)
                    if found is not None:
                        return found
        return None

    def find(self, path) -> Found:
        node = self.root
        key = None
        depth = 0
        for step in path:
            if node is None:
                break
            if node.id == "mapping" and isinstance(step, str):
                hit = self._lookup(node, step)
                if hit is None:
                    break
                key, node = hit
            elif node.id == "sequence" and isinstance(step, int):
                if not 0 <= step < len(node.value):
                    break
                key, node = None, node.value[step]
            else:
                break
            depth += 1
        return Found(key, node, depth)

    def value_span(self, path) -> Span | None:
        f = self.find(path)
        if f.depth != len(path) or f.value is None:
            return None
        return _tight(f.value)

    def key_span(self, path) -> Span | None:
        f = self.find(path)
        if f.depth != len(path):
            return None
        if f.key is not None:
            return Span.of_node(f.key)
        return _tight(f.value) if f.value is not None else None

    def nearest_span(self, path, prefer_key: bool = True) -> tuple[Span, int]:
        """Span of the deepest existing element along ``path`` and the matched depth."""
        f = self.find(path)
        if f.key is not None and (prefer_key or f.value is None):
            return Span.of_node(f.key), f.depth
        if f.value is not None:
            return _tight(f.value), f.depth
        return Span(0, 0, 0, 1), 0

    def path_at(self, line: int, col: int) -> tuple[tuple, str]:
        """The config path under a position and whether it is on a ``key`` or a ``value``."""
        path: list = []
        node = self.root
        where = "value"
        while node is not None:
            if node.id == "mapping":
                nxt = None
                for k, v in node.value:
                    if _within(k, line, col):
                        path.append(k.value)
                        return tuple(path), "key"
                    if _within(v, line, col) or (
                        v.id != "scalar" and _after_key_block(k, v, line, col)
                    ):
                        path.append(k.value)
                        nxt = v
                        break
                if nxt is None:
                    return tuple(path), where
                node = nxt
            elif node.id == "sequence":
                nxt = None
                for i, item in enumerate(node.value):
                    if _within(item, line, col):
                        path.append(i)
                        nxt = item
                        break
                if nxt is None:
                    return tuple(path), where
                node = nxt
            else:
                return tuple(path), "value"
        return tuple(path), where


def _within(node, line: int, col: int) -> bool:
    s, e = node.start_mark, node.end_mark
    return (s.line, s.column) <= (line, col) <= (e.line, e.column) and not (
        node.id == "scalar" and s.line == e.line and s.column == e.column
    )


def _after_key_block(k, v, line, col) -> bool:
    s, e = k.start_mark, v.end_mark
    return (s.line, s.column) <= (line, col) < (e.line, e.column)


def _tight(node) -> Span:
    """A node's span without the trailing newline/indent libyaml includes in blocks."""
    s, e = node.start_mark, node.end_mark
    if node.id != "scalar" and e.line > s.line and e.column == 0:
        # block collections end at the start of the next line; end at the first line instead
        return Span(s.line, s.column, s.line, s.column + 1)
    return Span(s.line, s.column, e.line, e.column)

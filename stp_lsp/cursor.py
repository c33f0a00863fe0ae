"""What is under a position: a key or a value, its config path, a name, a directive part.

Every position-based feature starts here, so they agree on what the user
points at. ``Cursor`` is computed once per request from the document's
snapshot; it never re-parses anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.analysis.symbols import Definition, Reference
from core.model.base import ref_types
from core.source.span import Span
from stp_lsp.directives import DirectivePart, directive_parts
from stp_lsp.modelinfo import FieldRef, field_at


@dataclass(frozen=True)
class Cursor:
    line: int  # core coordinates (code points)
    col: int
    path: tuple  # config path of the key or value under the cursor (or of the innermost collection)
    on: str  # "key" | "value" (a scalar value) | "none" (whitespace, punctuation, a collection)
    node: object | None  # the scalar node under the cursor (key or value)
    span: Span | None  # that scalar's span
    symbol: Definition | Reference | None  # a resource / container name under the cursor
    directive: DirectivePart | None  # the directive part under the cursor
    value: object = None  # the converted value at ``path`` when on a value
    field: FieldRef | None = None  # the model field of the key (for a list item: of the list's key)
    ref_types: tuple | None = None  # resource types the value names, when ``field`` is a reference field

    @property
    def resource(self) -> str | None:
        """Name of the resource the cursor is inside, if any."""
        if len(self.path) >= 2 and self.path[0] == "resources" and isinstance(self.path[1], str):
            return self.path[1]
        return None

    @property
    def key(self) -> str | None:
        """The key the cursor is on, or whose value it is on."""
        return self.path[-1] if self.path and isinstance(self.path[-1], str) else None


def _within(node, line: int, col: int) -> bool:
    s, e = node.start_mark, node.end_mark
    return (s.line, s.column) <= (line, col) <= (e.line, e.column)


def cursor_at(snapshot, line: int, col: int) -> Cursor:
    analysis = snapshot.analysis
    names = snapshot.names
    symbol = names.at(line, col) if names is not None else None
    locator = analysis.locator
    if locator is None:  # the text does not parse
        return Cursor(line, col, (), "none", None, None, symbol, None)
    path, where = locator.path_at(line, col)
    found = locator.find(path)
    node = None
    on = "none"
    if where == "key" and found.key is not None:
        node, on = found.key, "key"
    elif found.value is not None and found.value.id == "scalar" and _within(found.value, line, col) and found.depth == len(path):
        node, on = found.value, "value"
    span = Span.of_node(node) if node is not None else None
    directive = None
    if on == "value":
        for site in analysis.directives:
            if site.node is node:
                for part in directive_parts(site, snapshot.positions.core_line(node.start_mark.line)):
                    if part.span.contains(line, col):
                        directive = part  # the last one wins: nested directives come after their parent
                break
    value = _value_at(analysis.data, path) if on == "value" else None
    key_path = tuple(path)
    while key_path and isinstance(key_path[-1], int):
        key_path = key_path[:-1]
    field = field_at(analysis, key_path)
    refs = ref_types(field.info) if field is not None else None
    return Cursor(line, col, tuple(path), on, node, span, symbol, directive, value, field, refs)


def _value_at(data, path):
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data

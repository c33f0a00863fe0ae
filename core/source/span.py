"""Ranges in a text document.

Stored 0-based (as YAML marks and the LSP count); printed 1-based for people.
Columns count Unicode code points; the language server converts to UTF-16.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def of_node(cls, node) -> "Span":
        s, e = node.start_mark, node.end_mark
        return cls(s.line, s.column, e.line, e.column)

    @classmethod
    def point(cls, line: int, col: int) -> "Span":
        return cls(line, col, line, col + 1)

    def contains(self, line: int, col: int) -> bool:
        if (line, col) < (self.line, self.col):
            return False
        return (line, col) <= (self.end_line, self.end_col)

    def to_dict(self) -> dict:
        return {"line": self.line, "col": self.col, "end_line": self.end_line, "end_col": self.end_col}


ZERO = Span(0, 0, 0, 1)

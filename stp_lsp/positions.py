"""LSP positions ↔ core spans, for one version of a document's text.

Core spans count lines the way libyaml does and columns in code points. LSP
counts lines split by ``\\n``, ``\\r\\n`` or ``\\r`` only, and columns in the
code units of the negotiated position encoding: UTF-16 unless the client
offered something else (Neovim offers UTF-8 first, pygls accepts it). The
two line counts differ only when the text holds a YAML-only line break
(NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR) or starts with a byte-order mark,
which libyaml skips; both are handled here so nothing else has to care.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from lsprotocol import types

from core.source.span import Span

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"

_LSP_BREAK = re.compile(r"\r\n|\r|\n")
_YAML_BREAK = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")
_YAML_ONLY_BREAKS = ("\x85", "\u2028", "\u2029")
BOM = "\ufeff"


def _line_bounds(text: str) -> tuple[list[int], list[int]]:
    """Start and end (before the break) offsets of every LSP line."""
    if "\r" not in text:  # the common case, done with C loops
        lengths = [len(line) for line in text.split("\n")]
        starts = [0, *accumulate(n + 1 for n in lengths[:-1])]
        return starts, [s + n for s, n in zip(starts, lengths)]
    starts, ends = [0], []
    for m in _LSP_BREAK.finditer(text):
        ends.append(m.start())
        starts.append(m.end())
    ends.append(len(text))
    return starts, ends


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in code units of ``encoding``."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _code_points(line: str, count: int, encoding: str) -> int:
    """How many code points of ``line`` make up ``count`` code units (clamped to the line)."""
    if encoding == UTF32 or line.isascii():
        return min(max(count, 0), len(line))
    used = 0
    for i, ch in enumerate(line):
        if used >= count:
            return i
        o = ord(ch)
        if encoding == UTF8:
            used += 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
        else:
            used += 2 if o > 0xFFFF else 1
    return len(line)


class Positions:
    """Converts between core spans and LSP ranges for one text."""

    def __init__(self, text: str, encoding: str = UTF16):
        self.text = text
        self.encoding = str(encoding or UTF16)
        self._starts, self._ends = _line_bounds(text)
        self._yaml_starts = None
        if any(b in text for b in _YAML_ONLY_BREAKS):
            self._yaml_starts = [0] + [m.end() for m in _YAML_BREAK.finditer(text)]
        self._bom = 1 if text.startswith(BOM) else 0

    # --- plain text ----------------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line(self, n: int) -> str:
        """LSP line ``n`` without its line break ('' past the end)."""
        if not 0 <= n < len(self._starts):
            return ""
        return self.text[self._starts[n]:self._ends[n]]

    def core_line(self, line: int) -> str:
        """Core (libyaml) line ``line`` in core columns: index it with a node's column."""
        start = self.offset(line, 0)
        m = _YAML_BREAK.search(self.text, start)
        return self.text[start:m.start() if m else len(self.text)]

    def offset(self, line: int, col: int) -> int:
        """Absolute code-point offset of a core (libyaml) position, clamped to the text."""
        starts = self._yaml_starts or self._starts
        if line < 0:
            return 0
        if line >= len(starts):
            return len(self.text)
        base = starts[line] + (self._bom if line == 0 else 0)
        if self._yaml_starts is None:
            return min(base + max(col, 0), self._ends[line])
        nxt = starts[line + 1] if line + 1 < len(starts) else len(self.text)
        return min(base + max(col, 0), nxt)

    def core_at_offset(self, offset: int) -> tuple[int, int]:
        starts = self._yaml_starts or self._starts
        line = bisect_right(starts, offset) - 1
        col = offset - starts[line]
        if line == 0 and self._bom:
            col = max(col - 1, 0)
        return line, col

    def text_of(self, span: Span) -> str:
        return self.text[self.offset(span.line, span.col):self.offset(span.end_line, span.end_col)]

    # --- LSP ↔ core ------------------------------------------------------------------------------

    def lsp_position_at_offset(self, offset: int) -> types.Position:
        offset = min(max(offset, 0), len(self.text))
        line = bisect_right(self._starts, offset) - 1
        start = self._starts[line]
        offset = min(offset, self._ends[line])  # never inside a \r\n
        return types.Position(line=line, character=units(self.text[start:offset], self.encoding))

    def offset_at_lsp(self, position: types.Position) -> int:
        """Absolute code-point offset of an LSP position (clamped like the spec says)."""
        if position.line >= len(self._starts):
            return len(self.text)
        line = max(position.line, 0)
        text = self.line(line)
        return self._starts[line] + _code_points(text, position.character, self.encoding)

    def to_lsp(self, line: int, col: int) -> types.Position:
        return self.lsp_position_at_offset(self.offset(line, col))

    def from_lsp(self, position: types.Position) -> tuple[int, int]:
        """An LSP position as a core (line, column)."""
        return self.core_at_offset(self.offset_at_lsp(position))

    def range(self, span: Span) -> types.Range:
        start = self.to_lsp(span.line, span.col)
        end = self.to_lsp(span.end_line, span.end_col)
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return types.Range(start=start, end=end)

    def span(self, rng: types.Range) -> Span:
        sl, sc = self.from_lsp(rng.start)
        el, ec = self.from_lsp(rng.end)
        return Span(sl, sc, el, ec)


def apply_change(text: str, change, encoding: str) -> str:
    """Apply one ``TextDocumentContentChangeEvent`` (incremental or whole) to ``text``."""
    rng = getattr(change, "range", None)
    if rng is None:
        return change.text
    pos = Positions(text, encoding)
    start = pos.offset_at_lsp(rng.start)
    end = pos.offset_at_lsp(rng.end)
    if end < start:
        start, end = end, start
    return text[:start] + change.text + text[end:]

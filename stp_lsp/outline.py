"""Where the cursor is in YAML that may not parse: read off indentation and punctuation, line by line.

Completion runs while the user types, so the text is often not valid YAML: a
half-typed key without its colon, `type: ` with nothing after it, an
unclosed quote or bracket. ``context_at`` never fails on such text. It
walks the lines before the cursor the way a YAML reader would (indentation,
`- ` items, `key:` lines, block scalars, flow collections), keeping the
chain of open mappings and lists, and then reads the cursor line itself:

- the config path the cursor is under (``path``) and whether a key or a
  value is being typed there (``kind``), including inside ``{...}``/``[...]``;
- the partial word and the columns it spans (what a completion replaces);
- a *repaired* copy of the text: the cursor line cut before the partial word
  (and open flow brackets closed), so that it parses whenever the rest of the
  file does and the path's data (a union's ``type``, the keys already
  present) can be read from a real parse;
- a rough *sketch* of the file's data (mappings, lists and one-line values)
  for when even the repaired text does not parse.

Everything is in core coordinates (code points, libyaml lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from core.source import compose, to_data
from core.source.convert import plain_scalar

_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*\s*(#.*)?\Z")
_NOT_PLAIN_KEY_START = set("[]{}#&*!|>%@`,?")
_WORD = re.compile(r"[A-Za-z0-9_.:\-/+]*")


# --- one line ---------------------------------------------------------------------------------------


def skip_quoted(s: str, i: int) -> int:
    """Index after the quoted scalar starting at ``s[i]``, or -1 when it is not closed on this text."""
    q = s[i]
    j = i + 1
    n = len(s)
    while j < n:
        c = s[j]
        if q == "'":
            if c == "'":
                if j + 1 < n and s[j + 1] == "'":
                    j += 2
                    continue
                return j + 1
        else:
            if c == "\\":
                j += 2
                continue
            if c == '"':
                return j + 1
        j += 1
    return -1


def unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        inner = token[1:-1]
        return inner.replace("''", "'") if token[0] == "'" else inner.replace('\\"', '"').replace("\\\\", "\\")
    return token


def comment_start(s: str, i: int = 0) -> int:
    """Column of a comment starting at or after ``i`` (quotes of scalars respected), or -1."""
    j = i
    n = len(s)
    while j < n:
        c = s[j]
        if c == "#" and (j == 0 or s[j - 1] in " \t"):
            return j
        if c in "'\"" and (j == i or s[j - 1] in " \t[{,:-"):
            k = skip_quoted(s, j)
            if k < 0:
                return -1
            j = k
            continue
        j += 1
    return -1


def key_at(s: str, i: int):
    """``(key, key_end, colon)`` when a mapping key starts at column ``i`` of ``s``, else None."""
    n = len(s)
    if i >= n:
        return None
    c = s[i]
    if c in " \t":
        return None
    if c in "'\"":
        j = skip_quoted(s, i)
        if j < 0:
            return None
        k = j
        while k < n and s[k] in " \t":
            k += 1
        if k < n and s[k] == ":" and (k + 1 == n or s[k + 1] in " \t"):
            return unquote(s[i:j]), j, k
        return None
    if c in _NOT_PLAIN_KEY_START or (c == "-" and (i + 1 == n or s[i + 1] in " \t")):
        return None
    j = i
    while j < n:
        ch = s[j]
        if ch == ":" and (j + 1 == n or s[j + 1] in " \t"):
            key = s[i:j].rstrip()
            return key, i + len(key), j
        if ch == "#" and s[j - 1] in " \t":
            return None
        j += 1
    return None


@dataclass(frozen=True)
class LineInfo:
    """The structure of one line: indentation, `- ` items, a key and its inline value."""

    indent: int
    dashes: tuple  # columns of the `-` item indicators
    content: int  # column after indentation and dashes
    length: int  # of the line
    key: str | None = None
    key_end: int = -1  # column after the key (its closing quote)
    colon: int = -1
    value_start: int = -1  # first column of the inline value (-1: none)
    value: str = ""  # the inline value, comment and trailing blanks removed
    comment: bool = False  # the content is a comment

    @property
    def empty(self) -> bool:
        """Nothing structural on the line (blank or a comment)."""
        return not self.dashes and (self.comment or (self.key is None and not self.value))


@lru_cache(maxsize=1 << 17)
def parse_line(s: str) -> LineInfo:
    """The structure of one line. Cached: a line's structure depends on its text alone, and between two
    keystrokes all lines but one are unchanged (LineInfo is frozen, so sharing it is safe)."""
    n = len(s)
    i = 0
    while i < n and s[i] == " ":
        i += 1
    indent = i
    dashes = []
    while i < n and s[i] == "-" and (i + 1 == n or s[i + 1] in " \t"):
        dashes.append(i)
        i += 1
        while i < n and s[i] in " \t":
            i += 1
    content = i
    if i < n and s[i] == "#":
        return LineInfo(indent, tuple(dashes), content, n, comment=True)
    found = key_at(s, i)
    if found is not None:
        key, key_end, colon = found
        v = colon + 1
        while v < n and s[v] in " \t":
            v += 1
        value, vstart = _inline_value(s, v)
        return LineInfo(indent, tuple(dashes), content, n, key, key_end, colon, vstart, value)
    value, vstart = _inline_value(s, i)
    return LineInfo(indent, tuple(dashes), content, n, value_start=vstart, value=value)


def _inline_value(s: str, v: int) -> tuple[str, int]:
    if v >= len(s) or s[v] == "#":
        return "", -1
    c = comment_start(s, v)
    text = (s[v:c] if c >= 0 else s[v:]).rstrip()
    return text, v


# --- flow collections ({...} and [...]) -------------------------------------------------------------


@dataclass
class _FlowLevel:
    kind: str  # "map" | "seq"
    key: str | None = None  # the key whose value comes next (map)
    state: str = "key"  # "key" | "value" (map)
    index: int = 0  # current item (seq)
    keys: list = field(default_factory=list)
    token: str | None = None  # the last complete scalar (a key before its colon)


@dataclass(frozen=True)
class FlowContext:
    rel: tuple  # path inside the flow collection to the map whose key, or the value, is being typed
    kind: str  # "key" | "value"
    start: int  # offset where the partial token starts
    quote: str | None  # the quote the cursor is inside
    closers: str  # what closes the open brackets, innermost first


def flow_depth(s: str, depth: int = 0) -> int:
    """Bracket depth after reading ``s`` (quotes respected), starting at ``depth``."""
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c in "'\"" and (i == 0 or s[i - 1] in " \t[{,:"):
            k = skip_quoted(s, i)
            if k < 0:
                return depth
            i = k
            continue
        if c == "#" and (i == 0 or s[i - 1] in " \t"):
            nl = s.find("\n", i)
            if nl < 0:
                return depth
            i = nl
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth <= 0:
                return 0
        i += 1
    return depth


def flow_context(s: str) -> FlowContext | None:
    """What is being typed at the end of ``s``, a flow collection's text up to the cursor."""
    stack: list[_FlowLevel] = []
    i = 0
    n = len(s)
    token_start = None
    while i < n:
        c = s[i]
        if c in " \t\n\r":
            i += 1
            continue
        if c == "#" and i > 0 and s[i - 1] in " \t\n":
            nl = s.find("\n", i)
            if nl < 0:
                return None  # the cursor is in a comment
            i = nl
            continue
        if c in "{[":
            stack.append(_FlowLevel("map" if c == "{" else "seq"))
            token_start = None
            i += 1
            continue
        if not stack:
            return None
        top = stack[-1]
        if c in "}]":
            stack.pop()
            if not stack:
                return None  # the collection was closed before the cursor
            token_start = None
            i += 1
            continue
        if c == ",":
            if top.kind == "map":
                if top.state == "key" and top.token is not None:
                    top.keys.append(top.token)
                top.state, top.key, top.token = "key", None, None
            else:
                top.index += 1
            token_start = None
            i += 1
            continue
        if c == ":" and top.kind == "map" and top.state == "key" and (i + 1 == n or s[i + 1] in " \t\n,]}"):
            top.key = top.token or ""
            top.keys.append(top.key)
            top.state, top.token = "value", None
            token_start = None
            i += 1
            continue
        if c in "'\"":
            k = skip_quoted(s, i)
            if k < 0:
                return _flow_result(stack, i + 1, c)
            if top.kind == "map" and top.state == "key":
                top.token = unquote(s[i:k])
            i = k
            token_start = None
            continue
        # a plain scalar: up to a flow indicator or `: `
        j = i
        while j < n and s[j] not in ",[]{}\n" and not (s[j] == ":" and (j + 1 == n or s[j + 1] in " \t\n,]}")):
            if s[j] == "#" and s[j - 1] in " \t":
                break
            j += 1
        if j >= n:
            token_start = i
            break
        if j == i:  # a lone indicator (`:` in a list, `#` …): step over it
            i += 1
            continue
        if top.kind == "map" and top.state == "key":
            top.token = s[i:j].strip()
        i = j
    if not stack:
        return None
    return _flow_result(stack, n if token_start is None else token_start, None)


def _flow_result(stack: list[_FlowLevel], start: int, quote: str | None) -> FlowContext:
    rel: list = []
    for level in stack[:-1]:
        rel.append(level.key if level.kind == "map" else level.index)
    top = stack[-1]
    closers = "".join("}" if lv.kind == "map" else "]" for lv in reversed(stack))
    if top.kind == "map":
        if top.state == "value":
            return FlowContext(tuple(rel) + (top.key,), "value", start, quote, closers)
        return FlowContext(tuple(rel), "key", start, quote, closers)
    return FlowContext(tuple(rel) + (top.index,), "value", start, quote, closers)


# --- the document outline ---------------------------------------------------------------------------


class _Slot:
    """A value of the sketch, filled in as its lines arrive."""

    __slots__ = ("value",)

    def __init__(self, value=None):
        self.value = value


@dataclass
class _Frame:
    col: int
    step: object  # map key or list index (None for the root)
    slot: _Slot
    item: bool = False  # a `- ` list item (else a key with a block value)


class _Raw(str):
    """A one-line value not read yet: the sketch is rarely needed, so values are read on demand."""


def _resolve(value):
    if isinstance(value, _Slot):
        return _resolve(value.value)
    if isinstance(value, _Raw):
        return scalar_value(str(value))
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def scalar_value(raw: str):
    """The data of a one-line value, as the sketch keeps it."""
    if not raw:
        return None
    c = raw[0]
    if c in "{[\"'":
        composed = compose(raw)
        if composed.problem is None and composed.root is not None:
            return to_data(composed.root).data
        return unquote(raw) if c in "'\"" else None
    if c in "&!":
        rest = raw.split(None, 1)
        return scalar_value(rest[1]) if len(rest) > 1 else None
    if c == "*":
        return None
    return plain_scalar(raw)


def _opens_block(value: str) -> bool:
    """Does an inline value leave the key open for a block value below (nothing, an anchor or a tag)?"""
    return all(p[0] in "&!" for p in value.split())


def _pop_for(stack: list[_Frame], col: int, dash: bool) -> None:
    """Close what a line whose first item or key is at ``col`` ends."""
    while len(stack) > 1:
        top = stack[-1]
        if top.col > col or (top.col == col and (top.item or not dash)):
            stack.pop()
            continue
        break  # a key at the column of a `- ` keeps it: `key:` then `- item` at the key's own column


def _indent(s: str) -> int:
    return len(s) - len(s.lstrip(" "))


class Outline:
    """The open mappings and lists after each line, and a sketch of the data."""

    def __init__(self):
        self.root = _Slot()
        self.stack: list[_Frame] = [_Frame(-1, None, self.root)]
        self.steps: dict[int, int] = {}  # indentation steps between a key and its child keys → count

    @property
    def path(self) -> tuple:
        return tuple(f.step for f in self.stack[1:])

    def data(self):
        return _resolve(self.root)

    def indent_step(self) -> int:
        if not self.steps:
            return 2
        return max(self.steps.items(), key=lambda kv: (kv[1], -kv[0]))[0]

    def _container(self, want: type):
        slot = self.stack[-1].slot
        if not isinstance(slot.value, want):
            slot.value = want()
        return slot.value

    def feed(self, info: LineInfo) -> None:
        """One structural line (not blank, not a comment, not inside a block scalar or a flow)."""
        first = info.dashes[0] if info.dashes else info.content
        _pop_for(self.stack, first, bool(info.dashes))
        for d in info.dashes:
            items = self._container(list)
            slot = _Slot()
            items.append(slot)
            self.stack.append(_Frame(d, len(items) - 1, slot, item=True))
        if info.key is not None:
            parent = self.stack[-1]
            if not parent.item and parent.col >= 0 and info.content > parent.col:
                step = info.content - parent.col
                self.steps[step] = self.steps.get(step, 0) + 1
            mapping = self._container(dict)
            slot = _Slot()
            mapping[info.key] = slot
            if _opens_block(info.value):
                self.stack.append(_Frame(info.content, info.key, slot))
            else:
                slot.value = _Raw(info.value)
        elif info.dashes and info.value:
            self.stack[-1].slot.value = _Raw(info.value)
            self.stack.pop()  # a scalar item has no children

    def dry(self, info: LineInfo) -> list[_Frame]:
        """The open frames a line would leave after its `- ` items, without touching the sketch."""
        stack = list(self.stack)
        first = info.dashes[0] if info.dashes else info.content
        _pop_for(stack, first, bool(info.dashes))
        for d in info.dashes:
            v = stack[-1].slot.value
            stack.append(_Frame(d, len(v) if isinstance(v, list) else 0, _Slot(), item=True))
        return stack


# --- the cursor ----------------------------------------------------------------------------------


@dataclass
class Context:
    """What the cursor is on. Columns are on the cursor line."""

    line: int
    col: int
    kind: str  # "key" (a key of the mapping at ``path``) | "value" (the value at ``path``) | "none"
    path: tuple
    start: int  # first column the completion replaces
    end: int  # column after what it replaces
    indent: int  # indentation of the cursor line
    key_col: int  # column the key (or the value) is written at
    item: bool = False  # the text starts a `- ` list item (``path`` ends with its index)
    key_only: bool = False  # the line already has `key:` after the cursor: insert the key alone
    flow: bool = False  # inside {...} / [...]
    quote: str | None = None  # the value is quoted with this quote, the cursor inside
    closed: bool = False  # that quote is closed after the cursor
    space_before: bool = False  # the cursor directly follows `:` or `-`: add a space first
    line_key: str | None = None  # the key written on the cursor line (not "already present")
    repaired: str = ""  # the text with the cursor line cut before the partial word
    outline: Outline | None = None
    indent_step: int = 2

    prefix: str = ""  # the partial text from ``start`` to the cursor

    @property
    def sketch(self):
        """Rough data of the whole text (see ``Outline``), read on first use."""
        if self.outline is None:
            return None
        if not hasattr(self, "_sketch"):
            outline = self.outline
            if getattr(self, "_rest", None) is not None:  # only read up to the cursor so far: read it all
                outline = context_at(*self._rest, whole=True).outline
            self._sketch = outline.data()
        return self._sketch


def split_lines(text: str) -> list[str]:
    """The text's lines as libyaml counts them (a leading byte-order mark dropped)."""
    lines = re.split(r"\r\n|\r|\n|\x85|\u2028|\u2029", text)
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    return lines


def context_at(text: str, line: int, col: int, whole: bool = False) -> Context:
    """What the cursor at (line, col) is on.

    The lines after the cursor matter only for the sketch of the data (needed when the text does not
    parse at all) and for the indentation step when none is seen above: unless ``whole``, reading stops
    after the cursor line and the sketch reads the rest on first use.
    """
    lines = split_lines(text)
    if line >= len(lines):
        lines += [""] * (line - len(lines) + 1)
    outline = Outline()
    scalar_above = -1  # lines indented more than this belong to a block scalar (-1: none)
    flow = None  # (path, line, column, depth, owner column) of a flow collection spanning lines
    ctx = None
    repaired = lines
    i = 0
    while i < len(lines):
        s = lines[i]
        if i == line:
            ctx, last, replacement, structural = _cursor_line(outline, lines, line, col, scalar_above, flow)
            repaired = lines[:line] + replacement + lines[last + 1:]
            if structural:
                for r in replacement:
                    info = parse_line(r)
                    if not info.empty:
                        outline.feed(info)
                scalar_above = -1
            flow = None  # a flow collection around the cursor ends by ``last``
            i = last + 1
            if not whole and outline.steps and i < len(lines):
                ctx._rest = (text, line, col)
                break
            continue
        if scalar_above >= 0:
            if not s.strip() or _indent(s) > scalar_above:
                i += 1
                continue
            scalar_above = -1
        if flow is not None and s.strip() and _indent(s) <= flow[4]:
            flow = None  # not indented enough to continue the collection: it was left unclosed
        if flow is not None:
            depth = flow_depth(s, flow[3])
            flow = None if depth <= 0 else flow[:3] + (depth, flow[4])
            i += 1
            continue
        info = parse_line(s)
        if info.empty:
            i += 1
            continue
        outline.feed(info)
        v = info.value
        if v and _BLOCK_SCALAR.match(v):
            scalar_above = info.content if info.key is not None else (info.dashes[-1] if info.dashes else info.indent)
        elif v and v[0] in "[{":
            depth = flow_depth(v)
            if depth > 0:
                owner_col = info.content if info.key is not None else (info.dashes[-1] if info.dashes else -1)
                flow = (_flow_path(outline, info), i, info.value_start, depth, owner_col)
        i += 1
    ctx.repaired = "\n".join(repaired)
    ctx.outline = outline
    ctx.indent_step = outline.indent_step()
    return ctx


def _flow_path(outline: Outline, info: LineInfo) -> tuple:
    """Path of a flow collection that starts on a line just fed."""
    if info.key is not None:
        return outline.path + (info.key,)
    items = outline.stack[-1].slot.value
    return outline.path + ((len(items) - 1 if isinstance(items, list) else 0),)


def _nothing(line: int, col: int, full: str, path=()) -> Context:
    return Context(line, col, "none", tuple(path), col, col, _indent(full), col)


def _cursor_line(outline: Outline, lines: list[str], line: int, col: int, scalar_above: int, flow):
    """(Context, last line it covers, replacement lines for the repaired text, is the line structural)."""
    full = lines[line]
    col = min(col, len(full))
    prefix = full[:col]
    if scalar_above >= 0 and (_indent(full) if full.strip() else col) > scalar_above:
        return _nothing(line, col, full), line, [full], False  # inside a block scalar (`|`, `>`)
    if flow is not None and (_indent(full) if full.strip() else col) > flow[4]:
        return _in_multiline_flow(lines, line, col, flow)
    if full.strip() and col < _indent(full):
        return _nothing(line, col, full), line, [full], True  # in the indentation of a line
    info = parse_line(prefix)
    if info.comment or comment_start(prefix, info.content) >= 0:
        return _nothing(line, col, full), line, [full], True
    stack = outline.dry(info)
    path = tuple(f.step for f in stack[1:])
    base = {"line": line, "col": col, "indent": _indent(full)}

    if info.key is not None:  # `key: value|` — the value, a scalar or a flow collection opened here
        vpath = path + (info.key,)
        vstart = info.colon + 1
        while vstart < len(full) and full[vstart] in " \t":
            vstart += 1
        vstart = min(vstart, col)
        if vstart < len(full) and full[vstart] in "{[":
            ctx, cut, closers = _flow_on_line(full, col, vstart, vpath, base)
            ctx.line_key = info.key
            return ctx, line, [full[:cut] + closers], True
        ctx = _scalar_ctx(full, col, vstart, vpath, base, info.content)
        ctx.line_key = info.key
        ctx.space_before = col == info.colon + 1
        return ctx, line, [full[:vstart].rstrip()], True

    found = key_at(full, info.content)
    if found is not None and found[2] >= col and col <= found[1]:  # inside a key that has its colon
        ctx = Context(kind="key", path=path, start=info.content, end=found[1], key_col=info.content,
                      item=bool(info.dashes), key_only=True, line_key=found[0],
                      prefix=prefix[info.content:], **base)
        return ctx, line, [full], True

    text = prefix[info.content:]
    if text[:1] in ("{", "["):
        if not info.dashes:
            return _nothing(line, col, full, path), line, [full], True
        ctx, cut, closers = _flow_on_line(full, col, info.content, path, base)
        ctx.item = True
        return ctx, line, [full[:cut] + closers], True
    if text[:1] in ("'", '"', "$") or " " in text.strip() or "\t" in text:
        if not info.dashes:
            return _nothing(line, col, full, path), line, [full[:info.content].rstrip()], True
        ctx = _scalar_ctx(full, col, info.content, path, base, info.content)
        ctx.item = True
        return ctx, line, [full[:info.content].rstrip()], True
    # a partial word: a key (after `- `: a key of the item, or the item itself)
    end = max(col, info.content + len(_WORD.match(full, info.content).group()))
    ctx = Context(kind="key", path=path, start=info.content, end=end, key_col=info.content,
                  item=bool(info.dashes), prefix=text, **base)
    if info.dashes and info.content == col and prefix.endswith("-"):
        ctx.space_before = True
        ctx.key_col = col + 1
    return ctx, line, [full[:info.content].rstrip()], True


def _scalar_ctx(full: str, col: int, vstart: int, vpath: tuple, base: dict, key_col: int) -> Context:
    """A scalar value starting at ``vstart``: what it spans, quotes and all."""
    quote = None
    closed = False
    start = vstart
    if vstart < len(full) and full[vstart] in "'\"" and vstart < col:
        k = skip_quoted(full, vstart)
        if k < 0 or k > col:
            quote, closed = full[vstart], k >= 0
            start = vstart + 1
            end = k - 1 if k >= 0 else len(full.rstrip())
        else:
            end = col  # after the closing quote
    else:
        c = comment_start(full, vstart)
        end = len((full[:c] if c >= 0 else full).rstrip())
    end = max(end, col)
    return Context(kind="value", path=vpath, start=start, end=end, key_col=key_col, quote=quote, closed=closed,
                   prefix=full[start:col], **base)


def _flow_on_line(full: str, col: int, fstart: int, base_path: tuple, base: dict):
    """(Context, cut column, closers) for a flow collection opened at ``fstart`` on the cursor line."""
    fc = flow_context(full[fstart:col])
    if fc is None:
        return Context(kind="none", path=base_path, start=col, end=col, key_col=col, **base), len(full), ""
    ctx = _flow_ctx(fc, full, fstart + fc.start, col, base_path, base)
    return ctx, fstart + fc.start - (1 if fc.quote else 0), fc.closers


def _flow_ctx(fc: FlowContext, full: str, start: int, col: int, base_path: tuple, base: dict) -> Context:
    if fc.quote:
        k = full.find(fc.quote, col)
        end, closed = (k, True) if k >= 0 else (col + len(_WORD.match(full, col).group()), False)
    else:
        end, closed = col + len(_WORD.match(full, col).group()), False
    return Context(kind=fc.kind, path=base_path + fc.rel, start=start, end=max(end, col), key_col=start, flow=True,
                   quote=fc.quote, closed=closed, prefix=full[start:col], **base)


def _in_multiline_flow(lines: list[str], line: int, col: int, flow):
    fpath, fline, fcol, _, owner_col = flow
    full = lines[line]
    joined = "\n".join([lines[fline][fcol:]] + lines[fline + 1:line] + [full[:col]])
    base = {"line": line, "col": col, "indent": _indent(full)}
    # the lines the collection still spans after the cursor: dropped from the repaired text
    depth = flow_depth(joined + full[col:])
    last = line
    while depth > 0 and last + 1 < len(lines) and (not lines[last + 1].strip() or _indent(lines[last + 1]) > owner_col):
        last += 1
        depth = flow_depth(lines[last], depth)
    fc = flow_context(joined)
    token = fc.start - (len(joined) - col) if fc is not None else -1
    if fc is None or token < 0:
        return Context(kind="none", path=fpath, start=col, end=col, key_col=col, **base), last, lines[line:last + 1], False
    ctx = _flow_ctx(fc, full, token, col, fpath, base)
    cut = token - (1 if fc.quote else 0)
    return ctx, last, [full[:cut] + fc.closers] + [""] * (last - line), False


def indent_step(text: str) -> int:
    """The indentation step the file uses for nested mappings (2 when it shows none)."""
    outline = Outline()
    for s in split_lines(text)[:400]:
        info = parse_line(s)
        if not info.empty and not (info.value and info.value[0] in "[{|>\"'"):
            outline.feed(info)
    return outline.indent_step()

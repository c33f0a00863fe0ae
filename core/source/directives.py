"""Directive syntax: ``$Name(arg, ...)`` values inside a config.

A directive is kept as a value of its own (``Directive``, a ``str`` subclass
so it still prints as written) with its parsed name, arguments and an
optional trailing accessor (``$File('a.json').db.host``). Arguments are
quoted strings, numbers, booleans or nested directives. Only the syntax is
checked here; which names exist and how many arguments they take is the
analysis layer's business.
"""

from __future__ import annotations

import re

_START = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)\(")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_ACCESSOR = re.compile(r"(\.[A-Za-z0-9_\-]+|\[\d+\])*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-.]*")


class Directive(str):
    """A ``$Name(...)`` value; resolves at deploy time, so any field type accepts it."""

    name: str
    args: tuple
    accessor: str
    # column offsets (within the scalar text) of each argument, for exact ranges
    arg_offsets: tuple

    def __new__(cls, text: str, name: str, args: tuple, accessor: str = "", arg_offsets: tuple = ()):
        obj = super().__new__(cls, text)
        obj.name = name
        obj.args = args
        obj.accessor = accessor
        obj.arg_offsets = arg_offsets
        return obj

    def __reduce__(self):
        return (Directive, (str(self), self.name, self.args, self.accessor, self.arg_offsets))

    def walk(self):
        """This directive and every directive nested in its arguments."""
        yield self
        for a in self.args:
            if isinstance(a, Directive):
                yield from a.walk()


class DirectiveSyntaxError(ValueError):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def looks_like_directive(text: str) -> bool:
    return text.startswith("$") and _START.match(text) is not None


def parse_directive(text: str) -> Directive:
    """Parse a whole scalar as a directive or raise ``DirectiveSyntaxError``."""
    parser = _Parser(text)
    d = parser.directive()
    m = _ACCESSOR.match(text, parser.pos)
    accessor = m.group(0) if m else ""
    parser.pos += len(accessor)
    parser.skip_ws()
    if parser.pos != len(text):
        raise DirectiveSyntaxError(
            f"unexpected text {text[parser.pos:]!r} after the directive $" + d.name + "(...)", parser.pos
        )
    return Directive(text, d.name, d.args, accessor, d.arg_offsets)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def skip_ws(self):
        t = self.text
        while self.pos < len(t) and t[self.pos] in " \t":
            self.pos += 1

    def directive(self) -> Directive:
        start = self.pos
        m = _START.match(self.text, self.pos)
        if not m:
            raise DirectiveSyntaxError("a directive starts with $Name(", self.pos)
        name = m.group(1)
        self.pos = m.end()
        args: list = []
        offsets: list = []
        self.skip_ws()
        if self.peek() == ")":
            self.pos += 1
            return Directive(self.text[start:self.pos], name, (), "", ())
        while True:
            self.skip_ws()
            offsets.append(self.pos)
            args.append(self.argument())
            self.skip_ws()
            c = self.peek()
            if c == ",":
                self.pos += 1
                continue
            if c == ")":
                self.pos += 1
                break
            if c == "":
                raise DirectiveSyntaxError("$" + name + "( is never closed: add ')'", len(self.text))
            raise DirectiveSyntaxError(
                f"expected ',' or ')' in the arguments of ${name}(...) but found {c!r}", self.pos
            )
        text = self.text[start:self.pos]
        m = _ACCESSOR.match(self.text, self.pos)
        accessor = ""
        if m and m.group(0) and start != 0:
            accessor = m.group(0)
            self.pos = m.end()
            text = self.text[start:self.pos]
        return Directive(text, name, tuple(args), accessor, tuple(offsets))

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def argument(self):
        c = self.peek()
        if c in ("'", '"'):
            return self.quoted(c)
        if c == "$":
            return self.directive()
        m = _NUMBER.match(self.text, self.pos)
        if m:
            self.pos = m.end()
            s = m.group(0)
            return float(s) if "." in s else int(s)
        m = _IDENT.match(self.text, self.pos)
        if m:
            word = m.group(0)
            self.pos = m.end()
            if word in ("true", "false"):
                return word == "true"
            raise DirectiveSyntaxError(
                f"argument {word} must be quoted: write '{word}'", m.start()
            )
        if c == "":
            raise DirectiveSyntaxError("the directive ends before its arguments are closed", self.pos)
        raise DirectiveSyntaxError(f"unexpected {c!r} in directive arguments", self.pos)

    def quoted(self, q: str) -> str:
        t = self.text
        i = self.pos + 1
        out = []
        while i < len(t):
            ch = t[i]
            if ch == "\\" and i + 1 < len(t):
                out.append(t[i + 1])
                i += 2
                continue
            if ch == q:
                self.pos = i + 1
                return "".join(out)
            out.append(ch)
            i += 1
        raise DirectiveSyntaxError(f"string argument is never closed: add {q}", self.pos)

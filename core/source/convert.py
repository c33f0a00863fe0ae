"""Positioned node tree → plain Python data (dicts, lists, scalars, Directives).

The converter is where YAML's quirks are settled once, so nothing downstream
sees them: plain scalars get YAML 1.2 core-schema types, ``<<`` merge keys are
applied, anchors/aliases are followed (with a guard against cycles),
CloudFormation short tags (``!Ref``, ``!GetAtt`` …) become their long form,
and ``$Name(...)`` strings become ``Directive`` values. Problems found on the
way (duplicate keys, malformed directives) are collected with their nodes
rather than raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.source.directives import Directive, DirectiveSyntaxError, looks_like_directive, parse_directive

_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_MAYBE_TYPED = frozenset("0123456789-+.~nNtTfF")
_STR_TAG = "tag:yaml.org,2002:str"

# CloudFormation short-form tags and their long names
_CFN_TAGS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    "!GetAtt": "Fn::GetAtt",
    "!Sub": "Fn::Sub",
    "!Join": "Fn::Join",
    "!Select": "Fn::Select",
    "!Split": "Fn::Split",
    "!If": "Fn::If",
    "!Equals": "Fn::Equals",
    "!Not": "Fn::Not",
    "!And": "Fn::And",
    "!Or": "Fn::Or",
    "!FindInMap": "Fn::FindInMap",
    "!Base64": "Fn::Base64",
    "!Cidr": "Fn::Cidr",
    "!GetAZs": "Fn::GetAZs",
    "!ImportValue": "Fn::ImportValue",
    "!Transform": "Fn::Transform",
    "!ToJsonString": "Fn::ToJsonString",
    "!Length": "Fn::Length",
}


@dataclass(slots=True)
class Problem:
    code: str
    message: str
    node: object
    path: tuple
    severity: str = "error"
    # for a directive problem: offset of the fault inside the scalar text
    offset: int | None = None


@dataclass(slots=True)
class DirectiveSite:
    directive: Directive
    node: object
    path: tuple


@dataclass(slots=True)
class Converted:
    data: object
    problems: list = field(default_factory=list)
    directives: list = field(default_factory=list)


def plain_scalar(value: str):
    """Type a plain (unquoted) scalar per the YAML 1.2 core schema."""
    if not value:
        return None
    if value[0] not in _MAYBE_TYPED:
        return value
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _HEX.match(value):
        return int(value[2:], 16)
    lower = value.lower()
    if lower in (".inf", "+.inf"):
        return float("inf")
    if lower == "-.inf":
        return float("-inf")
    if lower == ".nan":
        return float("nan")
    return value


def tag_of(node) -> str:
    """A node's tag as text, cheaply for the common untyped case."""
    ctag = node.ctag
    if ctag is not None and ctag.handle is None and ctag.suffix == "plain":
        return "plain"
    return node.tag or ""


class _Converter:
    def __init__(self):
        self.problems: list[Problem] = []
        self.directives: list[DirectiveSite] = []
        self.active: set[int] = set()  # nodes being converted, to stop alias cycles
        self.path: list = []

    def convert(self, node):
        kind = node.id  # 'scalar' | 'mapping' | 'sequence'
        if kind == "scalar":
            return self.scalar(node)
        key = id(node)
        if key in self.active:
            self.problems.append(Problem("yaml-alias-cycle", "This alias refers to itself", node, tuple(self.path)))
            return None
        self.active.add(key)
        try:
            value = self.mapping(node) if kind == "mapping" else self.sequence(node)
        finally:
            self.active.discard(key)
        tag = tag_of(node)
        if tag in _CFN_TAGS:
            return {_CFN_TAGS[tag]: value}
        return value

    def scalar(self, node):
        value = node.value
        tag = tag_of(node)
        if not node.style and (tag == "plain" or tag.startswith("tag:yaml.org,2002:")) and tag != _STR_TAG:
            result = plain_scalar(value)
        else:
            result = value
        if tag in _CFN_TAGS:
            long = _CFN_TAGS[tag]
            if long == "Fn::GetAtt" and isinstance(result, str):
                return {long: result.split(".", 1)}
            return {long: result}
        if type(result) is str and value.startswith("$") and looks_like_directive(value):
            try:
                d = parse_directive(value)
            except DirectiveSyntaxError as exc:
                self.problems.append(
                    Problem("directive-syntax", f"Malformed directive: {exc}", node, tuple(self.path), offset=exc.offset)
                )
                return value
            self.directives.append(DirectiveSite(d, node, tuple(self.path)))
            return d
        return result

    def sequence(self, node):
        out = []
        path = self.path
        for i, item in enumerate(node.value):
            path.append(i)
            out.append(self.convert(item))
            path.pop()
        return out

    def mapping(self, node):
        out: dict = {}
        seen: dict = {}
        merged: list = []
        path = self.path
        for knode, vnode in node.value:
            if knode.id == "scalar" and knode.value == "<<" and not knode.style:
                merged.append(vnode)
                continue
            if knode.id == "scalar":
                key = knode.value
            else:
                self.problems.append(
                    Problem("yaml-complex-key", "Keys must be plain strings, not lists or maps", knode, tuple(path))
                )
                continue
            if key in seen:
                self.problems.append(
                    Problem(
                        "duplicate-key",
                        f"Duplicate key '{key}': it is also set on line {seen[key].start_mark.line + 1};"
                        " only the last one takes effect",
                        knode,
                        tuple(path),
                    )
                )
            seen[key] = knode
            path.append(key)
            out[key] = self.convert(vnode)
            path.pop()
        if merged:
            base: dict = {}
            for m in merged:
                sources = m.value if m.id == "sequence" else [m]
                for src in sources:
                    value = self.convert(src)
                    if isinstance(value, dict):
                        for k, v in value.items():
                            base.setdefault(k, v)
                    else:
                        self.problems.append(
                            Problem("yaml-bad-merge", "A '<<' merge key takes a map or a list of maps", src, tuple(path))
                        )
            base.update(out)
            out = base
        return out


def to_data(root) -> Converted:
    """Convert a composed node tree to plain data, collecting problems."""
    if root is None:
        return Converted(None)
    c = _Converter()
    data = c.convert(root)
    return Converted(data, c.problems, c.directives)

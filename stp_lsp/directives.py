"""Directives as the editor sees them: where each part of a ``$Name(...)`` is, and what it does.

The core parser gives each directive its arguments and their offsets; here
those become spans in the document (the ``$Name`` itself and every argument,
nested directives included) so hover, navigation and, later, completion can
tell which part the cursor is on. Documentation of the built-in directives
is written here in our own words; the argument counts come from the core
rule that checks them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.analysis.rules import load_rules

# Load every rule group before importing one rule module by name: load_rules() only imports the
# groups while its registry is empty, so importing rules.directives first would leave the others out.
load_rules()

from core.analysis.rules.directives import BUILTIN_DIRECTIVES
from core.source.directives import Directive
from core.source.span import Span

# what each built-in directive does (the argument list comes from BUILTIN_DIRECTIVES)
DIRECTIVE_DOCS: dict[str, str] = {
    "ResourceParam": "A parameter of another resource of this stack, known once it is deployed: a queue's `url`,"
    " a database's `host`, a bucket's `arn`… Example: `$ResourceParam('jobs', 'url')`.",
    "CfResourceParam": "An attribute of a CloudFormation resource of the stack's template, by logical id: what"
    " `Fn::GetAtt` returns (or `Ref` with the attribute `Ref`). Example: `$CfResourceParam('MyTopic', 'TopicArn')`.",
    "Secret": "The value of a secret stored in AWS Secrets Manager, read at deploy time so it never sits in the"
    " file. For a JSON secret, add the key after a dot: `$Secret('db.password')`.",
    "Stage": "The stage being deployed (`--stage`), e.g. `production`.",
    "Region": "The AWS region being deployed to (`--region`), e.g. `eu-west-1`.",
    "Format": "Text built from a template: each `{}` is replaced by the next argument, in order. Example:"
    " `$Format('{}-uploads', $Stage())`. Resolved before the template is made.",
    "CfFormat": "Like `$Format`, but resolved by CloudFormation at deploy time, so the values may be parameters"
    " only known then (e.g. `$ResourceParam(...)`).",
    "Var": "A value from the top-level `variables:` section, by name: `$Var('dbName')`.",
    "File": "Values read from a local file (`.json`, `.yml`, `.env` or `.ini`), optionally one field of it:"
    " `$File('config.json').db.host`.",
    "SsmParam": "A parameter from AWS Systems Manager Parameter Store, by name; pass `true` as the second argument"
    " to decrypt a SecureString.",
    "CfStackOutput": "An output of another CloudFormation stack in the same account and region: stack name, then"
    " output name.",
    "StackOutput": "An output of another Stacktape stack: stack name, then output name.",
    "CliArgs": "Arguments given on the command line after `--`: all of them, or one by name.",
    "GitInfo": "Information about the git repository the command runs in: `sha1`, `branch`, `tag`…",
    "AwsAccountId": "The id of the AWS account being deployed to.",
    "ProjectName": "The project name (`--projectName`).",
    "This": "The whole configuration, for use inside your own directives.",
    "If": "The second argument when the condition (first) is true, otherwise the third:"
    " `$If($Equal($Stage(), 'production'), 2, 1)`.",
    "Equal": "True when both arguments are equal; for use in `$If`, `$And`, `$Or` and `$Not`.",
    "And": "True when every argument is true.",
    "Or": "True when at least one argument is true.",
    "Not": "True when its argument is false.",
}


@dataclass(frozen=True, slots=True)
class DirectivePart:
    """One part of a directive in the document: its ``$Name`` or one of its arguments."""

    site: object  # core.source.convert.DirectiveSite
    directive: Directive  # the (possibly nested) directive this part belongs to
    kind: str  # "name" | "arg"
    index: int  # argument index (-1 for the name)
    value: object  # the argument value (the name text for kind "name")
    span: Span  # the whole part, e.g. `'jobs'` with its quotes, or `$ResourceParam`
    inner: Span  # the text inside quotes for string arguments (else == span)


_TOKEN = re.compile(r"-?\d+(\.\d+)?|true|false")


def _quoted_end(text: str, start: int) -> int:
    q = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == q:
            return i + 1
        i += 1
    return len(text)


def directive_parts(site, source_line: str) -> list[DirectivePart]:
    """Every part of the directive at ``site``, positioned on its line.

    ``source_line`` is the document line (code points) the scalar sits on.
    Multi-line scalars and scalars whose text differs from the source (YAML
    escapes in double quotes) give no parts: a wrong range is worse than none.
    """
    node = site.node
    if node.start_mark.line != node.end_mark.line:
        return []
    quote = 1 if node.style in ("'", '"') else 0
    base = node.start_mark.column + quote
    text = str(site.directive)
    if source_line[base:base + len(text)] != text:
        return []
    line = node.start_mark.line
    out: list[DirectivePart] = []

    def sp(a: int, b: int) -> Span:
        return Span(line, base + a, line, base + b)

    def visit(d: Directive, off: int) -> None:
        # `off` is where `d` starts in the scalar; argument offsets are relative to the scalar too
        name_span = sp(off, off + 1 + len(d.name))
        out.append(DirectivePart(site, d, "name", -1, d.name, name_span, name_span))
        for i, (arg, aoff) in enumerate(zip(d.args, d.arg_offsets)):
            if isinstance(arg, Directive):
                visit(arg, aoff)
                continue
            if aoff < len(text) and text[aoff] in ("'", '"'):
                end = _quoted_end(text, aoff)
                out.append(DirectivePart(site, d, "arg", i, arg, sp(aoff, end), sp(aoff + 1, end - 1)))
            else:
                m = _TOKEN.match(text, aoff)
                end = m.end() if m else aoff
                out.append(DirectivePart(site, d, "arg", i, arg, sp(aoff, end), sp(aoff, end)))

    visit(site.directive, 0)
    visit = None  # noqa: F841 - a recursive closure is a reference cycle: break it so refcounting frees it
    return out


def user_directives(data) -> dict[str, dict]:
    """Directives declared under `directives:` (name → its declaration)."""
    out: dict[str, dict] = {}
    items = data.get("directives") if isinstance(data, dict) else None
    if isinstance(items, list):
        for d in items:
            if isinstance(d, dict) and isinstance(d.get("name"), str):
                out[d["name"].lstrip("$")] = d
    return out


def signature(name: str) -> str | None:
    """``$Name(arguments)`` of a built-in directive, in words."""
    spec = BUILTIN_DIRECTIVES.get(name)
    if spec is None:
        return None
    _, hi, what = spec
    args = "" if hi == 0 else what
    return f"${name}({args})"


# --- typing a directive: what the cursor is on, in text that may not be finished ---------------------

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ARG_WORD = re.compile(r"[A-Za-z0-9_.:\-/]*")


@dataclass(frozen=True)
class TypedDirective:
    """The directive part being typed at the cursor (offsets into the scalar's text)."""

    kind: str  # "name" (after `$`) | "arg" (inside the parentheses)
    name: str | None  # the directive whose argument this is (kind "arg")
    index: int  # argument index
    args: tuple  # earlier arguments: their text when they are quoted strings, else None
    start: int  # the part's text to replace: [start, end)
    end: int
    quote: str | None = None  # the quote the cursor is inside
    closed: bool = False  # that quote is closed after the cursor
    has_parens: bool = False  # kind "name": `(` already follows the name


def typed_directive(text: str, cursor: int) -> TypedDirective | None:
    """What is typed at ``cursor`` in a scalar's text (without its YAML quotes), if a directive."""
    stack: list[list] = []  # [name, index, args, current]
    i = 0
    while i < cursor:
        c = text[i]
        if c == "$" and (i == 0 or stack):
            m = _IDENT.match(text, i + 1)
            j = m.end() if m else i + 1
            if j >= cursor:  # the cursor is on the name
                return TypedDirective("name", None, 0, (), i, j, has_parens=text[j:j + 1] == "(")
            if text[j:j + 1] == "(":
                stack.append([m.group(), 0, [], None])
                i = j + 1
                continue
            i = j
            continue
        if not stack:
            i += 1
            continue
        frame = stack[-1]
        if c in "'\"":
            k = i + 1
            while k < len(text) and text[k] != c:
                k += 2 if text[k] == "\\" else 1
            if k >= len(text) or k >= cursor:
                closed = k < len(text)
                end = k if closed else cursor + len(_ARG_WORD.match(text, cursor).group())
                return TypedDirective("arg", frame[0], frame[1], tuple(frame[2]), i + 1, max(end, cursor), c, closed)
            frame[3] = text[i + 1:k]
            i = k + 1
            continue
        if c == ",":
            frame[2].append(frame[3])
            frame[1] += 1
            frame[3] = None
        elif c == ")":
            stack.pop()
            if stack:
                stack[-1][3] = None  # a nested directive: not a plain text argument
        i += 1
    if not stack:
        return None
    frame = stack[-1]
    start = cursor
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.:-/"):
        start -= 1
    end = cursor + len(_ARG_WORD.match(text, cursor).group())
    return TypedDirective("arg", frame[0], frame[1], tuple(frame[2]), start, end)


# how each built-in directive's arguments are typed in: a snippet of its parentheses
ARGUMENT_SNIPPETS: dict[str, str] = {
    "ResourceParam": "('$1', '$2')",
    "CfResourceParam": "('$1', '$2')",
    "Secret": "('$1')",
    "Format": "('$1', $2)",
    "CfFormat": "('$1', $2)",
    "Var": "('$1')",
    "File": "('$1')",
    "SsmParam": "('$1')",
    "CfStackOutput": "('$1', '$2')",
    "StackOutput": "('$1', '$2')",
    "CliArgs": "($1)",
    "GitInfo": "('$1')",
    "If": "($1, $2, $3)",
    "Equal": "($1, $2)",
    "And": "($1)",
    "Or": "($1)",
    "Not": "($1)",
}


def argument_snippet(name: str) -> str:
    spec = BUILTIN_DIRECTIVES.get(name)
    if spec is not None and spec[1] == 0:
        return "()"
    return ARGUMENT_SNIPPETS.get(name, "($1)")

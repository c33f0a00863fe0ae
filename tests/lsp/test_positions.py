"""Position bookkeeping without a server: encodings, line breaks, edits, directive parts, names."""

from __future__ import annotations

import pytest
from lsprotocol import types

from core.analysis import analyze
from core.source.span import Span
from stp_lsp.documents import AttachPolicy, Snapshot, glob_to_regex
from stp_lsp.positions import Positions, apply_change
from tests.lsp.lsp_support import EXAMPLES

P = types.Position


@pytest.mark.parametrize("encoding, col", [("utf-16", 8), ("utf-8", 11), ("utf-32", 7)])
def test_columns_in_each_encoding(encoding, col):
    text = "a: 'ü😀x' # c\n"
    pos = Positions(text, encoding)
    # core column 7 is the closing quote: 'a: ' + quote + 3 code points
    assert pos.to_lsp(0, 7) == P(line=0, character=col)
    assert pos.from_lsp(P(line=0, character=col)) == (0, 7)


def test_utf16_position_inside_a_surrogate_pair_moves_past_it():
    pos = Positions("😀x", "utf-16")
    assert pos.from_lsp(P(line=0, character=1)) == (0, 1)


def test_positions_past_the_end_are_clamped():
    pos = Positions("ab\ncd", "utf-16")
    assert pos.to_lsp(0, 99) == P(line=0, character=2)
    assert pos.from_lsp(P(line=0, character=99)) == (0, 2)
    assert pos.from_lsp(P(line=9, character=0)) == (1, 2)
    assert pos.range(Span(0, 5, 0, 1)) == types.Range(start=P(line=0, character=2), end=P(line=0, character=2))


def test_crlf_and_yaml_only_line_breaks():
    crlf = Positions("a: 1\r\nb: 2\r\n")
    assert crlf.to_lsp(1, 3) == P(line=1, character=3)
    # NEL is a line break for YAML but not for LSP: YAML line 1 is the rest of LSP line 0
    nel = Positions("a: b\x85c: d\n")
    assert nel.to_lsp(1, 0) == P(line=0, character=5)
    assert nel.from_lsp(P(line=0, character=6)) == (1, 1)
    assert analyze("a: b\x85c: d\n").locator.key_span(("c",)) == Span(1, 0, 1, 1)


def test_byte_order_mark_is_not_a_column_for_yaml():
    text = "\ufeffresources: {}\n"
    pos = Positions(text)
    span = analyze(text).locator.key_span(("resources",))
    assert span == Span(0, 0, 0, 9)
    assert pos.range(span) == types.Range(start=P(line=0, character=1), end=P(line=0, character=10))
    assert pos.from_lsp(P(line=0, character=1)) == (0, 0)


@pytest.mark.parametrize("encoding, start", [("utf-16", 7), ("utf-8", 9), ("utf-32", 6)])
def test_incremental_changes_use_the_encoding(encoding, start):
    text = "x: '😀ab'\ny: 1\n"
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=P(line=0, character=start), end=P(line=0, character=start + 1)), text="B")
    assert apply_change(text, change, encoding) == "x: '😀aB'\ny: 1\n"
    whole = types.TextDocumentContentChangeWholeDocument(text="z: 2\n")
    assert apply_change(text, whole, encoding) == "z: 2\n"
    # a form feed is not a line break for LSP (pygls' splitlines() would say it is)
    ff = "a: '\x0c'\nb: 1\n"
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=P(line=1, character=0), end=P(line=1, character=1)), text="c")
    assert apply_change(ff, change, encoding) == "a: '\x0c'\nc: 1\n"


def _snap(text):
    return Snapshot("file:///t/stacktape.yml", 1, 0, text, analyze(text))


def test_names_of_nested_and_repeated_directives_are_exact():
    text = (
        "resources:\n"
        "  db:\n"
        "    type: bucket\n"
        "stackConfig:\n"
        "  outputs:\n"
        "    - name: both\n"
        "      value: $Format('{}|{}', $ResourceParam('db', 'arn'), $ResourceParam('db', 'arn'))\n"
    )
    snap = _snap(text)
    refs = [r for r in snap.names.references if r.via == "directive"]
    line = text.splitlines()[6]
    first = line.index("'db'") + 1
    second = line.index("'db'", first) + 1
    assert [(r.span.line, r.span.col, r.span.end_col) for r in refs] == [(6, first, first + 2), (6, second, second + 2)]
    assert not snap.names.unreliable


def test_quoted_names_are_narrowed_to_the_name():
    text = "resources:\n  \"db\":\n    type: bucket\n"
    snap = _snap(text)
    assert snap.names.resources["db"].span == Span(1, 3, 1, 5)


def test_attach_policy():
    policy = AttachPolicy()
    assert policy.attaches("file:///p/stacktape.yml", "")
    assert policy.attaches("file:///p/STACKTAPE.YAML", "")
    assert policy.attaches("file:///p/prod.stacktape.yml", "")
    assert not policy.attaches("file:///p/mystacktape.yml", "")
    assert not policy.attaches("file:///p/compose.yml", "resources: {}\n")
    assert policy.attaches("file:///p/compose.yml", "# comment\n# stp: enable\nresources: {}\n")
    assert policy.attaches("untitled:Untitled-1", "#stp: enable\n")
    assert not policy.attaches("file:///p/a.yml", "\n\n\n\n\n# stp: enable\n")  # too far down
    policy.roots = ["/p"]
    policy.set_extra_files(["infra/*.yml", "*.cfg.yaml"])
    assert policy.attaches("file:///p/infra/a.yml", "")
    assert not policy.attaches("file:///p/x/infra/a.yml", "")
    assert policy.attaches("file:///p/deep/down/x.cfg.yaml", "")  # no slash: matches the file name
    assert glob_to_regex("**/deploy/*.yml").match("a/b/deploy/x.yml")
    assert glob_to_regex("**/deploy/*.yml").match("deploy/x.yml")


def test_cursor_tells_what_is_under_a_position():
    text = (EXAMPLES / "queue-worker" / "stacktape.yml").read_text()
    snap = _snap(text)
    lines = text.splitlines()

    def at(needle, offset=0):
        line = next(i for i, t in enumerate(lines) if needle in t)
        return snap.cursor(P(line=line, character=lines[line].index(needle) + offset))

    item = at("- jobs", 3)
    assert item.on == "value" and item.path == ("resources", "worker", "properties", "connectTo", 0)
    assert item.resource == "worker" and item.field.key == "connectTo" and item.ref_types == ("connectable",)
    assert item.symbol.name == "jobs" and item.symbol.kind == "resource"

    key = at("connectTo:", 2)
    assert key.on == "key" and key.key == "connectTo" and key.symbol is None

    arg = at("'arn'", 2)
    assert arg.directive.kind == "arg" and arg.directive.index == 1 and arg.directive.value == "arn"
    assert arg.directive.directive.name == "ResourceParam"
    name = at("$ResourceParam", 3)
    assert name.directive.kind == "name" and name.directive.value == "ResourceParam"

    blank = snap.cursor(P(line=lines.index("  results:") - 1, character=0))
    assert blank.on == "none" and blank.symbol is None

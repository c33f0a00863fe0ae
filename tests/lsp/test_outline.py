"""Reading the cursor's place off text that may not parse, without a server (fast, many shapes)."""

from __future__ import annotations

import pytest

from core.source import compose
from stp_lsp.code_actions import creatable_types
from stp_lsp.directives import typed_directive
from stp_lsp.outline import context_at, indent_step
from stp_lsp.skeleton import Stops, resource_lines, yaml_scalar

CURSOR = "‸"

DOC = """resources:
  api:
    type: multi-container-workload
    properties:
      connectTo:
        - jobs
        - ITEM
      containers:
        - name: web
          dependsOn:
            - containerName: DEP
          KEY
        - name: cache
          packaging: {type: prebuilt-image, properties: {FLOW}}
  q:
    type: TYPE
"""


def ctx_of(marked: str):
    i = marked.index(CURSOR)
    text = marked[:i] + marked[i + 1:]
    line = text.count("\n", 0, i)
    return context_at(text, line, i - (text.rfind("\n", 0, i) + 1))


CONTAINER = ("resources", "api", "properties", "containers")


@pytest.mark.parametrize("old, new, kind, path, prefix", [
    ("DEP", "‸", "value", CONTAINER + (0, "dependsOn", 0, "containerName"), ""),
    ("DEP", "ca‸", "value", CONTAINER + (0, "dependsOn", 0, "containerName"), "ca"),
    ("KEY", "packa‸", "key", CONTAINER + (0,), "packa"),
    ("KEY", "‸", "key", CONTAINER + (0,), ""),
    ("FLOW", "ima‸", "key", CONTAINER + (1, "packaging", "properties"), "ima"),
    ("FLOW", "image: ng‸", "value", CONTAINER + (1, "packaging", "properties", "image"), "ng"),
    ("TYPE", "sq‸", "value", ("resources", "q", "type"), "sq"),
    ("TYPE", "'sq‸", "value", ("resources", "q", "type"), "sq"),
    ("ITEM", "jo‸", "key", ("resources", "api", "properties", "connectTo", 1), "jo"),
    ("ITEM", "$ResourceParam('‸", "value", ("resources", "api", "properties", "connectTo", 1), "$ResourceParam('"),
    ("    type: TYPE", "‸", "key", (), ""),
    ("    type: TYPE", "  ‸", "key", ("resources",), ""),
    ("    type: TYPE", "    ‸", "key", ("resources", "q"), ""),
])
def test_context(old, new, kind, path, prefix):
    ctx = ctx_of(DOC.replace(old, new))
    assert (ctx.kind, ctx.path, ctx.prefix) == (kind, path, prefix)


def test_item_flags_quotes_and_spacing():
    ctx = ctx_of(DOC.replace("- ITEM", "-‸"))
    assert ctx.item and ctx.space_before and ctx.start == ctx.end
    ctx = ctx_of(DOC.replace("TYPE", "'sq‸'"))
    assert ctx.quote == "'" and ctx.closed
    ctx = ctx_of(DOC.replace("      containers:", "      contai‸ners:"))
    assert ctx.key_only and ctx.line_key == "containers" and ctx.prefix == "contai"


def test_the_repaired_text_parses_and_keeps_the_rest():
    ctx = ctx_of(DOC.replace("KEY", "packa‸").replace("FLOW", "image: ng"))
    assert compose(ctx.repaired).problem is None
    assert "          packa\n" not in ctx.repaired and "- name: cache" in ctx.repaired
    ctx = ctx_of(DOC.replace("KEY", "").replace("FLOW", "image: ng‸"))
    assert "packaging: {type: prebuilt-image, properties: {image: }}" in ctx.repaired


def test_block_scalars_comments_and_multi_line_flows():
    assert ctx_of("a: 1\nb:\n  c: |\n    text\n    ‸\n").kind == "none"
    assert ctx_of("a: 1\nb:\n  c: |\n    text\n  ‸\n").path == ("b",)
    assert ctx_of("a: 1 # ‸\n").kind == "none"
    ctx = ctx_of("a: [1,\n  2, ‸\n  3]\nb: 2\n")
    assert (ctx.kind, ctx.path, ctx.flow) == ("value", ("a", 2), True)
    assert ctx.repaired == "a: [1,\n  2, ]\n\nb: 2\n"
    # an unclosed bracket does not swallow the lines after it that are not indented into it
    ctx = ctx_of("resources:\n  bad: [x\n  api:\n    ‸\n")
    assert ctx.path == ("resources", "api")


def test_sketch_when_nothing_parses():
    ctx = ctx_of("resources:\n  bad: 'x\n  api:\n    type: web-service\n    properties:\n      ‸\n")
    assert ctx.sketch["resources"]["api"]["type"] == "web-service"
    assert indent_step("a:\n    b:\n        c: 1\n") == 4


def test_typed_directive():
    t = typed_directive("$ResourceParam('jobs', 'u')", 25)
    assert (t.kind, t.name, t.index, t.args, t.quote, t.closed) == ("arg", "ResourceParam", 1, ("jobs",), "'", True)
    t = typed_directive("$Format('{}', $Res", 18)
    assert (t.kind, t.start, t.end) == ("name", 14, 18)
    assert typed_directive("price$", 6) is None


def test_yaml_scalars_and_skeletons():
    assert [yaml_scalar(v) for v in ("1.0", "*", "/{proxy+}", "aws:ses", True, 0.25)] == \
        ["'1.0'", "'*'", "/{proxy+}", "aws:ses", "true", "0.25"]
    assert resource_lines("dynamo-db-table", Stops(True)) == [
        "type: dynamo-db-table", "properties:", "  primaryKey:", "    partitionKey:", "      name: $1",
        "      type: ${2|string,number,binary|}"]
    assert resource_lines("sqs-queue", Stops(False)) == ["type: sqs-queue"]


def test_types_offered_for_a_missing_resource():
    assert creatable_types("orderQueue", ["connectable"]) == ["sqs-queue", "bucket", "relational-database"]
    assert creatable_types("lb", ["application-load-balancer"]) == ["application-load-balancer"]
    assert creatable_types("mainDb", ["*"], "connectionString")[0] == "relational-database"

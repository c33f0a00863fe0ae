"""Go to definition, find references and rename for resource and container names."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp.lsp_support import (
    apply_edits,
    close_doc,
    doc_id,
    open_doc,
    open_example,
    pos,
    rng,
    yaml,
)

CONFIG = yaml("""
    resources:
      jobs:
        type: sqs-queue
      'results':
        type: bucket
      api:
        type: multi-container-workload
        properties:
          resources: {cpu: 0.25, memory: 512}
          connectTo:
            - jobs  # the queue: jobs are taken from here
            - "results"
            - aws:ses
          deployment:
            strategy: Canary10Percent5Minutes
            afterTrafficShiftFunction: check
          containers:
            - name: web
              packaging: {type: prebuilt-image, properties: {image: nginx}}
              dependsOn:
                - containerName: cache
                  condition: START
              environment:
                - name: QUEUE_URL
                  value: $ResourceParam('jobs', 'url')
                - name: BOTH
                  value: $Format('{}|{}', $ResourceParam('jobs', 'arn'), $ResourceParam('jobs', 'arn'))
              events:
                - type: application-load-balancer
                  properties:
                    loadBalancerName: lb
                    containerPort: 80
                    priority: 1
            - name: cache
              packaging: {type: prebuilt-image, properties: {image: redis}}
      lb:
        type: application-load-balancer
      check:
        type: function
        properties:
          packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: check.py}}
    scripts:
      seed:
        type: local-script
        properties:
          executeCommand: node seed.js
          connectTo: [jobs]
""")

# every place that names the queue: its key, connectTo, three $ResourceParam, the script's connectTo
JOBS = [
    ("jobs:", 0), ("- jobs", 2), ("$ResourceParam('jobs', 'url')", 16), ("$ResourceParam('jobs', 'arn')", 16),
    ("$ResourceParam('jobs', 'arn'))", 16), ("[jobs]", 1),
]


def jobs_ranges(client):
    out = []
    start = 0
    for needle, offset in JOBS:
        at = CONFIG.index(needle, start)
        start = at + 1
        p = pos(client, CONFIG[:at + offset] + "\0", "\0")
        out.append(types.Range(start=p, end=types.Position(line=p.line, character=p.character + 4)))
    return out


def locations(result) -> list[types.Range]:
    return [loc.range for loc in result or []]


async def definition(client, uri, position):
    return await client.text_document_definition_async(types.DefinitionParams(text_document=doc_id(uri), position=position))


async def references(client, uri, position, declaration=True):
    return await client.text_document_references_async(types.ReferenceParams(
        text_document=doc_id(uri), position=position, context=types.ReferenceContext(include_declaration=declaration)))


async def prepare(client, uri, position):
    return await client.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=doc_id(uri), position=position))


async def rename(client, uri, position, new_name):
    return await client.text_document_rename_async(
        types.RenameParams(text_document=doc_id(uri), position=position, new_name=new_name))


def edits_of(client: LanguageClient, result: types.WorkspaceEdit, uri: str, version: int = 1) -> list[types.TextEdit]:
    """The edits for ``uri``, in the shape the client asked for (VS Code: documentChanges with the version)."""
    if client.client_name == "visual-studio-code":
        assert result.changes is None
        [doc_edit] = result.document_changes
        assert doc_edit.text_document.uri == uri and doc_edit.text_document.version == version
        return list(doc_edit.edits)
    assert result.document_changes is None
    return list(result.changes[uri])


# --- definition -----------------------------------------------------------------------------------


async def test_definition_from_every_kind_of_reference(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    jobs_key = rng(client, CONFIG, "jobs")
    for needle, offset in JOBS[1:]:
        result = await definition(client, uri, pos(client, CONFIG, needle, offset=offset + 2))
        assert locations(result) == [jobs_key], needle
        assert result[0].uri == uri

    result = await definition(client, uri, pos(client, CONFIG, "loadBalancerName: lb", offset=19))
    assert locations(result) == [rng(client, CONFIG, "lb", within="lb:\n")]
    result = await definition(client, uri, pos(client, CONFIG, "containerName: cache", offset=17))
    assert locations(result) == [rng(client, CONFIG, "cache", within="name: cache")]
    result = await definition(client, uri, pos(client, CONFIG, "afterTrafficShiftFunction: check", offset=28))
    assert locations(result) == [rng(client, CONFIG, "check", within="check:\n")]
    result = await definition(client, uri, pos(client, CONFIG, '"results"', offset=3))
    assert locations(result) == [rng(client, CONFIG, "results")]  # inside the quotes of 'results':

    # on a definition: itself (editors then offer the references)
    assert locations(await definition(client, uri, pos(client, CONFIG, "jobs"))) == [jobs_key]
    # not a name
    assert not await definition(client, uri, pos(client, CONFIG, "strategy"))
    assert not await definition(client, uri, pos(client, CONFIG, "aws:ses", offset=2))
    close_doc(client, uri)


async def test_definition_in_an_example(client: LanguageClient):
    uri, text = open_example(client, "canary-alb")
    result = await definition(client, uri, pos(client, text, "afterTrafficShiftFunction: checkRelease", offset=30))
    assert locations(result) == [rng(client, text, "checkRelease", within="checkRelease:\n")]
    close_doc(client, uri)


# --- references -----------------------------------------------------------------------------------


async def test_references_of_a_resource(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    expected = jobs_ranges(client)
    for needle, offset in JOBS:  # the same answer wherever the name is
        result = await references(client, uri, pos(client, CONFIG, needle, offset=offset + 1))
        assert locations(result) == expected, needle
    result = await references(client, uri, pos(client, CONFIG, "jobs"), declaration=False)
    assert locations(result) == expected[1:]
    close_doc(client, uri)


async def test_references_of_a_container(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    result = await references(client, uri, pos(client, CONFIG, "name: cache", offset=7))
    assert locations(result) == [rng(client, CONFIG, "cache", within="containerName: cache"),
                                 rng(client, CONFIG, "cache", within="name: cache\n")]
    close_doc(client, uri)


# --- rename ---------------------------------------------------------------------------------------


async def test_prepare_rename_accepts_names_only(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    result = await prepare(client, uri, pos(client, CONFIG, "$ResourceParam('jobs'", offset=17))
    assert result == types.PrepareRenamePlaceholder(range=jobs_ranges(client)[2], placeholder="jobs")
    result = await prepare(client, uri, pos(client, CONFIG, "containerName: cache", offset=16))
    assert result.placeholder == "cache"
    for needle, offset in (("strategy", 1), ("Canary10Percent5Minutes", 3), ("aws:ses", 1), ("      connectTo", 2),
                           ("'url'", 2), ("$ResourceParam", 3)):
        assert await prepare(client, uri, pos(client, CONFIG, needle, offset=offset)) is None, needle
    close_doc(client, uri)


async def test_rename_resource_edits_only_the_names(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    result = await rename(client, uri, pos(client, CONFIG, "- jobs", offset=3), "tasks")
    edits = edits_of(client, result, uri)
    assert [e.range for e in edits] == jobs_ranges(client)
    assert {e.new_text for e in edits} == {"tasks"}
    renamed = apply_edits(CONFIG, edits, client.encoding)
    assert "\n  tasks:\n" in renamed
    assert "- tasks  # the queue: jobs are taken from here" in renamed  # the comment is not a name
    assert "$Format('{}|{}', $ResourceParam('tasks', 'arn'), $ResourceParam('tasks', 'arn'))" in renamed
    assert "connectTo: [tasks]" in renamed
    close_doc(client, uri)


async def test_rename_keeps_quotes_and_quotes_when_needed(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    result = await rename(client, uri, pos(client, CONFIG, "results", offset=2), "store")
    renamed = apply_edits(CONFIG, edits_of(client, result, uri), client.encoding)
    assert "\n  'store':\n" in renamed and '- "store"' in renamed

    # a name that a plain YAML value would read as a number gets quotes where it is a plain value
    result = await rename(client, uri, pos(client, CONFIG, "jobs"), "2024")
    renamed = apply_edits(CONFIG, edits_of(client, result, uri), client.encoding)
    assert "\n  2024:\n" in renamed  # keys are always text
    assert "- '2024'  # the queue" in renamed and "connectTo: ['2024']" in renamed
    assert "$ResourceParam('2024', 'url')" in renamed
    close_doc(client, uri)


async def test_rename_container(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    result = await rename(client, uri, pos(client, CONFIG, "name: cache", offset=8), "redis")
    renamed = apply_edits(CONFIG, edits_of(client, result, uri), client.encoding)
    assert "containerName: redis" in renamed and "- name: redis" in renamed
    assert renamed.count("redis") == 3  # the image name stays
    close_doc(client, uri)


async def test_rename_refuses_bad_and_taken_names(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    with pytest.raises(JsonRpcException, match="'my-queue' is not a valid resource name"):
        await rename(client, uri, pos(client, CONFIG, "jobs"), "my-queue")
    lb_line = CONFIG[:CONFIG.index("  lb:")].count("\n") + 1
    with pytest.raises(JsonRpcException, match=rf"There is already a resource named 'lb' \(line {lb_line}\)"):
        await rename(client, uri, pos(client, CONFIG, "jobs"), "lb")
    with pytest.raises(JsonRpcException, match="already has a container named 'web'"):
        await rename(client, uri, pos(client, CONFIG, "containerName: cache", offset=16), "web")
    with pytest.raises(JsonRpcException, match="Only resource and container names can be renamed"):
        await rename(client, uri, pos(client, CONFIG, "strategy"), "x")
    close_doc(client, uri)


async def test_rename_after_edits_uses_the_current_text(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    # insert a resource above everything: every position moves down two lines
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=1, character=0), end=types.Position(line=1, character=0)),
            text="  extra:\n    type: bucket\n")],
    ))
    text = CONFIG.replace("resources:\n", "resources:\n  extra:\n    type: bucket\n", 1)
    result = await rename(client, uri, pos(client, text, "- jobs", offset=3), "tasks")
    edits = edits_of(client, result, uri, version=2)
    assert len(edits) == len(JOBS)
    assert apply_edits(text, edits, client.encoding) == apply_edits(
        text, [types.TextEdit(range=r, new_text="tasks") for r in
               [types.Range(start=types.Position(line=x.start.line + 2, character=x.start.character),
                            end=types.Position(line=x.end.line + 2, character=x.end.character)) for x in jobs_ranges(client)]],
        client.encoding)
    close_doc(client, uri)

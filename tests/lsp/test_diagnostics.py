"""Diagnostics as the editor shows them: exact ranges, severities, codes, versions, attach rules."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.lsp_support import (
    CLIENTS,
    change_doc,
    close_doc,
    diagnostics,
    new_uri,
    nothing_published,
    open_doc,
    open_example,
    pos,
    rng,
    start_server,
    stop_server,
    yaml,
)

E, W, I = types.DiagnosticSeverity.Error, types.DiagnosticSeverity.Warning, types.DiagnosticSeverity.Information

BROKEN = yaml("""
    resources:
      jobs:
        type: sqs-queue
      worker:
        type: worker-service
        properties:
          packaging:
            type: prebuilt-image
            properties:
              image: nginx
          resources:
            cpu: 0.25
            memory: '512'
          connectTo:
            - jobz
      web:
        type: web-servce
""")


def shown(diags):
    return sorted((d.code, d.severity, d.range.start.line) for d in diags)


async def test_errors_have_exact_ranges_codes_and_severities(client: LanguageClient):
    uri = open_doc(client, BROKEN)
    diags = await diagnostics(client, uri, version=1)
    by_code = {d.code: d for d in diags}

    memory = by_code["invalid-type"]
    assert memory.range == rng(client, BROKEN, "'512'")
    assert memory.severity == E and memory.source == "stp"
    assert "Expected a whole number for 'memory'" in memory.message
    assert "Remove the quotes" in memory.message

    ref = by_code["unknown-reference"]
    assert ref.range == rng(client, BROKEN, "jobz")  # the name only, not the list item
    assert "Did you mean 'jobs'?" in ref.message
    assert ref.data["path"] == ["resources", "worker", "properties", "connectTo", 0]
    assert ref.data["replace_with"] == ["jobs"]

    rtype = by_code["unknown-resource-type"]
    assert rtype.range == rng(client, BROKEN, "web-servce")
    assert "Did you mean 'web-service'?" in rtype.message
    close_doc(client, uri)


async def test_clean_example_has_no_errors(client: LanguageClient):
    uri, _ = open_example(client, "api-with-sidecar")
    diags = await diagnostics(client, uri, version=1)
    assert [d for d in diags if d.severity == E] == []
    close_doc(client, uri)


async def test_yaml_syntax_error(client: LanguageClient):
    text = "resources:\n  api:\n    type: [web-service\n"
    uri = open_doc(client, text)
    diags = await diagnostics(client, uri, version=1)
    assert [d.code for d in diags] == ["yaml-syntax"]
    assert diags[0].severity == E and diags[0].message.startswith("YAML syntax error")
    close_doc(client, uri)


async def test_change_republishes_with_version_and_close_clears(client: LanguageClient):
    uri = open_doc(client, BROKEN)
    assert "invalid-type" in [d.code for d in await diagnostics(client, uri, version=1)]

    # fix `memory: '512'` with an incremental edit that drops the quotes
    change_doc(client, uri, 2, "512", rng(client, BROKEN, "'512'"))
    diags = await diagnostics(client, uri, version=2)
    assert "invalid-type" not in [d.code for d in diags]
    assert "unknown-reference" in [d.code for d in diags]

    close_doc(client, uri)
    for _ in range(100):
        last = client.published[uri][-1]
        if not last.diagnostics:
            break
        await asyncio.sleep(0.01)
    assert list(client.published[uri][-1].diagnostics) == []


async def test_bursts_of_changes_are_debounced_and_never_go_back_in_time(client: LanguageClient):
    text = yaml("""
        resources:
          q:
            type: sqs-queue
    """)
    uri = open_doc(client, text)
    await diagnostics(client, uri, version=1)
    typed = ""
    for version, ch in enumerate("web-servce", start=2):  # type a wrong type name, key by key
        typed += ch
        change_doc(client, uri, version, text.replace("sqs-queue", typed))
    final = 1 + len("web-servce")
    diags = await diagnostics(client, uri, version=final)
    assert [d.code for d in diags] == ["unknown-resource-type"]
    await asyncio.sleep(0.2)
    versions = [p.version for p in client.published[uri]]
    assert versions == sorted(versions)  # a stale (older) result is never published after a newer one
    assert versions[-1] == final
    assert len(versions) < 1 + len("web-servce")  # some intermediate versions were skipped
    close_doc(client, uri)


async def test_positions_follow_the_negotiated_encoding(client: LanguageClient):
    # 'ü' is 2 UTF-8 bytes, '😀' is 2 UTF-16 units and 4 UTF-8 bytes: the range of jobz moves accordingly
    text = yaml("""
        resources:
          jobs:
            type: sqs-queue
          worker:
            type: worker-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: nginx}}
              resources: {cpu: 0.25, memory: 512}
              connectTo: ['bü😀', jobz]
    """)
    uri = open_doc(client, text)
    diags = await diagnostics(client, uri, version=1)
    ranges = sorted((d.range.start.character, d.range.end.character) for d in diags if d.code == "unknown-reference")
    expected = sorted((r.start.character, r.end.character) for r in (rng(client, text, "bü😀"), rng(client, text, "jobz")))
    assert ranges == expected
    jobz = ranges[1]
    assert jobz == {"utf-16": (26, 30), "utf-8": (29, 33), "utf-32": (25, 29)}[client.encoding]
    close_doc(client, uri)


# --- which files -----------------------------------------------------------------------------------


async def test_other_yaml_files_are_left_alone(client: LanguageClient):
    uri = open_doc(client, BROKEN, name="docker-compose.yml")
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=pos(client, BROKEN, "memory"))
    )
    assert hover is None
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert symbols == []
    assert await nothing_published(client, uri)
    close_doc(client, uri)


@pytest.mark.parametrize("name", ["stacktape.yaml", "prod.stacktape.yml", "dev.stacktape.yaml"])
async def test_stacktape_file_names_attach(client: LanguageClient, name):
    uri = open_doc(client, BROKEN, name=name)
    assert "unknown-reference" in [d.code for d in await diagnostics(client, uri, version=1)]
    close_doc(client, uri)


async def test_modeline_opts_a_file_in_and_out(client: LanguageClient):
    text = "# stp: enable\n" + BROKEN
    uri = open_doc(client, text, name="infra.yml")
    assert "unknown-reference" in [d.code for d in await diagnostics(client, uri, version=1)]
    # removing the modeline detaches the file: its diagnostics are cleared
    change_doc(client, uri, 2, BROKEN)
    for _ in range(100):
        if not client.published[uri][-1].diagnostics:
            break
        await asyncio.sleep(0.01)
    assert list(client.published[uri][-1].diagnostics) == []
    close_doc(client, uri)


# --- stp.extraFiles from initializationOptions ------------------------------------------------------


@pytest.mark.slow  # starts its own server
@pytest.mark.parametrize("client_name", CLIENTS)
async def test_extra_files_setting_opts_files_in(client_name, tmp_path):
    root = tmp_path
    configured = await start_server(client_name, {"stp": {"extraFiles": ["infra/*.yml", "**/deploy/*.yaml"]}}, root)
    inside = open_doc(configured, BROKEN, uri=(root / "infra" / "prod.yml").as_uri())
    nested = open_doc(configured, BROKEN, uri=(root / "a" / "b" / "deploy" / "stack.yaml").as_uri())
    outside = open_doc(configured, BROKEN, uri=(root / "other" / "prod.yml").as_uri())
    assert "unknown-reference" in [d.code for d in await diagnostics(configured, inside, version=1)]
    assert "unknown-reference" in [d.code for d in await diagnostics(configured, nested, version=1)]
    assert await nothing_published(configured, outside)
    await stop_server(configured)


async def test_unknown_names_inside_nested_directives_are_pointed_at(client: LanguageClient):
    text = yaml("""
        resources:
          db:
            type: bucket
          worker:
            type: worker-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: worker}}
              resources: {cpu: 0.25, memory: 512}
              environment:
                - name: DB
                  value: $Format('{}/x', $ResourceParam('dbx', 'arn'))
    """)
    uri = open_doc(client, text)
    diags = await diagnostics(client, uri, version=1)
    [ref] = [d for d in diags if d.code == "unknown-reference"]
    assert ref.range == rng(client, text, "dbx")
    assert "Did you mean 'db'?" in ref.message
    close_doc(client, uri)


async def test_extra_files_setting_can_change_during_the_session(client: LanguageClient):
    uri = open_doc(client, BROKEN, uri=new_uri("infra/prod.yml"))
    assert await nothing_published(client, uri, wait=0.2)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"stp": {"extraFiles": ["**/infra/*.yml"]}}))
    assert "unknown-reference" in [d.code for d in await diagnostics(client, uri, version=1)]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"stp": {"extraFiles": []}}))
    for _ in range(100):
        if not client.published[uri][-1].diagnostics:
            break
        await asyncio.sleep(0.01)
    assert list(client.published[uri][-1].diagnostics) == []
    close_doc(client, uri)


async def test_save_republishes(client: LanguageClient):
    uri = open_doc(client, BROKEN)
    await diagnostics(client, uri, version=1)
    before = len(client.published[uri])
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    for _ in range(200):
        if len(client.published[uri]) > before:
            break
        await asyncio.sleep(0.01)
    assert len(client.published[uri]) == before + 1
    assert client.published[uri][-1].version == 1
    assert [d.code for d in client.published[uri][-1].diagnostics] == [d.code for d in client.published[uri][0].diagnostics]
    close_doc(client, uri)

"""Document symbols: the outline tree an editor shows for a stacktape config."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.lsp_support import (
    EXAMPLES,
    close_doc,
    doc_id,
    open_doc,
    open_example,
    pos,
    rng,
    yaml,
)

K = types.SymbolKind


async def outline_of(client: LanguageClient, uri: str):
    return await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc_id(uri)))


def tree(symbols):
    return [(s.name, s.kind, s.detail, tree(s.children or [])) for s in symbols]


def find(symbols, *names):
    for s in symbols:
        if s.name == names[0]:
            return s if len(names) == 1 else find(s.children or [], *names[1:])
    raise AssertionError(f"no symbol {names}")


def contains(outer: types.Range, inner: types.Range) -> bool:
    return ((outer.start.line, outer.start.character) <= (inner.start.line, inner.start.character)
            and (inner.end.line, inner.end.character) <= (outer.end.line, outer.end.character))


def check_nesting(symbols):
    for s in symbols:
        assert contains(s.range, s.selection_range), s.name
        for c in s.children or []:
            assert contains(s.range, c.range), (s.name, c.name)
        check_nesting(s.children or [])


async def test_example_outline_resources_containers_events(client: LanguageClient):
    uri, text = open_example(client, "api-with-sidecar")
    symbols = await outline_of(client, uri)
    assert tree(symbols) == [
        ("serviceName", K.Field, "api-with-sidecar", []),
        ("resources", K.Namespace, None, [
            ("gateway", K.Interface, "http-api-gateway", []),
            ("api", K.Class, "multi-container-workload", [
                ("web", K.Module, "container", [
                    ("http-api-gateway → gateway", K.Event, "port 3000 · /{proxy+}", []),
                ]),
                ("cache", K.Module, "container", [
                    ("workload-internal", K.Event, "port 6379", []),
                ]),
            ]),
        ]),
    ]
    check_nesting(symbols)
    api = find(symbols, "resources", "api")
    assert api.selection_range == rng(client, text, "api", within="  api:")
    assert api.range.start == pos(client, text, "  api:", offset=2)
    # the workload ends with its last line of content (`containerPort: 6379`), not at the next key
    assert api.range.end == pos(client, text, "containerPort: 6379", offset=len("containerPort: 6379"))
    web = find(symbols, "resources", "api", "web")
    assert web.selection_range == rng(client, text, "web", within="name: web")
    assert web.range.start == pos(client, text, "name: web")
    assert web.range.end == pos(client, text, "startPeriodSeconds: 30", offset=len("startPeriodSeconds: 30"))
    close_doc(client, uri)


async def test_outline_of_the_other_sections(client: LanguageClient):
    text = yaml("""
        variables:
          dbName: orders
          sizes: [1, 2]
        directives:
          - name: getSize
            filePath: directives.ts
        scripts:
          migrate:
            type: local-script
            properties:
              executeCommand: npx prisma migrate deploy
        hooks:
          afterDeploy:
            - scriptName: migrate
        stackConfig:
          outputs:
            - name: apiUrl
              value: $ResourceParam('api', 'url')
        cloudformationResources:
          MyTopic:
            Type: AWS::SNS::Topic
        resources:
          api:
            type: web-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: nginx}}
              resources: {cpu: 0.25, memory: 512}
              sideContainers:
                - name: agent
                  containerType: always-running
                  packaging: {type: prebuilt-image, properties: {image: agent}}
    """)
    uri = open_doc(client, text)
    symbols = await outline_of(client, uri)
    assert tree(symbols) == [
        ("variables", K.Namespace, None, [("dbName", K.Variable, "orders", []), ("sizes", K.Variable, None, [])]),
        ("directives", K.Namespace, None, [("getSize", K.Function, "directives.ts", [])]),
        ("scripts", K.Namespace, None, [("migrate", K.Function, "local-script", [])]),
        ("hooks", K.Namespace, None, [("afterDeploy", K.Event, None, [("migrate", K.Event, "script", [])])]),
        ("stackConfig", K.Property, None, [
            ("outputs", K.Namespace, None, [("apiUrl", K.Constant, "$ResourceParam('api', 'url')", [])]),
        ]),
        ("cloudformationResources", K.Namespace, None, [("MyTopic", K.Object, "AWS::SNS::Topic", [])]),
        ("resources", K.Namespace, None, [
            ("api", K.Class, "web-service", [("agent", K.Module, "side container", [])]),
        ]),
    ]
    check_nesting(symbols)
    close_doc(client, uri)


async def test_outline_while_typing_and_when_the_yaml_is_broken(client: LanguageClient):
    # a resource without properties yet, and one being typed: the outline still shows them
    text = yaml("""
        resources:
          queue:
            type: sqs-queue
          half:
    """)
    uri = open_doc(client, text)
    symbols = await outline_of(client, uri)
    assert tree(symbols) == [("resources", K.Namespace, None, [
        ("queue", K.Event, "sqs-queue", []), ("half", K.Object, None, []),
    ])]
    check_nesting(symbols)
    close_doc(client, uri)

    uri = open_doc(client, "resources:\n  api: [\n")
    assert await outline_of(client, uri) == []
    close_doc(client, uri)


def test_clients_without_hierarchy_get_a_flat_list():
    from core.analysis import analyze
    from stp_lsp.documents import ClientInfo, Snapshot
    from stp_lsp.symbols import document_symbols

    text = (EXAMPLES / "api-with-sidecar" / "stacktape.yml").read_text()
    snap = Snapshot("file:///w/stacktape.yml", 1, 0, text, analyze(text), client=ClientInfo(hierarchical_symbols=False))
    flat = document_symbols(snap)
    assert [(s.name, s.container_name) for s in flat] == [
        ("serviceName", None), ("resources", None), ("gateway", "resources"), ("api", "resources"),
        ("web", "api"), ("http-api-gateway → gateway", "web"), ("cache", "api"), ("workload-internal", "cache"),
    ]
    assert all(isinstance(s, types.SymbolInformation) and s.location.uri == snap.uri for s in flat)

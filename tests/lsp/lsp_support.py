"""Helpers for the language-server tests: a test client that keeps every publishDiagnostics,
documents with unique URIs, and positions computed in the encoding the session negotiated."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import uuid
from pathlib import Path

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CLIENTS = ["visual-studio-code", "neovim"]


def yaml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- the client ---------------------------------------------------------------------------------


def _record_publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
    client.diagnostics[params.uri] = params.diagnostics
    client.published.setdefault(params.uri, []).append(params)


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _record_publish})
    client.published = {}
    return client


SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "stp_lsp"],
    client_factory=make_client,
    server_env={**os.environ, "PYTHONPATH": str(ROOT)},
)


async def initialize(client: LanguageClient, client_name: str, options=None, root: Path | None = None,
                     capabilities=None):
    caps = client_capabilities(client_name)
    if capabilities is not None:
        caps = capabilities(caps)
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            initialization_options=options,
            root_uri=root.as_uri() if root else None,
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")] if root else None,
        )
    )
    client.encoding = str(result.capabilities.position_encoding or "utf-16")
    client.client_name = client_name
    client.server_capabilities = result.capabilities
    return result


async def start_server(client_name: str, options=None, root: Path | None = None, capabilities=None) -> LanguageClient:
    """Start `python -m stp_lsp` and initialise it as ``client_name`` (a pytest-lsp client spec);
    ``capabilities`` may change the client capabilities sent (a function of them)."""
    client = await SERVER.start()
    await initialize(client, client_name, options, root, capabilities)
    return client


async def stop_server(client: LanguageClient) -> None:
    await client.shutdown_session()
    await client.stop()


# --- documents ----------------------------------------------------------------------------------


def new_uri(name: str = "stacktape.yml") -> str:
    return (Path("/tmp/stp-lsp-tests") / uuid.uuid4().hex / name).as_uri()


def open_doc(client: LanguageClient, text: str, name: str = "stacktape.yml", uri: str | None = None,
             version: int = 1) -> str:
    uri = uri or new_uri(name)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=version, text=text)
        )
    )
    return uri


def open_example(client: LanguageClient, folder: str) -> tuple[str, str]:
    path = EXAMPLES / folder / "stacktape.yml"
    text = path.read_text()
    return open_doc(client, text, uri=path.as_uri()), text


def close_doc(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))


def change_doc(client: LanguageClient, uri: str, version: int, new_text: str, rng: types.Range | None = None) -> None:
    change = (types.TextDocumentContentChangePartial(range=rng, text=new_text) if rng is not None
              else types.TextDocumentContentChangeWholeDocument(text=new_text))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[change]
        )
    )


async def diagnostics(client: LanguageClient, uri: str, version: int | None = None, timeout: float = 10.0):
    """The diagnostics published for ``uri`` (for ``version`` when given), waiting for them to arrive."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for p in reversed(client.published.get(uri, [])):
            if version is None or p.version == version:
                return list(p.diagnostics)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no diagnostics for {uri} (version {version}); got {client.published.get(uri)}")
        await asyncio.sleep(0.01)


async def nothing_published(client: LanguageClient, uri: str, wait: float = 0.4) -> bool:
    await asyncio.sleep(wait)
    return uri not in client.published


# --- positions ----------------------------------------------------------------------------------


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def pos(client: LanguageClient, text: str, needle: str, nth: int = 0, offset: int = 0) -> types.Position:
    """Position of the ``nth`` occurrence of ``needle`` (plus ``offset`` code points) in the client's encoding."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    start = text.rfind("\n", 0, at) + 1
    return types.Position(line=line, character=units(text[start:at], client.encoding))


def rng(client: LanguageClient, text: str, needle: str, nth: int = 0, within: str | None = None) -> types.Range:
    """Range of the ``nth`` occurrence of ``needle`` (one line), or of ``needle`` inside the first ``within``."""
    if within is not None:
        start = pos(client, text, within, 0, within.index(needle))
    else:
        start = pos(client, text, needle, nth)
    end = types.Position(line=start.line, character=start.character + units(needle, client.encoding))
    return types.Range(start=start, end=end)


def doc_id(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    """Apply non-overlapping edits (as a client would), to check what the user ends up with."""
    lines = text.split("\n")

    def offset(p: types.Position) -> int:
        line = lines[p.line]
        count = 0
        for i, ch in enumerate(line):
            if count >= p.character:
                return sum(len(x) + 1 for x in lines[:p.line]) + i
            count += units(ch, encoding)
        return sum(len(x) + 1 for x in lines[:p.line]) + len(line)

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        a, b = offset(e.range.start), offset(e.range.end)
        text = text[:a] + e.new_text + text[b:]
    return text


def workspace_edits(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    """The edits of ``uri`` in a workspace edit, in either shape (documentChanges or changes)."""
    if edit.document_changes:
        return [e for dc in edit.document_changes if dc.text_document.uri == uri for e in dc.edits]
    return list((edit.changes or {}).get(uri, []))

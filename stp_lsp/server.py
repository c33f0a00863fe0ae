"""stp-lsp: the language server for stacktape.yml, over stdio.

Thin over ``core``: every answer is read off one ``core.analysis.analyze``
result per document version (see ``documents.py``). This module holds the
server class, the document-sync handlers and — in ``FEATURES`` — the one
table of request features with their capability options. A feature is a
plain function ``handler(snapshot, params) -> result`` in its own module;
the table decides what a document that stp does not attach to gets.

Adding a feature (completion, code actions…) = one module with a handler
and one ``Feature(...)`` row here; pygls derives the advertised server
capabilities from the table.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from stp_lsp import code_actions, completion, diagnostics, hover, navigation, symbols
from stp_lsp.documents import ClientInfo, Documents, extra_files_from
from stp_lsp.errors import quiet_refusals

log = logging.getLogger("stp_lsp")

NAME = "stp-lsp"
VERSION = "0.1.0"


@dataclass(frozen=True)
class Feature:
    method: str  # the LSP method, e.g. types.TEXT_DOCUMENT_HOVER
    handler: Callable[[Any, Any], Any]  # (Snapshot, params) -> result (or an awaitable of it)
    options: Any = None  # capability options, when the method has any
    empty: Callable[[], Any] = lambda: None  # result for documents stp does not handle


FEATURES: tuple[Feature, ...] = (
    Feature(types.TEXT_DOCUMENT_HOVER, hover.hover),
    Feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, symbols.document_symbols,
            types.DocumentSymbolOptions(label="stacktape"), empty=list),
    Feature(types.TEXT_DOCUMENT_DEFINITION, navigation.definition, empty=list),
    Feature(types.TEXT_DOCUMENT_REFERENCES, navigation.references, empty=list),
    Feature(types.TEXT_DOCUMENT_PREPARE_RENAME, navigation.prepare_rename),
    # rename's options (prepareProvider) are derived by pygls from the prepareRename row and the client
    Feature(types.TEXT_DOCUMENT_RENAME, navigation.rename),
    Feature(types.TEXT_DOCUMENT_COMPLETION, completion.completion, completion.OPTIONS),
    Feature(types.TEXT_DOCUMENT_CODE_ACTION, code_actions.code_actions, code_actions.OPTIONS, empty=list),
)

SAVE_OPTIONS = types.SaveOptions(include_text=False)


class StpProtocol(LanguageServerProtocol):
    """Document text lives in ``stp_lsp.documents``; pygls' own copy is not kept."""

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class StpLanguageServer(LanguageServer):
    def __init__(self, debounce: float = diagnostics.DEBOUNCE):
        super().__init__(NAME, VERSION, types.TextDocumentSyncKind.Incremental, protocol_cls=StpProtocol)
        self.documents = Documents()
        self.publisher = diagnostics.Publisher(self.documents, self.text_document_publish_diagnostics, debounce)

    # --- lifecycle -------------------------------------------------------------------------------

    def on_initialize(self, params: types.InitializeParams) -> None:
        docs = self.documents
        docs.encoding = str(self.workspace.position_encoding or "utf-16")
        docs.client = ClientInfo.from_capabilities(params.capabilities)
        roots = [f.uri for f in (params.workspace_folders or [])]
        if params.root_uri:
            roots.append(params.root_uri)
        docs.policy.roots = [p for p in (to_fs_path(u) for u in roots) if p]
        globs = extra_files_from(params.initialization_options)
        if globs is not None:
            docs.policy.set_extra_files(globs)

    def on_settings(self, settings) -> None:
        globs = extra_files_from(settings)
        if globs is None:
            return
        self.documents.policy.set_extra_files(globs)
        for doc in self.documents.reattach():
            if doc.attached:
                self.publisher.schedule(doc, 0)
            else:
                self.publisher.clear(doc.uri, doc.version)

    # --- document sync ---------------------------------------------------------------------------

    def on_open(self, params: types.DidOpenTextDocumentParams) -> None:
        td = params.text_document
        doc = self.documents.open(td.uri, td.text, td.version, td.language_id)
        if doc.attached:
            self.publisher.schedule(doc, 0)

    def on_change(self, params: types.DidChangeTextDocumentParams) -> None:
        doc = self.documents.get(params.text_document.uri)
        if doc is None:
            return
        was = doc.attached
        self.documents.change(doc.uri, params.text_document.version, params.content_changes)
        if doc.attached:
            self.publisher.schedule(doc)
        elif was:
            self.publisher.clear(doc.uri, doc.version)

    def on_save(self, params: types.DidSaveTextDocumentParams) -> None:
        doc = self.documents.get(params.text_document.uri)
        if doc is not None and doc.attached:
            self.publisher.schedule(doc, 0)

    def on_close(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        self.publisher.cancel(uri)
        self.documents.close(uri)
        self.publisher.clear(uri)


def _request(ls: StpLanguageServer, feature: Feature):
    async def run(params):
        snap = await ls.documents.snapshot(params.text_document.uri)
        if snap is None:
            return feature.empty()
        result = feature.handler(snap, params)
        return await result if inspect.isawaitable(result) else result

    run.__name__ = f"stp_{feature.method.replace('/', '_')}"
    return run


def create_server(features: tuple[Feature, ...] = FEATURES, debounce: float = diagnostics.DEBOUNCE) -> StpLanguageServer:
    ls = StpLanguageServer(debounce)

    def notification(method, fn, options=None):
        ls.feature(method, options)(lambda params: fn(params))

    notification(types.INITIALIZE, ls.on_initialize)
    notification(types.TEXT_DOCUMENT_DID_OPEN, ls.on_open)
    notification(types.TEXT_DOCUMENT_DID_CHANGE, ls.on_change)
    notification(types.TEXT_DOCUMENT_DID_SAVE, ls.on_save, SAVE_OPTIONS)
    notification(types.TEXT_DOCUMENT_DID_CLOSE, ls.on_close)
    notification(types.WORKSPACE_DID_CHANGE_CONFIGURATION, lambda p: ls.on_settings(p.settings))
    for feature in features:
        ls.feature(feature.method, feature.options)(_request(ls, feature))
    return ls


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="stp-lsp", description="Language server for stacktape.yml (stdio).")
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    parser.add_argument("--log-file", help="write the server log here instead of stderr")
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default) or ERROR")
    parser.add_argument("--version", action="version", version=f"{NAME} {VERSION}")
    args = parser.parse_args(argv)
    handler = logging.FileHandler(args.log_file) if args.log_file else logging.StreamHandler(sys.stderr)
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_refusals()
    server = create_server()
    # everything imported so far lives as long as the process: keep it out of every GC pass
    gc.freeze()
    server.start_io()


if __name__ == "__main__":
    main()

"""What the server advertises at initialize, per client."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient


async def test_capabilities(client: LanguageClient):
    caps = client.server_capabilities
    # Neovim offers UTF-8 first and gets it; VS Code speaks UTF-16
    assert caps.position_encoding == {"visual-studio-code": "utf-16", "neovim": "utf-8"}[client.client_name]
    sync = caps.text_document_sync
    assert sync.open_close and sync.change == types.TextDocumentSyncKind.Incremental
    assert sync.save == types.SaveOptions(include_text=False)
    assert caps.hover_provider and caps.definition_provider and caps.references_provider
    assert caps.document_symbol_provider == types.DocumentSymbolOptions(label="stacktape")
    assert caps.rename_provider == types.RenameOptions(prepare_provider=True)
    assert list(caps.completion_provider.trigger_characters) == [":", " ", "$", "'", "-"]
    assert list(caps.code_action_provider.code_action_kinds) == [types.CodeActionKind.QuickFix]

"""Diagnostics: core's findings pushed to the client as the user types.

After open and save they go out at once; after a change they wait
``DEBOUNCE`` seconds of quiet per document, so a burst of keystrokes costs
one analysis. A result whose document has moved on to a newer revision is
dropped instead of published. Closing a document (or it stopping to be a
stacktape config) clears its diagnostics.

Each LSP diagnostic carries the core code (``code``), ``source = "stp"`` and,
in ``data``, the config path and core's machine-readable hints
(``replace_with``, ``allowed``, ``missing``…) for code actions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from lsprotocol import types

from core.analysis.diagnostics import ERROR, HINT, INFORMATION, WARNING, Diagnostic
from stp_lsp.documents import Document, Documents, Snapshot

log = logging.getLogger(__name__)

SOURCE = "stp"
DEBOUNCE = 0.03  # seconds of quiet after a change before analysing

SEVERITIES = {
    ERROR: types.DiagnosticSeverity.Error,
    WARNING: types.DiagnosticSeverity.Warning,
    INFORMATION: types.DiagnosticSeverity.Information,
    HINT: types.DiagnosticSeverity.Hint,
}


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return str(value)


def to_lsp(d: Diagnostic, snap: Snapshot) -> types.Diagnostic:
    return types.Diagnostic(
        range=snap.range(d.span),
        message=d.message,
        severity=SEVERITIES.get(d.severity, types.DiagnosticSeverity.Error),
        code=d.code,
        source=SOURCE,
        data=_jsonable({"path": list(d.path), **(d.data or {})}),
    )


def diagnostics_of(snap: Snapshot) -> list[types.Diagnostic]:
    return [to_lsp(d, snap) for d in snap.analysis.diagnostics]


def core_diagnostic_for(snap: Snapshot, diag: types.Diagnostic) -> Diagnostic | None:
    """The core diagnostic an LSP diagnostic (as the client sends it back, e.g. in a code action
    request) came from: same code and range. For code actions in part B."""
    for d in snap.analysis.diagnostics:
        if d.code == diag.code and snap.range(d.span) == diag.range:
            return d
    return None


class Publisher:
    """Schedules analysis and pushes `textDocument/publishDiagnostics`, one pending run per document."""

    def __init__(self, documents: Documents, send: Callable[[types.PublishDiagnosticsParams], None],
                 debounce: float = DEBOUNCE):
        self.documents = documents
        self.send = send
        self.debounce = debounce
        self._tasks: dict[str, asyncio.Task] = {}
        self._published: set[str] = set()  # uris with diagnostics shown in the client

    def schedule(self, doc: Document, delay: float | None = None) -> None:
        self.cancel(doc.uri)
        wait = self.debounce if delay is None else delay
        task = asyncio.ensure_future(self._run(doc, doc.revision, wait))
        self._tasks[doc.uri] = task
        task.add_done_callback(lambda t, uri=doc.uri: self._done(uri, t))

    def _done(self, uri: str, task: asyncio.Task) -> None:
        if self._tasks.get(uri) is task:
            del self._tasks[uri]
        if not task.cancelled() and task.exception() is not None:
            log.error("publishing diagnostics failed", exc_info=task.exception())

    def cancel(self, uri: str) -> None:
        task = self._tasks.pop(uri, None)
        if task is not None:
            task.cancel()

    async def _run(self, doc: Document, revision: int, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        if doc.revision != revision or not doc.attached:
            return  # superseded while waiting
        snap = await self.documents.analysed(doc)
        if doc.revision != revision or not doc.attached or self.documents.get(doc.uri) is not doc:
            return  # stale: a newer version is on its way
        self._published.add(doc.uri)
        self.send(types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=diagnostics_of(snap), version=snap.version))

    def clear(self, uri: str, version: int | None = None) -> None:
        """Remove the document's diagnostics from the client (if any were shown)."""
        self.cancel(uri)
        if uri in self._published:
            self._published.discard(uri)
            self.send(types.PublishDiagnosticsParams(uri=uri, diagnostics=[], version=version))

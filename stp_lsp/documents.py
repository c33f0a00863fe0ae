"""Open documents: their text and version, whether stp looks at them, and one analysis per version.

Every feature asks ``Documents.snapshot(uri)`` and gets an immutable
``Snapshot`` of the current version: text, ``core`` Analysis, position
conversion and the name index, computed once and shared by diagnostics,
hover, symbols, navigation, completion and code actions. Each snapshot also
points at the latest version that parsed (``last_good``): completion reads
the file's structure from it while the text is broken.
Analysis runs on a single worker thread, off the event loop; concurrent
requests for the same version wait for the same run.

The text is kept here, not in pygls' workspace: pygls splits lines with
``str.splitlines`` (form feeds, NEL, U+2028… count as breaks), which
misplaces incremental edits; ``positions.apply_change`` uses the LSP rules.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import unquote, urlparse

from lsprotocol import types

from core.analysis import Analysis, analyze
from core.analysis.diagnostics import INFORMATION, Diagnostic
from core.source.span import Span
from stp_lsp.cursor import Cursor, cursor_at
from stp_lsp.names import NameIndex
from stp_lsp.positions import UTF16, Positions, apply_change

log = logging.getLogger(__name__)

MODELINE = re.compile(r"^\s*#\s*stp:\s*enable\b")
MODELINE_LINES = 5  # the modeline must be within the first lines


# --- which files stp attaches to --------------------------------------------------------------------


def uri_to_path(uri: str) -> str:
    """File-system-like path of a URI (posix separators), also for `untitled:` and the like."""
    parsed = urlparse(uri)
    path = unquote(parsed.path)
    if parsed.scheme == "file" and re.match(r"^/[A-Za-z]:", path):
        path = path[1:]  # file:///C:/x → C:/x
    return path.replace("\\", "/")


def is_stacktape_name(path: str) -> bool:
    name = os.path.basename(path).lower()
    return name in ("stacktape.yml", "stacktape.yaml") or name.endswith((".stacktape.yml", ".stacktape.yaml"))


def has_modeline(text: str) -> bool:
    for i, line in enumerate(text.splitlines()):
        if i >= MODELINE_LINES:
            break
        if MODELINE.match(line):
            return True
    return False


def glob_to_regex(pattern: str) -> re.Pattern:
    """A glob with ``**`` (any folders), ``*`` and ``?`` (within one folder) and ``[...]``."""
    out = []
    i = 0
    p = pattern.replace("\\", "/")
    while i < len(p):
        c = p[i]
        if p.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if p.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = p.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = p[i + 1:j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass
class AttachPolicy:
    """stacktape.yml, stacktape.yaml, *.stacktape.yml/yaml, a `# stp: enable` modeline or `stp.extraFiles`."""

    extra_files: list[str] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)  # workspace folder paths, for relative globs

    def __post_init__(self):
        self._compiled = [glob_to_regex(g) for g in self.extra_files]

    def set_extra_files(self, globs) -> None:
        self.extra_files = [g for g in (globs or []) if isinstance(g, str) and g]
        self._compiled = [glob_to_regex(g) for g in self.extra_files]

    def matches_extra(self, path: str) -> bool:
        if not self._compiled:
            return False
        candidates = {path, os.path.basename(path)}
        for root in self.roots:
            root = root.rstrip("/") + "/"
            if path.startswith(root):
                candidates.add(path[len(root):])
        return any(rx.match(c) for rx in self._compiled for c in candidates)

    def attaches(self, uri: str, text: str) -> bool:
        path = uri_to_path(uri)
        return is_stacktape_name(path) or has_modeline(text) or self.matches_extra(path)


def extra_files_from(options) -> list[str] | None:
    """`stp.extraFiles` from initializationOptions or settings, in any of the usual shapes."""
    if not isinstance(options, dict):
        return None
    for holder in (options.get("stp"), options):
        if isinstance(holder, dict):
            value = holder.get("extraFiles", holder.get("stp.extraFiles"))
            if isinstance(value, list):
                return value
    return None


# --- what the client can show ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientInfo:
    markdown: bool = True
    hierarchical_symbols: bool = True
    document_changes: bool = False
    snippets: bool = False  # completion items may be snippets (`${1:placeholder}`)
    insert_as_is: bool = False  # the client honours insertTextMode asIs (multi-line text kept as sent)
    completion_markdown: bool = True  # completion documentation may be markdown

    @classmethod
    def from_capabilities(cls, caps: types.ClientCapabilities | None) -> ClientInfo:
        td = caps.text_document if caps is not None else None
        hover = td.hover if td is not None else None
        formats = hover.content_format if hover is not None else None
        markdown = formats is None or types.MarkupKind.Markdown in formats
        sym = td.document_symbol if td is not None else None
        hierarchical = bool(sym and sym.hierarchical_document_symbol_support)
        ws = caps.workspace if caps is not None else None
        edit = ws.workspace_edit if ws is not None else None
        completion = td.completion if td is not None else None
        item = completion.completion_item if completion is not None else None
        snippets = bool(item and item.snippet_support)
        modes = item.insert_text_mode_support if item is not None else None
        as_is = bool(modes and types.InsertTextMode.AsIs in (modes.value_set or ()))
        doc_formats = item.documentation_format if item is not None else None
        completion_markdown = doc_formats is None or types.MarkupKind.Markdown in doc_formats
        return cls(markdown, hierarchical, bool(edit and edit.document_changes), snippets, as_is, completion_markdown)


# --- documents and snapshots -------------------------------------------------------------------------


class Snapshot:
    """One version of one document, analysed. Immutable; derived data is computed on first use."""

    def __init__(self, uri: str, version: int | None, revision: int, text: str, analysis: Analysis,
                 encoding: str = UTF16, client: ClientInfo | None = None, last_good: Snapshot | None = None):
        self.uri = uri
        self.version = version
        self.revision = revision
        self.text = text
        self.analysis = analysis
        self.positions = Positions(text, encoding)
        self.client = client or ClientInfo()
        # the latest version that parsed, when this one does not: completion reads the structure of the
        # file from it while the text is broken
        self._previous_good = None if analysis.locator is not None else last_good

    @property
    def last_good(self) -> Snapshot | None:
        """The latest version of the document that parsed: this one when it does.

        A property, not ``self.last_good = self``: that reference cycle kept every old snapshot (its whole
        analysis) alive until a full garbage collection, and those collections then paused the server for
        hundreds of milliseconds on big files.
        """
        return self if self.parsed else self._previous_good

    @property
    def parsed(self) -> bool:
        return self.analysis.locator is not None

    @cached_property
    def names(self) -> NameIndex:
        return NameIndex.build(self.analysis, self.positions)

    def cursor(self, position: types.Position) -> Cursor:
        line, col = self.positions.from_lsp(position)
        return cursor_at(self, line, col)

    def range(self, span: Span) -> types.Range:
        return self.positions.range(span)

    def location(self, span: Span) -> types.Location:
        return types.Location(uri=self.uri, range=self.range(span))


@dataclass
class Document:
    uri: str
    text: str
    version: int | None
    language_id: str = "yaml"
    attached: bool = False
    revision: int = 0  # ours: bumped on every change, whatever the client's version says
    snapshot: Snapshot | None = None  # of the latest analysed revision
    last_good: Snapshot | None = None  # the latest analysed revision whose text parsed
    pending: tuple | None = None  # (revision, task) of the analysis under way


def _safe_analyze(analyzer: Callable[[str], Analysis], text: str) -> Analysis:
    try:
        return analyzer(text)
    except Exception as exc:  # a crash in core must not take the editor session down
        log.exception("analysis failed")
        result = Analysis(text)
        result.diagnostics.append(
            Diagnostic("internal-error", f"stp could not analyse this file: {exc!r}", Span(0, 0, 0, 1), INFORMATION)
        )
        return result


class Documents:
    def __init__(self, analyzer: Callable[[str], Analysis] = analyze, executor: Executor | None = None):
        self.analyzer = analyzer
        self.executor = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="stp-analysis")
        self.policy = AttachPolicy()
        self.client = ClientInfo()
        self.encoding: str = UTF16
        self._docs: dict[str, Document] = {}

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def __iter__(self):
        return iter(list(self._docs.values()))

    def open(self, uri: str, text: str, version: int | None, language_id: str = "yaml") -> Document:
        doc = Document(uri, text, version, language_id)
        doc.attached = self.policy.attaches(uri, text)
        self._docs[uri] = doc
        return doc

    def change(self, uri: str, version: int | None, changes) -> Document | None:
        doc = self._docs.get(uri)
        if doc is None:
            return None
        text = doc.text
        for change in changes:
            text = apply_change(text, change, self.encoding)
        doc.text = text
        doc.version = version
        doc.revision += 1
        doc.attached = self.policy.attaches(uri, text)
        return doc

    def close(self, uri: str) -> Document | None:
        doc = self._docs.pop(uri, None)
        if doc is not None and doc.pending is not None:
            doc.pending[1].cancel()
        return doc

    def reattach(self) -> list[Document]:
        """Re-apply the attach policy (after a settings change); returns the documents that flipped."""
        flipped = []
        for doc in self:
            now = self.policy.attaches(doc.uri, doc.text)
            if now != doc.attached:
                doc.attached = now
                flipped.append(doc)
        return flipped

    async def snapshot(self, uri: str) -> Snapshot | None:
        """The analysed current version of an open, attached document (None otherwise)."""
        doc = self._docs.get(uri)
        if doc is None or not doc.attached:
            return None
        return await self.analysed(doc)

    async def analysed(self, doc: Document) -> Snapshot:
        rev = doc.revision
        if doc.snapshot is not None and doc.snapshot.revision == rev:
            return doc.snapshot
        if doc.pending is None or doc.pending[0] != rev or doc.pending[1].cancelled():
            task = asyncio.ensure_future(self._analyse(doc, rev, doc.text, doc.version))
            doc.pending = (rev, task)
        # shielded: a cancelled waiter (an outdated debounce) must not cancel the shared run
        return await asyncio.shield(doc.pending[1])

    async def _analyse(self, doc: Document, rev: int, text: str, version: int | None) -> Snapshot:
        loop = asyncio.get_running_loop()
        analysis = await loop.run_in_executor(self.executor, _safe_analyze, self.analyzer, text)
        snap = Snapshot(doc.uri, version, rev, text, analysis, self.encoding, self.client, doc.last_good)
        if snap.parsed and (doc.last_good is None or doc.last_good.revision <= rev):
            doc.last_good = snap
        if doc.revision == rev:
            doc.snapshot = snap
        if doc.pending is not None and doc.pending[0] == rev:
            doc.pending = None
        return snap

"""Quick fixes for stp's diagnostics.

Each diagnostic the client sends back is matched to the core diagnostic it
came from (``diagnostics.core_diagnostic_for``, or by code and path when the
document moved on), whose hints say what can be done:

- ``replace_with``: did-you-mean for a key, a resource or union type, an enum
  value, a reference, a `$ResourceParam` parameter (a misnamed resource is
  renamed everywhere it is named);
- ``allowed`` of a reference of the wrong type: switch to a fitting resource;
- ``missing``: add the missing required properties (`key: ` lines, or a
  key with what it needs) at the mapping's indentation;
- ``create``/``expected``: create the missing resource under `resources:`, as
  a skeleton of a type that fits where it is referenced;
- an unknown property: remove it with its whole value.

Every edit is computed from positions in the text and touches only what it
changes, so comments and formatting elsewhere stay as they are. Where the
new text has no obvious place (a resource added to a `resources:` written as
a flow mapping) the change is made with ``core.source.roundtrip``, which keeps
comments and quoting, and the result is diffed back to minimal edits.
"""

from __future__ import annotations

import difflib
import logging
import re

from lsprotocol import types

from core.analysis.diagnostics import Diagnostic
from core.model.params import CONNECTABLE_TYPES, RESOURCE_PARAMS
from core.model.registry import ALL_RESOURCE_TYPES, RESOURCE_MODELS
from core.source import roundtrip
from core.source.span import Span
from stp_lsp.diagnostics import SOURCE, core_diagnostic_for
from stp_lsp.directives import directive_parts
from stp_lsp.documents import Snapshot
from stp_lsp.modelinfo import annotation_at, literal_values, members, models_at
from stp_lsp.navigation import RESOURCE_NAME
from stp_lsp.outline import indent_step, split_lines
from stp_lsp.skeleton import Stops, field_lines, resource_lines, shape, yaml_scalar

log = logging.getLogger(__name__)

OPTIONS = types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])
QUICKFIX = types.CodeActionKind.QuickFix

MAX_CANDIDATES = 5  # "change to" actions for the resources a reference could name
MAX_TYPE_CHOICES = 8  # "add type: X" actions for a missing union tag
CREATE_CHOICES = 3  # resource types offered when creating a missing resource
FIRST_KEYS = ("type", "name")  # written first in their mapping, so a missing one is added at the top


def code_actions(snap: Snapshot, params: types.CodeActionParams) -> list[types.CodeAction]:
    only = params.context.only
    if only and not any(QUICKFIX == k or QUICKFIX.startswith(str(k) + ".") or not k for k in only):
        return []
    if not snap.parsed:
        return []
    fixer = Fixer(snap)
    out: list[types.CodeAction] = []
    seen: set = set()
    for diag in params.context.diagnostics:
        if diag.source != SOURCE:
            continue
        d = core_diagnostic_for(snap, diag) or _by_path(snap, diag)
        if d is None:
            continue
        try:
            actions = fixer.fixes(d, diag)
        except Exception:  # a quick fix that cannot be computed is left out, never an error for the user
            log.exception("quick fix for %s failed", d.code)
            continue
        for a in actions:
            key = (a.title, repr(a.edit))
            if key not in seen:
                seen.add(key)
                out.append(a)
    return out


def _by_path(snap: Snapshot, diag: types.Diagnostic) -> Diagnostic | None:
    """The core diagnostic with the same code and config path (the client's copy may be a version behind)."""
    data = diag.data if isinstance(diag.data, dict) else {}
    path = data.get("path")
    if not isinstance(path, list):
        return None
    for d in snap.analysis.diagnostics:
        if d.code == diag.code and list(d.path) == path:
            return d
    return None


# --- text helpers ------------------------------------------------------------------------------------


def _indent(s: str) -> int:
    return len(s) - len(s.lstrip(" "))


def diff_edits(snap: Snapshot, new: str) -> list[types.TextEdit]:
    """Minimal edits turning the snapshot's text into ``new`` (whole changed lines, narrowed per line)."""
    old = snap.text
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        start, end = starts[i1], starts[i2]
        text = "".join(b[j1:j2])
        if tag == "replace" and i2 - i1 == j2 - j1 == 1:  # one line changed: only the part that differs
            x, y = a[i1], b[j1]
            p = 0
            while p < min(len(x), len(y)) and x[p] == y[p]:
                p += 1
            q = 0
            while q < min(len(x), len(y)) - p and x[-1 - q] == y[-1 - q]:
                q += 1
            start, end, text = start + p, end - q, y[p:len(y) - q]
        edits.append(types.TextEdit(range=types.Range(start=snap.positions.lsp_position_at_offset(start),
                                                      end=snap.positions.lsp_position_at_offset(end)), new_text=text))
    return edits


class Fixer:
    def __init__(self, snap: Snapshot):
        self.snap = snap
        self.analysis = snap.analysis
        self.locator = snap.analysis.locator
        self.lines = split_lines(snap.text)
        self._step = None

    @property
    def step(self) -> int:
        if self._step is None:
            self._step = indent_step(self.snap.text)
        return self._step

    # --- building actions ---

    def action(self, title: str, edits: list[types.TextEdit], diag: types.Diagnostic,
               preferred: bool = False) -> types.CodeAction:
        snap = self.snap
        if snap.client.document_changes:
            edit = types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=snap.uri, version=snap.version),
                edits=edits)])
        else:
            edit = types.WorkspaceEdit(changes={snap.uri: edits})
        return types.CodeAction(title=title, kind=QUICKFIX, diagnostics=[diag], edit=edit,
                                is_preferred=True if preferred else None)

    def edit(self, span: Span, text: str) -> types.TextEdit:
        return types.TextEdit(range=self.snap.range(span), new_text=text)

    def insert(self, line: int, col: int, text: str) -> types.TextEdit:
        return self.edit(Span(line, col, line, col), text)

    # --- which fixes ---

    def fixes(self, d: Diagnostic, diag: types.Diagnostic) -> list[types.CodeAction]:
        data = d.data or {}
        out: list[types.CodeAction] = []
        hints = [h for h in (data.get("replace_with") or []) if isinstance(h, str)]
        for i, hint in enumerate(hints):
            out += self.replace(d, diag, hint, preferred=i == 0)
        if data.get("missing"):
            out += self.add_missing(d, diag)
        if d.code == "unknown-reference" and isinstance(data.get("create"), str):
            out += self.create_resource(d, diag)
        if d.code == "wrong-reference-type" or (d.code == "unknown-reference" and not hints):
            for name in [n for n in (data.get("allowed") or []) if isinstance(n, str)][:MAX_CANDIDATES]:
                out += self.replace(d, diag, name, preferred=False)
        if d.code == "unknown-property":
            out += self.remove_key(d, diag)
        return out

    # --- did you mean ---

    def replace(self, d: Diagnostic, diag: types.Diagnostic, new: str, preferred: bool) -> list[types.CodeAction]:
        snap = self.snap
        if d.code == "resource-name":
            return self.rename_resource(d, diag, new)
        if d.code == "unknown-resource-param":
            span = self._param_span(d)
            if span is None:
                return []
            old = snap.positions.text_of(span)
            return [self.action(f"Change '{old}' to '{new}'", [self.edit(span, new)], diag, preferred)]
        span = d.span
        if span.line != span.end_line:
            return []
        old = snap.positions.text_of(span)
        if len(old) >= 2 and old[0] in "'\"" and old[-1] == old[0]:
            span = Span(span.line, span.col + 1, span.end_line, span.end_col - 1)
            text = new.replace(old[0], "''") if old[0] == "'" else new.replace('"', '\\"')
            shown = old[1:-1]
        elif _quoted_around(snap, span):
            text, shown = new, old  # the span is already inside quotes (a name in `$ResourceParam('…')`)
        else:
            text = new if d.code == "unknown-property" or not self._expects_text(d) else yaml_scalar(new)
            shown = old
        if shown == new:
            return []
        return [self.action(f"Change '{shown}' to '{new}'", [self.edit(span, text)], diag, preferred)]

    def _expects_text(self, d: Diagnostic) -> bool:
        """Does the value at the diagnostic's path want text (so `1.0` must be quoted), not a number?"""
        ann = annotation_at(self.analysis, tuple(d.path)) if d.path else None
        if ann is None:
            return True
        lits = literal_values(ann)
        if lits:
            return any(isinstance(v, str) for v in lits) and not all(isinstance(v, (int, float)) for v in lits)
        return str in members(ann) or not any(m in (int, float, bool) for m in members(ann))

    def _param_span(self, d: Diagnostic) -> Span | None:
        """The wrong parameter of a `$ResourceParam('name', 'param')` the diagnostic is about."""
        allowed = set((d.data or {}).get("allowed") or [])
        for site in self.analysis.directives:
            if tuple(site.path) != tuple(d.path):
                continue
            parts = directive_parts(site, self.snap.positions.core_line(site.node.start_mark.line))
            for part in parts:
                if (part.kind == "arg" and part.index == 1 and part.directive.name == "ResourceParam"
                        and isinstance(part.value, str) and part.value not in allowed):
                    return part.inner
        return None

    def rename_resource(self, d: Diagnostic, diag: types.Diagnostic, new: str) -> list[types.CodeAction]:
        from stp_lsp.navigation import _new_text

        name = d.path[1] if len(d.path) > 1 else None
        names = self.snap.names
        definition = names.resources.get(name)
        if definition is None or names.unreliable_for(name, "resource") or new in names.resources:
            return []
        spans = [definition.span] + [r.span for r in names.references_to(definition)]
        edits = [types.TextEdit(range=self.snap.range(s), new_text=_new_text(self.snap, s, new, s == definition.span))
                 for s in sorted(set(spans), key=lambda s: (s.line, s.col))]
        return [self.action(f"Rename '{name}' to '{new}' (and every reference)", edits, diag, True)]

    # --- missing properties ---

    def add_missing(self, d: Diagnostic, diag: types.Diagnostic) -> list[types.CodeAction]:
        data = d.data or {}
        missing = data.get("missing")
        path = tuple(d.path)
        if isinstance(missing, str) and path and path[-1] == missing:
            parent, keys = path[:-1], [missing]
        else:
            parent, keys = path, ([missing] if isinstance(missing, str) else [k for k in missing if isinstance(k, str)])
        if not keys:
            return []
        out = []
        allowed = [a for a in (data.get("allowed") or []) if isinstance(a, str)]
        if keys == ["type"] and allowed and len(allowed) <= MAX_TYPE_CHOICES:
            for value in allowed:
                edits = self.insert_keys(parent, [f"type: {yaml_scalar(value)}"], first=True)
                if edits:
                    out.append(self.action(f"Add 'type: {value}'", edits, diag, preferred=False))
        lines = []
        for key in keys:
            lines += self.key_lines(parent, key)
        edits = self.insert_keys(parent, lines, first=keys[0] in FIRST_KEYS)
        if edits:
            title = "Add missing " + " and ".join(f"'{k}'" for k in keys)
            out.insert(0, self.action(title, edits, diag, preferred=True))
        return out

    def key_lines(self, parent: tuple, key: str) -> list[str]:
        """``key: `` (or the key with what its value needs) as plain lines at indentation 0."""
        for model in models_at(self.analysis, parent):
            f = model.model_fields.get(key)
            if f is not None:
                return field_lines(key, f.annotation, Stops(False), self.step)
        return [f"{key}: "]

    def flow_text(self, parent: tuple, key: str) -> str:
        for model in models_at(self.analysis, parent):
            f = model.model_fields.get(key)
            if f is not None:
                kind = shape(f.annotation)
                return f"{key}: {{}}" if kind == "map" else f"{key}: []" if kind == "list" else f"{key}: "
        return f"{key}: "

    def insert_keys(self, parent: tuple, lines: list[str], first: bool = False) -> list[types.TextEdit]:
        """Edits adding ``lines`` (relative indentation) to the mapping at ``parent``."""
        found = self.locator.find(parent)
        if found.depth != len(parent):
            return []
        node = found.value
        if node is None:
            return []
        if node.id == "mapping" and node.flow_style:
            entries: list[list[str]] = []  # each top-level `key: ...` line with the lines nested under it
            for ln in lines:
                if ln and not ln.startswith(" "):
                    entries.append([ln])
                elif entries:
                    entries[-1].append(ln)
            body = ", ".join(e[0] if len(e) == 1 and e[0].split(":", 1)[1].strip() else
                             self.flow_text(parent, e[0].split(":", 1)[0]) for e in entries)
            e = node.end_mark
            return [self.insert(e.line, e.column - 1, (", " if node.value else "") + body)]
        if node.id == "mapping":
            col = node.start_mark.column
            if first and node.value:
                k = node.value[0][0]
                indent = " " * col
                block = "".join((indent if i else "") + ln + "\n" for i, ln in enumerate(lines))
                return [self.insert(k.start_mark.line, k.start_mark.column, block + indent)]
            last_key = node.value[-1][0] if node.value else None
            end = self.block_end(last_key.start_mark.line, col) if last_key is not None else node.start_mark.line
            return [self.insert_after_line(end, lines, col)]
        if node.id == "scalar" and node.value == "" and not node.style and parent:
            key = found.key
            if key is None:
                return []
            col = key.start_mark.column + self.step
            return [self.insert_after_line(key.start_mark.line, lines, col)]
        return []

    def insert_after_line(self, line: int, lines: list[str], col: int) -> types.TextEdit:
        """Insert ``lines``, indented to ``col``, as new lines after ``line``."""
        body = [" " * col + ln if ln.strip() else "" for ln in lines]
        if line + 1 < len(self.lines):
            return self.insert(line + 1, 0, "".join(b + "\n" for b in body))
        return self.insert(line, len(self.lines[line]), "".join("\n" + b for b in body))  # after the last line

    def block_end(self, line: int, col: int) -> int:
        """Last line of the block a key at (``line``, ``col``) starts: its value, children included."""
        last = line
        i = line + 1
        lines = self.lines
        while i < len(lines):
            s = lines[i]
            if s.strip() and _indent(s) <= col:
                break
            if s.strip():  # content or a comment indented into the block
                last = i
            i += 1
        return last

    # --- creating a missing resource ---

    def create_resource(self, d: Diagnostic, diag: types.Diagnostic) -> list[types.CodeAction]:
        data = d.data or {}
        name = data["create"]
        if name in self.analysis.resources or not RESOURCE_NAME.match(name):
            return []
        param = None
        for site in self.analysis.directives:
            if tuple(site.path) == tuple(d.path):
                for sub in site.directive.walk():
                    if sub.name == "ResourceParam" and len(sub.args) > 1 and sub.args[0] == name and isinstance(sub.args[1], str):
                        param = sub.args[1]
        out = []
        for rtype in creatable_types(name, data.get("expected") or ["*"], param):
            edits = self.resource_edits(name, rtype)
            if edits:
                out.append(self.action(f"Create {rtype} '{name}'", edits, diag, preferred=False))
        return out

    def resource_edits(self, name: str, rtype: str) -> list[types.TextEdit]:
        body = resource_lines(rtype, Stops(False), self.step)
        pad = " " * self.step
        lines = [f"{name}:"] + [pad + ln if ln else ln for ln in body]
        found = self.locator.find(("resources",))
        if found.depth != 1:  # no `resources:` yet: add the section at the end
            text = self.snap.text
            sep = "" if not text or text.endswith(("\n", "\r")) else "\n"
            block = "resources:\n" + "".join(pad + ln + "\n" for ln in lines)
            end = self.snap.positions.lsp_position_at_offset(len(text))
            return [types.TextEdit(range=types.Range(start=end, end=end), new_text=sep + block)]
        node = found.value
        if node.id == "mapping" and node.flow_style:
            try:
                doc = roundtrip.load(self.snap.text)
                doc["resources"][name] = roundtrip.load("\n".join(lines) + "\n")[name]
                new = roundtrip.dump(doc, self.snap.text)
            except Exception:  # ruamel refuses some files the fast reader takes (duplicate keys…)
                log.debug("round-trip edit failed", exc_info=True)
                return []
            edits = diff_edits(self.snap, new)
            first, last = node.start_mark.line, node.end_mark.line
            if any(e.range.start.line < first or e.range.end.line > last + 1 for e in edits):
                return []  # the dump re-formatted other parts of the file (another indentation): not minimal
            return edits
        if node.id == "mapping" and node.value:
            col = node.start_mark.column
            last_key = node.value[-1][0]
            end = self.block_end(last_key.start_mark.line, col)
            spaced = last_key.start_mark.line > 0 and not self.lines[last_key.start_mark.line - 1].strip()
            edit = self.insert_after_line(end, ([""] if spaced else []) + lines, col)
            return [edit]
        return self.insert_keys(("resources",), lines)

    # --- removing an unknown key ---

    def remove_key(self, d: Diagnostic, diag: types.Diagnostic) -> list[types.CodeAction]:
        path = tuple(d.path)
        if not path:
            return []
        key = path[-1]
        parent = self.locator.find(path[:-1])
        found = self.locator.find(path)
        if found.depth != len(path) or found.key is None or parent.value is None or parent.value.id != "mapping":
            return []
        edits = self.key_removal(parent.value, found.key, found.value, path)
        if not edits:
            return []
        return [self.action(f"Remove '{key}'", edits, diag, preferred=False)]

    def key_removal(self, mapping, knode, vnode, path) -> list[types.TextEdit]:
        lines = self.lines
        if mapping.flow_style:  # `{a: 1, key: 2}`: the pair and one comma, whatever the lines
            pairs = mapping.value
            idx = next((i for i, (k, _) in enumerate(pairs) if k is knode), None)
            if idx is None:
                return []
            start, end = knode.start_mark, vnode.end_mark
            if idx + 1 < len(pairs):  # up to the next key
                end = pairs[idx + 1][0].start_mark
            elif idx > 0:  # from the end of the previous value
                start = pairs[idx - 1][1].end_mark
            return [self.edit(Span(start.line, start.column, end.line, end.column), "")]
        line, col = knode.start_mark.line, knode.start_mark.column
        end = self.block_end(line, col)
        before = lines[line][:col]
        if not before.strip():  # the key starts its line: remove whole lines
            return [self.edit(Span(line, 0, end + 1, 0), "")] if end + 1 < len(lines) else \
                [self.edit(Span(line - 1, len(lines[line - 1]), end, len(lines[end])), "")] if line > 0 else \
                [self.edit(Span(0, 0, end, len(lines[end])), "")]
        # the key follows `- ` on its line: pull the next key of the item up, or remove the whole item
        nxt = end + 1
        while nxt < len(lines) and not lines[nxt].strip():
            nxt += 1
        if nxt < len(lines) and _indent(lines[nxt]) == col and not lines[nxt].strip().startswith("#"):
            return [self.edit(Span(line, col, nxt, col), "")]
        if re.fullmatch(r"\s*-\s*", before) and end + 1 < len(lines):
            return [self.edit(Span(line, 0, end + 1, 0), "")]
        return [self.edit(Span(line, col, end, len(lines[end])), "")]

def _quoted_around(snap: Snapshot, span: Span) -> bool:
    line = snap.positions.core_line(span.line)
    return 0 < span.col and span.end_col < len(line) and line[span.col - 1] in "'\"" and line[span.end_col] == line[span.col - 1]


# --- which type a missing resource should have -------------------------------------------------------

# words in a resource's name that say what it is
_NAME_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("queue", "jobs", "sqs"), "sqs-queue"),
    (("topic", "sns", "notification"), "sns-topic"),
    (("bucket", "uploads", "files", "assets", "storage", "s3"), "bucket"),
    (("table", "dynamo"), "dynamo-db-table"),
    (("redis", "cache"), "redis-cluster"),
    (("db", "database", "postgres", "mysql", "sql", "rds"), "relational-database"),
    (("bus", "events"), "event-bus"),
    (("stream", "kinesis"), "kinesis-stream"),
    (("lb", "loadbalancer", "alb"), "application-load-balancer"),
    (("nlb",), "network-load-balancer"),
    (("gateway", "gw", "api"), "http-api-gateway"),
    (("fn", "function", "lambda", "handler", "check", "hook"), "function"),
    (("auth", "users", "pool", "cognito"), "user-auth-pool"),
    (("efs", "volume", "filesystem", "fs"), "efs-filesystem"),
    (("search", "opensearch", "elastic"), "open-search-domain"),
    (("mongo", "atlas"), "mongo-db-atlas-cluster"),
    (("upstash",), "upstash-redis"),
    (("worker",), "worker-service"),
    (("web", "site", "app", "service", "frontend", "backend"), "web-service"),
    (("firewall", "waf"), "web-app-firewall"),
    (("bastion", "jump"), "bastion"),
    (("machine", "workflow", "flow"), "state-machine"),
    (("batch",), "batch-job"),
)
_DEFAULT_ORDER = ("sqs-queue", "bucket", "relational-database", "dynamo-db-table", "sns-topic", "function",
                  "redis-cluster", "web-service")


def _words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)] + [name.lower()]


def creatable_types(name: str, expected, param: str | None = None) -> list[str]:
    """Resource types worth offering for a resource called ``name`` that is referenced where ``expected``
    types are accepted (``connectable``, ``*`` or types), best guess first."""
    concrete = [t for t in expected if t in ALL_RESOURCE_TYPES]
    if concrete and not any(t in ("*", "connectable") for t in expected):
        pool = concrete
    elif "connectable" in expected:
        pool = list(CONNECTABLE_TYPES)
    else:
        pool = [t for t in ALL_RESOURCE_TYPES if t in RESOURCE_MODELS]
    if param is not None:
        with_param = [t for t in pool if param in (RESOURCE_PARAMS.get(t) or {})]
        pool = with_param or pool
    words = _words(name)
    ranked: list[str] = []
    for hints, rtype in _NAME_HINTS:
        if rtype in pool and rtype not in ranked and any(w == h or w.startswith(h) or w.endswith(h) for w in words for h in hints):
            ranked.append(rtype)
    for rtype in _DEFAULT_ORDER + tuple(pool):
        if rtype in pool and rtype not in ranked:
            ranked.append(rtype)
    return ranked[:CREATE_CHOICES] if len(pool) > 1 else ranked[:1]

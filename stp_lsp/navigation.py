"""Go to definition, find references and rename for resource and container names.

A name is defined by its key under `resources:` (or a container's `name:`)
and referred to from `connectTo` items, event properties
(`loadBalancerName`, `httpApiGatewayName`…), `dependsOn[].containerName`,
deployment hook functions, script `connectTo`, `$ResourceParam('name', …)`
and every other field the models mark with ``ref=``. All of them come from
the core symbol index (see ``names.py``).

Rename edits only the name itself: quotes, comments and layout stay. It
refuses what is not a name, names that are not valid, names already taken,
and occurrences whose exact place in the text cannot be confirmed.
"""

from __future__ import annotations

import re

from lsprotocol import types

from core.analysis.symbols import Definition, Reference
from core.model.params import AWS_MACROS
from core.source.convert import plain_scalar
from stp_lsp.documents import Snapshot
from stp_lsp.errors import RequestFailed

RESOURCE_NAME = re.compile(r"[A-Za-z0-9]+\Z")
CONTAINER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")


class RenameError(RequestFailed):
    MESSAGE = "Cannot rename"


def symbol_at(snap: Snapshot, position: types.Position) -> Definition | Reference | None:
    line, col = snap.positions.from_lsp(position)
    return snap.names.at(line, col)


def _sorted_unique(spans):
    seen = set()
    out = []
    for s in sorted(spans, key=lambda s: (s.line, s.col)):
        if s not in seen:  # an alias can make two paths share one node
            seen.add(s)
            out.append(s)
    return out


# --- definition / references -----------------------------------------------------------------------


def definition(snap: Snapshot, params: types.DefinitionParams):
    sym = symbol_at(snap, params.position)
    if sym is None:
        return None
    d = snap.names.definition_of(sym) if isinstance(sym, Reference) else sym
    if d is None:
        return None
    return [snap.location(d.span)]


def references(snap: Snapshot, params: types.ReferenceParams):
    sym = symbol_at(snap, params.position)
    if sym is None:
        return None
    d, refs = snap.names.occurrences(sym)
    spans = [r.span for r in refs]
    include = params.context.include_declaration if params.context is not None else True
    if d is not None and include:
        spans.append(d.span)
    return [snap.location(s) for s in _sorted_unique(spans)]


# --- rename ------------------------------------------------------------------------------------------


def _renamable(sym) -> bool:
    return sym is not None and not (isinstance(sym, Reference) and (sym.name in AWS_MACROS or sym.name.startswith("aws:")))


def prepare_rename(snap: Snapshot, params: types.PrepareRenameParams):
    sym = symbol_at(snap, params.position)
    if not _renamable(sym):
        return None
    return types.PrepareRenamePlaceholder(range=snap.range(sym.span), placeholder=sym.name)


def _check_new_name(snap: Snapshot, sym, d: Definition | None, new: str) -> None:
    kind = sym.kind
    if kind == "container":
        if not CONTAINER_NAME.match(new):
            raise RenameError(f"'{new}' is not a valid container name: use letters, digits, '-' and '_',"
                              " starting with a letter or digit.")
        owner = d.owner if d is not None else sym.owner
        taken = snap.names.containers.get((owner, new))
        if taken is not None and new != sym.name:
            raise RenameError(f"Workload '{owner}' already has a container named '{new}' (line {taken.span.line + 1}).")
        return
    if not RESOURCE_NAME.match(new):
        raise RenameError(f"'{new}' is not a valid resource name: use only letters and digits"
                          " (the name becomes part of AWS names and logical ids).")
    taken = snap.names.resources.get(new)
    if taken is not None and new != sym.name:
        raise RenameError(f"There is already a resource named '{new}' (line {taken.span.line + 1}).")


def _new_text(snap: Snapshot, span, new: str, is_key: bool) -> str:
    """The replacement text: the name, quoted only where a plain scalar would stop being text."""
    line = snap.positions.core_line(span.line)
    before = line[span.col - 1] if span.col > 0 else ""
    quoted = before in ("'", '"')
    if quoted or is_key or isinstance(plain_scalar(new), str):
        return new
    return f"'{new}'"


def rename(snap: Snapshot, params: types.RenameParams):
    sym = symbol_at(snap, params.position)
    if not _renamable(sym):
        raise RenameError("Only resource and container names can be renamed here.")
    new = params.new_name
    d, refs = snap.names.occurrences(sym)
    _check_new_name(snap, sym, d, new)
    doubtful = [u for u in snap.names.unreliable
                if u.name == sym.name and u.kind == sym.kind
                and (sym.kind != "container" or u.owner == (d.owner if d is not None else sym.owner))]
    if doubtful:
        raise RenameError(f"'{sym.name}' on line {doubtful[0].span.line + 1} is written in a way stp cannot"
                          " edit safely; rename it by hand.")
    key_spans = {d.span} if d is not None and d.kind == "resource" else set()
    spans = _sorted_unique(([d.span] if d is not None else []) + [r.span for r in refs])
    edits = [types.TextEdit(range=snap.range(s), new_text=_new_text(snap, s, new, s in key_spans)) for s in spans]
    if snap.client.document_changes:
        return types.WorkspaceEdit(document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=snap.uri, version=snap.version),
                edits=edits,
            )
        ])
    return types.WorkspaceEdit(changes={snap.uri: edits})

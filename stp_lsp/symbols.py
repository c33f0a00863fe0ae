"""Document symbols: the outline of a stacktape config.

    resources              (each resource, its type as detail)
      api                  multi-container-workload
        web                container
          http-api-gateway → gateway   port 3000 · /{proxy+}
        cache              container
    scripts                (each script, its type as detail)
    hooks                  (each hook phase, its scripts)
    variables, directives, cloudformationResources, stackConfig outputs …

Built from the positioned YAML tree (so it works while the config has
errors) and the converted data. Clients without hierarchical symbol
support get the same tree flattened into ``SymbolInformation``.
"""

from __future__ import annotations

from lsprotocol import types

from core.source.span import Span
from stp_lsp.documents import Snapshot

K = types.SymbolKind

RESOURCE_KINDS = {
    **dict.fromkeys(("multi-container-workload", "web-service", "private-service", "worker-service", "batch-job"), K.Class),
    **dict.fromkeys(("function", "edge-lambda-function", "state-machine", "deployment-script"), K.Function),
    **dict.fromkeys(("http-api-gateway", "application-load-balancer", "network-load-balancer", "web-app-firewall"), K.Interface),
    **dict.fromkeys(("sqs-queue", "sns-topic", "event-bus", "kinesis-stream"), K.Event),
    **dict.fromkeys(("relational-database", "dynamo-db-table", "redis-cluster", "mongo-db-atlas-cluster",
                     "upstash-redis", "open-search-domain"), K.Struct),
    **dict.fromkeys(("bucket", "hosting-bucket", "efs-filesystem"), K.Package),
}
SECTION_KINDS = {
    "resources": K.Namespace, "scripts": K.Namespace, "hooks": K.Namespace, "variables": K.Namespace,
    "directives": K.Namespace, "cloudformationResources": K.Namespace,
}


def document_symbols(snap: Snapshot, params=None):
    root = snap.analysis.root
    if root is None or root.id != "mapping":
        return []
    tree = [s for s in (_top(snap, k, v) for k, v in root.value) if s is not None]
    if snap.client.hierarchical_symbols:
        return tree
    return flatten(tree, snap.uri)


# --- building blocks ---------------------------------------------------------------------------


def _empty(node) -> bool:
    s, e = node.start_mark, node.end_mark
    return node.id == "scalar" and node.value == "" and (s.line, s.column) == (e.line, e.column)


def _end(node):
    """Where a node's content really ends (block collections end at the next key otherwise)."""
    while node.id in ("mapping", "sequence") and not node.flow_style and node.value:
        last = node.value[-1]
        if node.id == "mapping":
            k, v = last
            node = k if _empty(v) else v
        else:
            node = last
    return node.end_mark


def _span(start_node, end_node) -> Span:
    s = start_node.start_mark
    e = start_node.end_mark if _empty(end_node) else _end(end_node)
    return Span(s.line, s.column, e.line, e.column)


def _sym(snap: Snapshot, name, kind, whole: Span, select: Span, detail: str | None = None, children=None):
    rng = snap.range(whole)
    sel = snap.range(select)
    # the selection must lie inside the range (VS Code rejects the outline otherwise)
    if (sel.start.line, sel.start.character) < (rng.start.line, rng.start.character):
        rng = types.Range(start=sel.start, end=rng.end)
    if (sel.end.line, sel.end.character) > (rng.end.line, rng.end.character):
        rng = types.Range(start=rng.start, end=sel.end)
    return types.DocumentSymbol(
        name=str(name) or "\"\"", kind=kind, range=rng, selection_range=sel, detail=detail or None,
        children=children if children else None,
    )


def _entries(node):
    """(key text, key node, value node) of a mapping node; nothing for anything else."""
    if node is None or node.id != "mapping":
        return []
    return [(k.value, k, v) for k, v in node.value if k.id == "scalar" and not (k.value == "<<" and not k.style)]


def _scalar(node):
    return node.value if node is not None and node.id == "scalar" else None


def _get(node, key):
    for k, kn, v in _entries(node):
        if k == key:
            return kn, v
    return None, None


def _detail_of(node) -> str | None:
    if node is None:
        return None
    if node.id == "scalar":
        v = node.value
        return v if len(v) <= 60 else v[:57] + "…"
    return None


# --- sections ------------------------------------------------------------------------------------


def _top(snap, knode, vnode):
    if knode.id != "scalar":
        return None
    key = knode.value
    kspan = Span.of_node(knode)
    whole = _span(knode, vnode)
    children = None
    if key == "resources":
        children = [_resource(snap, k, kn, v) for k, kn, v in _entries(vnode)]
    elif key == "scripts":
        children = [_named(snap, k, kn, v, K.Function, _scalar(_get(v, "type")[1])) for k, kn, v in _entries(vnode)]
    elif key == "variables":
        children = [_named(snap, k, kn, v, K.Variable, _detail_of(v)) for k, kn, v in _entries(vnode)]
    elif key == "cloudformationResources":
        children = [_named(snap, k, kn, v, K.Object, _scalar(_get(v, "Type")[1])) for k, kn, v in _entries(vnode)]
    elif key == "hooks":
        children = [_hook(snap, k, kn, v) for k, kn, v in _entries(vnode)]
    elif key == "directives":
        children = _named_items(snap, vnode, "name", K.Function, "filePath")
    elif key == "stackConfig":
        children = []
        okey, outputs = _get(vnode, "outputs")
        if outputs is not None:
            children.append(_sym(snap, "outputs", K.Namespace, _span(okey, outputs), Span.of_node(okey),
                                 children=_named_items(snap, outputs, "name", K.Constant, "value")))
    kind = SECTION_KINDS.get(key, K.Property if vnode.id != "scalar" else K.Field)
    detail = _detail_of(vnode) if vnode.id == "scalar" else None
    return _sym(snap, key, kind, whole, kspan, detail, children)


def _named(snap, name, knode, vnode, kind, detail=None, children=None):
    return _sym(snap, name, kind, _span(knode, vnode), Span.of_node(knode), detail, children)


def _named_items(snap, seq, name_key, kind, detail_key=None):
    """Symbols for a list of maps named by one of their keys (directives, outputs, containers…)."""
    out = []
    if seq is None or seq.id != "sequence":
        return out
    for item in seq.value:
        if item.id != "mapping":
            continue
        _, nv = _get(item, name_key)
        name = _scalar(nv)
        if not name:
            continue
        detail = _scalar(_get(item, detail_key)[1]) if detail_key else None
        out.append(_sym(snap, name, kind, _span(item, item), Span.of_node(nv), detail))
    return out


def _hook(snap, phase, knode, vnode):
    children = []
    if vnode.id == "sequence":
        for item in vnode.value:
            _, nv = _get(item, "scriptName")
            if nv is not None and _scalar(nv):
                children.append(_sym(snap, nv.value, K.Event, _span(item, item), Span.of_node(nv), "script"))
    return _named(snap, phase, knode, vnode, K.Event, None, children)


# --- resources -----------------------------------------------------------------------------------


def _resource(snap, name, knode, vnode):
    rtype = _scalar(_get(vnode, "type")[1])
    _, props = _get(vnode, "properties")
    children = []
    for list_key, detail in (("containers", "container"), ("sideContainers", "side container")):
        _, items = _get(props, list_key)
        if items is not None and items.id == "sequence":
            children += _containers(snap, items, detail)
    _, events = _get(props, "events")  # functions and batch jobs have events of their own
    children += _events(snap, events)
    kind = RESOURCE_KINDS.get(rtype, K.Object)
    return _named(snap, name, knode, vnode, kind, rtype, children)


def _containers(snap, seq, detail):
    out = []
    for item in seq.value:
        if item.id != "mapping":
            continue
        _, nv = _get(item, "name")
        name = _scalar(nv)
        if not name:
            continue
        _, events = _get(item, "events")
        out.append(_sym(snap, name, K.Module, _span(item, item), Span.of_node(nv), detail, _events(snap, events)))
    return out


def _events(snap, seq):
    out = []
    if seq is None or seq.id != "sequence":
        return out
    for item in seq.value:
        if item.id != "mapping":
            continue
        _, tv = _get(item, "type")
        etype = _scalar(tv) or "event"
        _, props = _get(item, "properties")
        target = None
        for key in ("httpApiGatewayName", "loadBalancerName", "queueName", "topicName", "bucketName",
                    "eventBusName", "streamName", "tableName", "userPoolName"):
            target = _scalar(_get(props, key)[1])
            if target:
                break
        name = f"{etype} → {target}" if target else etype
        bits = []
        port = _scalar(_get(props, "containerPort")[1])
        if port:
            bits.append(f"port {port}")
        for key in ("path", "listenerPort", "priority", "schedule"):
            v = _scalar(_get(props, key)[1])
            if v:
                bits.append(v if key in ("path", "schedule") else f"{key} {v}")
        select = Span.of_node(tv) if tv is not None else Span.of_node(item)
        out.append(_sym(snap, name, K.Event, _span(item, item), select, " · ".join(bits) or None))
    return out


# --- flat fallback -------------------------------------------------------------------------------


def flatten(tree, uri: str, container: str | None = None) -> list[types.SymbolInformation]:
    out = []
    for s in tree:
        out.append(types.SymbolInformation(
            name=s.name, kind=s.kind, location=types.Location(uri=uri, range=s.range), container_name=container,
        ))
        if s.children:
            out += flatten(s.children, uri, s.name)
    return out

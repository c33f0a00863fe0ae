"""Hover: documentation for what is under the cursor.

- a key → the field's description with its type, default, allowed values and whether it is required;
- an enum value → what that value means (when the description says) and the allowed values;
- a resource's `type:` value → what the resource type is and the parameters it exposes;
- a directive → what it does and its arguments; a `$ResourceParam` argument → the target / parameter;
- a name (resource key, container name, connectTo item, loadBalancerName, containerName,
  `$ResourceParam('name', …)`, deployment hook function…) → a summary of the named resource;
- a container workload's name or type → an estimated monthly Fargate cost.

Everything comes from the core analysis and the model field descriptions.
"""

from __future__ import annotations

import re

from lsprotocol import types

from core.analysis.symbols import Definition, Reference
from core.model.params import AWS_MACROS, params_of
from core.model.registry import ALL_RESOURCE_TYPES, RESOURCE_MODELS
from core.source.directives import Directive
from stp_lsp import cost
from stp_lsp.cursor import Cursor
from stp_lsp.directives import (
    BUILTIN_DIRECTIVES,
    DIRECTIVE_DOCS,
    signature,
    user_directives,
)
from stp_lsp.documents import Snapshot
from stp_lsp.modelinfo import (
    annotation_at,
    describe,
    field_at,
    format_default,
    is_model,
    literal_values,
    members,
    tags_of,
    value_at,
)


def hover(snap: Snapshot, params: types.HoverParams) -> types.Hover | None:
    cur = snap.cursor(params.position)
    found = content(snap, cur)
    if found is None:
        return None
    text, span = found
    if snap.client.markdown:
        contents = types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
    else:
        contents = types.MarkupContent(kind=types.MarkupKind.PlainText, value=plain(text))
    return types.Hover(contents=contents, range=snap.range(span) if span is not None else None)


def content(snap: Snapshot, cur: Cursor):
    """(markdown, span) for the cursor, or None."""
    if cur.directive is not None:
        text = directive_hover(snap, cur)
        if text:
            return text, cur.directive.inner if cur.directive.kind == "arg" else cur.directive.span
    if cur.symbol is not None:
        text = symbol_hover(snap, cur.symbol)
        if text:
            return text, cur.symbol.span
    if cur.on == "key":
        text = key_hover(snap, cur.path)
        return (text, cur.span) if text else None
    if cur.on == "value":
        text = value_hover(snap, cur)
        return (text, cur.span) if text else None
    return None


def plain(markdown: str) -> str:
    return markdown.replace("**", "").replace("`", "")


def _first_sentence(text: str) -> str:
    m = re.search(r"(?<=[.!?])\s", text)
    return text[:m.start()] if m else text


# --- keys ----------------------------------------------------------------------------------------


def field_doc(field) -> str:
    status = "required" if field.required else "optional"
    lines = [f"**{field.key}** · {describe(field.annotation)} · {status}", "", field.description]
    default = format_default(field.default)
    if default is not None and "default" not in field.description.lower():
        lines += ["", f"Default: `{default}`"]
    allowed = literal_values(field.annotation)
    if allowed and not all(f"`{v}`" in field.description for v in allowed):
        lines += ["", "Allowed values: " + ", ".join(f"`{v}`" for v in allowed)]
    return "\n".join(lines).strip()


def key_hover(snap: Snapshot, path: tuple) -> str | None:
    if len(path) == 3 and path[0] == "resources" and path[2] == "type":
        entry = snap.analysis.resources.get(path[1])
        rtype = entry.data.get("type") if entry is not None and isinstance(entry.data, dict) else None
        now = f" This one is a `{rtype}`." if isinstance(rtype, str) else ""
        return (f"**type** · resource type · required\n\nWhat kind of resource this is, e.g. `web-service`,"
                f" `sqs-queue` or `relational-database` ({len(ALL_RESOURCE_TYPES)} types).{now}"
                " It decides which `properties` are allowed.")
    field = field_at(snap.analysis, path)
    return field_doc(field) if field is not None else None


# --- values --------------------------------------------------------------------------------------


def value_hover(snap: Snapshot, cur: Cursor) -> str | None:
    analysis = snap.analysis
    path = cur.path
    if len(path) == 3 and path[0] == "resources" and path[2] == "type" and isinstance(cur.value, str):
        return type_summary(cur.value, analysis.resources.get(path[1]))
    if cur.key == "type":
        text = tag_hover(snap, path, cur.value)
        if text:
            return text
    key_path = path
    while key_path and isinstance(key_path[-1], int):  # an item of a list: document the list's key
        key_path = key_path[:-1]
    field = field_at(analysis, key_path)
    if field is None:
        return None
    ann = field.annotation if key_path == path else annotation_at(analysis, path)
    allowed = literal_values(ann) if ann is not None else []
    if allowed and not isinstance(cur.value, Directive):
        return enum_hover(field.key, field.description, cur.value, allowed)
    return field_doc(field)


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def enum_hover(key: str, description: str, value, allowed: list, meaning: str | None = None) -> str:
    known = any(value == a and isinstance(value, bool) == isinstance(a, bool) for a in allowed)
    if meaning is None and known:
        meaning = meaning_of(description, value)
    lines = [f"**{key}**: `{_fmt(value)}`", ""]
    if not known:
        lines += [f"`{_fmt(value)}` is not one of the allowed values.", ""]
    elif meaning:
        lines += [meaning, ""]
    lines.append("Allowed values: " + ", ".join(
        f"**`{_fmt(a)}`**" if known and a == value else f"`{_fmt(a)}`" for a in allowed))
    return "\n".join(lines)


def meaning_of(description: str, value) -> str | None:
    """The clause of a field description that explains one of its values, e.g. "`START` once the other has started"."""
    token = f"`{_fmt(value)}`"
    if token not in description:
        return None
    for sentence in re.split(r"(?<=\.)\s+(?=[A-Z`])", description):
        if token not in sentence:
            continue
        for clause in re.split(r";\s+|,\s+(?=`)", sentence):
            if token not in clause:
                continue
            head, sep, tail = clause.partition(": ")
            if sep and token not in head:
                clause = tail
            clause = clause.strip().rstrip(".")
            rest = re.sub(r"`[^`]*`|\bor\b|\band\b|[/,()\s]", "", clause)
            if not rest:
                return None  # only lists the values
            return clause[:1].upper() + clause[1:] + "."
    return None


def tag_hover(snap: Snapshot, path: tuple, value) -> str | None:
    """A `type:` inside a union (events, packaging, scripts, log forwarding…): what the chosen variant is."""
    parent_ann = annotation_at(snap.analysis, path[:-1])
    if parent_ann is None:
        return None
    variants = [m for m in members(parent_ann) if is_model(m) and tags_of(m)]
    if len(variants) < 2:
        return None
    allowed = [t for m in variants for t in tags_of(m)]
    meaning = None
    for m in variants:
        if value in tags_of(m):
            meaning = m.model_fields["type"].description
    return enum_hover("type", "", value, allowed, meaning)


def type_summary(rtype: str, entry=None) -> str | None:
    """Hover on a resource's `type:` value."""
    if rtype not in ALL_RESOURCE_TYPES:
        return None
    model = RESOURCE_MODELS.get(rtype)
    lines = [f"**{rtype}** · resource type", ""]
    if model is not None:
        lines.append(model.model_fields["type"].description or "")
        doc = (model.__doc__ or "").strip()
        if doc:
            lines += ["", doc]
    else:
        lines.append("A valid Stacktape resource type; stp does not check its properties yet.")
    params = params_of(rtype)
    if params:
        lines += ["", "Parameters (for `$ResourceParam` and, ✓, injected by `connectTo`):"]
        lines += [f"- `{p.name}`{' ✓' if p.connect else ''}: {p.description}" for p in params.values()]
    if entry is not None:
        est = cost.estimate(rtype, entry.data)
        if est is not None:
            lines += ["", cost.render(est)]
    return "\n".join(lines).strip()


# --- names ---------------------------------------------------------------------------------------


def symbol_hover(snap: Snapshot, sym: Definition | Reference) -> str | None:
    if sym.kind == "container":
        owner = sym.owner
        return container_summary(snap, owner, sym.name)
    if isinstance(sym, Reference) and sym.name in AWS_MACROS:
        return f"**{sym.name}** · AWS service\n\n{AWS_MACROS[sym.name]}"
    text = resource_summary(snap, sym.name, with_cost=isinstance(sym, Definition))
    if text is None and isinstance(sym, Reference):
        return f"**{sym.name}**: no resource of this name in this config."
    return text


def _scalar(v) -> bool:
    return isinstance(v, (str, int, float, bool)) and not isinstance(v, dict)


def key_properties(props, limit: int = 8) -> list[str]:
    """A few `key: value` lines of a resource's properties (scalars, up to two levels deep)."""
    out: list[str] = []
    if not isinstance(props, dict):
        return out
    for k, v in props.items():
        if k in ("containers", "sideContainers", "connectTo"):
            continue
        if _scalar(v):
            out.append(f"`{k}`: {_fmt(v)}")
        elif isinstance(v, dict):
            if "type" in v and isinstance(v["type"], str):
                out.append(f"`{k}`: {v['type']}")
                continue
            for k2, v2 in v.items():
                if _scalar(v2):
                    out.append(f"`{k}.{k2}`: {_fmt(v2)}")
        elif isinstance(v, list) and v and all(_scalar(i) for i in v) and len(v) <= 5:
            out.append(f"`{k}`: " + ", ".join(_fmt(i) for i in v))
        if len(out) >= limit:
            break
    return out[:limit]


def resource_summary(snap: Snapshot, name: str, with_cost: bool = True) -> str | None:
    analysis = snap.analysis
    entry = analysis.resources.get(name)
    if entry is None:
        return None
    d = snap.names.resources.get(name)
    where = f" — line {d.span.line + 1}" if d is not None else ""
    rtype = entry.type or (entry.data.get("type") if isinstance(entry.data, dict) else None)
    lines = [f"**{name}** · `{rtype or 'no type'}`{where}"]
    model = RESOURCE_MODELS.get(entry.type) if entry.type else None
    if model is not None:
        lines += ["", _first_sentence(model.model_fields["type"].description or "")]
    body = entry.data if isinstance(entry.data, dict) else {}
    props = body.get("properties")
    details = []
    containers = [c for (o, c) in analysis.symbols.containers if o == name]
    if containers:
        details.append("containers: " + ", ".join(f"`{c}`" for c in containers))
    if isinstance(props, dict) and isinstance(props.get("connectTo"), list):
        targets = [str(t) for t in props["connectTo"] if isinstance(t, str)]
        if targets:
            details.append("connectTo: " + ", ".join(f"`{t}`" for t in targets))
    details += key_properties(props)
    if details:
        lines += [""] + [f"- {x}" for x in details]
    if with_cost:
        est = cost.estimate(entry.type, body)
        if est is not None:
            lines += ["", cost.render(est)]
    return "\n".join(lines)


def container_summary(snap: Snapshot, owner: str | None, name: str) -> str | None:
    d = snap.names.containers.get((owner, name))
    if d is None:
        return f"**{name}**: no container of this name in `{owner}`." if owner else None
    body = value_at(snap.analysis.data, d.path[:-1])
    lines = [f"**{name}** · container of `{owner}` — line {d.span.line + 1}"]
    if not isinstance(body, dict):
        return lines[0]
    details = []
    pkg = body.get("packaging")
    if isinstance(pkg, dict):
        pprops = pkg.get("properties") if isinstance(pkg.get("properties"), dict) else {}
        what = pprops.get("image") or pprops.get("entryfilePath") or pprops.get("dockerfilePath")
        details.append(f"packaging: {pkg.get('type')}" + (f" `{what}`" if isinstance(what, str) else ""))
    if "containerType" in body:
        details.append(f"containerType: {body['containerType']}")
    for ev in body.get("events") or []:
        if isinstance(ev, dict):
            ep = ev.get("properties") if isinstance(ev.get("properties"), dict) else {}
            src = ep.get("httpApiGatewayName") or ep.get("loadBalancerName")
            port = ep.get("containerPort")
            details.append(f"event: {ev.get('type')}" + (f" `{src}`" if src else "") + (f" → port {port}" if port is not None else ""))
    for dep in body.get("dependsOn") or []:
        if isinstance(dep, dict):
            details.append(f"dependsOn: `{dep.get('containerName')}` ({dep.get('condition')})")
    if "essential" in body:
        details.append(f"essential: {_fmt(body['essential'])}")
    if details:
        lines += [""] + [f"- {x}" for x in details]
    return "\n".join(lines)


# --- directives ----------------------------------------------------------------------------------


def directive_doc(snap: Snapshot, name: str) -> str | None:
    if name in BUILTIN_DIRECTIVES:
        _, hi, what = BUILTIN_DIRECTIVES[name]
        lines = [f"**{signature(name)}** · directive", "", DIRECTIVE_DOCS.get(name, "")]
        if hi != 0:
            lines += ["", f"Arguments: {what}."]
        return "\n".join(lines).strip()
    user = user_directives(snap.analysis.data).get(name)
    if user is not None:
        return f"**${name}(…)** · your directive\n\nComputed by `{user.get('filePath')}` (declared under `directives:`)."
    return None


def directive_hover(snap: Snapshot, cur: Cursor) -> str | None:
    part = cur.directive
    d = part.directive
    if part.kind == "arg":
        if d.name == "ResourceParam" and part.index == 0 and isinstance(part.value, str):
            return resource_summary(snap, part.value, with_cost=False) or f"**{part.value}**: no resource of this name in this config."
        if d.name == "ResourceParam" and part.index == 1 and isinstance(part.value, str):
            return resource_param_hover(snap, d)
        if d.name == "Var" and isinstance(part.value, str):
            return variable_hover(snap, part.value)
    return directive_doc(snap, d.name)


def resource_param_hover(snap: Snapshot, d: Directive) -> str | None:
    target, param = d.args[0], d.args[1]
    entry = snap.analysis.resources.get(target) if isinstance(target, str) else None
    if entry is None or not entry.type:
        return None
    params = params_of(entry.type)
    if not params:
        return f"**{param}** · parameter of `{target}` ({entry.type})"
    p = params.get(param)
    if p is None:
        return f"A {entry.type} has no parameter `{param}`.\n\nAvailable: " + ", ".join(f"`{n}`" for n in params)
    env = f"\n\nAlso injected by `connectTo` as `{env_name(target, param)}`." if p.connect else ""
    return f"**{param}** · parameter of `{target}` ({entry.type})\n\n{p.description}{env}"


def env_name(resource: str, param: str) -> str:
    """``STP_<RESOURCE>_<PARAM>`` in upper snake case, as the compiler names them
    (same rule as ``core.compile.workload_hooks.env_name``)."""
    def snake(s: str) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "_", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", s)).upper().strip("_")

    return f"STP_{snake(resource)}_{snake(param)}"


def variable_hover(snap: Snapshot, name: str) -> str | None:
    data = snap.analysis.data if isinstance(snap.analysis.data, dict) else {}
    variables = data.get("variables") if isinstance(data.get("variables"), dict) else {}
    if name not in variables:
        return f"**{name}**: no variable of this name under `variables:`."
    span = snap.analysis.locator.key_span(("variables", name)) if snap.analysis.locator else None
    where = f" — line {span.line + 1}" if span is not None else ""
    value = variables[name]
    shown = _fmt(value) if _scalar(value) else ("a map" if isinstance(value, dict) else "a list" if isinstance(value, list) else "empty")
    return f"**{name}** · variable{where}\n\nValue: `{shown}`"

"""Completion: keys, values, resource types, names of other resources and directives, as the user types.

Where the cursor is comes from ``outline.context_at``, which reads the text
line by line and so works on an empty file, an empty line, after `key: `,
inside quotes and brackets, and while the YAML is broken. What is allowed
there comes from the models (``modelinfo``), read against the best data at
hand: the text with the cursor line cut before the partial word (it parses
whenever the rest of the file does), else the document's own analysis, else
a sketch of the text read off its indentation, with the resources of the
last version that parsed.

Offered:
- keys valid at the path (required first, keys already written left out),
  with type and default in ``detail`` and the description as documentation;
  choosing one inserts what it needs (`packaging:` + `type:` …), as a snippet
  with tab stops when the client takes snippets, else as plain text;
- enum values and booleans; `type:` values for where the cursor is (resource
  types under `resources.<name>`, event / packaging / script … types);
- names of other resources for reference fields, filtered by the types the
  field accepts (`connectTo`: connectable resources and `aws:` services,
  `loadBalancerName` of an application-load-balancer event: application load
  balancers, `dependsOn.containerName`: the workload's *other* containers,
  deployment hook functions: functions, `scriptName`: scripts …);
- directives after `$`, resource names in `$ResourceParam('…` and then that
  resource's parameters, variable names in `$Var('…`;
- under a new resource, skeletons: `type` plus the properties it requires.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from core.analysis.context import ResourceEntry
from core.model.base import ref_types
from core.model.params import AWS_MACROS, CONNECTABLE_TYPES, params_of
from core.model.registry import ALL_RESOURCE_TYPES, RESOURCE_MODELS
from core.source import compose, to_data
from core.source.span import Span
from stp_lsp import hover
from stp_lsp.directives import (
    BUILTIN_DIRECTIVES,
    DIRECTIVE_DOCS,
    argument_snippet,
    signature,
    typed_directive,
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
    models_at,
    tags_of,
    value_at,
)
from stp_lsp.outline import Context, comment_start, context_at
from stp_lsp.skeleton import (
    Stops,
    field_lines,
    indent_lines,
    item_annotation,
    resource_lines,
    shape,
    yaml_scalar,
)

TRIGGER_CHARACTERS = [":", " ", "$", "'", "-"]

# the keys of every resource besides `type`, offered before its type is known
RESOURCE_KEYS = (
    ("properties", "The resource's settings; which ones are allowed depends on its `type`."),
    ("overrides", "Patch properties of the CloudFormation resources generated for this resource, by logical id."),
)
OPTIONS = types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=False)

K = types.CompletionItemKind


# --- the data completion reads ---------------------------------------------------------------------


@dataclass
class View:
    """What ``modelinfo`` needs of an analysis: the data and each resource's (valid) type."""

    data: object
    resources: dict
    origin: str  # "repaired" | "snapshot" | "sketch"


def view_of(data, origin: str, more_resources: dict | None = None) -> View:
    resources: dict = {}
    raw = data.get("resources") if isinstance(data, dict) else None
    if isinstance(raw, dict):
        for name, body in raw.items():
            rtype = body.get("type") if isinstance(body, dict) else None
            valid = rtype if isinstance(rtype, str) and rtype in ALL_RESOURCE_TYPES else None
            resources[name] = ResourceEntry(name, valid, body)
    for name, entry in (more_resources or {}).items():  # what the sketch could not read (flows, aliases)
        if resources.get(name) is None or (resources[name].type is None and entry.type is not None):
            resources[name] = entry
    return View(data if isinstance(data, dict) else {}, resources, origin)


def read_view(snap: Snapshot, ctx: Context) -> View:
    composed = compose(ctx.repaired)
    if composed.problem is None:
        data = to_data(composed.root).data if composed.root is not None else None
        return view_of(data, "repaired")
    if snap.parsed:
        return view_of(snap.analysis.data, "snapshot")
    good = snap.last_good
    return view_of(ctx.sketch, "sketch", good.analysis.resources if good is not None else None)


# --- the request ---------------------------------------------------------------------------------


def completion(snap: Snapshot, params: types.CompletionParams) -> types.CompletionList | None:
    # like analysis, this allocates many short-lived acyclic objects: keep the cyclic GC out of it
    enabled = gc.isenabled()
    gc.disable()
    try:
        line, col = snap.positions.from_lsp(params.position)
        ctx = context_at(snap.text, line, col)
        if ctx.kind == "none":
            return None
        view = read_view(snap, ctx)
        items = Completer(snap, ctx, view).items()
        return types.CompletionList(is_incomplete=False, items=items)
    finally:
        if enabled:
            gc.enable()


class Completer:
    def __init__(self, snap: Snapshot, ctx: Context, view: View):
        self.snap = snap
        self.ctx = ctx
        self.view = view
        self.client = snap.client
        self.line_text = snap.positions.core_line(ctx.line)
        self.step = ctx.indent_step

    # --- dispatch ---

    def items(self) -> list[types.CompletionItem]:
        ctx = self.ctx
        if ctx.kind == "value":
            return self.values(ctx.path)
        path = ctx.path
        ann = annotation_at(self.view, path) if path else None
        if ctx.item:
            # `- word`: a key of the item's map, or the item itself
            if not path or any(is_model(m) for m in members(ann)):
                return self.keys(path)
            return self.values(path)
        if path and ann is not None and shape(ann) == "list" and not any(is_model(m) for m in members(ann)):
            return self.list_items(path, ann)  # at the column of a list's items, no `- ` yet
        return self.keys(path)

    # --- edits ---

    def _range(self, start: int | None = None, end: int | None = None) -> types.Range:
        ctx = self.ctx
        s = ctx.start if start is None else start
        e = ctx.end if end is None else end
        return self.snap.range(Span(ctx.line, s, ctx.line, max(e, ctx.col)))

    def _doc(self, markdown: str | None):
        if not markdown:
            return None
        if self.client.completion_markdown:
            return types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown)
        return types.MarkupContent(kind=types.MarkupKind.PlainText, value=hover.plain(markdown))

    def _join(self, lines: list[str], col: int, snippet: bool) -> str:
        """Lines after the first indented to start at ``col``.

        Clients that honour insertTextMode asIs get absolute indentation; clients that expand snippets
        themselves re-indent them by the current line's indentation (Neovim's vim.snippet), so snippets
        get indentation relative to it; plain text edits are applied as sent."""
        if len(lines) == 1:
            return lines[0]
        if snippet and not self.client.insert_as_is:
            col -= self.ctx.indent
        return indent_lines(lines, " " * max(col, 0))

    def item(self, label: str, text: str, kind, *, detail: str | None = None, doc: str | None = None,
             sort: str | None = None, snippet: bool = False, filter_text: str | None = None,
             rng: types.Range | None = None) -> types.CompletionItem:
        multi = "\n" in text
        return types.CompletionItem(
            label=label,
            kind=kind,
            detail=detail,
            documentation=self._doc(doc),
            sort_text=sort,
            filter_text=filter_text,
            text_edit=types.TextEdit(range=rng or self._range(), new_text=text),
            insert_text_format=types.InsertTextFormat.Snippet if snippet else types.InsertTextFormat.PlainText,
            insert_text_mode=types.InsertTextMode.AsIs if multi and self.client.insert_as_is else None,
        )

    # --- keys ---

    def present(self, path: tuple) -> set:
        data = value_at(self.view.data, path) if path else self.view.data
        keys = set(data) if isinstance(data, dict) else set()
        keys.discard(self.ctx.line_key)
        return keys

    def keys(self, path: tuple, dash: bool = False) -> list[types.CompletionItem]:
        view = self.view
        if path == ("resources",):
            return []  # a new resource's name is the user's to choose
        if len(path) == 2 and path[0] == "resources":
            entry = view.resources.get(path[1])
            if entry is None or entry.type not in RESOURCE_MODELS:
                return self.new_resource_keys(path)
        models = models_at(view, path)
        if not models:
            return []
        present = self.present(path)
        fields: dict[str, list] = {}
        for m in models:
            for i, (name, f) in enumerate(m.model_fields.items()):
                fields.setdefault(name, [i, []])[1].append(f)
        tags = [t for m in models for t in tags_of(m)]
        out = []
        for name, (order, infos) in fields.items():
            if name in present:
                continue
            f = infos[0]
            required = all(x.is_required() for x in infos) and len(infos) == len(models)
            if path == () and name == "resources":
                required = True  # not in the model, but a config without it deploys nothing
            ann = f.annotation
            if name == "type" and len(models) > 1 and tags:
                out.append(self.key_item(name, ann, required, order, f.description, tags=tags, dash=dash))
            else:
                out.append(self.key_item(name, ann, required, order, f.description, default=f, dash=dash))
        return out

    def key_item(self, name: str, ann, required: bool, order: int, description: str, *, tags=None, default=None,
                 dash: bool = False) -> types.CompletionItem:
        ctx = self.ctx
        snippet = self.client.snippets
        stops = Stops(snippet)
        if tags:
            detail = "one of " + ", ".join(tags[:4]) + (" …" if len(tags) > 4 else "")
            lines = [name] if ctx.key_only else [f"{name}: "] if ctx.flow else [f"{name}: {stops.choice(tags)}"]
        else:
            detail = describe(ann)
            if default is not None:
                d = format_default(default.default) if not default.is_required() else None
                if d is not None:
                    detail += f" · default {d}"
            if ctx.key_only:
                lines = [name]
            elif ctx.flow:
                lines = [f"{name}: "]
            else:
                lines = field_lines(name, ann, stops, self.step)
        if required:
            detail = "required · " + detail
        if not snippet and len(lines) == 1 and lines[0].endswith(":") and not (ctx.key_only or ctx.flow):
            lines.append(" " * self.step)  # plain text: leave the cursor where the map's first key goes
        col = ctx.key_col
        if dash:
            lines = ["- " + lines[0]] + ["  " + x for x in lines[1:]]
        text = self._join(lines, col, snippet)
        if ctx.space_before:
            text = " " + text
        is_snippet = snippet and "$" in text
        doc = description
        allowed = literal_values(ann) if not tags else tags
        if allowed and len(allowed) <= 24 and not all(f"`{v}`" in description for v in allowed):
            doc += "\n\nAllowed values: " + ", ".join(f"`{yaml_scalar(v)}`" for v in allowed)
        return self.item(name, text, K.Property, detail=detail, doc=doc, sort=f"{0 if required else 1}{order:03d}",
                         snippet=is_snippet, filter_text=("- " + name) if dash else None)

    def new_resource_keys(self, path: tuple) -> list[types.CompletionItem]:
        """Under `resources.<name>` before the resource has a valid type: `type`, and skeletons of each type."""
        present = self.present(path)
        out = []
        if "type" not in present:
            types_doc = f"What kind of resource this is ({len(ALL_RESOURCE_TYPES)} types); it decides which `properties` are allowed."
            out.append(self.key_item("type", None, True, 0, types_doc, tags=list(ALL_RESOURCE_TYPES)))
            if not self.ctx.key_only and not self.ctx.flow:
                out += self.skeletons(present)
        for i, (name, what) in enumerate(RESOURCE_KEYS):
            if name not in present:
                out.append(self.key_item(name, dict[str, Any], False, i + 1, what))
        return out

    def skeletons(self, present: set) -> list[types.CompletionItem]:
        snippet = self.client.snippets
        out = []
        only_type = not (present - {"type"})
        for rtype in ALL_RESOURCE_TYPES:
            stops = Stops(snippet)
            lines = resource_lines(rtype, stops, self.step) if only_type else [f"type: {rtype}"]
            text = self._join(lines, self.ctx.key_col, snippet)
            if self.ctx.space_before:
                text = " " + text
            model = RESOURCE_MODELS.get(rtype)
            doc = (model.model_fields["type"].description if model is not None
                   else "A valid Stacktape resource type; stp does not check its properties yet.")
            out.append(self.item(f"type: {rtype}", text, K.Snippet, detail=f"{rtype} with its required properties",
                                 doc=doc, sort=f"2{rtype}", snippet=snippet and "$" in text))
        return out

    def list_items(self, path: tuple, ann) -> list[types.CompletionItem]:
        """At the column of a list's items without `- `: the items, with the dash."""
        item = item_annotation(ann)
        if item is not None and any(is_model(m) for m in members(item)):
            return self.keys(path + (len(value_at(self.view.data, path) or []),), dash=True)
        items = self.values(path + (len(value_at(self.view.data, path) or []),))
        for it in items:
            it.text_edit.new_text = "- " + it.text_edit.new_text.lstrip(" ")
            it.filter_text = "- " + (it.filter_text or it.label)
        return items

    # --- values ---

    def values(self, path: tuple) -> list[types.CompletionItem]:
        ctx = self.ctx
        if ctx.prefix.startswith("$"):
            return self.directives()
        if path == ():
            return []
        view = self.view
        key_path = path
        while key_path and isinstance(key_path[-1], int):
            key_path = key_path[:-1]
        if len(path) == 3 and path[0] == "resources" and path[2] == "type":
            return self.resource_types(path)
        if path[-1] == "type":
            tags = self.tag_items(path)
            if tags:
                return tags
        field = field_at(view, key_path)
        if field is None:
            return []
        refs = ref_types(field.info)
        if refs:
            return self.references(path, refs)
        ann = annotation_at(view, path) if key_path != path else field.annotation
        if ann is None:
            return []
        out = []
        lits = literal_values(ann)
        for i, v in enumerate(lits):
            meaning = hover.meaning_of(field.description, v)
            out.append(self.value_item(yaml_scalar(v), K.EnumMember, detail=field.key, doc=meaning, sort=f"{i:03d}",
                                       label=v if isinstance(v, str) else yaml_scalar(v), plain=v if isinstance(v, str) else None))
        if not lits and bool in members(ann):
            out += [self.value_item(v, K.Value, detail=field.key, sort=f"{i:03d}") for i, v in enumerate(("true", "false"))]
        return out

    def value_text(self, text: str, plain: str | None = None) -> str:
        """The text to insert for a value: inside the quotes the user opened, or as YAML."""
        ctx = self.ctx
        if ctx.quote and plain is not None:
            return plain + ("" if ctx.closed else ctx.quote)
        return (" " if ctx.space_before else "") + text

    def value_item(self, text: str, kind, *, label: str | None = None, detail=None, doc=None, sort=None,
                   plain: str | None = None) -> types.CompletionItem:
        """A value; ``plain`` is its text when it is a string (written inside the user's quotes, if any).

        A value that is not a string (a number, a boolean) replaces the quotes around the cursor too."""
        ctx = self.ctx
        label = label or (plain if plain is not None else text)
        new_text = self.value_text(text, plain)
        rng = None
        if ctx.quote and plain is None:
            rng = self._range(ctx.start - 1, ctx.end + (1 if ctx.closed else 0))
        return self.item(label, new_text, kind, detail=detail, doc=doc, sort=sort, rng=rng,
                         filter_text=label if new_text.strip() != label else None)

    def resource_types(self, path: tuple) -> list[types.CompletionItem]:
        """`type:` of a resource; when the resource has nothing else yet, with the properties it requires."""
        ctx = self.ctx
        body = value_at(self.view.data, path[:2])
        bare = not (isinstance(body, dict) and set(body) - {"type"})
        rest = self.line_text[ctx.end:].strip()
        skeleton = bare and not ctx.flow and not ctx.quote and not rest
        snippet = self.client.snippets
        out = []
        for rtype in ALL_RESOURCE_TYPES:
            model = RESOURCE_MODELS.get(rtype)
            doc = hover.type_summary(rtype)
            text = rtype
            if skeleton and model is not None:
                lines = resource_lines(rtype, Stops(snippet), self.step, with_type=False)
                if lines:
                    text = self._join([rtype] + lines, ctx.key_col, snippet)
            new_text = self.value_text(text, rtype if ctx.quote else None)
            out.append(self.item(rtype, new_text, K.Class, detail="resource type" if model else "resource type (not checked by stp)",
                                 doc=doc, sort=("0" if model else "1") + rtype, snippet=snippet and "$" in new_text,
                                 filter_text=rtype if new_text != rtype else None))
        return out

    def tag_items(self, path: tuple) -> list[types.CompletionItem]:
        """`type:` of an event, packaging, script, log forwarding…: the variants of its union."""
        parent = annotation_at(self.view, path[:-1])
        if parent is None:
            return []
        variants = [m for m in members(parent) if is_model(m) and tags_of(m)]
        if not variants:
            return []
        out = []
        for i, m in enumerate(variants):
            for t in tags_of(m):
                out.append(self.value_item(yaml_scalar(t), K.EnumMember, detail="type",
                                           doc=m.model_fields["type"].description, sort=f"{i:03d}", plain=str(t)))
        return out

    # --- names of other resources ---

    def references(self, path: tuple, refs: tuple) -> list[types.CompletionItem]:
        view = self.view
        owner = path[1] if len(path) > 1 and path[0] == "resources" else None
        listed: set = set()
        if isinstance(path[-1], int):
            siblings = value_at(view.data, path[:-1])
            if isinstance(siblings, list):
                listed = {v for i, v in enumerate(siblings) if isinstance(v, str) and i != path[-1]}
        if refs == ("container",):
            return self.containers(path, owner)
        if refs == ("script",):
            scripts = view.data.get("scripts") if isinstance(view.data, dict) else None
            names = [n for n in scripts if isinstance(n, str)] if isinstance(scripts, dict) else []
            return [self.value_item(yaml_scalar(n), K.Function, detail="script", plain=n, sort=n,
                                    doc=self.script_doc(n)) for n in names]
        accepted: tuple | None = ()
        for t in refs:
            if t == "*":
                accepted = None
                break
            accepted += CONNECTABLE_TYPES if t == "connectable" else (t,)
        out = []
        for name, entry in view.resources.items():
            if not isinstance(name, str) or name == owner or name in listed:
                continue
            if accepted is not None and entry.type not in accepted:
                continue
            out.append(self.value_item(yaml_scalar(name), K.Reference, plain=name, detail=entry.type or "resource",
                                       doc=self.resource_doc(name), sort=f"0{name}"))
        if "connectable" in refs:
            for macro, what in AWS_MACROS.items():
                if macro not in listed:
                    out.append(self.value_item(yaml_scalar(macro), K.Module, plain=macro, detail="AWS service",
                                               doc=what, sort=f"1{macro}"))
        return out

    def containers(self, path: tuple, owner: str | None) -> list[types.CompletionItem]:
        """Containers of the same workload, not the one the cursor is in."""
        if owner is None:
            return []
        props = value_at(self.view.data, ("resources", owner, "properties"))
        own = None
        for i, step in enumerate(path):
            if step in ("containers", "sideContainers") and i + 1 < len(path) and isinstance(path[i + 1], int):
                item = value_at(self.view.data, path[:i + 2])
                own = item.get("name") if isinstance(item, dict) else None
                break
        taken: set = set()
        if isinstance(path[-1], str) and len(path) >= 3 and isinstance(path[-2], int):
            deps = value_at(self.view.data, path[:-2])
            if isinstance(deps, list):
                taken = {d.get("containerName") for i, d in enumerate(deps) if isinstance(d, dict) and i != path[-2]}
        out = []
        if not isinstance(props, dict):
            return out
        for list_key in ("containers", "sideContainers"):
            for c in props.get(list_key) or []:
                name = c.get("name") if isinstance(c, dict) else None
                if isinstance(name, str) and name != own and name not in taken:
                    what = "side container" if list_key == "sideContainers" else "container"
                    out.append(self.value_item(yaml_scalar(name), K.Reference, plain=name, detail=f"{what} of {owner}",
                                               sort=name))
        return out

    def resource_doc(self, name: str) -> str | None:
        if self.snap.parsed and name in self.snap.analysis.resources:
            return hover.resource_summary(self.snap, name, with_cost=False)
        entry = self.view.resources.get(name)
        return f"**{name}** · `{entry.type or 'no type'}`" if entry is not None else None

    def script_doc(self, name: str) -> str | None:
        scripts = self.view.data.get("scripts") if isinstance(self.view.data, dict) else None
        body = scripts.get(name) if isinstance(scripts, dict) else None
        if isinstance(body, dict):
            return f"**{name}** · `{body.get('type')}`"
        return None

    # --- directives ---

    def directives(self) -> list[types.CompletionItem]:
        ctx = self.ctx
        line = self.line_text
        start = ctx.start
        if ctx.quote:
            text = line[start:ctx.end]  # up to the scalar's closing quote
        else:  # a plain scalar: the directive may go on past the partial word (and past `,` in a flow)
            cut = comment_start(line, start)
            text = line[start:cut if cut >= 0 else len(line)].rstrip()
        typed = typed_directive(text, ctx.col - start)
        if typed is None:
            return []
        rng = self._range(start + typed.start, start + typed.end)
        if typed.kind == "name":
            return self.directive_names(rng, typed.has_parens)
        return self.directive_args(typed, rng)

    def directive_names(self, rng: types.Range, has_parens: bool) -> list[types.CompletionItem]:
        snippet = self.client.snippets
        out = []
        user = user_directives(self.view.data)
        names = [(n, "builtin") for n in BUILTIN_DIRECTIVES] + [(n, "user") for n in user if n not in BUILTIN_DIRECTIVES]
        for i, (name, origin) in enumerate(names):
            args = "" if has_parens else argument_snippet(name)
            if snippet:
                text = "\\$" + name + args
            else:
                first = args.find("$")
                text = "$" + name + (args if first < 0 else args[:first])
            if origin == "builtin":
                detail = signature(name)
                doc = DIRECTIVE_DOCS.get(name, "")
                _, hi, what = BUILTIN_DIRECTIVES[name]
                if hi != 0:
                    doc += f"\n\nArguments: {what}."
            else:
                detail = f"${name}(…) · your directive"
                doc = f"Computed by `{user[name].get('filePath')}` (declared under `directives:`)."
            out.append(self.item("$" + name, text, K.Function, detail=detail, doc=doc, sort=f"{i:03d}",
                                 snippet=snippet and "$" in text.replace("\\$", ""), filter_text="$" + name, rng=rng))
        return out

    def directive_args(self, typed, rng: types.Range) -> list[types.CompletionItem]:
        view = self.view
        candidates: list[tuple[str, str | None, str | None, object]] = []  # (value, detail, doc, kind)
        if typed.name == "ResourceParam" and typed.index == 0:
            for name, entry in view.resources.items():
                if isinstance(name, str):
                    candidates.append((name, entry.type or "resource", self.resource_doc(name), K.Reference))
        elif typed.name == "ResourceParam" and typed.index == 1:
            target = typed.args[0] if typed.args else None
            entry = view.resources.get(target) if isinstance(target, str) else None
            params = params_of(entry.type) if entry is not None and entry.type else None
            for p in (params or {}).values():
                env = f"\n\nAlso injected by `connectTo` as `{hover.env_name(target, p.name)}`." if p.connect else ""
                candidates.append((p.name, f"parameter of {target} ({entry.type})", p.description + env, K.Field))
        elif typed.name == "Var" and typed.index == 0:
            variables = view.data.get("variables") if isinstance(view.data, dict) else None
            for name, value in (variables or {}).items() if isinstance(variables, dict) else ():
                shown = str(value) if isinstance(value, (str, int, float, bool)) else type(value).__name__
                candidates.append((str(name), "variable", f"Value: `{shown}`", K.Variable))
        elif typed.name == "CfResourceParam" and typed.index == 0:
            cf = view.data.get("cloudformationResources") if isinstance(view.data, dict) else None
            for name, body in (cf or {}).items() if isinstance(cf, dict) else ():
                candidates.append((str(name), body.get("Type") if isinstance(body, dict) else None, None, K.Reference))
        out = []
        for i, (value, detail, doc, kind) in enumerate(candidates):
            if typed.quote:
                text = value + ("" if typed.closed else typed.quote)
            else:
                text = f"'{value}'"
            out.append(self.item(value, text, kind, detail=detail, doc=doc, sort=f"{i:03d}", filter_text=value, rng=rng))
        return out


__all__ = ["OPTIONS", "TRIGGER_CHARACTERS", "completion"]

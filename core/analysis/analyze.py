"""The one entry point: text → Analysis (tree, data, typed model, diagnostics, symbols).

Pure and fast enough to run on every keystroke: nothing here touches the
disk or the network. Each resource is validated against its own model so an
error in one never hides (or is blamed on) another.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from pydantic import ValidationError

from core.analysis.context import ResourceEntry, RuleContext
from core.analysis.diagnostics import ERROR, INFORMATION, SEVERITY_ORDER, Diagnostic
from core.analysis.directive_spans import arg_span
from core.analysis.partial import validate_leniently
from core.analysis.refwalk import walk_refs
from core.analysis.rules import load_rules
from core.analysis.schema_errors import describe_value, errors_to_diagnostics
from core.analysis.suggest import closest, one_of
from core.analysis.symbols import Definition, Reference, SymbolIndex
from core.model.registry import ALL_RESOURCE_TYPES, RESOURCE_MODELS
from core.source import Locator, Span, compose, to_data

try:
    from core.model.config import StacktapeConfig
except ImportError:  # pragma: no cover - while the top-level model is being written
    StacktapeConfig = None


@dataclass
class Analysis:
    text: str
    root: object | None = None
    data: object = None
    locator: Locator | None = None
    resources: dict[str, ResourceEntry] = field(default_factory=dict)
    config: object | None = None  # StacktapeConfig of the top level (resources left raw)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    symbols: SymbolIndex = field(default_factory=SymbolIndex)
    directives: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.severity == ERROR for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]


def analyze(text: str, *, strict: bool = False) -> Analysis:
    """Analyse a stacktape.yml text. ``strict`` re-raises rule crashes (tests use it).

    The cyclic garbage collector is paused meanwhile: analysis allocates many
    short-lived acyclic objects and collections would otherwise cost a third
    of the time on large files.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(text, strict)
    finally:
        if enabled:
            gc.enable()


def _analyze(text: str, strict: bool) -> Analysis:
    result = Analysis(text)
    composed = compose(text)
    if composed.problem is not None:
        p = composed.problem
        result.diagnostics.append(Diagnostic("yaml-syntax", p.message, p.span, ERROR))
        return result
    result.root = composed.root
    result.locator = locator = Locator(composed.root)
    converted = to_data(composed.root)
    result.data = data = converted.data
    result.directives = converted.directives
    for prob in converted.problems:
        span = Span.of_node(prob.node)
        if prob.offset is not None and prob.node.start_mark.line == prob.node.end_mark.line:
            quote = 1 if prob.node.style in ("'", '"') else 0
            col = prob.node.start_mark.column + quote + prob.offset
            span = Span(span.line, min(col, span.end_col - 1), span.line, min(col + 1, span.end_col))
            span = Span(span.line, span.col, span.end_line, max(span.end_col, span.col + 1))
        result.diagnostics.append(Diagnostic(prob.code, prob.message, span, prob.severity, prob.path))

    if data is None:
        return _finish(result)
    if not isinstance(data, dict):
        result.diagnostics.append(
            Diagnostic("invalid-type", f"A stacktape config is a map of keys (resources:, …), got {describe_value(data)}.",
                       locator.nearest_span((), prefer_key=False)[0], ERROR)
        )
        return _finish(result)

    _validate_top_level(result, data, locator)
    raw_resources = data.get("resources")
    if isinstance(raw_resources, dict):
        for name, body in raw_resources.items():
            result.resources[name] = _validate_resource(result, name, body, locator)
    _index_symbols(result)
    ctx = RuleContext(data, result.resources, locator, result.directives, result.symbols)
    ctx.dropped = {p for entry in result.resources.values() for p in entry.dropped}
    for r in load_rules():
        try:
            r.check(ctx)
        except Exception as exc:  # one broken rule must not take the others down
            if strict:
                raise
            ctx.report("internal-error", f"Rule {r.code} failed: {exc!r}", (), severity=INFORMATION,
                       span=Span(0, 0, 0, 1))
    result.diagnostics.extend(ctx.diagnostics)
    return _finish(result)


def _finish(result: Analysis) -> Analysis:
    result.diagnostics.sort(key=lambda d: (d.span.line, d.span.col, SEVERITY_ORDER[d.severity], d.code))
    return result


def _validate_top_level(result: Analysis, data: dict, locator: Locator) -> None:
    if StacktapeConfig is None:
        return
    top = {k: v for k, v in data.items() if k != "resources"}
    if "resources" in data and not isinstance(data["resources"], dict) and data["resources"] is not None:
        result.diagnostics.append(
            Diagnostic("invalid-type", f"'resources' is a map of resource names to resources, got {describe_value(data['resources'])}.",
                       locator.value_span(("resources",)) or locator.nearest_span(("resources",))[0], ERROR, ("resources",))
        )
    try:
        result.config = StacktapeConfig.model_validate(top)
    except ValidationError as exc:
        result.diagnostics.extend(errors_to_diagnostics(exc, StacktapeConfig, top, locator))
    if "resources" not in data:
        result.diagnostics.append(
            Diagnostic("missing-property", "The config has no 'resources' section: nothing would be deployed.",
                       Span(0, 0, 0, 1), "warning", ("resources",))
        )


def _validate_resource(result: Analysis, name: str, body, locator: Locator) -> ResourceEntry:
    path = ("resources", name)
    if not isinstance(body, dict):
        result.diagnostics.append(
            Diagnostic("invalid-type", f"Resource '{name}' must be a map with 'type' and 'properties', got {describe_value(body)}.",
                       locator.key_span(path) or locator.nearest_span(path)[0], ERROR, path)
        )
        return ResourceEntry(name, None, body)
    rtype = body.get("type")
    if rtype is None:
        result.diagnostics.append(
            Diagnostic("missing-property", f"Resource '{name}' has no 'type'. Say what it is, e.g. 'type: web-service'.",
                       locator.key_span(path), ERROR, path + ("type",), {"missing": "type", "allowed": list(ALL_RESOURCE_TYPES)})
        )
        return ResourceEntry(name, None, body)
    if not isinstance(rtype, str) or rtype not in ALL_RESOURCE_TYPES:
        hint = closest(rtype, ALL_RESOURCE_TYPES) if isinstance(rtype, str) else []
        msg = f"Unknown resource type {describe_value(rtype).replace('the text ', '')}."
        msg += f" Did you mean '{hint[0]}'?" if hint else f" Known types: {one_of(ALL_RESOURCE_TYPES, 44)}."
        result.diagnostics.append(
            Diagnostic("unknown-resource-type", msg, locator.value_span(path + ("type",)), ERROR, path + ("type",),
                       {"replace_with": hint, "allowed": list(ALL_RESOURCE_TYPES)})
        )
        return ResourceEntry(name, None, body)
    model = RESOURCE_MODELS.get(rtype)
    entry = ResourceEntry(name, rtype, body, modelled=model is not None)
    if model is None:
        result.diagnostics.append(
            Diagnostic("unmodelled-resource-type",
                       f"'{rtype}' is a valid resource type, but stp does not check its properties yet.",
                       locator.value_span(path + ("type",)), INFORMATION, path + ("type",))
        )
        return entry
    try:
        entry.model = model.model_validate(body)
    except ValidationError as exc:
        result.diagnostics.extend(errors_to_diagnostics(exc, model, body, locator, path))
        entry.model, dropped = validate_leniently(model, body, exc)
        entry.dropped = tuple(path + d for d in dropped)
    return entry


def _index_symbols(result: Analysis) -> None:
    idx = result.symbols
    loc = result.locator
    for name, entry in result.resources.items():
        path = ("resources", name)
        span = loc.key_span(path)
        if span is not None:
            idx.resources[name] = Definition(name, "resource", entry.type, span, path)
        body = entry.data if isinstance(entry.data, dict) else {}
        props = body.get("properties")
        if isinstance(props, dict):
            for list_key in ("containers", "sideContainers"):
                items = props.get(list_key)
                if isinstance(items, list):
                    for i, c in enumerate(items):
                        if isinstance(c, dict) and isinstance(c.get("name"), str):
                            cpath = path + ("properties", list_key, i, "name")
                            cspan = loc.value_span(cpath)
                            if cspan is not None:
                                idx.containers[(name, c["name"])] = Definition(c["name"], "container", None, cspan, cpath, name)
        model = RESOURCE_MODELS.get(entry.type) if entry.type else None
        if model is None:
            continue
        found: list = []
        walk_refs(model, body, path, found)
        for rpath, value, types in found:
            span = loc.value_span(rpath)
            if span is None:
                continue
            span = _inner(span, value, loc, rpath)
            kind = "container" if types == ("container",) else "resource"
            idx.references.append(Reference(value, kind, types, span, rpath, name))
    if StacktapeConfig is not None and isinstance(result.data, dict):
        found = []
        walk_refs(StacktapeConfig, result.data, (), found)  # scripts' connectTo, hooks' scriptName …
        for rpath, value, types in found:
            span = loc.value_span(rpath)
            if span is not None:
                kind = "script" if types == ("script",) else "resource"
                idx.references.append(Reference(value, kind, types, _inner(span, value, loc, rpath), rpath, None))
        scripts = result.data.get("scripts")
        if isinstance(scripts, dict):
            for sname in scripts:
                span = loc.key_span(("scripts", sname))
                if isinstance(sname, str) and span is not None:
                    idx.scripts[sname] = Definition(sname, "script", None, span, ("scripts", sname))
    for site in result.directives:
        d = site.directive
        for sub in d.walk():
            if sub.name == "ResourceParam" and sub.args and isinstance(sub.args[0], str):
                span = arg_span(site, sub)
                if span is not None:
                    owner = site.path[1] if len(site.path) > 1 and site.path[0] == "resources" else None
                    idx.references.append(Reference(sub.args[0], "resource", ("*",), span, site.path, owner, "directive"))


def _inner(span: Span, value: str, loc: Locator, path) -> Span:
    """Narrow a quoted scalar's span to the name itself."""
    width = span.end_col - span.col
    if span.line == span.end_line and width == len(value) + 2:
        return Span(span.line, span.col + 1, span.line, span.end_col - 1)
    return span

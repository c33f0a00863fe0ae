"""Pydantic validation errors → diagnostics a person can act on.

Pydantic reports a location (``loc``) that mixes real keys with union tags
and its own wording. Here each error is mapped back onto the YAML (the key
or value at fault), grouped when several union branches fail at one place,
and phrased in our words with the allowed values and a did-you-mean.
"""

from __future__ import annotations

import re
import types
from functools import lru_cache
from typing import Annotated, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from core.analysis.diagnostics import ERROR, Diagnostic
from core.analysis.suggest import closest, one_of
from core.source.directives import Directive
from core.source.locate import Locator

_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "int_parsing": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a map of keys to values",
    "model_type": "a map of properties",
    "model_attributes_type": "a map of properties",
    "dataclass_type": "a map of properties",
    "literal_error": None,
    "none_required": "nothing (null)",
}


def describe_value(value) -> str:
    if isinstance(value, Directive):
        return f"the directive {value}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'" if value else "empty text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    if value is None:
        return "an empty value"
    return repr(value)


# --- walking annotations alongside pydantic locations ------------------------------------------


def _strip(annotation):
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _union_members(annotation):
    try:
        return _members_cached(annotation)
    except TypeError:  # unhashable annotation
        return _members(annotation)


@lru_cache(maxsize=4096)
def _members_cached(annotation):
    return tuple(_members(annotation))


def _members(annotation):
    annotation = _strip(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        out = []
        for a in get_args(annotation):
            out.extend(_members(a))
        return out
    return [annotation]


def _tag_of(model: type[BaseModel]) -> tuple:
    f = model.model_fields.get("type")
    if f is None:
        return ()
    ann = _strip(f.annotation)
    if get_origin(ann) is Literal:
        return get_args(ann)
    return ()


def step_annotation(annotation, step):
    """The annotation reached from ``annotation`` by one pydantic loc step, or None."""
    members = [m for m in _union_members(annotation) if m is not type(None)]
    for m in members:
        if isinstance(m, type) and issubclass(m, BaseModel):
            if isinstance(step, str) and step in m.model_fields:
                return m.model_fields[step].annotation
            if step in _tag_of(m) or step == m.__name__:
                return m
        origin = get_origin(m)
        if origin in (list, tuple) and isinstance(step, int):
            args = get_args(m)
            return args[0] if args else None
        if origin is dict and isinstance(step, str):
            args = get_args(m)
            return args[1] if len(args) == 2 else None
    return None


def models_at(annotation) -> list[type[BaseModel]]:
    return [m for m in _union_members(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]


# --- the mapping ------------------------------------------------------------------------------------


def _data_path(data, loc) -> tuple[tuple, list]:
    """Split a pydantic loc into the real data path and the annotation steps (tags kept)."""
    path: list = []
    node = data
    for step in loc:
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            path.append(step)
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            path.append(step)
            node = node[step]
        # anything else is a union tag or a branch name: not part of the data path
    return tuple(path), list(loc)


def _value_at(data, path):
    node = data
    for step in path:
        node = node[step]
    return node


def errors_to_diagnostics(
    exc: ValidationError, model: type[BaseModel], data, locator: Locator, base_path: tuple = ()
) -> list[Diagnostic]:
    """Translate one validation failure of ``model`` on ``data`` (found at ``base_path``)."""
    grouped: dict[tuple, list] = {}
    order: list[tuple] = []
    for err in exc.errors(include_url=False):
        etype = err["type"]
        loc = err["loc"]
        path, _ = _data_path(data, loc)
        key = (path, etype in ("missing", "extra_forbidden", "union_tag_not_found"), err["loc"][-1] if etype in ("missing", "extra_forbidden") else None)
        if key not in grouped:
            grouped[key] = []
            order.append(key)
        grouped[key].append(err)
    out: list[Diagnostic] = []
    for key in order:
        errs = grouped[key]
        path = key[0]
        d = _one(errs, path, model, data, locator, base_path)
        if d is not None:
            out.append(d)
    return out


def _annotation_for(model, loc):
    ann = model
    for step in loc:
        if ann is None:
            return None
        ann = step_annotation(ann, step)
    return ann


def _one(errs, path, model, data, locator: Locator, base_path) -> Diagnostic | None:
    err = errs[0]
    etype = err["type"]
    loc = err["loc"]
    full = base_path + path
    ctx = err.get("ctx") or {}

    if etype == "extra_forbidden":
        key = loc[-1]
        parent_ann = _annotation_for(model, loc[:-1])
        allowed = sorted({k for m in models_at(parent_ann) for k in m.model_fields})
        hint = closest(key, allowed)
        where = _where(full[:-1])
        msg = f"Unknown property '{key}'{where}."
        if hint:
            msg += f" Did you mean '{hint[0]}'?"
        elif allowed:
            msg += f" Allowed here: {one_of(allowed, 20)}."
        span = locator.key_span(full) or locator.nearest_span(full)[0]
        return Diagnostic("unknown-property", msg, span, ERROR, full, {"replace_with": hint, "allowed": allowed})

    if etype == "missing":
        key = loc[-1]
        parent = full  # path of the map missing the key (the key itself is not in data)
        field_doc = ""
        parent_ann = _annotation_for(model, loc[:-1])
        for m in models_at(parent_ann):
            f = m.model_fields.get(key)
            if f is not None and f.description:
                field_doc = f" ({_first_sentence(f.description)})"
                break
        where = _where(parent)
        span = locator.key_span(parent) if parent else None
        if span is None:
            span = locator.nearest_span(parent)[0]
        return Diagnostic(
            "missing-property", f"Missing required property '{key}'{where}{field_doc}.", span, ERROR, parent + (key,),
            {"missing": key},
        )

    if etype == "union_tag_invalid":
        tag = ctx.get("tag")
        expected = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]
        hint = closest(tag, expected)
        kind = _kind_of(full)
        msg = f"Unknown {kind} type '{tag}'."
        if hint:
            msg += f" Did you mean '{hint[0]}'?"
        msg += f" Expected one of: {one_of(expected)}."
        span = locator.value_span(full + ("type",)) or locator.nearest_span(full)[0]
        return Diagnostic("invalid-type-name", msg, span, ERROR, full + ("type",), {"replace_with": hint, "allowed": expected})

    if etype == "union_tag_not_found":
        ann = _annotation_for(model, loc)
        tags = [t for m in models_at(ann) for t in _tag_of(m)]
        kind = _kind_of(full)
        msg = f"This {kind} needs a 'type'" + (f": one of {one_of(tags)}." if tags else ".")
        value = _safe_value(data, path)
        if not isinstance(value, dict):
            msg = f"Expected a map with a 'type' here, got {describe_value(value)}."
        span = locator.nearest_span(full)[0] if full else locator.nearest_span(full, prefer_key=False)[0]
        return Diagnostic("missing-property", msg, span, ERROR, full, {"missing": "type", "allowed": tags})

    value = _safe_value(data, path)
    span = locator.value_span(full) or locator.nearest_span(full)[0]

    if etype == "literal_error":
        expected = _literal_values(model, loc) or [ctx.get("expected", "")]
        hint = closest(value, expected) if isinstance(value, str) else []
        msg = f"{_cap(describe_value(value))} is not allowed{_where(full[:-1], key=full[-1] if full else None)}."
        if hint:
            msg += f" Did you mean '{hint[0]}'?"
        msg += f" Allowed values: {one_of(expected, 20)}."
        if isinstance(value, str) and any(not isinstance(e, str) for e in expected):
            try:
                num = float(value)
                if num in expected:
                    msg = f"'{value}' is quoted text; write it as the number {value} (no quotes)."
            except ValueError:
                pass
        return Diagnostic("invalid-value", msg, span, ERROR, full, {"replace_with": hint, "allowed": list(map(str, expected))})

    if etype in _TYPE_WORDS or all(e["type"] in _TYPE_WORDS for e in errs):
        wanted = []
        for e in errs:
            if e["type"] == "literal_error":
                vals = _literal_values(model, e["loc"])
                w = "one of " + one_of(vals) if vals else None
            else:
                w = _TYPE_WORDS.get(e["type"])
            if w and w not in wanted:
                wanted.append(w)
        want = " or ".join(wanted) or "a different kind of value"
        msg = f"Expected {want}{_where(full[:-1], key=full[-1] if full else None)}, got {describe_value(value)}."
        if isinstance(value, str) and any(w in ("a number", "a whole number") for w in wanted):
            try:
                float(value)
                msg += " Remove the quotes to make it a number."
            except ValueError:
                pass
        if isinstance(value, str) and "true or false" in wanted and value.lower() in ("true", "false", "yes", "no"):
            msg += f" Write {value.lower() in ('true', 'yes') and 'true' or 'false'} without quotes."
        return Diagnostic("invalid-type", msg, span, ERROR, full)

    # constraint and custom validator errors
    text = err["msg"]
    if text.startswith("Value error, "):
        text = text[len("Value error, "):]
    elif etype in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        limit = next(iter(ctx.values()), None)
        words = {
            "greater_than_equal": "at least",
            "less_than_equal": "at most",
            "greater_than": "more than",
            "less_than": "less than",
        }[etype]
        text = f"'{full[-1]}' must be {words} {limit}, got {value}"
    elif etype in ("too_short", "too_long"):
        text = f"'{full[-1]}' has {ctx.get('actual_length')} items; " + (
            f"at least {ctx.get('min_length')} needed" if etype == "too_short" else f"at most {ctx.get('max_length')} allowed"
        )
    elif etype == "string_pattern_mismatch":
        text = f"{_cap(describe_value(value))} does not have the expected form ({ctx.get('pattern')})"
    return Diagnostic("invalid-value", text.rstrip(".") + ".", span, ERROR, full)


def _literal_values(model, loc):
    ann = _annotation_for(model, loc)
    if ann is None:
        return []
    vals = []
    for m in _union_members(ann):
        if get_origin(m) is Literal:
            vals.extend(get_args(m))
    return vals


def _safe_value(data, path):
    try:
        return _value_at(data, path)
    except (KeyError, IndexError, TypeError):
        return None


def _first_sentence(text: str) -> str:
    s = re.split(r"(?<!\be\.g)(?<!\bi\.e)\. ", text)[0].rstrip(".")
    return s[0].lower() + s[1:] if s else s


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _where(path, key=None) -> str:
    """' in resources.api.properties' style context, short for the common cases."""
    from core.analysis.diagnostics import format_path

    if key is not None and isinstance(key, str):
        return f" for '{key}'"
    if not path:
        return " at the top level"
    return f" in {format_path(path)}"


_NAMED_MAPS = {"scripts": "script", "resources": "resource", "cloudformationResources": "CloudFormation resource"}


def _kind_of(path) -> str:
    if len(path) >= 2 and path[-2] in _NAMED_MAPS:
        return _NAMED_MAPS[path[-2]]  # an entry of a name → item map, e.g. scripts.myScript
    for step in reversed(path):
        if isinstance(step, str):
            return {
                "events": "event",
                "packaging": "packaging",
                "logForwarding": "log forwarding",
                "engine": "engine",
                "authorizer": "authorizer",
                "loadBalancing": "load balancing",
                "volumeMounts": "volume mount",
                "alarms": "alarm",
                "trigger": "alarm trigger",
                "scripts": "script",
                "integrations": "integration",
            }.get(step, step)
    return "item"

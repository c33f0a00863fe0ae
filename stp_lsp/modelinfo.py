"""Which model field a config path lands on, and how to describe a field's type to a person.

Read-only helpers over ``core.model``: the top level is ``StacktapeConfig``,
each ``resources.<name>`` is the model registered for its ``type``. Unions of
models are resolved with the data's own ``type`` value, the same way
validation picks a branch, so hovering ``events[0].properties.path`` finds the
http-api-gateway event's field. Completion (part B) asks the same questions:
``models_at`` gives the keys allowed at a path, ``field_at`` one key's field.
"""

from __future__ import annotations

import types as pytypes
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from core.model.registry import RESOURCE_MODELS

try:
    from core.model.config import StacktapeConfig
except ImportError:  # pragma: no cover - while the top-level model is being written
    StacktapeConfig = None


@dataclass(frozen=True)
class FieldRef:
    model: type[BaseModel]  # the model declaring the field
    key: str  # the YAML key
    info: Any  # pydantic FieldInfo
    path: tuple  # config path of the key

    @property
    def annotation(self):
        return self.info.annotation

    @property
    def description(self) -> str:
        return self.info.description or ""

    @property
    def required(self) -> bool:
        return self.info.is_required()

    @property
    def default(self):
        """The default value, or PydanticUndefined."""
        if self.info.default_factory is not None:
            try:
                return self.info.default_factory()
            except TypeError:
                return PydanticUndefined
        return self.info.default


# --- annotations -------------------------------------------------------------------------------


def strip(annotation):
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def members(annotation) -> list:
    """The alternatives of a (possibly Annotated / Optional) union, ``None`` left out."""
    annotation = strip(annotation)
    if get_origin(annotation) in (Union, pytypes.UnionType):
        out = []
        for a in get_args(annotation):
            out.extend(members(a))
        return out
    if annotation is type(None):
        return []
    return [annotation]


def is_model(t) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def tags_of(model) -> tuple:
    """The values of a model's ``type: Literal[...]`` field (its union tag)."""
    f = model.model_fields.get("type")
    if f is None:
        return ()
    ann = strip(f.annotation)
    return get_args(ann) if get_origin(ann) is Literal else ()


def literal_values(annotation) -> list:
    out: list = []
    for m in members(annotation):
        if get_origin(m) is Literal:
            out.extend(get_args(m))
    return out


def pick_models(annotation, value) -> list[type[BaseModel]]:
    """The model(s) describing ``value`` where ``annotation`` is expected (one when the tag decides)."""
    models = [m for m in members(annotation) if is_model(m)]
    if len(models) > 1 and isinstance(value, dict) and "type" in value:
        tagged = [m for m in models if value["type"] in tags_of(m)]
        if tagged:
            return tagged
    return models


def _step(annotation, value, step):
    """Annotation reached by one data path step, or None."""
    for m in members(annotation):
        origin = get_origin(m)
        if isinstance(step, int) and origin in (list, tuple):
            args = get_args(m)
            return args[0] if args else Any
        if isinstance(step, str) and origin is dict:
            args = get_args(m)
            return args[1] if len(args) == 2 else Any
    if isinstance(step, str):
        for model in pick_models(annotation, value):
            f = model.model_fields.get(step)
            if f is not None:
                return f.annotation
    return None


def _get(value, step):
    try:
        return value[step]
    except (KeyError, IndexError, TypeError):
        return None


def _root(analysis, path: tuple):
    """(annotation, value, remaining steps, steps consumed) for the start of ``path``."""
    data = analysis.data if isinstance(analysis.data, dict) else {}
    if len(path) >= 2 and path[0] == "resources":
        entry = analysis.resources.get(path[1])
        model = RESOURCE_MODELS.get(entry.type) if entry is not None and entry.type else None
        if model is None:
            return None, None, (), 2
        return model, _get(_get(data, "resources"), path[1]), path[2:], 2
    return StacktapeConfig, data, path, 0


def annotation_at(analysis, path: tuple):
    """The annotation expected at ``path`` (a model, a list type…), or None when unknown."""
    ann, value, steps, _ = _root(analysis, path)
    for step in steps:
        if ann is None:
            return None
        ann = _step(ann, value, step)
        value = _get(value, step)
    return ann


def models_at(analysis, path: tuple) -> list[type[BaseModel]]:
    """The model(s) of the mapping at ``path`` (data-aware), e.g. to list the keys allowed there."""
    ann = annotation_at(analysis, path)
    if ann is None:
        return []
    return pick_models(ann, value_at(analysis.data, path))


def field_at(analysis, path: tuple) -> FieldRef | None:
    """The model field the last key of ``path`` names, or None (free-form map, unknown key…)."""
    if not path or not isinstance(path[-1], str):
        return None
    if len(path) == 2 and path[0] == "resources":
        return None  # a resource name, not a field
    parent = path[:-1]
    for model in models_at(analysis, parent):
        f = model.model_fields.get(path[-1])
        if f is not None:
            return FieldRef(model, path[-1], f, path)
    return None


def value_at(data, path: tuple):
    for step in path:
        data = _get(data, step)
        if data is None:
            return None
    return data


# --- describing types ------------------------------------------------------------------------------


_SCALARS = {str: "text", int: "whole number", float: "number", bool: "true/false"}


def describe(annotation, depth: int = 0) -> str:
    """A short human name of a field's type: ``whole number``, ``list of text``, ``one of `a`, `b```."""
    parts: list[str] = []
    lits = literal_values(annotation)
    if lits:
        parts.append("one of " + ", ".join(f"`{v}`" for v in lits[:12]) + (" …" if len(lits) > 12 else ""))
    models = []
    for m in members(annotation):
        if get_origin(m) is Literal:
            continue
        origin = get_origin(m)
        if m in _SCALARS:
            parts.append(_SCALARS[m])
        elif m is Any or m is object:
            parts.append("any value")
        elif origin in (list, tuple):
            args = get_args(m)
            inner = describe(args[0], depth + 1) if args and depth < 2 else "items"
            parts.append(f"list of {inner}")
        elif origin is dict:
            args = get_args(m)
            inner = describe(args[1], depth + 1) if len(args) == 2 and depth < 2 else "values"
            parts.append(f"map of names to {inner}")
        elif is_model(m):
            models.append(m)
        else:
            parts.append(getattr(m, "__name__", str(m)))
    if models:
        tags = [t for mm in models for t in tags_of(mm)]
        if len(models) > 1 and tags:
            parts.append("map with `type` " + " / ".join(f"`{t}`" for t in tags))
        else:
            parts.append("map")
    seen: list[str] = []
    for p in parts:
        if p not in seen:
            seen.append(p)
    return " or ".join(seen) or "any value"


def format_default(value) -> str | None:
    if value is PydanticUndefined or value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_default(v) or "null" for v in value) + "]"
    return str(value)

"""Find every value that names another resource, by walking data with its model class.

Walking the raw data (not the validated model) means references are found
even in a resource that has other errors, which keeps navigation and rename
working while the user is typing. Models mark reference fields with
``F(..., ref=...)``; subtrees without any such field are skipped.
"""

from __future__ import annotations

from functools import lru_cache
from typing import get_args, get_origin

from pydantic import BaseModel

from core.analysis.schema_errors import _tag_of, _union_members
from core.model.base import ref_types


@lru_cache(maxsize=None)
def _has_refs(model: type[BaseModel]) -> bool:
    return bool(_ref_fields(model)) or any(_ann_has_refs(f.annotation, (model,)) for f in model.model_fields.values())


def _ann_has_refs(annotation, seen) -> bool:
    for m in _union_members(annotation):
        origin = get_origin(m)
        if origin in (list, tuple, dict):
            args = get_args(m)
            inner = args[-1] if args else None
            if inner is not None and _ann_has_refs(inner, seen):
                return True
        elif isinstance(m, type) and issubclass(m, BaseModel) and m not in seen:
            if _ref_fields(m) or any(_ann_has_refs(f.annotation, seen + (m,)) for f in m.model_fields.values()):
                return True
    return False


@lru_cache(maxsize=None)
def _ref_fields(model: type[BaseModel]) -> dict[str, tuple]:
    out = {}
    for name, f in model.model_fields.items():
        types = ref_types(f)
        if types:
            out[f.alias or name] = types
    return out


def _pick_model(annotation, value) -> type[BaseModel] | None:
    models = [m for m in _union_members(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    if not models or not isinstance(value, dict):
        return None
    if len(models) == 1:
        return models[0]
    tag = value.get("type")
    for m in models:
        if tag in _tag_of(m):
            return m
    return None


def walk_refs(model: type[BaseModel], data, path: tuple, out: list) -> None:
    """Append ``(path, value, ref_types)`` for every reference value under ``data``."""
    if not isinstance(data, dict) or not _has_refs(model):
        return
    refs = _ref_fields(model)
    fields = model.model_fields
    for key, value in data.items():
        f = fields.get(key)
        if f is None:
            continue
        p = path + (key,)
        types = refs.get(key)
        if types:
            if isinstance(value, str):
                out.append((p, value, types))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, str):
                        out.append((p + (i,), item, types))
            continue
        _walk_value(f.annotation, value, p, out)


def _walk_value(annotation, value, path, out):
    if isinstance(value, dict):
        m = _pick_model(annotation, value)
        if m is not None:
            walk_refs(m, value, path, out)
            return
        for member in _union_members(annotation):
            if get_origin(member) is dict:
                args = get_args(member)
                if len(args) == 2:
                    for k, v in value.items():
                        _walk_value(args[1], v, path + (k,), out)
                return
    elif isinstance(value, list):
        for member in _union_members(annotation):
            if get_origin(member) in (list, tuple):
                args = get_args(member)
                if args:
                    for i, item in enumerate(value):
                        _walk_value(args[0], item, path + (i,), out)
                return

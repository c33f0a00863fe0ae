"""Property paths a model accepts, in the reference notation.

``properties.containers[].events[].properties.priority`` — map keys joined by
dots, list items as ``[]``, union variants merged. Used to measure coverage
against the official schema and to list what may be written at a path.
"""

from __future__ import annotations

import types
from typing import Annotated, Union, get_args, get_origin

from pydantic import BaseModel


def _models_in(annotation) -> tuple[list[type[BaseModel]], bool]:
    """Models reachable from an annotation and whether it is a list of them."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _models_in(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        found: list = []
        is_list = False
        for arg in get_args(annotation):
            models, lst = _models_in(arg)
            found.extend(models)
            is_list = is_list or lst
        return found, is_list
    if origin in (list, tuple, set, frozenset):
        args = get_args(annotation)
        models, _ = _models_in(args[0]) if args else ([], False)
        return models, True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation], False
    return [], False


def model_paths(model: type[BaseModel], prefix: str = "", _seen: frozenset = frozenset()) -> set[str]:
    out: set[str] = set()
    if model in _seen:
        return out
    seen = _seen | {model}
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}{key}"
        out.add(path)
        models, is_list = _models_in(field.annotation)
        if is_list:
            out.add(path)
        for m in models:
            out |= model_paths(m, f"{path}[]." if is_list else f"{path}.", seen)
    return out


def coverage(model: type[BaseModel], reference_paths) -> tuple[float, list[str]]:
    """Share of reference paths the model accepts, and the ones it misses."""
    ours = model_paths(model)
    ref = set(reference_paths)
    missing = sorted(ref - ours)
    return (1 - len(missing) / len(ref)) if ref else 1.0, missing

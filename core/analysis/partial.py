"""Validate what is left of a resource once the parts already reported are set aside.

A resource with one bad key would otherwise get no model at all, and every
semantic rule would skip it: a user fixing a typo would then meet a second
wave of errors they could have seen at once. So, after a failed validation,
the offending keys and values are dropped from a copy of the data and the
model is tried again. Only *optional* parts are ever dropped: once an error
says a required field is missing, the resource stays without a model, because
rules run on a guessed shape would report things that are not there.

Rule findings next to a dropped part are suppressed (see ``RuleContext``):
their inputs may be defaults standing in for what the user wrote.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from core.analysis.schema_errors import _data_path

MAX_ROUNDS = 4


def validate_leniently(model: type[BaseModel], data: dict, first_error: ValidationError):
    """Return ``(model_instance, dropped_paths)`` or ``(None, ())`` when no honest partial model exists."""
    dropped: list[tuple] = []
    exc = first_error
    for _ in range(MAX_ROUNDS):
        paths = []
        for err in exc.errors(include_url=False):
            if err["type"] == "missing":
                return None, ()
            path, _ = _data_path(data, err["loc"])
            if not path or isinstance(path[-1], int):
                return None, ()  # the root, or a list item (dropping it would shift the others)
            paths.append(path)
        data = _without(data, paths)
        dropped.extend(paths)
        try:
            return model.model_validate(data), tuple(dropped)
        except ValidationError as again:
            exc = again
    return None, ()


def _without(data, paths: list[tuple]):
    """A copy of ``data`` with each path removed; only the containers on those paths are copied."""
    tree: dict = {}
    for p in paths:
        node = tree
        for step in p[:-1]:
            node = node.setdefault(step, {})
            if node is None:
                break
        else:
            node[p[-1]] = None  # None marks "drop this"
    return _prune(data, tree)


def _prune(value, tree):
    if isinstance(value, dict):
        out = dict(value)
        for step, sub in tree.items():
            if step not in out:
                continue
            if sub is None:
                del out[step]
            else:
                out[step] = _prune(out[step], sub)
        return out
    if isinstance(value, list):
        out = list(value)
        for step, sub in tree.items():
            if isinstance(step, int) and 0 <= step < len(out) and sub is not None:
                out[step] = _prune(out[step], sub)
        return out
    return value


def near_dropped(path: tuple, dropped: set[tuple]) -> bool:
    """Is ``path`` a sibling of a dropped part or the object holding it (its inputs may be defaults)?

    Findings *inside* a dropped part are kept: the model never saw it, so they come from rules that read
    the text as written (references), and those are as true as ever.
    """
    for d in dropped:
        if path == d[:-1] or (len(path) == len(d) and path[:-1] == d[:-1]):
            return True
        if len(path) == len(d) and path[:-1] == d[:-1]:
            return True
    return False

"""Helpers for checks that span several fields of a model (model validators).

Such a check collects every problem it finds and raises them together, each
with the location of the key at fault, so the diagnostics land on that key
and not on the whole block. Values that are directives are never judged:
they resolve at deploy time.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.model.base import DIRECTIVE_PATTERN
from core.source.directives import Directive

_DIRECTIVE = re.compile(DIRECTIVE_PATTERN)


def is_directive(value) -> bool:
    """A directive, or text shaped like one (an unknown directive is reported elsewhere, not judged here)."""
    return isinstance(value, Directive) or (isinstance(value, str) and _DIRECTIVE.match(value) is not None)


def plain(value):
    """The value, or None when it is a directive (resolved later, so not judged here)."""
    return None if is_directive(value) else value


def has_directive(values) -> bool:
    return any(is_directive(v) for v in values or ())


def problem(loc: tuple, message: str, value) -> InitErrorDetails:
    """One problem at ``loc`` (relative to the model being validated)."""
    # The message goes in through the context so braces in it are never read as a template.
    return InitErrorDetails(
        type=PydanticCustomError("invalid_setting", "{detail}", {"detail": message}), loc=loc, input=value
    )


def fail(title: str, problems: list[InitErrorDetails]) -> None:
    """Raise ``problems`` as one validation failure (nothing when the list is empty)."""
    if problems:
        raise ValidationError.from_exception_data(title, problems)


class Bounds:
    """Annotation marker: publish a number's limits in the JSON schema (editors check them too)."""

    def __init__(self, low=None, high=None):
        self.low, self.high = low, high

    def __get_pydantic_json_schema__(self, schema, handler):
        out = handler(schema)
        if self.low is not None:
            out["minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return out


def _names(keys: tuple[str, ...]) -> str:
    quoted = [f"'{k}'" for k in keys]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]


def _written(model, key: str) -> bool:
    return key in model.model_fields_set and getattr(model, key) is not None


def one_of(model, keys: tuple[str, ...], *, chosen=None) -> list[InitErrorDetails]:
    """Exactly one of ``keys`` must be set on ``model`` (``chosen(key)`` says whether one is; default: written
    and not null); the problems, each on the key at fault (the first key when none is set)."""
    chosen = chosen or (lambda k: _written(model, k))
    given = [k for k in keys if chosen(k)]
    names = _names(keys)
    if not given:
        return [problem((keys[0],), f"Set one of {names}", None)]
    return [
        problem((k,), f"'{k}' cannot be combined with '{given[0]}': set only one of {names}", getattr(model, k))
        for k in given[1:]
    ]


def at_most_one(model, keys: tuple[str, ...]) -> list[InitErrorDetails]:
    """At most one of ``keys`` may be written (a null counts as not written); a problem on each extra one."""
    given = [k for k in keys if _written(model, k)]
    names = _names(keys)
    return [
        problem((k,), f"'{k}' cannot be combined with '{given[0]}': use at most one of {names}", getattr(model, k))
        for k in given[1:]
    ]

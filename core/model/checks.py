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

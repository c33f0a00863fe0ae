"""Building blocks every config model is made of.

Conventions (follow them in every model module):
- Field names are the YAML keys exactly (camelCase); no aliases unless a key
  is not a Python identifier.
- Every field has ``description=``: our own words on what it does, its unit,
  default and allowed values. Hover text and the JSON schema come from here.
- Use the scalar types below (``Str``, ``Int``, ``Num``, ``Bool``,
  ``OneOf(...)``) instead of bare ``int``/``Literal``: they accept a
  ``$Directive(...)`` in place of the value, because directives resolve later.
- Unknown keys are errors (``extra="forbid"``) and types are strict: YAML
  ``'512'`` is not the number 512.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GetJsonSchemaHandler
from pydantic_core import core_schema

from core.source.directives import Directive

DIRECTIVE_PATTERN = r"^\$[A-Za-z_][A-Za-z0-9_]*\(.*\)"


def _allow_directive(value, handler):
    if isinstance(value, Directive):
        return value
    return handler(value)


class _DirectiveAware:
    """Annotation marker: accept a directive where the inner type is expected.

    In the JSON schema this shows as ``anyOf: [inner, directive string]`` so
    schema-driven editors do not flag directives either.
    """

    def __get_pydantic_core_schema__(self, source, handler):
        inner = handler(source)
        return core_schema.no_info_wrap_validator_function(_allow_directive, inner)

    def __get_pydantic_json_schema__(self, schema, handler: GetJsonSchemaHandler):
        inner = handler(schema)
        return {"anyOf": [inner, {"type": "string", "pattern": DIRECTIVE_PATTERN}]}


DIRECTIVE_OK = _DirectiveAware()

Str = str  # a Directive is a str, so plain strings already accept directives
Int = Annotated[int, DIRECTIVE_OK]
Num = Annotated[float, DIRECTIVE_OK]
Bool = Annotated[bool, DIRECTIVE_OK]
Scalar = Annotated[str | bool | int | float, DIRECTIVE_OK]
AnyValue = Any


@dataclass(frozen=True)
class _Order:
    """Keeps an enum's own order: ``typing`` caches ``Literal['a', 'b']`` and ``Literal['b', 'a']`` as one
    type (they compare equal), so without this marker a field could list another field's order."""

    values: tuple


def OneOf(*values):  # noqa: N802 - reads like a type
    """An enum: one of ``values`` (or a directive)."""
    return Annotated[Literal[values], DIRECTIVE_OK, _Order(values)]


def F(description: str, default: Any = ..., *, ref: str | tuple[str, ...] | None = None, **kw) -> Any:  # noqa: N802
    """A documented field. ``default=...`` (the default) makes it required.

    ``ref`` marks a field whose value names another resource of the stack, of
    one of the given types (``"*"`` for any, ``"connectable"`` for connectTo):
    rules check it, the language server completes and navigates it.
    """
    if ref is not None:
        extra = dict(kw.pop("json_schema_extra", None) or {})
        extra[REF_KEY] = [ref] if isinstance(ref, str) else list(ref)
        kw["json_schema_extra"] = extra
    if default is ... and "default_factory" in kw:
        return Field(description=description, **kw)
    return Field(default, description=description, **kw)


REF_KEY = "x-stp-ref"


def ref_types(field_info) -> tuple[str, ...] | None:
    """Resource types a field refers to (see ``F(ref=...)``), or None."""
    extra = field_info.json_schema_extra
    if isinstance(extra, dict) and REF_KEY in extra:
        return tuple(extra[REF_KEY])
    return None


class StpModel(BaseModel):
    """Base of every config model: strict, closed, documented."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        validate_default=False,
        use_attribute_docstrings=False,
        arbitrary_types_allowed=False,
        protected_namespaces=(),
        ser_json_inf_nan="constants",
    )

    def present(self) -> set[str]:
        """Names of the fields the user actually wrote (defaults excluded)."""
        return set(self.model_fields_set)


class OpenModel(StpModel):
    """A map whose keys are free-form (tags, CloudFormation bodies, parameters)."""

    model_config = ConfigDict(extra="allow")

"""YAML text for a property or a whole resource with what it requires, as a snippet or as plain text.

Completion inserts these when a key or a resource type is chosen; code actions
insert them for missing properties and for a resource created from an
unknown reference. Lines are built relative to indentation 0, with the
file's own indentation step; the caller indents them where they go.

With snippets every value to fill in is a tab stop (enums and booleans a
choice); as plain text the values are left empty (``key: ``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from core.model.registry import RESOURCE_MODELS
from core.model.workloads import WorkloadResources
from core.source import compose
from core.source.convert import plain_scalar
from stp_lsp.modelinfo import is_model, literal_values, members, tags_of

MAX_DEPTH = 6
MAX_CHOICES = 12

# maps whose fields are all optional in the model but of which a rule requires some
SUGGESTED_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {
    WorkloadResources: ("cpu", "memory"),
}

def yaml_scalar(value) -> str:
    """``value`` written as YAML that reads back as the same value: quoted only where needed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return text if _plain_ok(text) else "'" + text.replace("'", "''") + "'"


@lru_cache(maxsize=4096)
def _plain_ok(text: str) -> bool:
    """Does ``text`` unquoted read back as exactly this text (not a number, a comment, an alias …)?"""
    if not text or text != text.strip() or "\n" in text or plain_scalar(text) != text:
        return False
    composed = compose("k: " + text)
    if composed.problem is not None or composed.root is None or composed.root.id != "mapping":
        return False
    (_, v), = composed.root.value or [(None, None)]
    return v is not None and v.id == "scalar" and not v.style and v.value == text


def escape(text: str) -> str:
    """Literal text inside a snippet."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


class Stops:
    """The tab stops of one snippet, numbered in order; empty strings when writing plain text."""

    def __init__(self, snippet: bool):
        self.snippet = snippet
        self.n = 0

    def text(self, s: str) -> str:
        return escape(s) if self.snippet else s

    def stop(self, default: str = "") -> str:
        if not self.snippet:
            return default
        self.n += 1
        return f"${{{self.n}:{escape(default)}}}" if default else f"${self.n}"

    def choice(self, values) -> str:
        shown = [yaml_scalar(v) for v in values]
        if not self.snippet:
            return ""
        if len(shown) == 1:
            return escape(shown[0])
        if len(shown) > MAX_CHOICES:
            return self.stop()
        self.n += 1
        inner = ",".join(s.replace("\\", "\\\\").replace(",", "\\,").replace("|", "\\|").replace("$", "\\$")
                         .replace("}", "\\}") for s in shown)
        return f"${{{self.n}|{inner}|}}"


def scalar_text(annotation, stops: Stops) -> str:
    """The value to fill in for a scalar field: a choice of its values, or a tab stop."""
    lits = literal_values(annotation)
    if lits:
        return stops.choice(lits)
    if bool in members(annotation) and all(m in (bool,) or m is type(None) for m in members(annotation)):
        return stops.choice([True, False])
    return stops.stop()


def _parts(annotation):
    ms = members(annotation)
    models = [m for m in ms if is_model(m)]
    lists = [m for m in ms if get_origin(m) in (list, tuple)]
    dicts = [m for m in ms if get_origin(m) is dict]
    return models, lists, dicts


def shape(annotation) -> str:
    """"map", "list" or "scalar": how a value of this annotation is written in block style."""
    models, lists, dicts = _parts(annotation)
    if models or dicts:
        return "map"
    if lists:
        return "list"
    return "scalar"


def item_annotation(annotation):
    _, lists, _ = _parts(annotation)
    for m in lists:
        args = get_args(m)
        return args[0] if args else Any
    return None


def field_lines(key: str, annotation, stops: Stops, step: int = 2, depth: int = 0) -> list[str]:
    """``key: ...`` with what its value needs, as lines relative to the key's column."""
    pad = " " * step
    k = stops.text(key)
    models, lists, dicts = _parts(annotation)
    if depth >= MAX_DEPTH and shape(annotation) != "scalar":
        return [f"{k}:"]
    if models:
        body = map_lines(models, stops, step, depth + 1)
        return [f"{k}:"] + [pad + line for line in body]
    if lists:
        item = item_annotation(annotation)
        item_models = [m for m in members(item) if is_model(m)]
        if item_models:
            body = map_lines(item_models, stops, step, depth + 1) or [""]
            return [f"{k}:", f"{pad}- {body[0]}"] + [f"{pad}  {line}" for line in body[1:]]
        return [f"{k}:", f"{pad}- {scalar_text(item, stops)}"]
    if dicts:
        return [f"{k}:"] + ([pad + stops.stop()] if stops.snippet else [])
    return [f"{k}: {scalar_text(annotation, stops)}"]


def map_lines(models: list, stops: Stops, step: int = 2, depth: int = 0) -> list[str]:
    """The required keys of a map (a model, or a union told apart by `type`)."""
    tags = [t for m in models for t in tags_of(m)]
    if len(models) > 1:
        return [f"type: {stops.choice(tags)}"] if tags else ([stops.stop()] if stops.snippet else [])
    model = models[0]
    lines: list[str] = []
    own_tags = tags_of(model)
    own_tags = own_tags if len(own_tags) == 1 else ()  # a `type` with several values is a field like any other
    if own_tags:
        lines.append(f"type: {stops.text(yaml_scalar(own_tags[0]))}")
    wanted = [n for n, f in model.model_fields.items() if f.is_required() and not (n == "type" and own_tags)]
    if not wanted:
        wanted = [n for n in SUGGESTED_FIELDS.get(model, ()) if n in model.model_fields]
    for name in wanted:
        lines += field_lines(name, model.model_fields[name].annotation, stops, step, depth)
    if not lines and stops.snippet:
        lines = [stops.stop()]
    return lines


def resource_lines(rtype: str, stops: Stops, step: int = 2, with_type: bool = True) -> list[str]:
    """A resource of type ``rtype``: `type:` and the properties it requires."""
    model = RESOURCE_MODELS.get(rtype)
    lines = [f"type: {stops.text(rtype)}"] if with_type else []
    if model is None:
        return lines
    for name, f in model.model_fields.items():
        if name != "type" and f.is_required():
            lines += field_lines(name, f.annotation, stops, step, 1)
    return lines


def indent_lines(lines: list[str], indent: str, first: bool = False) -> str:
    """Join lines, indenting all but the first (or all, with ``first``); blank lines stay empty."""
    out = []
    for i, line in enumerate(lines):
        out.append(line if (i == 0 and not first) or not line else indent + line)
    return "\n".join(out)

"""JSON Schema of stacktape.yml, generated from the models.

Any JSON-schema-aware YAML editor can use it (yaml-language-server's
`yaml.schemas` setting). Resource types we model get their full schema,
chosen by `type`; the other official types are accepted with any properties.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field, TypeAdapter

from core.model.registry import ALL_RESOURCE_TYPES, RESOURCE_MODELS

SCHEMA_ID = "https://stp.dev/schema/stacktape.json"


def config_json_schema() -> dict:
    models = tuple(RESOURCE_MODELS.values())
    union = Annotated[Union[models], Field(discriminator="type")] if len(models) > 1 else models[0]
    resource_schema = TypeAdapter(union).json_schema(ref_template="#/$defs/{model}")
    defs = resource_schema.pop("$defs", {})
    unmodelled = sorted(set(ALL_RESOURCE_TYPES) - set(RESOURCE_MODELS))
    resource = {
        "anyOf": [
            resource_schema,
            {
                "type": "object",
                "description": "A resource type whose properties stp does not check yet.",
                "properties": {"type": {"enum": unmodelled}},
                "required": ["type"],
            },
        ]
    }
    try:
        from core.model.config import StacktapeConfig

        top = StacktapeConfig.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(top.pop("$defs", {}))
    except ImportError:  # pragma: no cover
        top = {"type": "object", "properties": {}}
    top.setdefault("properties", {})["resources"] = {
        "type": "object",
        "description": "The infrastructure of the stack: resource names mapped to resources.",
        "additionalProperties": resource,
        "propertyNames": {"pattern": "^[A-Za-z0-9]+$"},
    }
    top["$schema"] = "http://json-schema.org/draft-07/schema#"
    top["$id"] = SCHEMA_ID
    top["title"] = "stacktape.yml"
    top["$defs"] = defs
    return top

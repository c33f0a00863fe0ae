"""Hooking CloudFormation resource models into moto.

moto's CloudFormation finds the model of a resource type through `get_model_map()` in
`moto.cloudformation.parsing`: an lru-cached `{cloudformation_type(): class}` built from the *direct*
subclasses of `CloudFormationModel`. `register()` puts our classes into that map (after the cache is
built, so they win over moto's own class for the same type) and into the name-property map.

`fallback()` makes every type still unknown to the map resolve to a placeholder model instead of
being silently skipped (moto skips it and then fails any GetAtt to it).
"""

from __future__ import annotations

import re
from typing import Any

_registered: dict[str, type] = {}
_fallback_factory = None


def register(*classes: type) -> None:
    """Make moto's CloudFormation use these model classes for their `cloudformation_type()`."""
    for cls in classes:
        _registered[cls.cloudformation_type()] = cls
    _apply()


def registered() -> dict[str, type]:
    return dict(_registered)


def fallback(factory) -> None:
    """`factory(resource_type) -> model class` for types no model handles."""
    global _fallback_factory
    _fallback_factory = factory
    _apply()


def _apply() -> None:
    from moto.cloudformation import parsing

    model_map = parsing.get_model_map()
    name_map = parsing.get_name_type_map()
    for type_name, cls in _registered.items():
        model_map[type_name] = cls
        name_map[type_name] = cls.cloudformation_name_type()
    if _fallback_factory is not None and not getattr(parsing.resource_class_from_type, "_stp", False):
        original = parsing.resource_class_from_type

        def resource_class_from_type(resource_type: str):
            if resource_type in parsing.NULL_MODELS or resource_type.startswith("Custom::"):
                return original(resource_type)
            if resource_type not in parsing.get_model_map():
                return _fallback_factory(resource_type)
            return parsing.get_model_map()[resource_type]

        resource_class_from_type._stp = True  # type: ignore[attr-defined]
        parsing.resource_class_from_type = resource_class_from_type

    # resource_name_property_from_type walks get_model_list() first: make our classes come first there.
    model_list = parsing.get_model_list()
    for cls in _registered.values():
        if cls in model_list:
            model_list.remove(cls)
        model_list.insert(0, cls)


# ---------------------------------------------------------------- CloudFormation properties -> API shapes

# Properties whose value is a map with user-chosen keys: converted values, but keys kept as they are.
_FREE_KEYS = {
    "Options",
    "DockerLabels",
    "RequestParameters",
    "ResponseParameters",
    "RequestTemplates",
    "RequestModels",
    "RouteSettings",
    "StageVariables",
    "Attributes",
    "Tags",
}


def lower_first(key: str) -> str:
    if not key or not key[0].isupper():
        return key
    # Leading acronyms: "ECSManagedTags" -> "ecsManagedTags", "DNSConfig" -> "dnsConfig"
    match = re.match(r"^([A-Z]+)(?=[A-Z][a-z])", key)
    if match and len(match.group(1)) > 1:
        return match.group(1).lower() + key[len(match.group(1)) :]
    return key[0].lower() + key[1:]


def camel(value: Any, *, keep_keys: bool = False) -> Any:
    """CloudFormation's PascalCase structure as the camelCase structure of the service API."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            new_key = key if keep_keys else lower_first(key)
            out[new_key] = camel(item, keep_keys=key in _FREE_KEYS and isinstance(item, dict))
        return out
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


def tags_as_dict(tags: Any) -> dict[str, str]:
    """Tags given as [{"Key", "Value"}] or as a map, as a map."""
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        return {str(t.get("Key", t.get("key"))): str(t.get("Value", t.get("value", ""))) for t in tags if isinstance(t, dict)}
    return {}


def tags_as_list(tags: Any, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in tags_as_dict(tags).items()]


def physical_id(value: Any) -> Any:
    """A property that received a model object instead of its Ref value (moto does that): its id."""
    if hasattr(value, "physical_resource_id"):
        return value.physical_resource_id
    return value

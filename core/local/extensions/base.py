"""`ExtensionModel`: the shape of our CloudFormation models for types moto's CloudFormation lacks.

A subclass wraps an object of a moto service backend (so the service's own API shows the resource:
`apigatewayv2.get_api`, `servicediscovery.get_namespace`, ...) and declares:

    TYPE            "AWS::ApiGatewayV2::Api"
    NAME_PROPERTY   property holding a user-chosen name ("" when none); moto generates one otherwise
    ATTRIBUTES      what Fn::GetAtt accepts
    REPLACE_ON      properties whose change replaces the resource (the rest update it in place);
                    change sets report Replacement from this
    _create(name) / _update(old_properties) / _delete()   against the backend
    physical_resource_id (what Ref returns) and attribute(name) (what GetAtt returns)
"""

from __future__ import annotations

from typing import Any, ClassVar

from moto.core.common_models import CloudFormationModel


class ExtensionModel(CloudFormationModel):
    TYPE: ClassVar[str] = ""
    NAME_PROPERTY: ClassVar[str] = ""
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ()
    REPLACE_ON: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, properties: dict[str, Any], account_id: str, region_name: str, logical_id: str = ""):
        self.name = name
        self.properties = properties
        self.account_id = account_id
        self.region_name = region_name
        self.logical_resource_id = logical_id
        self.cf_resource_type = self.TYPE

    # ------------------------------------------------------------ to implement

    def _create(self) -> None:
        raise NotImplementedError

    def _update(self, old_properties: dict[str, Any]) -> None:
        """Apply self.properties (already set to the new ones) in place; default: delete and re-create."""
        self._delete()
        self._create()

    def _delete(self) -> None:
        raise NotImplementedError

    @property
    def physical_resource_id(self) -> str:
        raise NotImplementedError

    def attribute(self, name: str) -> Any:
        raise KeyError(name)

    # ------------------------------------------------------------ helpers

    def prop(self, key: str, default: Any = None) -> Any:
        value = self.properties.get(key, default)
        return value.physical_resource_id if hasattr(value, "physical_resource_id") else value

    @classmethod
    def replaced_by(cls, old: dict[str, Any], new: dict[str, Any]) -> bool:
        return any(old.get(key) != new.get(key) for key in cls.REPLACE_ON)

    # ------------------------------------------------------------ moto's CloudFormationModel interface

    @classmethod
    def cloudformation_name_type(cls) -> str:  # type: ignore[override]
        return cls.NAME_PROPERTY

    @classmethod
    def cloudformation_type(cls) -> str:  # type: ignore[override]
        return cls.TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name not in self.ATTRIBUTES:
            raise UnformattedGetAttTemplateException()
        return self.attribute(attribute_name)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> ExtensionModel:
        properties = dict(cloudformation_json.get("Properties") or {})
        name = properties.get(cls.NAME_PROPERTY) if cls.NAME_PROPERTY else None
        model = cls(str(name or resource_name), properties, account_id, region_name, kwargs.get("LogicalId", ""))
        model._create()
        return model

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str,
    ) -> ExtensionModel:
        new_properties = dict(cloudformation_json.get("Properties") or {})
        if not isinstance(original_resource, cls) or cls.replaced_by(original_resource.properties, new_properties):
            # Replacement, as CloudFormation does it: the new resource first, the old one deleted after.
            name = new_properties.get(cls.NAME_PROPERTY) if cls.NAME_PROPERTY else None
            replacement = cls(str(name or new_resource_name), new_properties, account_id, region_name,
                              getattr(original_resource, "logical_resource_id", ""))
            replacement._create()
            if hasattr(original_resource, "delete"):
                original_resource.delete(account_id, region_name)
            return replacement
        old_properties = original_resource.properties
        original_resource.properties = new_properties
        original_resource._update(old_properties)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None  # deletion goes through the instance's delete()

    def delete(self, account_id: str, region_name: str) -> None:
        self._delete()

    def is_created(self) -> bool:
        return True

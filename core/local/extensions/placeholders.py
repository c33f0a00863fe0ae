"""Placeholder models: resource types with no moto backend still get created, so Ref/GetAtt to them resolve.

moto's CloudFormation skips a type it has no model for (a warning in its log) and then fails the whole
stack on any `Fn::GetAtt` to it. Here every such type becomes a `Placeholder`: it keeps its properties,
has a physical id shaped like AWS's (name, id or ARN, per `REF_KINDS`) and answers any attribute:

    Arn / *Arn     an ARN built from the service, resource type and physical id
    Id / *Id       the physical id (or an id-like value)
    Name / *Name   the name
    other          a property of the same name when the template set one, else "<physical id>-<attr>"

The CloudFormation engine reports these resources with the status reason
"stp local: AWS::X::Y is not emulated; created as a placeholder" so nobody mistakes them for the real thing.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from moto.cloudformation.utils import random_suffix
from moto.core.common_models import CloudFormationModel
from moto.utilities.utils import get_partition

# What Ref returns for a type: the resource's name ("name", the default), an id ("id") or its ARN ("arn").
REF_KINDS: dict[str, str] = {
    "AWS::CertificateManager::Certificate": "arn",
    "AWS::SecretsManager::Secret": "arn",
    "AWS::SNS::Subscription": "arn",
    "AWS::Scheduler::ScheduleGroup": "name",
    "AWS::CloudFront::Distribution": "id",
    "AWS::CloudFront::CachePolicy": "id",
    "AWS::CloudFront::OriginRequestPolicy": "id",
    "AWS::CloudFront::ResponseHeadersPolicy": "id",
    "AWS::CloudFront::Function": "arn",
    "AWS::CloudFront::OriginAccessControl": "id",
    "AWS::EC2::SecurityGroupEgress": "id",
    "AWS::EC2::VPCEndpoint": "id",
    "AWS::WAFv2::WebACL": "arn",
    "AWS::Lambda::Url": "arn",
    "AWS::EFS::AccessPoint": "id",
    "AWS::ElastiCache::ReplicationGroup": "name",
    "AWS::Cognito::UserPool": "id",
    "AWS::Cognito::UserPoolClient": "id",
    "AWS::OpenSearchService::Domain": "name",
    "AWS::ECS::ClusterCapacityProviderAssociations": "name",
}

# Property holding the resource's name, when it is not `Name` / `<Resource>Name`.
NAME_PROPERTIES: dict[str, str] = {
    "AWS::ECS::ClusterCapacityProviderAssociations": "Cluster",
    "AWS::CodeDeploy::DeploymentConfig": "DeploymentConfigName",
}

_ID_PREFIX = {
    "AWS::EC2::SecurityGroupEgress": "sgr-",
    "AWS::CloudFront::Distribution": "E",
    "AWS::EC2::VPCEndpoint": "vpce-",
    "AWS::EFS::AccessPoint": "fsap-",
}


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "-", name).lower()


class Placeholder(CloudFormationModel):
    """A created-but-not-emulated resource. Subclassed once per type by `placeholder_for()`."""

    placeholder_type = "AWS::Unknown::Resource"
    is_placeholder = True

    def __init__(self, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str, logical_id: str):
        self.cf_resource_type = self.placeholder_type
        self.logical_resource_id = logical_id
        self.properties = properties
        self.account_id = account_id
        self.region_name = region_name
        self.name = self._name(resource_name, properties)
        kind = REF_KINDS.get(self.placeholder_type, "name")
        if kind == "id":
            digest = hashlib.sha1(f"{self.name}{random_suffix()}".encode()).hexdigest()[:13].upper()
            prefix = _ID_PREFIX.get(self.placeholder_type, "")
            self._physical_id = prefix + (digest.lower() if prefix.endswith("-") else digest)
        elif kind == "arn":
            self._physical_id = self.arn
        else:
            self._physical_id = self.name

    def _name(self, generated: str, properties: dict[str, Any]) -> str:
        prop = NAME_PROPERTIES.get(self.placeholder_type)
        resource = self.placeholder_type.rsplit("::", 1)[-1]
        for key in (prop, "Name", f"{resource}Name"):
            value = properties.get(key) if key else None
            if isinstance(value, str | int) and str(value):
                return str(value)
            if value is not None and hasattr(value, "physical_resource_id"):
                return str(value.physical_resource_id)
        return generated

    @property
    def arn(self) -> str:
        _, service, resource = self.placeholder_type.split("::", 2)
        partition = get_partition(self.region_name)
        return f"arn:{partition}:{service.lower()}:{self.region_name}:{self.account_id}:{_kebab(resource)}/{self.name}"

    @property
    def physical_resource_id(self) -> str:
        return self._physical_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def cloudformation_type(cls) -> str:  # type: ignore[override]
        return cls.placeholder_type

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name in self.properties and not isinstance(self.properties[attribute_name], dict | list):
            return physical_id_of(self.properties[attribute_name])
        if attribute_name == "Arn" or attribute_name.endswith("Arn"):
            return self.arn
        if attribute_name == "Id" or attribute_name.endswith("Id"):
            return self._physical_id
        if attribute_name == "Name" or attribute_name.endswith("Name"):
            return self.name
        if attribute_name.endswith(("Url", "URL")):
            return f"https://{self.name.lower()}.{self.region_name}.on.aws/"
        return f"{self._physical_id}-{attribute_name}"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Placeholder:
        return cls(resource_name, dict(cloudformation_json.get("Properties") or {}), account_id, region_name,
                   kwargs.get("LogicalId", ""))

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str,
    ) -> Placeholder:
        original_resource.properties = dict(cloudformation_json.get("Properties") or {})
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None

    def delete(self, account_id: str, region_name: str) -> None:
        return None

    def is_created(self) -> bool:
        return True


def physical_id_of(value: Any) -> Any:
    return value.physical_resource_id if hasattr(value, "physical_resource_id") else value


_classes: dict[str, type[Placeholder]] = {}


def placeholder_for(resource_type: str) -> type[Placeholder]:
    """The placeholder model class of a resource type (one class per type, made on first use)."""
    if resource_type not in _classes:
        name = "Placeholder_" + re.sub(r"\W", "_", resource_type)
        _classes[resource_type] = type(name, (Placeholder,), {"placeholder_type": resource_type, "__module__": __name__})
    return _classes[resource_type]


def is_placeholder(resource: Any) -> bool:
    return bool(getattr(resource, "is_placeholder", False))


def install() -> None:
    from core.local.extensions.registry import fallback

    fallback(placeholder_for)

"""AWS::ServiceDiscovery::* (Cloud Map) in CloudFormation, backed by moto's servicediscovery backend.

PrivateDnsNamespace, PublicDnsNamespace, HttpNamespace, Service and Instance show up in the
servicediscovery API (`list_namespaces`, `get_service`, ...). Unlike moto's own CreatePrivateDnsNamespace,
several namespaces may share a VPC (AWS only refuses the same name twice in one VPC), and the hosted
zone is named like the namespace.
"""

from __future__ import annotations

from typing import Any

from moto.route53 import route53_backends
from moto.servicediscovery.exceptions import ConflictingDomainExists
from moto.servicediscovery.models import Namespace, servicediscovery_backends
from moto.utilities.utils import get_partition

from core.local.extensions.base import ExtensionModel
from core.local.extensions.registry import register, tags_as_list


def _backend(model: ExtensionModel):
    return servicediscovery_backends[model.account_id][model.region_name]


class _Namespace(ExtensionModel):
    NAME_PROPERTY = "Name"
    ATTRIBUTES = ("Arn", "Id", "HostedZoneId")
    NS_TYPE = ""
    REPLACE_ON = ("Name",)

    def _create(self) -> None:
        backend = _backend(self)
        vpc = self.prop("Vpc")
        if vpc:
            for other in backend.namespaces.values():
                if other.vpc == vpc and other.name == self.name:
                    raise ConflictingDomainExists(vpc)
        dns_properties = dict((self.prop("Properties") or {}).get("DnsProperties") or {})
        self.zone_id = None
        if self.NS_TYPE != "HTTP":
            zone = route53_backends[self.account_id][get_partition(self.region_name)].create_hosted_zone(
                self.name,
                private_zone=self.NS_TYPE == "DNS_PRIVATE",
                vpcid=vpc,
                vpcregion=self.region_name if vpc else None,
                comment=f"Hosted zone of the Cloud Map namespace {self.name}",
            )
            self.zone_id = str(zone.id).replace("/hostedzone/", "")
            dns_properties["HostedZoneId"] = self.zone_id
        self.namespace = Namespace(
            account_id=self.account_id,
            region=self.region_name,
            name=self.name,
            ns_type=self.NS_TYPE,
            creator_request_id=self.logical_resource_id,
            description=self.prop("Description"),
            dns_properties=dns_properties if self.NS_TYPE != "HTTP" else {"SOA": {}},
            http_properties={"HttpName": self.name},
            vpc=vpc,
        )
        backend.namespaces[self.namespace.id] = self.namespace
        if self.prop("Tags"):
            backend.tagger.tag_resource(self.namespace.arn, tags_as_list(self.prop("Tags")))
        backend._create_operation("CREATE_NAMESPACE", targets={"NAMESPACE": self.namespace.id})

    def _update(self, old_properties: dict[str, Any]) -> None:
        self.namespace.description = self.prop("Description")
        soa = ((self.prop("Properties") or {}).get("DnsProperties") or {}).get("SOA")
        if soa and self.NS_TYPE != "HTTP":
            self.namespace.dns_properties["SOA"] = soa
        if self.prop("Tags"):
            _backend(self).tagger.tag_resource(self.namespace.arn, tags_as_list(self.prop("Tags")))

    def _delete(self) -> None:
        backend = _backend(self)
        backend.namespaces.pop(self.namespace.id, None)
        if self.zone_id:
            zones = route53_backends[self.account_id][get_partition(self.region_name)]
            zones.zones.pop(self.zone_id, None)

    @property
    def physical_resource_id(self) -> str:
        return self.namespace.id

    def attribute(self, name: str) -> Any:
        if name == "Arn":
            return self.namespace.arn
        if name == "HostedZoneId":
            return self.zone_id
        return self.namespace.id


class PrivateDnsNamespace(_Namespace):
    TYPE = "AWS::ServiceDiscovery::PrivateDnsNamespace"
    NS_TYPE = "DNS_PRIVATE"
    REPLACE_ON = ("Name", "Vpc")


class PublicDnsNamespace(_Namespace):
    TYPE = "AWS::ServiceDiscovery::PublicDnsNamespace"
    NS_TYPE = "DNS_PUBLIC"


class HttpNamespace(_Namespace):
    TYPE = "AWS::ServiceDiscovery::HttpNamespace"
    NS_TYPE = "HTTP"
    ATTRIBUTES = ("Arn", "Id")


class Service(ExtensionModel):
    TYPE = "AWS::ServiceDiscovery::Service"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = ("Arn", "Id", "Name")
    REPLACE_ON = ("Name", "NamespaceId", "HealthCheckCustomConfig", "Type")

    def _create(self) -> None:
        dns_config = self.prop("DnsConfig")
        namespace_id = self.prop("NamespaceId") or (dns_config or {}).get("NamespaceId")
        backend = _backend(self)
        backend.get_namespace(namespace_id)  # NamespaceNotFound, as AWS
        self.service = backend.create_service(
            name=self.name,
            namespace_id=namespace_id,
            creator_request_id=self.logical_resource_id,
            description=self.prop("Description"),
            dns_config=dns_config,
            health_check_config=self.prop("HealthCheckConfig"),
            health_check_custom_config=self.prop("HealthCheckCustomConfig"),
            tags=tags_as_list(self.prop("Tags")),
            service_type=self.prop("Type"),
        )
        if self.prop("ServiceAttributes"):
            self.service.attributes = dict(self.prop("ServiceAttributes"))

    def _update(self, old_properties: dict[str, Any]) -> None:
        self.service.description = self.prop("Description")
        if self.prop("DnsConfig"):
            self.service.dns_config = self.prop("DnsConfig")
        self.service.health_check_config = self.prop("HealthCheckConfig")
        if self.prop("ServiceAttributes") is not None:
            self.service.attributes = dict(self.prop("ServiceAttributes"))

    def _delete(self) -> None:
        _backend(self).delete_service(self.service.id)

    @property
    def physical_resource_id(self) -> str:
        return self.service.id

    def attribute(self, name: str) -> Any:
        return {"Arn": self.service.arn, "Id": self.service.id, "Name": self.service.name}[name]


class Instance(ExtensionModel):
    TYPE = "AWS::ServiceDiscovery::Instance"
    REPLACE_ON = ("InstanceId", "ServiceId")

    def _create(self) -> None:
        self.instance_id = str(self.prop("InstanceId") or self.name)
        _backend(self).register_instance(
            service_id=self.prop("ServiceId"),
            instance_id=self.instance_id,
            creator_request_id=self.logical_resource_id,
            attributes=dict(self.prop("InstanceAttributes") or {}),
        )

    def _update(self, old_properties: dict[str, Any]) -> None:
        _backend(self).deregister_instance(self.prop("ServiceId"), self.instance_id)
        self._create()

    def _delete(self) -> None:
        _backend(self).deregister_instance(self.prop("ServiceId"), self.instance_id)

    @property
    def physical_resource_id(self) -> str:
        return self.instance_id


MODELS = (PrivateDnsNamespace, PublicDnsNamespace, HttpNamespace, Service, Instance)


def install() -> None:
    register(*MODELS)

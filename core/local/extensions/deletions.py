"""Deleting the resources moto's CloudFormation cannot delete.

Many moto models have neither `delete()` nor `delete_from_cloudformation_json`, so moto's CloudFormation
"deletes" them by doing nothing: routes, route tables and their subnet associations, gateway
attachments, internet and NAT gateways, elastic IPs, security group ingress rules, VPC endpoints, ECS
clusters and task definitions, load balancer listeners, rules and target groups, managed policies and
hosted zones all outlive their stack. Then the VPC of every compiled stack cannot be deleted ("has
dependencies") and the stack ends DELETE_FAILED / ROLLBACK_FAILED. Here each gets a `delete()` that
calls its service backend, as CloudFormation would.
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.utilities.utils import get_partition


def _ec2(account_id: str, region_name: str):
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region_name]


def _route(self, account_id: str, region_name: str) -> None:
    self.route_table._routes.pop(self.id, None)


def _route_table(self, account_id: str, region_name: str) -> None:
    _ec2(account_id, region_name).delete_route_table(self.id)


def _subnet_association(self, account_id: str, region_name: str) -> None:
    backend = _ec2(account_id, region_name)
    table = backend.route_tables.get(self.route_table_id)
    if table is None:
        return
    for association_id, subnet_id in list(table._associations.items()):
        if subnet_id == self.subnet_id:
            backend.disassociate_route_table(association_id)


def _gateway_attachment(self, account_id: str, region_name: str) -> None:
    backend = _ec2(account_id, region_name)
    if str(self.gateway_id).startswith("igw-"):
        igw = backend.internet_gateways.get(self.gateway_id)
        if igw is not None and igw.vpc is not None and igw.vpc.id == self.vpc_id:
            backend.detach_internet_gateway(self.gateway_id, self.vpc_id)
    elif str(self.gateway_id).startswith("vgw-"):
        with contextlib.suppress(Exception):
            backend.detach_vpn_gateway(self.gateway_id, self.vpc_id)


def _internet_gateway(self, account_id: str, region_name: str) -> None:
    _ec2(account_id, region_name).delete_internet_gateway(self.id)


def _nat_gateway(self, account_id: str, region_name: str) -> None:
    _ec2(account_id, region_name).delete_nat_gateway(self.id)


def _elastic_ip(self, account_id: str, region_name: str) -> None:
    backend = _ec2(account_id, region_name)
    if self.allocation_id:
        backend.release_address(allocation_id=self.allocation_id)
    else:
        backend.release_address(address=self.public_ip)


def _ingress(self, account_id: str, region_name: str) -> None:
    p = self.properties
    source = {}
    if p.get("SourceSecurityGroupId"):
        source["GroupId"] = p["SourceSecurityGroupId"]
    if p.get("SourceSecurityGroupName"):
        source["GroupName"] = p["SourceSecurityGroupName"]
    _ec2(account_id, region_name).revoke_security_group_ingress(
        group_name_or_id=self.security_group.id,
        ip_protocol=p.get("IpProtocol"),
        from_port=p.get("FromPort"),
        to_port=p.get("ToPort"),
        ip_ranges=[{"CidrIp": p["CidrIp"], "Description": p.get("Description")}] if p.get("CidrIp") else [],
        source_groups=[source] if source else [],
    )


def _vpc_endpoint(self, account_id: str, region_name: str) -> None:
    _ec2(account_id, region_name).delete_vpc_endpoints([self.id])


def _ecs_cluster(self, account_id: str, region_name: str) -> None:
    from moto.ecs.models import ecs_backends

    ecs_backends[account_id][region_name].delete_cluster(self.name)


def _task_definition(self, account_id: str, region_name: str) -> None:
    from moto.ecs.models import ecs_backends

    backend = ecs_backends[account_id][region_name]
    if getattr(self, "status", "ACTIVE") == "ACTIVE":
        backend.deregister_task_definition(self.arn)


def _elbv2(account_id: str, region_name: str):
    from moto.elbv2.models import elbv2_backends

    return elbv2_backends[account_id][region_name]


def _listener(self, account_id: str, region_name: str) -> None:
    _elbv2(account_id, region_name).delete_listener(self.arn)


def _listener_rule(self, account_id: str, region_name: str) -> None:
    _elbv2(account_id, region_name).delete_rule(self.arn)


def _target_group(self, account_id: str, region_name: str) -> None:
    backend = _elbv2(account_id, region_name)
    if self.arn in backend.target_groups:
        backend.delete_target_group(self.arn)


def _managed_policy(self, account_id: str, region_name: str) -> None:
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id][get_partition(region_name)]
    for entity in (*backend.roles.values(), *backend.users.values(), *backend.groups.values()):
        getattr(entity, "managed_policies", {}).pop(self.arn, None)
    self.attachment_count = 0
    backend.delete_policy(self.arn)


def _hosted_zone(self, account_id: str, region_name: str) -> None:
    from moto.route53.models import route53_backends

    route53_backends[account_id][get_partition(region_name)].zones.pop(self.id, None)


def _targets() -> list[tuple[Any, Any]]:
    from moto.ec2.models.elastic_block_store import Volume  # noqa: F401 - loads the ec2 models package
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.security_groups import SecurityGroupIngress
    from moto.ec2.models.subnets import SubnetRouteTableAssociation
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment
    from moto.ecs.models import Cluster, TaskDefinition
    from moto.elbv2.models import FakeListener, FakeListenerRule, FakeTargetGroup
    from moto.iam.models import ManagedPolicy
    from moto.route53.models import FakeZone

    return [
        (Route, _route), (RouteTable, _route_table), (SubnetRouteTableAssociation, _subnet_association),
        (VPCGatewayAttachment, _gateway_attachment), (InternetGateway, _internet_gateway),
        (NatGateway, _nat_gateway), (ElasticAddress, _elastic_ip), (SecurityGroupIngress, _ingress),
        (VPCEndPoint, _vpc_endpoint), (Cluster, _ecs_cluster), (TaskDefinition, _task_definition),
        (FakeListener, _listener), (FakeListenerRule, _listener_rule), (FakeTargetGroup, _target_group),
        (ManagedPolicy, _managed_policy), (FakeZone, _hosted_zone),
    ]


def install() -> None:
    for cls, delete in _targets():
        if not hasattr(cls, "delete"):  # never replace a delete moto has
            cls.delete = delete

"""What a template change does to each resource, in the shape of DescribeChangeSet's `Changes`.

    {"Type": "Resource", "ResourceChange": {
        "Action": "Add" | "Modify" | "Remove", "LogicalResourceId", "PhysicalResourceId", "ResourceType",
        "Replacement": "True" | "False" | "Conditional",          (Modify only)
        "Scope": ["Properties", "Tags", "Metadata"],
        "Details": [{"Target": {"Attribute": "Properties", "Name": "DesiredCount", "RequiresRecreation": "Never"},
                     "Evaluation": "Static", "ChangeSource": "DirectModification"}, ...]}}

Whether a property change replaces the resource comes from `REPLACEMENT` (AWS's "Update requires:
Replacement" properties of the types stacks use), the REPLACE_ON of our extension models, and otherwise
the type's name property. Resources whose properties refer to a replaced resource (Ref) or to an
attribute of a changed one (GetAtt) are listed too, with Dynamic details, as AWS does.
"""

from __future__ import annotations

from typing import Any

from core.local.extensions.cloudformation.graph import attribute_references, references

ALWAYS = "Always"
NEVER = "Never"
CONDITIONALLY = "Conditionally"
EVERYTHING = "*"  # every property but Tags replaces (immutable resources)

# Properties whose change replaces the resource ("Update requires: Replacement" in the AWS docs).
REPLACEMENT: dict[str, set[str]] = {
    "AWS::EC2::VPC": {"CidrBlock", "Ipv4IpamPoolId", "Ipv4NetmaskLength"},
    "AWS::EC2::Subnet": {"AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "VpcId", "Ipv4IpamPoolId"},
    "AWS::EC2::SecurityGroup": {"GroupDescription", "GroupName", "VpcId"},
    "AWS::EC2::SecurityGroupIngress": {"GroupId", "GroupName", "IpProtocol", "FromPort", "ToPort", "CidrIp",
                                       "SourceSecurityGroupId"},
    "AWS::EC2::SecurityGroupEgress": {"GroupId", "IpProtocol", "FromPort", "ToPort", "CidrIp",
                                      "DestinationSecurityGroupId"},
    "AWS::EC2::RouteTable": {"VpcId"},
    "AWS::EC2::Route": {"RouteTableId", "DestinationCidrBlock", "DestinationIpv6CidrBlock"},
    "AWS::EC2::SubnetRouteTableAssociation": {"SubnetId", "RouteTableId"},
    "AWS::EC2::VPCGatewayAttachment": {"VpcId"},
    "AWS::EC2::NatGateway": {"SubnetId", "AllocationId", "ConnectivityType", "PrivateIpAddress"},
    "AWS::EC2::EIP": {"Domain"},
    "AWS::EC2::VPCEndpoint": {"ServiceName", "VpcId", "VpcEndpointType"},
    "AWS::EC2::LaunchTemplate": {"LaunchTemplateName"},
    "AWS::ECS::Cluster": {"ClusterName"},
    "AWS::ECS::TaskDefinition": {EVERYTHING},
    "AWS::ECS::CapacityProvider": {"Name"},
    "AWS::ECS::ClusterCapacityProviderAssociations": {"Cluster"},
    "AWS::IAM::Role": {"RoleName", "Path"},
    "AWS::IAM::ManagedPolicy": {"ManagedPolicyName", "Path"},
    "AWS::IAM::InstanceProfile": {"InstanceProfileName", "Path"},
    "AWS::Logs::LogGroup": {"LogGroupName"},
    "AWS::SQS::Queue": {"QueueName", "FifoQueue"},
    "AWS::SNS::Topic": {"TopicName", "FifoTopic"},
    "AWS::S3::Bucket": {"BucketName", "ObjectLockEnabled"},
    "AWS::DynamoDB::Table": {"TableName", "KeySchema"},
    "AWS::Lambda::Function": {"FunctionName", "PackageType"},
    "AWS::Lambda::Permission": {EVERYTHING},
    "AWS::ElasticLoadBalancingV2::LoadBalancer": {"Name", "Scheme", "Type"},
    "AWS::ElasticLoadBalancingV2::TargetGroup": {"Name", "Port", "Protocol", "ProtocolVersion", "TargetType",
                                                 "VpcId", "IpAddressType"},
    "AWS::ElasticLoadBalancingV2::Listener": {"LoadBalancerArn"},
    "AWS::ElasticLoadBalancingV2::ListenerRule": {"ListenerArn"},
    "AWS::AutoScaling::AutoScalingGroup": {"AutoScalingGroupName"},
    "AWS::Events::Rule": {"Name", "EventBusName"},
    "AWS::KMS::Alias": {"AliasName"},
    "AWS::SSM::Parameter": {"Name"},
    "AWS::SecretsManager::Secret": {"Name"},
    "AWS::Scheduler::Schedule": {"Name", "GroupName"},
    "AWS::Route53::RecordSet": {"Name", "HostedZoneId", "HostedZoneName", "Type"},
    "AWS::RDS::DBInstance": {"DBInstanceIdentifier", "DBName", "Engine", "KmsKeyId", "StorageEncrypted"},
    "AWS::ElastiCache::ReplicationGroup": {"ReplicationGroupId", "Engine"},
}
CONDITIONAL: dict[str, set[str]] = {
    "AWS::DynamoDB::Table": {"AttributeDefinitions"},
    "AWS::RDS::DBInstance": {"EngineVersion", "AvailabilityZone", "DBSnapshotIdentifier"},
}


def requires_recreation(resource_type: str, prop: str) -> str:
    if prop == "Tags":
        return NEVER
    table = REPLACEMENT.get(resource_type)
    if table is None:
        table = _model_replacement(resource_type)
    if EVERYTHING in table or prop in table:
        return ALWAYS
    if prop in CONDITIONAL.get(resource_type, ()):
        return CONDITIONALLY
    return NEVER


def _model_replacement(resource_type: str) -> set[str]:
    """REPLACE_ON of our extension models; else the name property moto knows for the type."""
    from core.local.extensions.registry import registered

    model = registered().get(resource_type)
    if model is not None and hasattr(model, "REPLACE_ON"):
        return set(model.REPLACE_ON) | ({model.cloudformation_name_type()} - {""})
    if resource_type == "AWS::ECS::Service":
        from core.local.extensions.ecs_service import REPLACE_ON

        return set(REPLACE_ON)
    try:
        from moto.cloudformation.parsing import get_name_type_map

        name = get_name_type_map().get(resource_type)
    except Exception:  # noqa: BLE001 - moto internals: no name property known
        name = None
    return {name} if name else set()


def _replacement_of(details: list[dict[str, Any]]) -> str:
    flags = [d["Target"].get("RequiresRecreation") for d in details]
    if any(f == ALWAYS and d["Evaluation"] == "Static" for f, d in zip(flags, details, strict=True)):
        return "True"
    if any(f in (ALWAYS, CONDITIONALLY) for f in flags):
        return "Conditional"
    return "False"


def _active(resources: dict[str, Any], conditions: dict[str, bool] | None) -> dict[str, Any]:
    if conditions is None:
        return resources
    return {k: v for k, v in resources.items() if not v.get("Condition") or conditions.get(v["Condition"], True)}


def resource_changes(
    old_template: dict[str, Any],
    new_template: dict[str, Any],
    *,
    old_parameters: dict[str, Any] | None = None,
    new_parameters: dict[str, Any] | None = None,
    physical_ids: dict[str, str] | None = None,
    old_conditions: dict[str, bool] | None = None,
    new_conditions: dict[str, bool] | None = None,
) -> list[dict[str, Any]]:
    """The Changes of going from old to new (old = {} for a stack being created)."""
    old = _active(old_template.get("Resources") or {}, old_conditions)
    new = _active(new_template.get("Resources") or {}, new_conditions)
    physical_ids = physical_ids or {}
    old_parameters, new_parameters = old_parameters or {}, new_parameters or {}
    changed_parameters = {
        name for name in set(old_parameters) | set(new_parameters)
        if str(old_parameters.get(name)) != str(new_parameters.get(name))
    }
    changes: dict[str, dict[str, Any]] = {}
    for name, body in new.items():
        if name not in old:
            changes[name] = {"Action": "Add", "LogicalResourceId": name, "ResourceType": body.get("Type"),
                             "Scope": [], "Details": []}
    for name, body in new.items():
        if name in old:
            details, scope = _static_details(old[name], body, changed_parameters)
            if details or scope:
                changes[name] = _modify(name, body, physical_ids, details, scope)
    # Propagate: resources whose references now resolve differently.
    while True:
        grown = False
        for name, body in new.items():
            if name not in old or (name in changes and changes[name]["Action"] == "Add"):
                continue
            props = body.get("Properties") or {}
            extra = _dynamic_details(body.get("Type", ""), props, changes)
            existing = changes.get(name)
            known = {(d["Target"].get("Name"), d.get("CausingEntity")) for d in existing["Details"]} if existing else set()
            extra = [d for d in extra if (d["Target"].get("Name"), d.get("CausingEntity")) not in known]
            if not extra:
                continue
            if existing is None:
                changes[name] = _modify(name, body, physical_ids, extra, ["Properties"])
            else:
                existing["Details"].extend(extra)
                if "Properties" not in existing["Scope"]:
                    existing["Scope"].append("Properties")
                existing["Replacement"] = _replacement_of(existing["Details"])
            grown = True
        if not grown:
            break
    for name, body in old.items():
        if name not in new:
            changes[name] = {"Action": "Remove", "LogicalResourceId": name, "ResourceType": body.get("Type"),
                             "Scope": [], "Details": []}
            if physical_ids.get(name):
                changes[name]["PhysicalResourceId"] = physical_ids[name]
    ordered = [changes[n] for n in list(new) + list(old) if n in changes]
    seen: set[str] = set()
    result = []
    for change in ordered:
        if change["LogicalResourceId"] not in seen:
            seen.add(change["LogicalResourceId"])
            result.append({"Type": "Resource", "ResourceChange": change})
    return result


def _modify(name, body, physical_ids, details, scope) -> dict[str, Any]:
    change = {
        "Action": "Modify",
        "LogicalResourceId": name,
        "ResourceType": body.get("Type"),
        "Replacement": _replacement_of(details),
        "Scope": scope,
        "Details": details,
    }
    if physical_ids.get(name):
        change["PhysicalResourceId"] = physical_ids[name]
    return change


def _static_details(old: dict[str, Any], new: dict[str, Any], changed_parameters: set[str]):
    resource_type = new.get("Type", "")
    details: list[dict[str, Any]] = []
    scope: list[str] = []
    if old.get("Type") != new.get("Type"):
        details.append({"Target": {"Attribute": "Properties", "Name": "Type", "RequiresRecreation": ALWAYS},
                        "Evaluation": "Static", "ChangeSource": "DirectModification"})
        scope.append("Properties")
    old_props, new_props = old.get("Properties") or {}, new.get("Properties") or {}
    for prop in sorted(set(old_props) | set(new_props)):
        attribute = "Tags" if prop == "Tags" else "Properties"
        target = {"Attribute": attribute, "Name": prop, "RequiresRecreation": requires_recreation(resource_type, prop)}
        if attribute == "Tags":
            target.pop("Name")
        before = len(details)
        if old_props.get(prop) != new_props.get(prop):
            details.append({"Target": target, "Evaluation": "Static", "ChangeSource": "DirectModification"})
        else:
            for param in sorted(references(new_props.get(prop)) & changed_parameters):
                details.append({"Target": dict(target), "Evaluation": "Static", "ChangeSource": "ParameterReference",
                                "CausingEntity": param})
        if len(details) > before and attribute not in scope:
            scope.append(attribute)
    if old.get("Metadata") != new.get("Metadata"):
        scope.append("Metadata")
    return details, scope


def _dynamic_details(resource_type: str, props: dict[str, Any], changes: dict[str, dict[str, Any]]):
    """Details for properties that Ref a replaced resource or GetAtt a changed one."""
    details = []
    for prop, value in props.items():
        target = {"Attribute": "Properties", "Name": prop, "RequiresRecreation": requires_recreation(resource_type, prop)}
        for ref in sorted(references(value)):
            change = changes.get(ref)
            if change and change["Action"] == "Modify" and change.get("Replacement") in ("True", "Conditional"):
                attrs = {a for r, a in attribute_references(value) if r == ref}
                if attrs:
                    continue  # reported below as a ResourceAttribute
                details.append({"Target": dict(target), "Evaluation": "Dynamic", "ChangeSource": "ResourceReference",
                                "CausingEntity": ref})
        for ref, attr in sorted(attribute_references(value)):
            change = changes.get(ref)
            if change and change["Action"] == "Modify":
                details.append({"Target": dict(target), "Evaluation": "Dynamic", "ChangeSource": "ResourceAttribute",
                                "CausingEntity": f"{ref}.{attr}"})
    return details


def actions(changes: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Logical ids by action: {"Add": [...], "Modify": [...], "Remove": [...]}."""
    out: dict[str, list[str]] = {"Add": [], "Modify": [], "Remove": []}
    for change in changes:
        rc = change["ResourceChange"]
        out[rc["Action"]].append(rc["LogicalResourceId"])
    return out

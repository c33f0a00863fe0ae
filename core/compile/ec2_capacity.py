"""EC2 capacity for a workload that lists `instanceTypes`.

The instances come from an auto scaling group driven by an ECS capacity
provider with managed scaling at 100 % target capacity, so no instance runs
without tasks on it. Tasks are binpacked on memory. AMIs are the
ECS-optimized Amazon Linux 2023 images, read from AWS's public SSM
parameters when the stack deploys (the compiler stays pure). A weekly
EventBridge Scheduler call starts an instance refresh (launch before
terminate, ECS drains the old instances) so instances stay patched.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import Base64, GetAtt, Ref, Sub, Tags, autoscaling, ec2, ecs, iam, scheduler

from core.compile.instance_types import architecture, known_families, usable_memory
from core.compile.policies import role_policy, service_trust

AMI_PARAMETERS = {
    "x86_64": ("EcsAmiX8664", "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"),
    "arm64": ("EcsAmiArm64", "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"),
}
REFRESH_SCHEDULE = "cron(0 3 ? * SUN *)"  # Sundays 03:00 UTC


@dataclass
class Ec2Plan:
    instance_types: list[str]
    architecture: str
    memory: int  # MiB per task
    cpu_units: int | None  # None: tasks share the instance's CPU


def plan(ctx, name: str, resources, where: str) -> Ec2Plan | None:
    """Check the instance settings and size the task; None (with problems recorded) if they cannot work."""
    types = [str(t) for t in ctx.static(resources.instanceTypes, f"{where}.instanceTypes", []) or []]
    if not types:
        ctx.invalid(name, "resources.instanceTypes is empty; list at least one EC2 instance type")
        return None
    arches = {t: architecture(t) for t in types}
    if len(set(arches.values())) > 1:
        listed = ", ".join(f"{t} ({a})" for t, a in arches.items())
        ctx.invalid(name, f"resources.instanceTypes mixes CPU architectures ({listed}); one image cannot run on both")
        return None
    arch = arches[types[0]]
    if "architecture" in resources.present() and resources.architecture != arch:
        ctx.invalid(name, f"resources.architecture is {resources.architecture}, but the instance types are {arch}")
    if resources.enableWarmPool and len(types) != 1:
        ctx.invalid(name, "resources.enableWarmPool needs exactly one instance type (AWS warm pools do not work with"
                          f" mixed instance types); {len(types)} are listed")
    known = {t: usable_memory(t) for t in types}
    memory = ctx.static(resources.memory, f"{where}.memory") if resources.memory is not None else None
    smallest = min(((m, t) for t, m in known.items() if m is not None), default=None)
    if memory is None:
        unknown = [t for t, m in known.items() if m is None]
        if unknown:
            ctx.invalid(name, f"resources.memory is not set and stp does not know how much memory {', '.join(unknown)}"
                              f" {'has' if len(unknown) == 1 else 'have'}; set resources.memory (MiB) or use a known"
                              f" family ({known_families()})")
            return None
        memory = smallest[0]
    elif smallest is not None and memory > smallest[0]:
        ctx.invalid(name, f"resources.memory {memory} MiB does not fit on {smallest[1]}, which leaves about"
                          f" {smallest[0]} MiB to tasks; lower memory or drop the smaller instance type")
    cpu = ctx.static(resources.cpu, f"{where}.cpu") if resources.cpu is not None else None
    return Ec2Plan(types, arch, int(memory), int(cpu * 1024) if cpu is not None else None)


def add_capacity(ctx, name: str, p: Ec2Plan, *, cluster, security_group, subnets, ready_ids, max_instances: int,
                 warm_pool: bool):
    """Instances for the cluster; returns the capacity provider and its cluster association."""
    add = lambda r: ctx.add(name, r)  # noqa: E731
    ami_id, ami_path = AMI_PARAMETERS[p.architecture]
    ami = ctx.shared_parameter(
        ami_id, Type="AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", Default=ami_path,
        Description=f"ECS-optimized Amazon Linux 2023 AMI ({p.architecture}), resolved from AWS's public SSM parameter",
    )
    role = add(iam.Role(
        ctx.id(name, "InstanceRole"),
        AssumeRolePolicyDocument=service_trust("ec2.amazonaws.com"),
        ManagedPolicyArns=[Sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role")],
    ))
    profile = add(iam.InstanceProfile(ctx.id(name, "InstanceProfile"), Roles=[Ref(role)]))
    config_lines = ["#!/bin/bash", "cat >> /etc/ecs/ecs.config <<'EOF'", "ECS_CLUSTER=${Cluster}", "ECS_AWSVPC_BLOCK_IMDS=true"]
    if warm_pool:
        config_lines.append("ECS_WARM_POOLS_CHECK=true")  # the agent must not register while the instance is warming
    config_lines.append("EOF")
    data = ec2.LaunchTemplateData(
        ImageId=Ref(ami),
        IamInstanceProfile=ec2.IamInstanceProfile(Arn=GetAtt(profile, "Arn")),
        SecurityGroupIds=[Ref(security_group)],
        UserData=Base64(Sub("\n".join(config_lines) + "\n", Cluster=Ref(cluster))),
        MetadataOptions=ec2.MetadataOptions(HttpTokens="required", HttpEndpoint="enabled", HttpPutResponseHopLimit=2),
        TagSpecifications=[ec2.TagSpecifications(ResourceType="instance", Tags=Tags(Name=f"{ctx.stack_name}-{name}"))],
    )
    if len(p.instance_types) == 1:
        data.InstanceType = p.instance_types[0]
    template = add(ec2.LaunchTemplate(ctx.id(name, "LaunchTemplate"), LaunchTemplateData=data))
    spec = autoscaling.LaunchTemplateSpecification(
        LaunchTemplateId=Ref(template), Version=GetAtt(template, "LatestVersionNumber")
    )
    group = autoscaling.AutoScalingGroup(
        ctx.id(name, "AutoScalingGroup"),
        MinSize="0", MaxSize=str(max(1, max_instances)), VPCZoneIdentifier=subnets,
        NewInstancesProtectedFromScaleIn=False, DependsOn=list(ready_ids),
        Tags=autoscaling.Tags(Name=f"{ctx.stack_name}-{name}"),
    )
    if len(p.instance_types) == 1:
        group.LaunchTemplate = spec
    else:  # first listed type preferred, the next ones only when it is not available
        group.MixedInstancesPolicy = autoscaling.MixedInstancesPolicy(
            LaunchTemplate=autoscaling.LaunchTemplate(
                LaunchTemplateSpecification=spec,
                Overrides=[autoscaling.LaunchTemplateOverrides(InstanceType=t) for t in p.instance_types],
            ),
            InstancesDistribution=autoscaling.InstancesDistribution(
                OnDemandAllocationStrategy="prioritized", OnDemandBaseCapacity=0, OnDemandPercentageAboveBaseCapacity=100
            ),
        )
    group = add(group)
    if warm_pool:
        add(autoscaling.WarmPool(
            ctx.id(name, "WarmPool"), AutoScalingGroupName=Ref(group), PoolState="Stopped", MinSize=0,
            InstanceReusePolicy=autoscaling.InstanceReusePolicy(ReuseOnScaleIn=True),
        ))
    _weekly_refresh(ctx, name, group)
    provider = add(ecs.CapacityProvider(
        ctx.id(name, "CapacityProvider"),
        AutoScalingGroupProvider=ecs.AutoScalingGroupProvider(
            AutoScalingGroupArn=Ref(group),
            ManagedScaling=ecs.ManagedScaling(Status="ENABLED", TargetCapacity=100),
            ManagedTerminationProtection="DISABLED",
            ManagedDraining="ENABLED",  # ECS moves tasks away before an instance is terminated
        ),
    ))
    association = add(ecs.ClusterCapacityProviderAssociations(
        ctx.id(name, "CapacityProviderAssociation"),
        Cluster=Ref(cluster), CapacityProviders=[Ref(provider)],
        DefaultCapacityProviderStrategy=[ecs.CapacityProviderStrategy(CapacityProvider=Ref(provider), Weight=1)],
    ))
    return provider, association


def _weekly_refresh(ctx, name: str, group) -> None:
    add = lambda r: ctx.add(name, r)  # noqa: E731
    role = add(iam.Role(
        ctx.id(name, "InstanceRefreshRole"),
        AssumeRolePolicyDocument=service_trust("scheduler.amazonaws.com"),
        Policies=[role_policy("start-instance-refresh", [{
            "Effect": "Allow",
            "Action": "autoscaling:StartInstanceRefresh",
            "Resource": Sub("arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:*"
                            ":autoScalingGroupName/${Group}", Group=Ref(group)),
        }])],
    ))
    add(scheduler.Schedule(
        ctx.id(name, "InstanceRefreshSchedule"),
        Description=f"Weekly instance refresh of {name} ({ctx.stack_name}) onto the latest ECS-optimized AMI",
        ScheduleExpression=REFRESH_SCHEDULE, ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow=scheduler.FlexibleTimeWindow(Mode="OFF"),
        Target=scheduler.Target(
            Arn=Sub("arn:${AWS::Partition}:scheduler:::aws-sdk:autoscaling:startInstanceRefresh"),
            RoleArn=GetAtt(role, "Arn"),
            Input=Sub('{"AutoScalingGroupName":"${Group}",'
                      '"Preferences":{"MinHealthyPercentage":100,"MaxHealthyPercentage":200}}', Group=Ref(group)),
        ),
    ))

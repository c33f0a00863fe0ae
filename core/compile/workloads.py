"""Container workloads → ECS: cluster, task definition, service, roles, security group, logs, scaling.

All four workload types go through one path (see ``workload_spec.expand``).
Tasks use the `awsvpc` network mode on Fargate and on EC2 alike, so the
containers of one task share `localhost` (that is what `workload-internal`
ports rely on) and every task gets the workload's security group; load
balancers can target task IPs the same way for both launch types.

What this module leaves to others it hands over through hooks (see
``registry.HOOK_KINDS``): traffic from gateways and load balancers
(``event``), connectTo access (``connect``), gradual releases
(``deployment``), log forwarding and volumes. A config that needs a hook
nobody has registered yet gets a clear "not compiled yet" problem instead
of a template that silently lacks the feature.
"""

from __future__ import annotations

import re

from troposphere import GetAtt, Ref, Sub, Tags, ec2, ecs, iam

from core.compile import ec2_capacity
from core.compile.containers import container_definition, log_group
from core.compile.context import FINISH_ORDER
from core.compile.directives import text
from core.compile.registry import compiler
from core.compile.scaling import add_scaling, instance_bounds
from core.compile.vpc import network, require_nat
from core.compile.workload_hooks import hand_over
from core.compile.workload_iam import attach_policies, ecs_tasks_trust, task_permissions
from core.compile.workload_spec import WORKLOAD_TYPES, CompiledWorkload, expand

# Fargate: memory sizes (MiB) allowed for each CPU size (vCPU)
FARGATE_MEMORY = {
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4097, 1024)),
    1: tuple(range(2048, 8193, 1024)),
    2: tuple(range(4096, 16385, 1024)),
    4: tuple(range(8192, 30721, 1024)),
    8: tuple(range(16384, 61441, 4096)),
    16: tuple(range(32768, 122881, 8192)),
}
_FAMILY_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def compile_workload(ctx, name: str, model) -> None:
    """All ECS resources of one container workload (any of the four types)."""
    spec = expand(name, model.type, model)
    props = spec.props
    where = f"resources.{name}.properties"
    if not _containers_ok(ctx, spec):
        return
    res = props.resources
    if res.instanceTypes is not None:
        plan = ec2_capacity.plan(ctx, name, res, f"{where}.resources")
        if plan is None:
            return
        launch, cpu, memory = "EC2", plan.cpu_units, plan.memory
    else:
        plan = None
        size = _fargate_size(ctx, name, res, f"{where}.resources")
        if size is None:
            return
        launch, (cpu, memory) = "FARGATE", size
    private = bool(ctx.static(props.usePrivateSubnetsWithNAT, f"{where}.usePrivateSubnetsWithNAT", False))
    net = require_nat(ctx) if private else network(ctx)
    if launch == "EC2" and not private:
        ctx.warn(name, "on EC2, AWS gives tasks no public IP, so in public subnets your containers cannot reach the"
                       " internet; set usePrivateSubnetsWithNAT: true if they need to")
    lo, hi = instance_bounds(ctx, name, props.scaling)
    add = lambda r: ctx.add(name, r)  # noqa: E731

    cluster = add(ecs.Cluster(ctx.id(name, "Cluster"), Tags=Tags(Name=f"{ctx.stack_name}-{name}")))
    sg = add(ec2.SecurityGroup(
        ctx.id(name, "SecurityGroup"),
        GroupDescription=f"Tasks of {name} in {ctx.stack_name}",
        VpcId=net.vpc,
        SecurityGroupEgress=[ec2.SecurityGroupRule(IpProtocol="-1", CidrIp="0.0.0.0/0", Description="any outbound")],
        Tags=Tags(Name=f"{ctx.stack_name}-{name}"),
    ))
    execution_role = add(iam.Role(
        ctx.id(name, "ExecutionRole"),
        AssumeRolePolicyDocument=ecs_tasks_trust(),
        ManagedPolicyArns=[Sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")],
    ))
    task_role = add(iam.Role(ctx.id(name, "TaskRole"), AssumeRolePolicyDocument=ecs_tasks_trust()))
    cw = CompiledWorkload(spec=spec, cluster=cluster, task_definition=None, service=None, security_group=sg,
                          task_role=task_role, execution_role=execution_role, launch_type=launch, private=private)

    for c in spec.containers:
        lg = log_group(ctx, cw, c)
        cw.containers[c.name] = container_definition(ctx, cw, c, lg)

    td = ecs.TaskDefinition(
        ctx.id(name, "TaskDefinition"),
        Family=_FAMILY_CHARS.sub("-", f"{ctx.stack_name}-{name}")[:255],
        RequiresCompatibilities=[launch], NetworkMode="awsvpc",
        Memory=str(memory),
        ExecutionRoleArn=GetAtt(execution_role, "Arn"), TaskRoleArn=GetAtt(task_role, "Arn"),
        ContainerDefinitions=list(cw.containers.values()),
    )
    if cpu is not None:
        td.Cpu = str(cpu)
    if launch == "FARGATE":
        arch = ctx.static(res.architecture, f"{where}.resources.architecture", "x86_64")
        td.RuntimePlatform = ecs.RuntimePlatform(
            CpuArchitecture="ARM64" if arch == "arm64" else "X86_64", OperatingSystemFamily="LINUX"
        )
    cw.task_definition = add(td)

    depends = net.ready_ids(private)
    service = ecs.Service(
        ctx.id(name, "Service"),
        Cluster=Ref(cluster), TaskDefinition=Ref(cw.task_definition), DesiredCount=lo,
        NetworkConfiguration=ecs.NetworkConfiguration(AwsvpcConfiguration=ecs.AwsvpcConfiguration(
            Subnets=net.subnets(private), SecurityGroups=[Ref(sg)],
            AssignPublicIp="ENABLED" if launch == "FARGATE" and not private else "DISABLED",
        )),
        EnableExecuteCommand=bool(ctx.static(props.enableRemoteSessions, f"{where}.enableRemoteSessions", False)),
        DeploymentConfiguration=ecs.DeploymentConfiguration(
            MaximumPercent=200, MinimumHealthyPercent=100,
            DeploymentCircuitBreaker=ecs.DeploymentCircuitBreaker(Enable=True, Rollback=True),
        ),
        EnableECSManagedTags=True, PropagateTags="SERVICE",
    )
    if launch == "FARGATE":
        service.LaunchType = "FARGATE"
    else:
        provider, association = ec2_capacity.add_capacity(
            ctx, name, plan, cluster=cluster, security_group=sg, subnets=net.subnets(private), ready_ids=depends,
            max_instances=hi, warm_pool=bool(res.enableWarmPool),
        )
        service.CapacityProviderStrategy = [ecs.CapacityProviderStrategyItem(CapacityProvider=Ref(provider), Weight=1)]
        service.PlacementStrategies = [ecs.PlacementStrategy(Type="binpack", Field="memory")]
        depends = depends + [association.title]
    service.DependsOn = depends
    cw.service = add(service)
    add_scaling(ctx, name, props.scaling, cluster, cw.service)

    ctx.output(name, "serviceName", ctx.id(name, "ServiceName"), GetAtt(cw.service, "Name"), f"ECS service of {name}")
    ctx.output(name, "clusterName", ctx.id(name, "ClusterName"), Ref(cluster), f"ECS cluster of {name}")
    for cname, lg in cw.log_groups.items():
        c = next(x for x in spec.containers if x.name == cname)
        ctx.output(name, f"logGroup:{cname}", ctx.id(name, c.id_part, "LogGroupName"), Ref(lg),
                   f"Log group of container {cname} of {name}")
    ctx.workloads[name] = cw
    task_permissions(ctx, cw)
    hand_over(ctx, cw)
    ctx.defer(lambda: attach_policies(ctx, cw), FINISH_ORDER)


for _t in WORKLOAD_TYPES:
    compiler(_t)(compile_workload)


# --- checks -------------------------------------------------------------------------------------


def _containers_ok(ctx, spec) -> bool:
    name = spec.name
    ok = True
    by_name = {}
    for c in spec.containers:
        if c.name in by_name:
            ctx.invalid(name, f"two containers are named '{c.name}'; container names must be unique in a workload")
            ok = False
        by_name[c.name] = c
    if not any(c.essential for c in spec.containers):
        ctx.invalid(name, "no container is essential; ECS needs at least one (set essential: true on the main one)")
        ok = False
    for c in spec.containers:
        for dep, condition in c.depends_on:
            target = by_name.get(dep)
            if target is None or target is c:
                what = "itself" if target is c else f"'{dep}', which is not a container of this workload"
                ctx.invalid(name, f"container '{c.name}' depends on {what}")
                ok = False
            elif condition == "HEALTHY" and target.health_check is None:
                ctx.invalid(name, f"container '{c.name}' waits for '{dep}' to be HEALTHY, but '{dep}' has no"
                                  " internalHealthCheck")
                ok = False
            elif condition in ("COMPLETE", "SUCCESS") and target.essential:
                ctx.invalid(name, f"container '{c.name}' waits for '{dep}' to finish ({condition}), but '{dep}' is"
                                  " essential and stopping it would stop the whole task; set essential: false on it")
                ok = False
    return ok


def _fargate_size(ctx, name: str, res, where: str):
    cpu = ctx.static(res.cpu, f"{where}.cpu") if res.cpu is not None else None
    memory = ctx.static(res.memory, f"{where}.memory") if res.memory is not None else None
    if cpu is None or memory is None:
        ctx.invalid(name, "Fargate needs both resources.cpu and resources.memory (or list resources.instanceTypes to"
                          " run on EC2)")
        return None
    if res.enableWarmPool:
        ctx.invalid(name, "resources.enableWarmPool works only with resources.instanceTypes (EC2)")
    allowed = FARGATE_MEMORY.get(cpu)
    if allowed is None:
        ctx.invalid(name, f"Fargate has no {text(cpu)} vCPU size; use one of {', '.join(map(text, FARGATE_MEMORY))}")
        return None
    if memory not in allowed:
        step = allowed[1] - allowed[0]
        ctx.invalid(name, f"Fargate with {text(cpu)} vCPU takes memory from {allowed[0]} to {allowed[-1]} MiB in steps"
                          f" of {step}; {memory} is not one of them")
        return None
    return int(cpu * 1024), int(memory)

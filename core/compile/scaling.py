"""Application Auto Scaling for an ECS service: one target, two target-tracking policies.

Two policies (CPU and memory) give exactly the behaviour users are promised:
the service scales out when either average is above its target and scales in
only when both are below. Scale-out reacts after a minute, scale-in waits
five, so a short dip does not remove capacity that is needed again soon.
"""

from __future__ import annotations

from troposphere import GetAtt, Join, Ref
from troposphere import applicationautoscaling as aas

SCALE_OUT_COOLDOWN, SCALE_IN_COOLDOWN = 60, 300
DEFAULT_TARGET = 80.0


def instance_bounds(ctx, name: str, scaling) -> tuple[int, int]:
    """(min, max) instances of a workload, with defaults."""
    if scaling is None:
        return 1, 1
    where = f"resources.{name}.properties.scaling"
    lo = int(ctx.static(scaling.minInstances, f"{where}.minInstances", 1))
    hi = int(ctx.static(scaling.maxInstances, f"{where}.maxInstances", 1))
    if lo < 1:
        ctx.invalid(name, f"scaling.minInstances is {lo}; container workloads run at least 1 instance")
    if hi < lo:
        ctx.invalid(name, f"scaling.maxInstances ({hi}) is below scaling.minInstances ({lo})")
    return lo, hi


def add_scaling(ctx, name: str, scaling, cluster, service) -> None:
    """Scaling resources, when the workload can scale (max above min or a policy given)."""
    lo, hi = instance_bounds(ctx, name, scaling)
    policy = scaling.scalingPolicy if scaling is not None else None
    if hi <= lo and policy is None:
        return
    where = f"resources.{name}.properties.scaling.scalingPolicy"
    target = ctx.add(name, aas.ScalableTarget(
        ctx.id(name, "ScalableTarget"),
        MinCapacity=lo, MaxCapacity=max(lo, hi),
        ResourceId=Join("/", ["service", Ref(cluster), GetAtt(service, "Name")]),
        ScalableDimension="ecs:service:DesiredCount", ServiceNamespace="ecs",
    ))
    cpu = ctx.static(policy.keepAvgCpuUtilizationUnder, f"{where}.keepAvgCpuUtilizationUnder", DEFAULT_TARGET) if policy else DEFAULT_TARGET
    mem = ctx.static(policy.keepAvgMemoryUtilizationUnder, f"{where}.keepAvgMemoryUtilizationUnder", DEFAULT_TARGET) if policy else DEFAULT_TARGET
    for label, metric, value in (("Cpu", "ECSServiceAverageCPUUtilization", cpu),
                                 ("Memory", "ECSServiceAverageMemoryUtilization", mem)):
        ctx.add(name, aas.ScalingPolicy(
            ctx.id(name, label, "ScalingPolicy"),
            PolicyName=f"{ctx.stack_name}-{name}-{label.lower()}",
            PolicyType="TargetTrackingScaling",
            ScalingTargetId=Ref(target),
            TargetTrackingScalingPolicyConfiguration=aas.TargetTrackingScalingPolicyConfiguration(
                TargetValue=float(value),
                PredefinedMetricSpecification=aas.PredefinedMetricSpecification(PredefinedMetricType=metric),
                ScaleOutCooldown=SCALE_OUT_COOLDOWN, ScaleInCooldown=SCALE_IN_COOLDOWN,
            ),
        ))

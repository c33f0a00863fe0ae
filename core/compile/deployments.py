"""Gradual releases of container workloads with ECS's own deployment strategies (no CodeDeploy).

`deployment.strategy` becomes `DeploymentConfiguration.Strategy` of the ECS service:
`Canary10Percent<N>Minutes` → CANARY (10 % first, the rest after N minutes),
`Linear10PercentEvery<N>Minute(s)` → LINEAR (10 % more every N minutes), `AllAtOnce` →
BLUE_GREEN (the new revision starts beside the old one, then takes all traffic at once).
Either way the old revision stays up for BAKE_TIME_MINUTES after the last shift, so a
failed hook or a tripped circuit breaker rolls back without starting anything.

ECS shifts traffic by changing the weights of a listener rule that forwards to two
target groups, so for every application-load-balancer rule of the workload (ingress
gives each one its own target group when a deployment is set) this module adds the
alternate target group, makes the rule forward to both (100 / 0), and tells ECS about
the pair in the service's `LoadBalancers[].AdvancedConfiguration`, with a role ECS
assumes to change the rules. A test listener (on `testListenerPort`; by default 8443
next to HTTPS 443 or 8080 next to HTTP 80 when `beforeAllowTrafficFunction` needs one)
gets a copy of each rule, which ECS points at the new revision before production.

Hook functions run as ECS lifecycle hooks: `beforeAllowTrafficFunction` once test
traffic reaches the new revision (POST_TEST_TRAFFIC_SHIFT), `afterTrafficShiftFunction`
once production traffic has moved (POST_PRODUCTION_TRAFFIC_SHIFT). ECS invokes them with
the same role and reads the verdict from their return value
(``{"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS"}``), not from CodeDeploy calls.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, ecs, iam
from troposphere import elasticloadbalancingv2 as elb

from core.compile.ingress import add_depends_on, alb_bindings, alb_listener, function_arn, state, take_priority
from core.compile.policies import role_policy, service_trust
from core.compile.registry import hook

# strategy → (ECS strategy, percent of traffic per step, minutes between steps)
STRATEGIES = {
    "Canary10Percent5Minutes": ("CANARY", 10.0, 5),
    "Canary10Percent10Minutes": ("CANARY", 10.0, 10),
    "Canary10Percent15Minutes": ("CANARY", 10.0, 15),
    "Canary10Percent30Minutes": ("CANARY", 10.0, 30),
    "Linear10PercentEvery1Minute": ("LINEAR", 10.0, 1),
    "Linear10PercentEvery2Minutes": ("LINEAR", 10.0, 2),
    "Linear10PercentEvery3Minutes": ("LINEAR", 10.0, 3),
    "Linear10PercentEvery10Minutes": ("LINEAR", 10.0, 10),
    "AllAtOnce": ("BLUE_GREEN", None, None),
}
ALIASES = {"Linear10PercentEvery1Minutes": "Linear10PercentEvery1Minute"}  # another spelling users write
BAKE_TIME_MINUTES = 5  # the old revision stays ready for an instant rollback this long after the last shift
BEFORE_ALLOW_TRAFFIC_STAGES = ["POST_TEST_TRAFFIC_SHIFT"]
AFTER_TRAFFIC_SHIFT_STAGES = ["POST_PRODUCTION_TRAFFIC_SHIFT"]
DEFAULT_TEST_PORTS = {443: 8443, 80: 8080}  # test listener next to a default production listener
LB_POLICY = "arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"


def _forward_both(primary, alternate):
    """Forward to the pair; ECS moves the weights during a deployment."""
    return [elb.ListenerRuleAction(Type="forward", ForwardConfig=elb.ForwardConfig(TargetGroups=[
        elb.TargetGroupTuple(TargetGroupArn=Ref(primary), Weight=100),
        elb.TargetGroupTuple(TargetGroupArn=Ref(alternate), Weight=0),
    ]))]


def _hook_functions(ctx, cw, dep, where: str) -> list[tuple[str, list[str], object]]:
    out = []
    for attr, stages in (("beforeAllowTrafficFunction", BEFORE_ALLOW_TRAFFIC_STAGES),
                         ("afterTrafficShiftFunction", AFTER_TRAFFIC_SHIFT_STAGES)):
        value = getattr(dep, attr)
        if value is None:
            continue
        fn = str(ctx.static(value, f"{where}.{attr}", ""))
        if ctx.type_of(fn) != "function":
            ctx.invalid(f"{where}.{attr}", f"'{fn}' is not a function of this config")
            continue
        out.append((fn, stages, function_arn(ctx, fn)))
    return out


def _test_port(ctx, dep, bindings, where: str) -> int | None:
    if dep.testListenerPort is not None:
        return int(ctx.static(dep.testListenerPort, f"{where}.testListenerPort", 0)) or None
    if dep.beforeAllowTrafficFunction is None:
        return None
    ports = {DEFAULT_TEST_PORTS.get(b.listener_port) for b in bindings}
    if not any(b.alb.custom for b in bindings) and len(ports) == 1 and None not in ports:
        return ports.pop()
    ctx.invalid(where, "beforeAllowTrafficFunction reaches the new version through a test listener, and stp cannot pick"
                       " its port for load balancers with custom listeners: set testListenerPort")
    return None


def _lb_entry(cw, target_group):
    for entry in cw.service.properties.get("LoadBalancers", []):
        arn = entry.properties.get("TargetGroupArn")
        if getattr(arn, "data", None) == {"Ref": target_group.title}:
            return entry
    return None


@hook("deployment", "ecs")
def ecs_deployment(ctx, cw) -> None:
    dep = cw.spec.deployment
    where = f"resources.{cw.name}.properties.deployment"
    strategy = str(ctx.static(dep.strategy, f"{where}.strategy", ""))
    strategy = ALIASES.get(strategy, strategy)
    if strategy not in STRATEGIES:
        ctx.invalid(f"{where}.strategy", f"'{strategy}' is not a deployment strategy; use one of {', '.join(STRATEGIES)}")
        return
    bindings = alb_bindings(ctx, cw.name)
    if not bindings and any(t.event_type == "application-load-balancer" for t in cw.events):
        return  # its load-balancer rules could not be compiled; that is reported already
    if not bindings:
        ctx.invalid(where, "gradual deployments shift traffic through an application load balancer, but no"
                           " application-load-balancer event reaches this workload")
        return
    bound = {b.target_group.title for b in bindings}
    others = [e for e in cw.service.properties.get("LoadBalancers", [])
              if getattr(e.properties.get("TargetGroupArn"), "data", {}).get("Ref") not in bound]
    if others:
        ctx.invalid(where, "gradual deployments shift application-load-balancer traffic only; this workload also"
                           " receives network-load-balancer traffic, which ECS cannot shift with it")
        return
    if cw.name in state(ctx).registries:
        ctx.warn(where, "HTTP API gateway requests reach new tasks as soon as they start: only application-load-balancer"
                        " traffic moves gradually")
    kind, percent, minutes = STRATEGIES[strategy]
    # ECS itself (not its tasks) assumes the role to change listener rules and invoke hooks
    role = ctx.add(cw.name, iam.Role(
        ctx.id(cw.name, "DeploymentRole"),
        AssumeRolePolicyDocument=service_trust("ecs.amazonaws.com", this_account_only=False), ManagedPolicyArns=[Sub(LB_POLICY)],
    ))
    hooks = _hook_functions(ctx, cw, dep, where)
    if hooks:
        role.Policies = [role_policy(f"{ctx.stack_name}-{cw.name}-deployment-hooks", [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": [arn for _, _, arn in hooks]},
        ])]
    test_port = _test_port(ctx, dep, bindings, where)
    for b in bindings:
        alb = b.alb
        alternate = ctx.add(cw.name, elb.TargetGroup(
            ctx.id(cw.name, alb.ref_part, b.rule_part, "AlternateTargetGroup"), **dict(b.target_group.properties)))
        b.rule.Actions = _forward_both(b.target_group, alternate)
        advanced = ecs.AdvancedConfiguration(
            AlternateTargetGroupArn=Ref(alternate), ProductionListenerRule=Ref(b.rule), RoleArn=GetAtt(role, "Arn"))
        if test_port is not None:
            if test_port == b.listener_port:
                ctx.invalid(f"{where}.testListenerPort", f"port {test_port} serves production traffic; the test listener"
                                                         " needs a port of its own")
                return
            listener = alb_listener(ctx, alb, test_port, like=b.listener_port, where=f"{where}.testListenerPort")
            if listener is None:
                return
            who = f"test traffic of '{cw.name}'"
            reserved = state(ctx).reserved or {}
            same = b.priority not in alb.used.get(test_port, {}) and (alb.key, test_port, b.priority) not in reserved
            priority = take_priority(ctx, alb, test_port, who, b.priority if same else None, where)
            test_rule = ctx.add(cw.name, elb.ListenerRule(
                ctx.id(cw.name, alb.ref_part, b.rule_part, "TestRule"), ListenerArn=Ref(listener), Priority=priority,
                Conditions=b.conditions, Actions=_forward_both(b.target_group, alternate),
            ))
            advanced.TestListenerRule = Ref(test_rule)
            add_depends_on(cw.service, test_rule.title)
        entry = _lb_entry(cw, b.target_group)
        if entry is not None:
            entry.AdvancedConfiguration = advanced
    config = cw.service.DeploymentConfiguration
    config.Strategy = kind
    config.BakeTimeInMinutes = BAKE_TIME_MINUTES
    if kind == "CANARY":
        config.CanaryConfiguration = ecs.CanaryConfiguration(CanaryPercent=percent, CanaryBakeTimeInMinutes=minutes)
    elif kind == "LINEAR":
        config.LinearConfiguration = ecs.LinearConfiguration(StepPercent=percent, StepBakeTimeInMinutes=minutes)
    if hooks:
        config.LifecycleHooks = [
            ecs.DeploymentLifecycleHook(HookTargetArn=arn, LifecycleStages=list(stages), RoleArn=GetAtt(role, "Arn"))
            for _, stages, arn in hooks
        ]
    cw.service.DeploymentController = ecs.DeploymentController(Type="ECS")

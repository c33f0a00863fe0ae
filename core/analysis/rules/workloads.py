"""Container workloads: containers, ports, Fargate sizes, scaling, health checks, deployments.

Checks run on the validated models (``entry.props``), so types are already
right; a value may still be a ``$Directive(...)`` (resolved at deploy time),
and numeric checks skip those. Whether referenced resources exist is
references.py's business; here we only look at what a reference *means*
(e.g. the listeners of the load balancer a deployment goes through).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.analysis.diagnostics import WARNING
from core.analysis.rules import rule

WORKLOAD_TYPES = ("multi-container-workload", "web-service", "private-service", "worker-service")

# AWS Fargate: vCPU → the memory sizes (MiB) a task of that size may have
FARGATE_MEMORY: dict[float, tuple[int, ...]] = {
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4096 + 1, 1024)),
    1: tuple(range(2048, 8192 + 1, 1024)),
    2: tuple(range(4096, 16384 + 1, 1024)),
    4: tuple(range(8192, 30720 + 1, 1024)),
    8: tuple(range(16384, 61440 + 1, 4096)),
    16: tuple(range(32768, 122880 + 1, 8192)),
}


# --- helpers -------------------------------------------------------------------------------------


def num(value):
    """The value when it is a plain number (not a bool, not a directive), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def fmt(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def was_set(model, name: str) -> bool:
    return model is not None and name in model.model_fields_set


def where(ctx, path) -> str:
    """'line N' of a config path, for messages that point at another place."""
    return f"line {ctx.span(path).line + 1}"


@dataclass
class Container:
    """One container of a workload, wherever it is written.

    ``kind`` is ``container`` (multi-container-workload), ``side`` (sideContainers)
    or ``main`` (the implicit container of a single-container service, whose
    settings sit directly in ``properties`` and which has no name).
    """

    name: object
    path: tuple
    model: object
    kind: str
    events: list = field(default_factory=list)  # (event path, event model)

    @property
    def label(self) -> str:
        return f"container '{self.name}'" if self.kind != "main" else "the main container"


def containers(entry) -> list[Container]:
    props = entry.props
    ppath = entry.path + ("properties",)
    out: list[Container] = []
    if entry.type == "multi-container-workload":
        for i, c in enumerate(props.containers or []):
            cpath = ppath + ("containers", i)
            events = [(cpath + ("events", j), ev) for j, ev in enumerate(c.events or [])]
            out.append(Container(c.name, cpath, c, "container", events))
    else:
        out.append(Container(None, ppath, props, "main"))
        for i, c in enumerate(props.sideContainers or []):
            out.append(Container(c.name, ppath + ("sideContainers", i), c, "side"))
    return out


def workloads(ctx):
    for entry in ctx.of_type(*WORKLOAD_TYPES):
        if entry.props is not None:
            yield entry


def raw_listeners(ctx, lb_name) -> list | None:
    """Custom listeners of a load balancer as written (None: it has none / it is not a load balancer)."""
    target = ctx.resources.get(lb_name) if isinstance(lb_name, str) else None
    body = target.data if target is not None and isinstance(target.data, dict) else {}
    props = body.get("properties")
    listeners = props.get("listeners") if isinstance(props, dict) else None
    return listeners if isinstance(listeners, list) and listeners else None


# --- containers ----------------------------------------------------------------------------------


@rule("duplicate-container-name", "Container names are unique within a workload")
def duplicate_container_names(ctx):
    for entry in workloads(ctx):
        seen: dict = {}
        for c in containers(entry):
            if c.kind == "main" or not isinstance(c.name, str):
                continue
            first = seen.setdefault(c.name, c)
            if first is not c:
                ctx.report(
                    "duplicate-container-name",
                    f"Container name '{c.name}' is already used in this workload ({where(ctx, first.path + ('name',))})."
                    " Give each container (and side container) its own name.",
                    c.path + ("name",),
                )


@rule("container-depends-on-itself", "A container's dependsOn does not name the container itself")
def self_dependency(ctx):
    for entry in workloads(ctx):
        for c in containers(entry):
            if c.kind == "main":
                continue
            for i, dep in enumerate(c.model.dependsOn or []):
                if isinstance(c.name, str) and dep.containerName == c.name:
                    ctx.report(
                        "container-depends-on-itself",
                        f"Container '{c.name}' cannot wait for itself. Name another container of this workload"
                        " in dependsOn, or remove this entry.",
                        c.path + ("dependsOn", i, "containerName"),
                    )


@rule("container-dependency-cycle", "Containers do not wait for each other in a circle")
def dependency_cycles(ctx):
    for entry in workloads(ctx):
        conts = [c for c in containers(entry) if c.kind != "main" and isinstance(c.name, str)]
        by_name = {}
        for c in conts:
            by_name.setdefault(c.name, c)
        edges = {
            name: [(i, d.containerName) for i, d in enumerate(c.model.dependsOn or [])
                   if d.containerName in by_name and d.containerName != name]
            for name, c in by_name.items()
        }
        reported: set = set()
        for start in by_name:
            # depth-first search for a way from `start` back to itself
            stack = [[start]]
            visited = set()
            while stack:
                trail = stack.pop()
                for _i, nxt in edges[trail[-1]]:
                    if nxt == start:
                        cycle = frozenset(trail)
                        if cycle in reported:
                            continue
                        reported.add(cycle)
                        at = next(j for j, n in edges[start] if n == trail[1])
                        ring = " → ".join(trail + [start])
                        ctx.report(
                            "container-dependency-cycle",
                            f"The containers wait for each other in a circle ({ring}), so none of them would ever"
                            " start. Remove one of these dependsOn entries.",
                            by_name[start].path + ("dependsOn", at, "containerName"),
                        )
                    elif nxt not in visited:
                        visited.add(nxt)
                        stack.append(trail + [nxt])


@rule("depends-on-healthy-without-health-check", "HEALTHY dependencies name a container that has a health check")
def healthy_needs_check(ctx):
    for entry in workloads(ctx):
        conts = containers(entry)
        by_name = {c.name: c for c in reversed(conts) if c.kind != "main" and isinstance(c.name, str)}
        for c in conts:
            if c.kind == "main":
                continue
            for i, dep in enumerate(c.model.dependsOn or []):
                target = by_name.get(dep.containerName)
                if dep.condition == "HEALTHY" and target is not None and target.model.internalHealthCheck is None:
                    ctx.report(
                        "depends-on-healthy-without-health-check",
                        f"Condition HEALTHY waits for the health check of '{dep.containerName}', but that container"
                        " has no internalHealthCheck, so it would never become healthy. Add an internalHealthCheck"
                        " to it, or wait for START instead.",
                        c.path + ("dependsOn", i, "condition"),
                    )


@rule("depends-on-essential-container", "COMPLETE/SUCCESS dependencies name a non-essential container")
def completion_of_essential(ctx):
    for entry in workloads(ctx):
        conts = containers(entry)
        by_name = {c.name: c for c in reversed(conts) if c.kind != "main" and isinstance(c.name, str)}
        for c in conts:
            if c.kind == "main":
                continue
            for i, dep in enumerate(c.model.dependsOn or []):
                target = by_name.get(dep.containerName)
                if dep.condition not in ("COMPLETE", "SUCCESS") or target is None:
                    continue
                essential = target.model.essential
                # containers of a multi-container-workload are essential unless told otherwise
                if essential is True or (essential is None and target.kind == "container"):
                    ctx.report(
                        "depends-on-essential-container",
                        f"Condition {dep.condition} waits for '{dep.containerName}' to exit, but it is an essential"
                        " container: its exit would stop the whole workload instance. Set 'essential: false' on"
                        f" '{dep.containerName}', or wait for START or HEALTHY instead.",
                        c.path + ("dependsOn", i, "condition"),
                    )


@rule("duplicate-container-port", "Two containers of a workload do not use the same port")
def duplicate_ports(ctx):
    for entry in workloads(ctx):
        owner: dict = {}  # port → (container, path of its first use)
        for c in containers(entry):
            for epath, ev in c.events:
                port = num(ev.properties.containerPort)
                if port is None:
                    continue
                ppath = epath + ("properties", "containerPort")
                first = owner.setdefault(port, (c, ppath))
                if first[0] is not c:
                    ctx.report(
                        "duplicate-container-port",
                        f"Port {fmt(port)} is already used by {first[0].label} ({where(ctx, first[1])}). Containers of"
                        " one workload share a network interface, so each needs its own port.",
                        ppath,
                    )


# --- compute resources ---------------------------------------------------------------------------


def _memory_text(values) -> str:
    values = list(values)
    if len(values) <= 4:
        return ", ".join(map(str, values[:-1])) + f" or {values[-1]}"
    step = values[1] - values[0]
    return f"{values[0]} to {values[-1]} (in steps of {step})"


@rule("fargate-cpu-memory", "Fargate cpu and memory form an allowed pair")
def fargate_sizes(ctx):
    for entry in workloads(ctx):
        res = entry.props.resources
        if res.instanceTypes:
            continue  # EC2: sized by the instance types
        cpu, memory = num(res.cpu), num(res.memory)
        if cpu is None or memory is None or float(cpu) not in FARGATE_MEMORY:
            continue
        allowed = FARGATE_MEMORY[float(cpu)]
        if memory in allowed:
            continue
        fits = [fmt(c) for c, mems in FARGATE_MEMORY.items() if memory in mems]
        nearest = sorted(allowed, key=lambda m: (abs(m - memory), m))[:2]
        msg = (f"Fargate does not offer {fmt(cpu)} vCPU with {fmt(memory)} MiB. With cpu {fmt(cpu)} the memory must be"
               f" {_memory_text(allowed)} MiB.")
        if fits:
            either = fits[0] if len(fits) == 1 else ", ".join(fits[:-1]) + f" or {fits[-1]}"
            msg += f" {fmt(memory)} MiB goes with cpu {either}."
        ctx.report("fargate-cpu-memory", msg, entry.path + ("properties", "resources", "memory"),
                   replace_with=[str(m) for m in nearest])


@rule("workload-resources-incomplete", "resources gives cpu and memory (Fargate) or instanceTypes (EC2)")
def resources_complete(ctx):
    for entry in workloads(ctx):
        res = entry.props.resources
        rpath = entry.path + ("properties", "resources")
        if res.instanceTypes is not None:
            if not res.instanceTypes:
                ctx.report(
                    "workload-resources-incomplete",
                    "instanceTypes is empty. List at least one EC2 instance type (e.g. c5.large), or remove it and"
                    " give cpu and memory to run on Fargate.",
                    rpath + ("instanceTypes",),
                )
            continue
        missing = [k for k in ("cpu", "memory") if getattr(res, k) is None]
        if not missing:
            continue
        if len(missing) == 2:
            msg = ("The workload needs a size: give cpu and memory to run on Fargate (e.g. cpu: 0.25 with"
                   " memory: 512), or instanceTypes to run on EC2.")
        else:
            have = "memory" if missing == ["cpu"] else "cpu"
            msg = (f"Fargate needs both cpu and memory, but only {have} is given. Add {missing[0]}"
                   " (or list instanceTypes to run on EC2).")
        ctx.report("workload-resources-incomplete", msg, rpath, on="key", missing=missing)


@rule("warm-pool-instance-types", "enableWarmPool is used with exactly one instance type")
def warm_pool(ctx):
    for entry in workloads(ctx):
        res = entry.props.resources
        if res.enableWarmPool is not True:
            continue
        count = len(res.instanceTypes or [])
        if count == 1:
            continue
        if count == 0:
            msg = ("A warm pool keeps stopped EC2 instances ready, so it needs EC2: list exactly one instance type in"
                   " instanceTypes, or remove enableWarmPool.")
        else:
            msg = (f"A warm pool works with a single instance type, but {count} are listed. Keep one instance type,"
                   " or remove enableWarmPool.")
        ctx.report("warm-pool-instance-types", msg, entry.path + ("properties", "resources", "enableWarmPool"), on="key")


@rule("architecture-fargate-only", "architecture is set only for Fargate")
def architecture(ctx):
    for entry in workloads(ctx):
        res = entry.props.resources
        if res.instanceTypes and was_set(res, "architecture"):
            ctx.report(
                "architecture-fargate-only",
                "architecture applies to Fargate only; on EC2 the instance types decide it (e.g. c6g.large is arm64)."
                " Remove architecture, or remove instanceTypes to run on Fargate.",
                entry.path + ("properties", "resources", "architecture"),
                on="key",
            )


# --- scaling -------------------------------------------------------------------------------------


@rule("scaling-instances", "minInstances is at least 1 and not above maxInstances")
def scaling_instances(ctx):
    for entry in workloads(ctx):
        sc = entry.props.scaling
        if sc is None:
            continue
        spath = entry.path + ("properties", "scaling")
        lo, hi = num(sc.minInstances), num(sc.maxInstances)
        if lo is not None and lo < 1:
            ctx.report(
                "scaling-instances",
                f"minInstances must be at least 1: container workloads cannot scale to zero and always keep an"
                f" instance running (got {fmt(lo)}).",
                spath + ("minInstances",),
                replace_with=["1"],
            )
        if hi is not None and hi < 1:
            ctx.report("scaling-instances", f"maxInstances must be at least 1 (got {fmt(hi)}).",
                       spath + ("maxInstances",), replace_with=["1"])
        elif lo is not None and hi is not None and lo > hi:
            if was_set(sc, "maxInstances"):
                ctx.report(
                    "scaling-instances",
                    f"maxInstances ({fmt(hi)}) is below minInstances ({fmt(lo)}). Raise maxInstances to at least"
                    f" {fmt(lo)} or lower minInstances.",
                    spath + ("maxInstances",),
                    replace_with=[fmt(lo)],
                )
            else:
                ctx.report(
                    "scaling-instances",
                    f"minInstances is {fmt(lo)} but maxInstances is not set and defaults to 1. Add"
                    f" 'maxInstances: {fmt(lo)}' (or more).",
                    spath + ("minInstances",),
                )


@rule("scaling-policy-percent", "Scaling policy targets are percentages from 1 to 100")
def scaling_percent(ctx):
    for entry in workloads(ctx):
        sc = entry.props.scaling
        pol = sc.scalingPolicy if sc is not None else None
        if pol is None:
            continue
        for key, what in (("keepAvgCpuUtilizationUnder", "CPU"), ("keepAvgMemoryUtilizationUnder", "memory")):
            v = num(getattr(pol, key))
            if v is not None and was_set(pol, key) and not 1 <= v <= 100:
                ctx.report(
                    "scaling-policy-percent",
                    f"{key} is a percentage of the {what} available to an instance: use a value from 1 to 100"
                    f" (got {fmt(v)}).",
                    entry.path + ("properties", "scaling", "scalingPolicy", key),
                )


# --- timeouts and health checks ------------------------------------------------------------------


def _range(ctx, code, model, key, lo, hi, path, what):
    v = num(getattr(model, key, None))
    if v is not None and was_set(model, key) and not lo <= v <= hi:
        ctx.report(code, f"{key} must be from {lo} to {hi} {what} (got {fmt(v)}).", path + (key,),
                   replace_with=[str(min(max(v, lo), hi))])
        return True
    return False


@rule("stop-timeout-range", "stopTimeout is 2-120 seconds")
def stop_timeout(ctx):
    for entry in workloads(ctx):
        for c in containers(entry):
            v = num(c.model.stopTimeout)
            if v is not None and was_set(c.model, "stopTimeout") and not 2 <= v <= 120:
                ctx.report(
                    "stop-timeout-range",
                    f"stopTimeout is the grace period between SIGTERM and SIGKILL and must be 2 to 120 seconds"
                    f" (got {fmt(v)}).",
                    c.path + ("stopTimeout",),
                    replace_with=[str(min(max(v, 2), 120))],
                )


@rule("internal-health-check-range", "internalHealthCheck timings are within the ECS limits")
def internal_health_check(ctx):
    limits = (("intervalSeconds", 5, 300, "seconds"), ("timeoutSeconds", 2, 60, "seconds"),
              ("retries", 1, 10, "attempts"), ("startPeriodSeconds", 0, 300, "seconds"))
    for entry in workloads(ctx):
        for c in containers(entry):
            hc = c.model.internalHealthCheck
            if hc is None:
                continue
            for key, lo, hi, what in limits:
                _range(ctx, "internal-health-check-range", hc, key, lo, hi, c.path + ("internalHealthCheck",), what)


@rule("health-check-command", "internalHealthCheck commands start with CMD or CMD-SHELL")
def health_check_command(ctx):
    for entry in workloads(ctx):
        for c in containers(entry):
            hc = c.model.internalHealthCheck
            if hc is None or not hc.healthCheckCommand:
                continue
            first = hc.healthCheckCommand[0]
            if type(first) is str and first not in ("CMD", "CMD-SHELL", "NONE"):
                ctx.report(
                    "health-check-command",
                    "The health-check command must start with 'CMD' (run the rest directly) or 'CMD-SHELL' (run it"
                    f" in a shell), e.g. ['CMD-SHELL', '{first} ...'].",
                    c.path + ("internalHealthCheck", "healthCheckCommand", 0),
                    severity=WARNING,
                    replace_with=["CMD-SHELL"],
                )


def check_lb_health(ctx, code, model, path, interval_key, timeout_key, default_interval, default_timeout):
    """Load-balancer health-check timings: interval 5-300, timeout 2-120, timeout below interval."""
    bad = _range(ctx, code, model, interval_key, 5, 300, path, "seconds")
    bad = _range(ctx, code, model, timeout_key, 2, 120, path, "seconds") or bad
    if bad or not (was_set(model, interval_key) or was_set(model, timeout_key)):
        return
    interval = num(getattr(model, interval_key)) if was_set(model, interval_key) else default_interval
    timeout = num(getattr(model, timeout_key)) if was_set(model, timeout_key) else default_timeout
    if interval is None or timeout is None or timeout < interval:
        return
    at = timeout_key if was_set(model, timeout_key) else interval_key
    ctx.report(
        code,
        f"The health-check timeout ({fmt(timeout)} s) must be shorter than the interval between checks"
        f" ({fmt(interval)} s{'' if was_set(model, interval_key) else ', the default'}). Lower {timeout_key} or"
        f" raise {interval_key}.",
        path + (at,),
    )


@rule("lb-health-check-range", "Load-balancer health checks: interval 5-300, timeout 2-120 and below the interval")
def lb_health_check(ctx):
    for entry in workloads(ctx):
        for c in containers(entry):
            hc = getattr(c.model, "loadBalancerHealthCheck", None)
            if hc is not None:
                check_lb_health(ctx, "lb-health-check-range", hc, c.path + ("loadBalancerHealthCheck",),
                                "healthcheckInterval", "healthcheckTimeout", 5, 4)
        lb = getattr(entry.props, "loadBalancing", None)
        lbp = getattr(lb, "properties", None)
        if lbp is not None and getattr(lb, "type", None) == "network-load-balancer":
            check_lb_health(ctx, "lb-health-check-range", lbp, entry.path + ("properties", "loadBalancing", "properties"),
                            "healthcheckInterval", "healthcheckTimeout", 5, 4)


# --- gradual deployments -------------------------------------------------------------------------


def _alb_containers(entry) -> list[tuple[Container, list]]:
    out = []
    for c in containers(entry):
        albs = [(p, ev) for p, ev in c.events if ev.type == "application-load-balancer"]
        if albs:
            out.append((c, albs))
    return out


@rule("deployment-needs-alb", "Gradual deployments need an application load balancer in front of the workload")
def deployment_needs_alb(ctx):
    for entry in workloads(ctx):
        dep = getattr(entry.props, "deployment", None)
        if dep is None:
            continue
        dpath = entry.path + ("properties", "deployment")
        if entry.type == "web-service":
            lb = entry.props.loadBalancing
            if lb is None or lb.type != "application-load-balancer":
                current = "an HTTP API Gateway (the default)" if lb is None else f"a {lb.type}"
                ctx.report(
                    "deployment-needs-alb",
                    f"Gradual deployments shift traffic through an application load balancer, but this service uses"
                    f" {current}. Set 'loadBalancing: {{type: application-load-balancer}}' or remove deployment.",
                    dpath,
                    on="key",
                )
        elif not _alb_containers(entry):
            ctx.report(
                "deployment-needs-alb",
                "Gradual deployments shift traffic through an application load balancer, but no container of this"
                " workload has an application-load-balancer event. Add one, or remove deployment.",
                dpath,
                on="key",
            )


@rule("deployment-single-alb-container", "With a deployment, only one container receives load-balancer traffic")
def deployment_single_container(ctx):
    for entry in ctx.of_type("multi-container-workload"):
        if entry.props is None or entry.props.deployment is None:
            continue
        albs = _alb_containers(entry)
        for c, events in albs[1:]:
            ctx.report(
                "deployment-single-alb-container",
                f"With deployment set, only one container may have application-load-balancer events, and"
                f" '{albs[0][0].name}' already has them. Move these routes to '{albs[0][0].name}', or remove deployment.",
                events[0][0] + ("type",),
            )


@rule("deployment-with-service-connect", "deployment is not combined with service-connect events")
def deployment_service_connect(ctx):
    for entry in ctx.of_type("multi-container-workload"):
        if entry.props is None or entry.props.deployment is None:
            continue
        for c in containers(entry):
            for epath, ev in c.events:
                if ev.type == "service-connect":
                    ctx.report(
                        "deployment-with-service-connect",
                        "A workload with a gradual deployment cannot also open service-connect ports (Service Connect"
                        " does not work with the blue/green deployments behind it). Reach the container through the"
                        " load balancer or a workload-internal port, or remove deployment.",
                        epath + ("type",),
                    )


@rule("deployment-test-listener-port", "testListenerPort is given when the load balancer has custom listeners")
def deployment_test_listener(ctx):
    for entry in ctx.of_type("multi-container-workload"):
        dep = entry.props.deployment if entry.props is not None else None
        if dep is None or dep.beforeAllowTrafficFunction is None or dep.testListenerPort is not None:
            continue
        lbs = []
        for _c, events in _alb_containers(entry):
            for _p, ev in events:
                name = ev.properties.loadBalancerName
                if raw_listeners(ctx, name) is not None and name not in lbs:
                    lbs.append(name)
        if lbs:
            ctx.report(
                "deployment-test-listener-port",
                f"Load balancer '{lbs[0]}' has custom listeners, so stp cannot pick a port for test traffic to the"
                " new version. Add deployment.testListenerPort: the load-balancer port on which"
                " beforeAllowTrafficFunction reaches the new version.",
                entry.path + ("properties", "deployment", "beforeAllowTrafficFunction"),
                on="key",
            )

"""Container definitions of a workload: image, command, environment, health check, ports, logs.

Ports come from the container's events: every event opens its port on the
container; a `workload-internal` one stops there (containers of a task
share localhost), any other is also recorded as an EventTarget for the
module that brings outside traffic to it. Each container logs to its own
log group, so logs of a sidecar never mix with the app's.
"""

from __future__ import annotations

from troposphere import Ref, ecs, logs

from core.compile.context import HOOK_ORDER
from core.compile.images import image_for, repository_credentials
from core.compile.policies import allow_statement
from core.compile.workload_spec import EventTarget

DEFAULT_LOG_RETENTION_DAYS = 90


def log_group(ctx, cw, c):
    """The container's log group (None when its logging is disabled); log forwarding goes to a hook."""
    logging = c.logging
    if logging is not None and ctx.static(logging.disabled, f"{c.path}.logging.disabled", False):
        return None
    days = DEFAULT_LOG_RETENTION_DAYS
    if logging is not None:
        days = int(ctx.static(logging.retentionDays, f"{c.path}.logging.retentionDays", days))
    # logs go with the stack: say so explicitly (a log group is stateful)
    lg = ctx.add(cw.name, logs.LogGroup(ctx.id(cw.name, c.id_part, "LogGroup"), RetentionInDays=days,
                                        DeletionPolicy="Delete", UpdateReplacePolicy="Delete"))
    cw.log_groups[c.name] = lg
    if logging is not None and logging.logForwarding is not None:
        kind = logging.logForwarding.type
        fn = ctx.hook("log-forwarding", kind)
        if fn is None:
            ctx.unsupported(cw.name, f"log forwarding to {kind} (container '{c.name}') is not compiled yet")
        else:
            ctx.defer(lambda: fn(ctx, cw, c, lg), HOOK_ORDER)
    return lg


def container_definition(ctx, cw, c, log_group):
    """The ECS container definition; directives in values become intrinsics or dynamic references."""
    path = c.path
    pkg = c.packaging.properties
    kw = {
        "Name": c.name,
        "Image": image_for(ctx, cw.name, c, path),
        "Essential": bool(ctx.static(c.essential, f"{path}.essential", True)),
        "StopTimeout": int(ctx.static(c.stop_timeout, f"{path}.stopTimeout", 2)),
    }
    if pkg.command:
        kw["Command"] = [ctx.text(v, f"{path}.packaging.properties.command") for v in pkg.command]
    if pkg.entryPoint:
        kw["EntryPoint"] = [ctx.text(v, f"{path}.packaging.properties.entryPoint") for v in pkg.entryPoint]
    if c.environment:
        kw["Environment"] = [
            ecs.Environment(Name=str(e.name), Value=ctx.text(e.value, f"{path}.environment[{i}].value"))
            for i, e in enumerate(c.environment)
        ]
    if c.depends_on:
        kw["DependsOn"] = [ecs.ContainerDependency(ContainerName=n, Condition=cond) for n, cond in c.depends_on]
    hc = c.health_check
    if hc is not None:
        hpath = f"{path}.internalHealthCheck"
        check = ecs.HealthCheck(
            Command=[ctx.text(v, f"{hpath}.healthCheckCommand") for v in hc.healthCheckCommand],
            Interval=int(ctx.static(hc.intervalSeconds, f"{hpath}.intervalSeconds", 30)),
            Timeout=int(ctx.static(hc.timeoutSeconds, f"{hpath}.timeoutSeconds", 5)),
            Retries=int(ctx.static(hc.retries, f"{hpath}.retries", 3)),
        )
        if hc.startPeriodSeconds is not None:
            check.StartPeriod = int(ctx.static(hc.startPeriodSeconds, f"{hpath}.startPeriodSeconds", 0))
        kw["HealthCheck"] = check
    ports = _ports(ctx, cw, c)
    if ports:
        kw["PortMappings"] = [ecs.PortMapping(ContainerPort=p, Protocol="tcp") for p in ports]
    if log_group is not None:
        kw["LogConfiguration"] = ecs.LogConfiguration(LogDriver="awslogs", Options={
            "awslogs-group": Ref(log_group), "awslogs-region": Ref("AWS::Region"), "awslogs-stream-prefix": cw.name,
        })
    creds = repository_credentials(ctx, c, path)
    if creds:
        kw["RepositoryCredentials"] = ecs.RepositoryCredentials(CredentialsParameter=creds)
        cw.execution_statements.append(allow_statement(["secretsmanager:GetSecretValue"], creds))
    for i, mount in enumerate(c.volume_mounts):
        fn = ctx.hook("volume", mount.type)
        if fn is None:
            ctx.unsupported(cw.name, f"{mount.type} volume mounts (container '{c.name}') are not compiled yet")
        else:
            ctx.defer(lambda fn=fn, mount=mount: fn(ctx, cw, c, mount), HOOK_ORDER)
    return ecs.ContainerDefinition(**kw)


def _ports(ctx, cw, c) -> list[int]:
    """Ports the container opens: every event's containerPort, and the port of a one-container service."""
    ports: list[int] = []
    for i, ev in enumerate(c.events):
        port = int(ctx.static(ev.properties.containerPort, f"{c.path}.events[{i}].properties.containerPort", 0))
        if port and port not in ports:
            ports.append(port)
        if ev.type != "workload-internal":  # reachable from outside the task: an ingress module's job
            cw.events.append(EventTarget(cw, c.name, port, ev.type, event=ev))
    for cname, port, kind, settings in cw.spec.implicit_events:
        if cname == c.name:
            port = int(ctx.static(port, f"{c.path}.port", 0))
            if port not in ports:
                ports.append(port)
            cw.events.append(EventTarget(cw, c.name, port, kind, settings=settings))
    return ports

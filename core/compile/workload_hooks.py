"""Handing a compiled workload to the modules that own the rest: ingress, connectTo, deployments, features.

Each piece is looked up in the hook registry; a piece nobody handles yet is
reported as "not compiled yet" (never silently dropped). For connectTo the
framework itself injects the `STP_<NAME>_<PARAM>` variables from the target
type's parameters, so a connect hook only grants access.
"""

from __future__ import annotations

import re

from core.compile.context import HOOK_ORDER
from core.compile.directives import DirectiveProblem
from core.compile.errors import INVALID, Problem
from core.model.params import params_of

WEB_FEATURES = ("cdn", "alarms", "useFirewall")  # web-service settings of other families


class ParamAbsent(DirectiveProblem):
    """Raised by a ``@params`` function for a parameter the resource does not have as configured (a table
    without a stream): ``$ResourceParam`` reports the message; connectTo injects no variable for it."""

    def __init__(self, message: str):
        super().__init__(message, INVALID)


def hand_over(ctx, cw) -> None:
    """Hand traffic, connectTo and deployments to the modules that own them (or report they are missing)."""
    props = cw.spec.props
    name = cw.name
    for t in cw.events:
        fn = ctx.hook("event", t.event_type)
        if fn is None:
            how = f"port {t.port} of container '{t.container}'" if not t.implicit else f"port {t.port} (loadBalancing)"
            ctx.unsupported(name, f"traffic from {t.event_type} to {how} is not compiled yet")
        else:
            ctx.defer(lambda fn=fn, t=t: fn(ctx, t), HOOK_ORDER)
    for i, target in enumerate(props.connectTo or ()):
        target = str(ctx.static(target, f"resources.{name}.properties.connectTo[{i}]", ""))
        key = target if target.startswith("aws:") else ctx.type_of(target)
        if key is None:
            ctx.invalid(name, f"connectTo names '{target}', which is not a resource of this config")
            continue
        fn = ctx.hook("connect", key)
        if fn is None:
            what = target if target.startswith("aws:") else f"{key} '{target}'"
            ctx.unsupported(name, f"connectTo {what} (permissions and network access) is not compiled yet")
        else:
            ctx.defer(lambda fn=fn, target=target: _connect(ctx, cw, fn, target), HOOK_ORDER)
    for feature in WEB_FEATURES:
        if getattr(props, feature, None):
            fn = ctx.hook("feature", feature)
            if fn is None:
                ctx.unsupported(name, f"{feature} is not compiled yet")
            else:
                ctx.defer(lambda fn=fn: fn(ctx, cw), HOOK_ORDER)
    if cw.spec.deployment is not None:
        fn = ctx.hook("deployment", "ecs")
        if fn is None:
            ctx.unsupported(name, f"deployment strategy {cw.spec.deployment.strategy} (gradual release) is not compiled yet")
        else:
            ctx.defer(lambda: fn(ctx, cw), HOOK_ORDER)


def _connect(ctx, cw, fn, target: str) -> None:
    """Run the connect hook, then inject STP_<NAME>_<PARAM> for each parameter the target shares."""
    fn(ctx, cw, target)
    if target.startswith("aws:"):
        return
    for param, info in (params_of(ctx.type_of(target)) or {}).items():
        if not info.connect:
            continue
        try:
            value = ctx.resource_param(target, param)
        except ParamAbsent:
            continue
        except DirectiveProblem as exc:
            ctx.problems.append(Problem(cw.name, f"connectTo '{target}': {exc}", exc.kind))
            continue
        for cname in cw.containers:
            cw.add_environment(cname, env_name(target, param), value)


def env_name(resource: str, param: str) -> str:
    """``STP_<RESOURCE>_<PARAM>`` in upper snake case: (``myDb``, ``connectionString``) → ``STP_MY_DB_CONNECTION_STRING``."""
    def snake(s: str) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "_", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", s)).upper().strip("_")

    return f"STP_{snake(resource)}_{snake(param)}"

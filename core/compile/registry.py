"""Where compiler modules plug in: one registry, filled by decorators.

A family module (``vpc``, ``workloads``, later ``ingress``, ``connect_to``,
``storage`` …) registers what it knows and nothing else:

- ``@compiler("bucket")`` — ``fn(ctx, name, model)`` adds the resources of one
  config resource of that type;
- ``@params("bucket")`` — ``fn(ctx, name, param)`` returns the CloudFormation
  value of ``$ResourceParam(name, param)`` (and of the ``STP_<NAME>_<PARAM>``
  variables connectTo injects), or None when it has no such parameter;
- ``@hook("event", "http-api-gateway")`` — extension points the workload
  compiler calls for the parts it leaves to others (see ``HOOK_KINDS``).

Modules are found by name in ``FAMILIES`` (a missing one is simply not
written yet), the same way analysis rules are loaded.
"""

from __future__ import annotations

import importlib
from typing import Callable

from troposphere import GetAtt, Ref

COMPILERS: dict[str, Callable] = {}
PARAMS: dict[str, Callable] = {}
HOOKS: dict[tuple[str, str], Callable] = {}

# extension points and what each hook receives
HOOK_KINDS = {
    "event": "fn(ctx, target: EventTarget) — traffic to a container port (key: event type)",
    "connect": "fn(ctx, workload: CompiledWorkload, target_name) — access to a connectTo target (key: target type or 'aws:ses')",
    "deployment": "fn(ctx, workload: CompiledWorkload) — gradual releases with ECS's own canary/linear/blue-green (key: 'ecs')",
    "log-forwarding": "fn(ctx, workload, container: ContainerSpec, log_group) — ship logs elsewhere (key: forwarding type)",
    "volume": "fn(ctx, workload, container: ContainerSpec, mount) — mount volumes (key: volume type)",
    "feature": "fn(ctx, workload) — a workload setting another module owns (key: 'cdn', 'alarms', 'useFirewall')",
}

FAMILIES = (
    "vpc", "workloads", "ingress", "connect_to", "iam", "deployments", "log_forwarding",
    "storage", "messaging", "databases", "functions",
)  # fmt: skip


def compiler(resource_type: str):
    def register(fn):
        COMPILERS[resource_type] = fn
        return fn

    return register


def params(resource_type: str):
    def register(fn):
        PARAMS[resource_type] = fn
        return fn

    return register


def attribute_params(resource_type: str, suffix: str, attributes: dict[str, str]) -> Callable:
    """Register (and return) the ``@params`` function of a type whose parameters are all read off its main
    resource, logical id ``<name><suffix>``: ``attributes`` maps each parameter to the attribute it reads, or
    to ``"Ref"`` for the resource's own `Ref`."""

    def param(ctx, name: str, param: str):
        attribute = attributes.get(param)
        if attribute is None:
            return None
        lid = ctx.id(name, suffix)
        return Ref(lid) if attribute == "Ref" else GetAtt(lid, attribute)

    return params(resource_type)(param)


def hook(kind: str, key: str):
    if kind not in HOOK_KINDS:
        raise ValueError(f"unknown hook kind {kind!r}; one of {sorted(HOOK_KINDS)}")

    def register(fn):
        HOOKS[(kind, key)] = fn
        return fn

    return register


_loaded = False


def load_families() -> None:
    global _loaded
    if _loaded:
        return
    for fam in FAMILIES:
        try:
            importlib.import_module(f"core.compile.{fam}")
        except ModuleNotFoundError as exc:  # a family nobody has written yet
            if exc.name != f"core.compile.{fam}":
                raise
    _loaded = True


def compiled_types() -> list[str]:
    load_families()
    return sorted(COMPILERS)

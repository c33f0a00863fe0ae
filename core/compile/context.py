"""CompileContext: the one object every compiler module works through.

It owns the troposphere Template and the logical-id registry, knows the
stage/project/region, translates directives, and collects problems so a
compile reports everything at once. Modules add resources with ``ctx.add``
(which records who owns each id, for `overrides` and the stack metadata)
and leave work for later with ``ctx.defer`` (ingress attaches to services
only after every workload exists).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any, Callable

from troposphere import Output, Parameter, Template

from core.compile.directives import DirectiveProblem, is_intrinsic, text, translate
from core.compile.errors import INVALID, UNSUPPORTED, CompileError, Problem
from core.compile.naming import LogicalIds, logical_id
from core.compile.registry import HOOKS, PARAMS

SHARED = "<shared resources>"  # owner of the VPC and other stack-wide resources

# ordering of deferred work: hooks first, then what closes a workload (policies), then checks
HOOK_ORDER, FINISH_ORDER, CHECK_ORDER = 10, 50, 90


@dataclass
class CompileContext:
    analysis: Any
    stage: str
    project: str
    region: str
    template: Template = field(default_factory=Template)
    ids: LogicalIds = field(default_factory=LogicalIds)
    output_ids: set = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    workloads: dict = field(default_factory=dict)  # name → CompiledWorkload
    images: dict = field(default_factory=dict)  # parameter id → what the deploy step must build
    artifacts: dict = field(default_factory=dict)  # what else the deploy step must supply (function code, secret values)
    referenced_ids: dict = field(default_factory=dict)  # logical ids named by $CfResourceParam
    resource_outputs: dict = field(default_factory=dict)  # resource name → {what: output id}
    network: Any = None  # set by vpc.network(ctx) on first use
    extra: dict = field(default_factory=dict)  # per-family scratch space (ingress keeps its load balancers here)
    _deferred: list = field(default_factory=list)
    _seq: int = 0

    # --- names ---------------------------------------------------------------------------------

    @property
    def stack_name(self) -> str:
        return f"{self.project}-{self.stage}"

    @property
    def config(self):
        return self.analysis.config

    @property
    def variables(self) -> dict:
        return (self.config.variables if self.config is not None else None) or {}

    def id(self, *parts: str) -> str:
        """Logical id from names: ``ctx.id('apiServer', 'TaskDefinition')`` → ``ApiServerTaskDefinition``."""
        return logical_id(*parts)

    def type_of(self, name: str) -> str | None:
        entry = self.analysis.resources.get(name)
        return entry.type if entry is not None else None

    # --- template ------------------------------------------------------------------------------

    def add(self, owner: str, resource):
        """Add a troposphere resource owned by config resource ``owner`` (or SHARED)."""
        self.ids.claim(resource.title, owner, type(resource).__name__)
        # straight into the dict: the registry already rejects duplicates, and troposphere's own
        # per-stack limits (500 resources) would stop a compile that only the deploy step must refuse
        self.template.resources[resource.title] = resource
        return resource

    def parameter(self, owner: str, lid: str, **kw) -> Parameter:
        self.ids.claim(lid, owner, "parameter")
        param = self.template.parameters[lid] = Parameter(lid, **kw)
        return param

    def shared_parameter(self, lid: str, **kw) -> Parameter:
        """A parameter several resources use (added once)."""
        if lid in self.template.parameters:
            return self.template.parameters[lid]
        return self.parameter(SHARED, lid, **kw)

    def output(self, owner: str, what: str, lid: str, value, description: str) -> None:
        """A stack output; ``what`` is the key the dashboard looks it up by (e.g. ``serviceName``)."""
        if lid in self.output_ids:
            raise CompileError([Problem(owner, f"output id '{lid}' is produced twice; rename one of the resources")])
        self.output_ids.add(lid)
        self.template.outputs[lid] = Output(lid, Value=value, Description=description)
        self.resource_outputs.setdefault(owner, {})[what] = lid

    # --- problems ------------------------------------------------------------------------------

    def unsupported(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, UNSUPPORTED))

    def invalid(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, INVALID))

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(Problem(where, message, "warning"))

    # --- values --------------------------------------------------------------------------------

    def resolve(self, value, where: str, default=""):
        """``value`` with its directives translated; a problem is recorded (and ``default`` returned) if one cannot be."""
        try:
            return translate(self, value)
        except DirectiveProblem as exc:
            self.problems.append(Problem(where, str(exc), exc.kind))
            return default

    def text(self, value, where: str):
        """Like ``resolve``, with plain scalars as CloudFormation text (environment values, commands)."""
        out = self.resolve(value, where)
        return out if is_intrinsic(out) else text(out)

    def static(self, value, where: str, default=None):
        """A value the compiler itself must know (sizes, counts): directives allowed only if they resolve now."""
        out = self.resolve(value, where, default)
        if is_intrinsic(out):
            self.invalid(where, f"'{value}' is known only at deploy time, but stp needs this value to build the template")
            return default
        return out

    def resource_param(self, name: str, param: str):
        """The CloudFormation value of parameter ``param`` of resource ``name`` (for $ResourceParam and connectTo)."""
        rtype = self.type_of(name)
        if rtype is None:
            raise DirectiveProblem(f"there is no resource '{name}'", INVALID)
        provider = PARAMS.get(rtype)
        value = provider(self, name, param) if provider is not None else None
        if value is None:
            raise DirectiveProblem(f"parameter '{param}' of {rtype} '{name}' is not compiled yet")
        return value

    def hook(self, kind: str, key: str) -> Callable | None:
        return HOOKS.get((kind, key))

    # --- later work ----------------------------------------------------------------------------

    def defer(self, fn: Callable[[], None], order: int = HOOK_ORDER) -> None:
        """Run ``fn`` after every resource is compiled (lower ``order`` first, then in insertion order)."""
        self._seq += 1
        heapq.heappush(self._deferred, (order, self._seq, fn))

    def run_deferred(self) -> None:
        heapq.heapify(self._deferred)
        while self._deferred:  # deferred work may defer more
            _, _, fn = heapq.heappop(self._deferred)
            fn()

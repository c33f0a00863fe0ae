"""compile_template: a validated Analysis → one CloudFormation template (a dict). Pure.

No AWS calls and no disk: what only AWS knows (account id, AMIs, image
digests) stays an intrinsic or a template parameter for the deploy step.
The order is fixed: reserve user logical ids, compile each resource with the
compiler registered for its type, run deferred hooks (ingress, connectTo …),
add the top-level CloudFormation sections, apply `overrides`, and only then
report every problem found on the way.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from core.compile.context import SHARED, CompileContext
from core.compile.errors import INVALID, UNSUPPORTED, CompileError, Problem
from core.compile.extras import add_cloudformation_resources, add_stack_outputs, check_referenced_ids, claim_cloudformation_ids
from core.compile.overrides import apply_overrides
from core.compile.registry import COMPILERS, load_families


@dataclass
class CompileResult:
    template: dict
    warnings: list[Problem] = field(default_factory=list)
    images: dict = field(default_factory=dict)  # image parameter id → {resource, container, packaging}
    artifacts: dict = field(default_factory=dict)  # other parameters the deploy step fills (function code, secrets)


def compile_template(analysis, stage: str, project: str, region: str) -> dict:
    """The CloudFormation template of a valid config; raises CompileError when it cannot be built."""
    return compile_stack(analysis, stage, project, region).template


def compile_stack(analysis, stage: str, project: str, region: str) -> CompileResult:
    """Like ``compile_template``, with the warnings and the images the deploy step must build."""
    enabled = gc.isenabled()
    gc.disable()  # many small acyclic objects: collections would only cost time
    try:
        return _compile(analysis, stage, project, region)
    finally:
        if enabled:
            gc.enable()


def unsupported_resources(analysis) -> list[Problem]:
    """Resources whose type no compiler module handles yet."""
    load_families()
    return [
        Problem(name, f"resource type '{entry.type}' is not compiled yet", UNSUPPORTED)
        for name, entry in analysis.resources.items()
        if entry.type not in COMPILERS
    ]


def _compile(analysis, stage: str, project: str, region: str) -> CompileResult:
    if not analysis.ok:
        raise CompileError([Problem("config", f"the config has {len(analysis.errors)} error(s); fix them first"
                                              " (run stp validate)", INVALID)])
    load_families()
    ctx = CompileContext(analysis, stage, project, region)
    ctx.template.set_version("2010-09-09")
    ctx.template.set_description(f"{ctx.stack_name}: compiled by stp from stacktape.yml")
    claim_cloudformation_ids(ctx)
    ctx.problems.extend(unsupported_resources(analysis))
    for name, entry in analysis.resources.items():
        fn = COMPILERS.get(entry.type)
        if fn is None or entry.model is None:
            continue
        try:
            fn(ctx, name, entry.model)
        except CompileError as exc:  # e.g. a logical-id clash: keep compiling the others
            ctx.problems.extend(exc.problems)
    ctx.run_deferred()
    template = ctx.template.to_dict()
    add_cloudformation_resources(ctx, template)
    add_stack_outputs(ctx, template)
    check_referenced_ids(ctx)
    apply_overrides(ctx, template)
    if ctx.problems:
        raise CompileError(ctx.problems)
    if not template.get("Resources"):
        raise CompileError([Problem("config", "there is nothing to deploy: the config has no resources", INVALID)])
    _check_limits(ctx, template)
    template["Metadata"] = {"Stp": _metadata(ctx)}
    return CompileResult(_ordered(template), ctx.warnings, ctx.images, ctx.artifacts)


_SECTIONS = ("AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Resources", "Outputs")


def _ordered(template: dict) -> dict:
    """Sections in the order people read them (the content order is already stable)."""
    out = {k: template[k] for k in _SECTIONS if k in template}
    out.update((k, v) for k, v in template.items() if k not in out)
    return out


# what CloudFormation accepts in one stack
LIMITS = {"Resources": 500, "Outputs": 200, "Parameters": 200}


def _check_limits(ctx: CompileContext, template: dict) -> None:
    for section, limit in LIMITS.items():
        n = len(template.get(section, ()))
        if n > limit:
            ctx.warn("template", f"{n} {section.lower()}, but CloudFormation accepts at most {limit} per stack;"
                                 " split the config into several stacks")


def _metadata(ctx: CompileContext) -> dict:
    """What the deploy step and the dashboard read back: images to build, and each resource's ids and outputs."""
    resources = {}
    for name, entry in ctx.analysis.resources.items():
        resources[name] = {
            "type": entry.type,
            "logicalIds": list(ctx.ids.by_owner.get(name, ())),
            "outputs": dict(ctx.resource_outputs.get(name, {})),
        }
    shared = {"logicalIds": list(ctx.ids.by_owner.get(SHARED, ())), "outputs": dict(ctx.resource_outputs.get(SHARED, {}))}
    return {"project": ctx.project, "stage": ctx.stage, "region": ctx.region, "images": ctx.images,
            "artifacts": ctx.artifacts, "resources": resources, "shared": shared}

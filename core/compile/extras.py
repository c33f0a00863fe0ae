"""Top-level sections that enter the template as written: cloudformationResources and stackConfig.outputs.

They are plain CloudFormation with directives allowed, so they are copied
after the directives are translated; `overrides` then patch what stp
generated. Both run on the template dict, after troposphere has built it.
"""

from __future__ import annotations

from troposphere import Sub, encode_to_dict

from core.compile.context import CompileContext

CFN_OWNER = "<cloudformationResources>"
_ATTRIBUTES = ("DependsOn", "Condition", "DeletionPolicy", "UpdateReplacePolicy", "Metadata", "CreationPolicy", "UpdatePolicy")


def claim_cloudformation_ids(ctx: CompileContext) -> None:
    """Reserve the user's logical ids first, so a clash is blamed on the generated id."""
    for lid in _cfn_resources(ctx):
        ctx.ids.claim(str(lid), CFN_OWNER)


def add_cloudformation_resources(ctx: CompileContext, template: dict) -> None:
    resources = template.setdefault("Resources", {})
    for lid, res in _cfn_resources(ctx).items():
        where = f"cloudformationResources.{lid}"
        body: dict = {"Type": res.Type}
        if res.Properties is not None:
            body["Properties"] = encode_to_dict(ctx.resolve(res.Properties, f"{where}.Properties", {}))
        for attr in _ATTRIBUTES:
            value = getattr(res, attr)
            if value is not None:
                body[attr] = encode_to_dict(ctx.resolve(value, f"{where}.{attr}"))
        resources[lid] = body


def add_stack_outputs(ctx: CompileContext, template: dict) -> None:
    sc = ctx.config.stackConfig if ctx.config is not None else None
    outputs = template.setdefault("Outputs", {})
    for i, out in enumerate((sc.outputs if sc is not None else None) or ()):
        where = f"stackConfig.outputs[{i}]"
        lid = str(out.name)
        if not lid.isalnum():
            ctx.invalid(where, f"output name '{lid}' must contain only letters and digits (it is a CloudFormation id)")
            continue
        if lid in outputs:
            ctx.invalid(where, f"output '{lid}' is already produced by stp; pick another name")
            continue
        body = {"Value": encode_to_dict(ctx.resolve(out.value, f"{where}.value"))}
        if out.description:
            body["Description"] = str(out.description)
        if ctx.static(out.export, f"{where}.export", False):
            body["Export"] = {"Name": encode_to_dict(Sub(f"${{AWS::StackName}}-{lid}"))}
        outputs[lid] = body
    if not outputs:
        template.pop("Outputs")


def check_referenced_ids(ctx: CompileContext) -> None:
    for lid, directive in ctx.referenced_ids.items():
        if lid not in ctx.ids and not lid.startswith("AWS::"):
            ctx.invalid("config", f"{directive} names logical id '{lid}', which is not in the template")


def _cfn_resources(ctx: CompileContext) -> dict:
    cfg = ctx.config
    return (cfg.cloudformationResources if cfg is not None else None) or {}

"""Directives: known names, the right number of arguments, existing targets."""

from __future__ import annotations

from core.analysis.directive_spans import arg_span
from core.analysis.rules import rule
from core.analysis.suggest import closest, one_of, with_article
from core.model.params import params_of

# name → (min args, max args or None, what the arguments are)
BUILTIN_DIRECTIVES: dict[str, tuple[int, int | None, str]] = {
    "ResourceParam": (2, 2, "resource name, parameter name"),
    "CfResourceParam": (2, 2, "CloudFormation logical id, attribute name"),
    "Secret": (1, 1, "secret name, optionally with a JSON key: 'name.key'"),
    "Stage": (0, 0, "no arguments"),
    "Region": (0, 0, "no arguments"),
    "Format": (1, None, "a format string with {} placeholders, then the values"),
    "CfFormat": (1, None, "a format string with {} placeholders, then the values"),
    "Var": (1, 1, "variable name (from `variables:`)"),
    "File": (1, 1, "path of a .json, .yml, .env or .ini file"),
    "SsmParam": (1, 2, "parameter name, optionally whether it is encrypted"),
    "CfStackOutput": (2, 2, "stack name, output name"),
    "StackOutput": (2, 2, "stack name, output name"),
    "CliArgs": (0, 1, "optionally the argument name"),
    "GitInfo": (0, 1, "optionally the field (sha1, branch …)"),
    "AwsAccountId": (0, 0, "no arguments"),
    "ProjectName": (0, 0, "no arguments"),
    "This": (0, 0, "no arguments"),
    "If": (3, 3, "condition, value if true, value if false"),
    "Equal": (2, 2, "two values"),
    "And": (1, None, "conditions"),
    "Or": (1, None, "conditions"),
    "Not": (1, 1, "a condition"),
}


def _user_directives(data) -> set[str]:
    out = set()
    items = data.get("directives") if isinstance(data, dict) else None
    if isinstance(items, list):
        for d in items:
            if isinstance(d, dict) and isinstance(d.get("name"), str):
                out.add(d["name"].lstrip("$"))
    return out


@rule("unknown-directive", "Directives exist and get the right arguments")
def directives(ctx):
    user = _user_directives(ctx.data)
    known = set(BUILTIN_DIRECTIVES) | user
    spans: dict = {}  # (path, name) → spans in the order the directives are walked (a name may repeat)
    for r in ctx.symbols.references:
        if r.via == "directive":
            spans.setdefault((r.path, r.name), []).append(r.span)
    for site in ctx.directives:
        for d in site.directive.walk():
            if d.name not in known:
                hint = closest(d.name, known)
                ctx.report(
                    "unknown-directive",
                    f"Unknown directive ${d.name}()."
                    + (f" Did you mean ${hint[0]}()?" if hint else "")
                    + " Custom directives must be declared under 'directives:'.",
                    site.path,
                )
                continue
            if d.name in user and d.name not in BUILTIN_DIRECTIVES:
                continue
            lo, hi, what = BUILTIN_DIRECTIVES[d.name]
            n = len(d.args)
            if n < lo or (hi is not None and n > hi):
                count = str(lo) if lo == hi else (f"{lo} or more" if hi is None else f"{lo} to {hi}")
                ctx.report(
                    "directive-arguments",
                    f"${d.name}() takes {count} argument{'s' if count != '1' else ''} ({what}), got {n}.",
                    site.path,
                )
                continue
            if d.name == "ResourceParam":
                _check_resource_param(ctx, site, d, spans)


def _check_resource_param(ctx, site, d, spans):
    target, param = d.args[0], d.args[1]
    if not isinstance(target, str):
        return  # computed by a nested directive
    queue = spans.get((site.path, target))
    span = queue.pop(0) if queue else None
    if not isinstance(param, str):
        return
    entry = ctx.resources.get(target)
    if entry is None:
        hint = closest(target, ctx.resources)
        # scripts resolve their directives only when run (`stp script:run`), so a wrong
        # name there does not break a deploy: warn instead of blocking it
        in_script = bool(site.path) and site.path[0] == "scripts"
        ctx.report(
            "unknown-reference",
            f"$ResourceParam refers to '{target}', which is not a resource of this config."
            + (f" Did you mean '{hint[0]}'?" if hint else "")
            + (" The script will fail when it runs." if in_script else ""),
            site.path, span=span, replace_with=hint, create=target, expected=["*"], param=param,
            severity="warning" if in_script else "error",
        )
        return
    params = params_of(entry.type) if entry.type else None
    if params is None:
        return
    if param not in params:
        hint = closest(param, params)
        available = one_of(params) if params else "none"
        ctx.report(
            "unknown-resource-param",
            f"{with_article(entry.type).capitalize()} has no parameter '{param}'."
            + (f" Did you mean '{hint[0]}'?" if hint else "")
            + f" Available: {available}.",
            site.path, span=arg_span(site, d, 1), replace_with=hint, allowed=list(params), param=param,
            resource=target,
        )

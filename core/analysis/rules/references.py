"""Values that name other resources must name an existing resource of the right type."""

from __future__ import annotations

from core.analysis.rules import rule
from core.analysis.suggest import closest, one_of, with_article
from core.model.params import AWS_MACROS, CONNECTABLE_TYPES


def _acceptable(expected: tuple) -> tuple | None:
    """The resource types a reference accepts; None means any."""
    if "*" in expected:
        return None
    out: list = []
    for t in expected:
        out.extend(CONNECTABLE_TYPES if t == "connectable" else [t])
    return tuple(out)


@rule("unknown-reference", "References name existing resources of a fitting type")
def references(ctx):
    symbols = ctx.symbols
    fitting_cache: dict = {}
    for ref in symbols.references:
        if ref.via == "directive":
            continue  # checked with the directive's parameters in directives.py
        if ref.kind == "container":
            owner = ref.owner
            if (owner, ref.name) not in symbols.containers:
                names = [n for (o, n) in symbols.containers if o == owner]
                hint = closest(ref.name, names)
                ctx.report(
                    "unknown-reference",
                    f"No container named '{ref.name}' in this workload."
                    + (f" Did you mean '{hint[0]}'?" if hint else (f" Containers: {one_of(names)}." if names else "")),
                    ref.path, span=ref.span, replace_with=hint, allowed=names,
                )
            continue
        if ref.kind == "script":
            if ref.name not in symbols.scripts:
                names = list(symbols.scripts)
                hint = closest(ref.name, names)
                ctx.report(
                    "unknown-reference",
                    f"No script named '{ref.name}' under 'scripts:'."
                    + (f" Did you mean '{hint[0]}'?" if hint else (f" Scripts: {one_of(names)}." if names else "")),
                    ref.path, span=ref.span, replace_with=hint, allowed=names,
                )
            continue
        if "connectable" in ref.expected and ref.name.startswith("aws:"):
            if ref.name not in AWS_MACROS:
                hint = closest(ref.name, AWS_MACROS)
                ctx.report(
                    "unknown-reference",
                    f"'{ref.name}' is not an AWS service stp can connect to."
                    + (f" Did you mean '{hint[0]}'?" if hint else f" Available: {one_of(AWS_MACROS)}."),
                    ref.path, span=ref.span, replace_with=hint,
                )
            continue
        accepted = _acceptable(ref.expected)
        target = ctx.resources.get(ref.name)
        if target is not None and (accepted is None or target.type in accepted) and ref.name != ref.owner:
            continue  # the common case: a fitting resource exists
        if accepted not in fitting_cache:
            fitting_cache[accepted] = [n for n, e in ctx.resources.items() if accepted is None or e.type in accepted]
        fitting = fitting_cache[accepted]
        if ref.owner is not None:
            fitting = [n for n in fitting if n != ref.owner] or fitting
        if target is None:
            hint = closest(ref.name, fitting) or closest(ref.name, list(ctx.resources))
            kinds = "resource" if accepted is None else _kinds(ref.expected)
            msg = f"There is no {kinds} named '{ref.name}' in this config."
            if hint:
                msg += f" Did you mean '{hint[0]}'?"
            elif fitting:
                msg += f" Candidates: {one_of(fitting)}."
            ctx.report("unknown-reference", msg, ref.path, span=ref.span, replace_with=hint, allowed=fitting,
                       create=ref.name, expected=list(ref.expected))
            continue
        if accepted is not None and target.type is not None and target.type not in accepted:
            msg = f"'{ref.name}' is {with_article(target.type)}, but {with_article(_kinds(ref.expected))} is expected here."
            if fitting:
                msg += f" Candidates: {one_of(fitting)}."
            ctx.report("wrong-reference-type", msg, ref.path, span=ref.span, allowed=fitting)
        elif ref.name == ref.owner and "connectable" in ref.expected:
            ctx.report("self-reference", f"'{ref.name}' cannot connect to itself.", ref.path, span=ref.span)


def _kinds(expected: tuple) -> str:
    if "connectable" in expected:
        return "connectable resource"
    return " or ".join(expected)

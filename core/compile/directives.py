"""Directives → CloudFormation values.

Compiling is pure, so a directive becomes either a plain value we know now
(`$Stage()`, `$Var(...)`, `$Format` of known parts) or the intrinsic that lets
CloudFormation resolve it at deploy time (`$Region()` → ``AWS::Region``,
`$CfResourceParam` → ``Fn::GetAtt``, `$Secret` → a Secrets Manager dynamic
reference, so the secret value never enters the template). Directives that
need the disk, the network or user code (`$File`, `$StackOutput`, custom
directives) are reported as not compilable yet.
"""

from __future__ import annotations

import re

from troposphere import AWSHelperFn, GetAtt, Ref, Sub

from core.compile.errors import INVALID, UNSUPPORTED
from core.source.directives import Directive, DirectiveSyntaxError, looks_like_directive, parse_directive

_ACCESS = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]")

_DEPLOY_TIME = {
    "File": "reads a file when deploying",
    "CfStackOutput": "reads another stack's outputs when deploying",
    "StackOutput": "reads another stack's outputs when deploying",
    "CliArgs": "reads command-line arguments of the deploy command",
    "GitInfo": "reads the git repository when deploying",
    "This": "refers to the resource being configured",
}


class DirectiveProblem(Exception):
    def __init__(self, message: str, kind: str = UNSUPPORTED):
        super().__init__(message)
        self.kind = kind


def as_directive(value) -> Directive | None:
    """The directive a value holds (models keep some only as plain text), or None."""
    if isinstance(value, Directive):
        return value
    if isinstance(value, str) and value.startswith("$") and looks_like_directive(value):
        try:
            return parse_directive(value)
        except DirectiveSyntaxError:
            return None
    return None


def translate(ctx, value):
    """Deep-translate ``value``; raises DirectiveProblem for what cannot be compiled."""
    if isinstance(value, str):
        d = as_directive(value)
        return _eval(ctx, d) if d is not None else value
    if isinstance(value, dict):
        return {k: translate(ctx, v) for k, v in value.items()}
    if isinstance(value, list):
        return [translate(ctx, v) for v in value]
    return value


def is_intrinsic(value) -> bool:
    if isinstance(value, AWSHelperFn):
        return True
    if isinstance(value, dict):
        return any(is_intrinsic(v) for v in value.values())
    if isinstance(value, list):
        return any(is_intrinsic(v) for v in value)
    return False


def known_now(ctx, value, default=None):
    """``value`` translated when it is known now, else ``default``; no problem is recorded (for looking ahead:
    whatever cannot be translated is reported where the value itself is compiled)."""
    try:
        out = translate(ctx, value)
    except DirectiveProblem:
        return default
    return default if is_intrinsic(out) else out


def text(value) -> str:
    """A scalar as CloudFormation text (booleans as `true`/`false`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _eval(ctx, d: Directive):
    fn = _HANDLERS.get(d.name)
    if fn is None:
        reason = _DEPLOY_TIME.get(d.name, "is a custom directive computed by your code")
        raise DirectiveProblem(f"${d.name}() {reason}; stp compile cannot resolve it yet")
    args = [_eval(ctx, a) if isinstance(a, Directive) else a for a in d.args]
    value = fn(ctx, d, args)
    return _access(d, value) if d.accessor else value


def _access(d: Directive, value):
    for m in _ACCESS.finditer(d.accessor):
        key = m.group(1) if m.group(1) is not None else int(m.group(2))
        if is_intrinsic(value):
            raise DirectiveProblem(f"{d}: '{d.accessor}' cannot be applied to a value known only at deploy time")
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            raise DirectiveProblem(f"{d}: the value has no '{key}'", INVALID) from None
    return value


def _static_str(d: Directive, arg, what: str) -> str:
    if not isinstance(arg, (str, int, float)) or isinstance(arg, bool) or is_intrinsic(arg):
        raise DirectiveProblem(f"${d.name}(): the {what} must be known when compiling, got {arg!r}")
    return text(arg)


def _secret(ctx, d, args):
    ref = _static_str(d, args[0], "secret name")
    name, _, key = ref.partition(".")
    if key:
        return f"{{{{resolve:secretsmanager:{name}:SecretString:{key}}}}}"
    return f"{{{{resolve:secretsmanager:{name}}}}}"


def _cf_resource_param(ctx, d, args):
    lid = _static_str(d, args[0], "logical id")
    attr = _static_str(d, args[1], "attribute")
    ctx.referenced_ids.setdefault(lid, str(d))
    return Ref(lid) if attr == "Ref" else GetAtt(lid, attr)


def _resource_param(ctx, d, args):
    return ctx.resource_param(_static_str(d, args[0], "resource name"), _static_str(d, args[1], "parameter name"))


def _format(ctx, d, args):
    fmt = _static_str(d, args[0], "format string")
    pieces = fmt.split("{}")
    values = args[1:]
    if len(pieces) - 1 != len(values):
        raise DirectiveProblem(
            f"{d}: the format has {len(pieces) - 1} '{{}}' placeholder(s) but {len(values)} value(s) follow", INVALID
        )
    parts: list = []
    for i, piece in enumerate(pieces):
        if piece:
            parts.append(piece)
        if i < len(values):
            parts.append(values[i] if is_intrinsic(values[i]) else text(values[i]))
    if all(isinstance(p, str) for p in parts):
        return "".join(parts)
    return sub_of(parts)


def sub_of(parts: list):
    """``Fn::Sub`` joining text and intrinsics: Ref/GetAtt inline as ``${Id}``/``${Id.Attr}``, others as variables."""
    body: list[str] = []
    variables: dict = {}
    for p in parts:
        if isinstance(p, str):
            body.append(p.replace("${", "${!"))
            continue
        d = p.to_dict() if isinstance(p, AWSHelperFn) else p
        if isinstance(d, dict) and set(d) == {"Ref"} and isinstance(d["Ref"], str):
            body.append("${" + d["Ref"] + "}")
        elif isinstance(d, dict) and set(d) == {"Fn::GetAtt"} and all(isinstance(x, str) for x in d["Fn::GetAtt"]):
            body.append("${" + ".".join(d["Fn::GetAtt"]) + "}")
        else:
            name = f"Value{len(variables) + 1}"
            variables[name] = p
            body.append("${" + name + "}")
    return Sub("".join(body), **variables)


def _var(ctx, d, args):
    name = _static_str(d, args[0], "variable name")
    variables = ctx.variables
    if name not in variables:
        raise DirectiveProblem(f"{d}: there is no variable '{name}' under 'variables:'", INVALID)
    return translate(ctx, variables[name])


def _ssm(ctx, d, args):
    name = _static_str(d, args[0], "parameter name")
    if len(args) > 1 and args[1] is True:
        raise DirectiveProblem(
            f"{d}: encrypted SSM parameters can only be resolved by a few AWS resource types; use $Secret() instead"
        )
    return f"{{{{resolve:ssm:{name}}}}}"


def _static_bool(d, v) -> bool:
    if is_intrinsic(v):
        raise DirectiveProblem(f"${d.name}(): conditions on values known only at deploy time are not compiled yet")
    return bool(v)


def _equal(ctx, d, args):
    if is_intrinsic(args[0]) or is_intrinsic(args[1]):
        raise DirectiveProblem(f"{d}: comparing values known only at deploy time is not compiled yet")
    return args[0] == args[1]


_HANDLERS = {
    "Secret": _secret,
    "Stage": lambda ctx, d, a: ctx.stage,
    "ProjectName": lambda ctx, d, a: ctx.project,
    "Region": lambda ctx, d, a: Ref("AWS::Region"),
    "AwsAccountId": lambda ctx, d, a: Ref("AWS::AccountId"),
    "CfResourceParam": _cf_resource_param,
    "ResourceParam": _resource_param,
    "Format": _format,
    "CfFormat": _format,
    "Var": _var,
    "SsmParam": _ssm,
    "If": lambda ctx, d, a: a[1] if _static_bool(d, a[0]) else a[2],
    "Equal": _equal,
    "And": lambda ctx, d, a: all(_static_bool(d, x) for x in a),
    "Or": lambda ctx, d, a: any(_static_bool(d, x) for x in a),
    "Not": lambda ctx, d, a: not _static_bool(d, a[0]),
}

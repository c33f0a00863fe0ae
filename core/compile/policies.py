"""IAM pieces every compiler builds the same way: trust policies, inline role policies, policy
documents, `Allow` statements, and the statements users write in the config
(`iamRoleStatements`, `accessPolicyStatements`, `policyStatements`), resolved.
"""

from __future__ import annotations

from troposphere import Ref, iam

POLICY_VERSION = "2012-10-17"
MAX_POLICY_NAME = 128


def policy_document(statements: list) -> dict:
    """A resource policy document holding a copy of ``statements``."""
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def service_trust(service: str, *, this_account_only: bool = True) -> dict:
    """A role AWS service ``service`` may assume; ``this_account_only``: only on behalf of this account (no
    confused deputy)."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if this_account_only:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}}
    return {"Version": POLICY_VERSION, "Statement": [statement]}


def role_policy(name: str, statements: list) -> iam.Policy:
    """An inline role policy (its name cut to IAM's 128 characters). It holds ``statements`` itself, not a
    copy, so statements appended later still land in it."""
    return iam.Policy(PolicyName=name[:MAX_POLICY_NAME], PolicyDocument={"Version": POLICY_VERSION, "Statement": statements})


def allow_statement(actions, resources) -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resources}


def allow(source, actions, resources) -> None:
    """Let ``source`` (anything with ``task_statements``: a compiled function or workload) perform ``actions``."""
    source.task_statements.append(allow_statement(actions, resources))


def service_may_send(service: str, action: str, resource, source_arn) -> dict:
    """A resource-policy statement: AWS service ``service`` may perform ``action`` on ``resource``, only on
    behalf of ``source_arn``."""
    return {
        "Effect": "Allow", "Principal": {"Service": service}, "Action": action, "Resource": resource,
        "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
    }


def config_statement(ctx, st, where: str, *, resource=None) -> dict:
    """A statement written in the config (``st``, at ``where``), its directives resolved: `Sid`, `Effect`,
    `Principal` (for models that have one: resource policies), `Action`, `Resource` (``resource`` replaces
    it when given) and `Condition`."""
    statement: dict = {}
    if getattr(st, "Sid", None):
        statement["Sid"] = ctx.text(st.Sid, f"{where}.Sid")
    statement["Effect"] = st.Effect
    if "Principal" in type(st).model_fields:
        statement["Principal"] = ctx.resolve(st.Principal, f"{where}.Principal")
    statement["Action"] = [ctx.text(a, f"{where}.Action") for a in st.Action]
    statement["Resource"] = resource if resource is not None else [ctx.resolve(r, f"{where}.Resource") for r in st.Resource]
    if st.Condition is not None:
        statement["Condition"] = ctx.resolve(st.Condition, f"{where}.Condition")
    return statement


def role_statements(ctx, statements, where: str, *, report_at: str | None = None) -> list[dict]:
    """The `iamRoleStatements` of a function or workload (``where``: its properties), resolved. A statement
    without actions is reported (at ``report_at``, else at the statement itself) and left out."""
    out = []
    for i, st in enumerate(statements or ()):
        spath = f"{where}.iamRoleStatements[{i}]"
        if not st.Action:
            ctx.invalid(report_at or spath, f"iamRoleStatements[{i}] has no Action; list the IAM actions it allows or denies")
            continue
        out.append(config_statement(ctx, st, spath))
    return out

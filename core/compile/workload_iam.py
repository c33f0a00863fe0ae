"""IAM of a workload: who may assume its roles, and the statements its task role gets.

The task role starts empty; statements arrive from the config
(`iamRoleStatements`, `enableRemoteSessions`) and from hooks (connectTo),
and are written into one inline policy once every hook has run, so a role
never carries an empty policy document.
"""

from __future__ import annotations

from troposphere import Ref, iam

REMOTE_SESSION_ACTIONS = [
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
]


def ecs_tasks_trust() -> dict:
    return service_trust("ecs-tasks.amazonaws.com")


def service_trust(service: str) -> dict:
    """A role an AWS service may assume, only on behalf of this account (no confused deputy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}},
        }],
    }


def task_permissions(ctx, cw) -> None:
    props = cw.spec.props
    where = f"resources.{cw.name}.properties"
    if cw.service.EnableExecuteCommand:
        cw.task_statements.append({"Effect": "Allow", "Action": REMOTE_SESSION_ACTIONS, "Resource": "*"})
    for i, st in enumerate(props.iamRoleStatements or ()):
        spath = f"{where}.iamRoleStatements[{i}]"
        if not st.Action:
            ctx.invalid(cw.name, f"iamRoleStatements[{i}] has no Action; list the IAM actions it allows or denies")
            continue
        statement = {
            "Effect": st.Effect,
            "Action": [ctx.text(a, f"{spath}.Action") for a in st.Action],
            "Resource": [ctx.resolve(r, f"{spath}.Resource") for r in st.Resource],
        }
        if st.Sid:
            statement = {"Sid": st.Sid, **statement}
        if st.Condition is not None:
            statement["Condition"] = ctx.resolve(st.Condition, f"{spath}.Condition")
        cw.task_statements.append(statement)


def attach_policies(ctx, cw) -> None:
    """Put the statements gathered from the workload and its hooks into the roles' inline policies."""
    for role, statements, policy in ((cw.task_role, cw.task_statements, "task"),
                                     (cw.execution_role, cw.execution_statements, "execution")):
        if statements:
            role.Policies = [iam.Policy(
                PolicyName=f"{ctx.stack_name}-{cw.name}-{policy}"[:128],
                PolicyDocument={"Version": "2012-10-17", "Statement": statements},
            )]


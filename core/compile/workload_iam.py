"""IAM of a workload: who may assume its roles, and the statements its task role gets.

The task role starts empty; statements arrive from the config
(`iamRoleStatements`, `enableRemoteSessions`) and from hooks (connectTo),
and are written into one inline policy once every hook has run, so a role
never carries an empty policy document.
"""

from __future__ import annotations

from core.compile.policies import allow, role_policy, role_statements, service_trust

REMOTE_SESSION_ACTIONS = [
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
]


def ecs_tasks_trust() -> dict:
    return service_trust("ecs-tasks.amazonaws.com")


def task_permissions(ctx, cw) -> None:
    props = cw.spec.props
    where = f"resources.{cw.name}.properties"
    if cw.service.EnableExecuteCommand:
        allow(cw, REMOTE_SESSION_ACTIONS, "*")
    cw.task_statements.extend(role_statements(ctx, props.iamRoleStatements, where, report_at=cw.name))


def attach_policies(ctx, cw) -> None:
    """Put the statements gathered from the workload and its hooks into the roles' inline policies."""
    for role, statements, policy in ((cw.task_role, cw.task_statements, "task"),
                                     (cw.execution_role, cw.execution_statements, "execution")):
        if statements:
            role.Policies = [role_policy(f"{ctx.stack_name}-{cw.name}-{policy}", statements)]


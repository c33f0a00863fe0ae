"""connectTo: the access a workload gets to each resource it lists.

One ``connect`` hook per target type grants exactly what using that resource
takes, scoped to its ARN(s), and opens the network path where there is one:

- IAM (bucket, queue, topic, table, event bus, function, file system, `aws:ses`):
  statements for the workload's task role, with the ARNs taken from the
  target's own parameters (``ctx.resource_param(target, "arn")``), so the
  module that compiles the target decides them;
- network (relational-database, redis-cluster, file system, container
  workloads): an ingress rule on the target's security group from the
  workload's security group, on the port(s) the target listens on. A
  database's or cache cluster's security group is expected at
  ``ctx.id(<name>, "SecurityGroup")`` (the convention of workloads.py).

A hook only grants access: the `STP_<NAME>_<PARAM>` variables are injected by
``workload_hooks`` from the target type's parameters.

What a hook receives as the connecting side (``source``): anything with
``name``, ``task_statements`` (a list of IAM statements it puts into its
role's policy) and ``security_group`` (a troposphere security group, or None
when it does not run in the VPC) - a ``CompiledWorkload``, or a function.
"""

from __future__ import annotations

import functools

from troposphere import Ref, ec2

from core.compile.directives import DirectiveProblem, is_intrinsic, known_now, sub_of, text
from core.compile.errors import Problem
from core.compile.policies import allow
from core.compile.registry import COMPILERS, hook
from core.compile.storage import efs_access, objects_arn, table_has_stream
from core.model.params import AWS_MACROS

BUCKET_ACTIONS = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
OBJECT_ACTIONS = [
    "s3:GetObject", "s3:GetObjectAttributes", "s3:PutObject", "s3:DeleteObject",
    "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
]  # fmt: skip
QUEUE_ACTIONS = [
    "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
]  # fmt: skip
TOPIC_ACTIONS = ["sns:Publish"]
TABLE_ACTIONS = [
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem",
    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
]  # fmt: skip
INDEX_ACTIONS = ["dynamodb:Query", "dynamodb:Scan"]
STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
EVENT_BUS_ACTIONS = ["events:PutEvents"]
FUNCTION_ACTIONS = ["lambda:InvokeFunction"]

# connectTo targets that are AWS services (params.AWS_MACROS): what each grants
AWS_MACRO_STATEMENTS = {
    "aws:ses": [{"Effect": "Allow", "Action": ["ses:*"], "Resource": "*"}],
}

# ports databases listen on when their config sets none
DEFAULT_DATABASE_PORTS = (("postgres", 5432), ("mysql", 3306), ("mariadb", 3306), ("oracle", 1521), ("sqlserver", 1433))
DEFAULT_REDIS_PORT = 6379
WORKLOAD_TYPES = ("web-service", "private-service", "worker-service", "multi-container-workload")


def connect(target_type: str):
    """Register a connect hook that runs once per (source, target) and reports parameters it cannot get."""

    def register(fn):
        @functools.wraps(fn)
        def run(ctx, source, target):
            done = ctx.extra.setdefault("connect-done", set())
            if (source.name, target) in done:  # listed twice
                return
            done.add((source.name, target))
            try:
                fn(ctx, source, target)
            except DirectiveProblem as exc:
                ctx.problems.append(Problem(source.name, f"connectTo '{target}': {exc}", exc.kind))

        return hook("connect", target_type)(run)

    return register


def admit(ctx, source, target: str, target_sg, port: int, what: str) -> None:
    """An ingress rule on ``target_sg`` (a logical id) from the source's security group, on one TCP port."""
    sg = getattr(source, "security_group", None)
    if sg is None:
        ctx.warn(source.name, f"connectTo '{target}': {source.name} does not run in the stack's VPC, so no network"
                              f" access to {what} is set up")
        return
    ctx.add(source.name, ec2.SecurityGroupIngress(
        ctx.id(target, "From", source.name, f"Port{port}", "Ingress"),
        GroupId=Ref(target_sg), IpProtocol="tcp", FromPort=port, ToPort=port,
        SourceSecurityGroupId=Ref(sg), Description=f"{source.name} (connectTo) to {what}"[:255],
    ))


# --- IAM targets ---------------------------------------------------------------------------------


@connect("bucket")
def connect_bucket(ctx, source, target: str) -> None:
    arn = ctx.resource_param(target, "arn")
    allow(source, BUCKET_ACTIONS, arn)
    allow(source, OBJECT_ACTIONS, objects_arn(arn))


@connect("sqs-queue")
def connect_sqs_queue(ctx, source, target: str) -> None:
    allow(source, QUEUE_ACTIONS, ctx.resource_param(target, "arn"))


@connect("sns-topic")
def connect_sns_topic(ctx, source, target: str) -> None:
    allow(source, TOPIC_ACTIONS, ctx.resource_param(target, "arn"))


@connect("dynamo-db-table")
def connect_dynamo_db_table(ctx, source, target: str) -> None:
    arn = ctx.resource_param(target, "arn")
    allow(source, TABLE_ACTIONS, arn)
    allow(source, INDEX_ACTIONS, sub_of([arn, "/index/*"]))
    if table_has_stream(ctx, target):
        allow(source, STREAM_ACTIONS, ctx.resource_param(target, "streamArn"))


@connect("event-bus")
def connect_event_bus(ctx, source, target: str) -> None:
    allow(source, EVENT_BUS_ACTIONS, ctx.resource_param(target, "arn"))


@connect("function")
def connect_function(ctx, source, target: str) -> None:
    arn = ctx.resource_param(target, "arn")
    allow(source, FUNCTION_ACTIONS, [arn, sub_of([arn, ":*"])])  # the function, and its versions and aliases


@connect("efs-filesystem")
def connect_efs_filesystem(ctx, source, target: str) -> None:
    efs_access(ctx, source, target)


def _macro(statements: list):
    def grant(ctx, source, target: str) -> None:
        source.task_statements.extend(dict(s) for s in statements)

    return grant


for _name in AWS_MACROS:
    if _name in AWS_MACRO_STATEMENTS:
        connect(_name)(_macro(AWS_MACRO_STATEMENTS[_name]))


# --- network targets -----------------------------------------------------------------------------


def _static_port(ctx, name: str) -> int | None:
    """The port parameter of a resource when it is a number known now (None otherwise)."""
    try:
        value = ctx.resource_param(name, "port")
    except DirectiveProblem:
        return None
    if is_intrinsic(value):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def database_port(ctx, name: str) -> int:
    """Port of `relational-database` ``name``: its parameter, else its config, else the engine's usual port."""
    port = _static_port(ctx, name)
    if port is not None:
        return port
    engine = ctx.analysis.resources[name].model.properties.engine
    configured = getattr(getattr(engine, "properties", None), "port", None)
    configured = known_now(ctx, configured) if configured is not None else None
    if configured is not None:
        return int(configured)
    kind = text(engine.type)
    return next((p for family, p in DEFAULT_DATABASE_PORTS if family in kind), 5432)


def redis_port(ctx, name: str) -> int:
    port = _static_port(ctx, name)
    if port is not None:
        return port
    configured = known_now(ctx, ctx.analysis.resources[name].model.properties.port)
    return int(configured) if configured is not None else DEFAULT_REDIS_PORT


def _security_group_of(ctx, source, target: str, rtype: str) -> str | None:
    """Logical id of the security group of a database or cache cluster (see the module docstring)."""
    sg = ctx.id(target, "SecurityGroup")
    if sg in ctx.ids:
        return sg
    if rtype in COMPILERS:  # else the resource type itself is reported as not compiled yet
        ctx.unsupported(source.name, f"connectTo {rtype} '{target}': network access is not compiled yet (the"
                                     f" template has no security group '{sg}' for it)")
    return None


@connect("relational-database")
def connect_relational_database(ctx, source, target: str) -> None:
    sg = _security_group_of(ctx, source, target, "relational-database")
    if sg is not None:
        admit(ctx, source, target, sg, database_port(ctx, target), f"database {target}")


@connect("redis-cluster")
def connect_redis_cluster(ctx, source, target: str) -> None:
    sg = _security_group_of(ctx, source, target, "redis-cluster")
    if sg is not None:
        admit(ctx, source, target, sg, redis_port(ctx, target), f"Redis cluster {target}")


def connect_workload(ctx, source, target: str) -> None:
    """Reach a container workload directly: every port it receives traffic on (not its workload-internal ones)."""
    cw = ctx.workloads.get(target)
    if cw is None:  # it could not be compiled; its problems are reported already
        return
    ports = sorted({t.port for t in cw.events if t.port})
    if not ports:
        ctx.warn(source.name, f"connectTo '{target}': {target} listens on no port other workloads can reach, so"
                              " there is nothing to connect to")
        return
    for port in ports:
        admit(ctx, source, target, cw.security_group.title, port, f"{target} port {port}")


for _type in WORKLOAD_TYPES:
    connect(_type)(connect_workload)

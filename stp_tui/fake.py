"""A backend with fixed data and a fixed clock: stable snapshots, benches without AWS.

    StpApp(FakeBackend())                 # four stacks, two of them with resources, tasks, logs, a rollout
    FakeBackend(log_lines_per_poll=5000)  # a firehose for the log throughput bench
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from core.aws.dashboard import (ContainerRow, DeployPlan, HookStep, RolloutState, StackRow, StackView, TaskRow,
                                build_view, diff_rows)
from core.aws.deploy import Change, Plan
from core.aws.logs import LogSource
from core.aws.session import AwsProblem
from stp_tui.backend import Backend, Context

NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=timezone.utc)
ACCOUNT = "123456789012"


def _ago(**kw) -> datetime:
    return NOW - timedelta(**kw)


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _resource(rtype: str, props: dict | None = None) -> dict:
    return {"Type": rtype, "Properties": props or {}}


QUEUE_WORKER_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Metadata": {"Stp": {
        "project": "queue-worker", "stage": "dev", "region": "us-east-1",
        "resources": {
            "jobs": {"type": "sqs-queue", "logicalIds": ["JobsQueue"],
                     "outputs": {"queueUrl": "JobsQueueUrl", "arn": "JobsQueueArn"}},
            "results": {"type": "bucket", "logicalIds": ["ResultsBucket"], "outputs": {"name": "ResultsBucketName"}},
            "worker": {"type": "worker-service",
                       "logicalIds": ["WorkerCluster", "WorkerLogGroup", "WorkerTaskRole", "WorkerTaskDefinition",
                                      "WorkerService"],
                       "outputs": {"logGroup:worker": "WorkerLogGroupName", "serviceName": "WorkerServiceName"}},
        },
        "shared": {"logicalIds": ["Vpc"], "outputs": {"vpcId": "VpcId"}},
    }},
    "Resources": {
        "JobsQueue": _resource("AWS::SQS::Queue", {"VisibilityTimeout": 60}),
        "ResultsBucket": _resource("AWS::S3::Bucket", {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}),
        "WorkerCluster": _resource("AWS::ECS::Cluster"),
        "WorkerLogGroup": _resource("AWS::Logs::LogGroup", {"RetentionInDays": 14}),
        "WorkerTaskRole": _resource("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Version": "2012-10-17"}}),
        "WorkerTaskDefinition": _resource("AWS::ECS::TaskDefinition", {
            "Cpu": "256", "Memory": "512", "ContainerDefinitions": [{"Name": "worker", "Image": "worker:latest"}]}),
        "WorkerService": _resource("AWS::ECS::Service", {"DesiredCount": 1,
                                                         "DeploymentConfiguration": {"MaximumPercent": 200}}),
        "Vpc": _resource("AWS::EC2::VPC", {"CidrBlock": "10.0.0.0/16"}),
    },
    "Outputs": {k: {"Value": k} for k in ("JobsQueueUrl", "JobsQueueArn", "ResultsBucketName", "WorkerLogGroupName",
                                          "WorkerServiceName", "VpcId")},
}

CANARY_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Metadata": {"Stp": {
        "project": "canary-alb", "stage": "dev", "region": "us-east-1",
        "resources": {
            "loadBalancer": {"type": "application-load-balancer", "logicalIds": ["LoadBalancerAlb"], "outputs": {}},
            "api": {"type": "multi-container-workload",
                    "logicalIds": ["ApiCluster", "ApiWebLogGroup", "ApiTaskDefinition", "ApiService"],
                    "outputs": {"logGroup:web": "ApiWebLogGroupName"}},
            "checkRelease": {"type": "function", "logicalIds": ["CheckReleaseFunction", "CheckReleaseLogGroup"],
                             "outputs": {"logGroup": "CheckReleaseLogGroupName"}},
        },
        "shared": {"logicalIds": [], "outputs": {}},
    }},
    "Resources": {
        "LoadBalancerAlb": _resource("AWS::ElasticLoadBalancingV2::LoadBalancer"),
        "ApiCluster": _resource("AWS::ECS::Cluster"),
        "ApiWebLogGroup": _resource("AWS::Logs::LogGroup"),
        "ApiTaskDefinition": _resource("AWS::ECS::TaskDefinition", {"ContainerDefinitions": [{"Name": "web"}]}),
        "ApiService": _resource("AWS::ECS::Service", {"DeploymentConfiguration": {
            "Strategy": "CANARY", "BakeTimeInMinutes": 5,
            "CanaryConfiguration": {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 5},
            "LifecycleHooks": [{"HookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:canary-alb-dev-checkRelease",
                                "LifecycleStages": ["POST_PRODUCTION_TRAFFIC_SHIFT"]}]}}),
        "CheckReleaseFunction": _resource("AWS::Lambda::Function", {"Runtime": "python3.12", "Timeout": 60}),
        "CheckReleaseLogGroup": _resource("AWS::Logs::LogGroup"),
    },
    "Outputs": {k: {"Value": k} for k in ("ApiWebLogGroupName", "CheckReleaseLogGroupName")},
}


def _stack(name: str, status: str, created: datetime, updated: datetime | None, stage: str, project: str,
           reason: str = "", outputs: dict | None = None) -> dict:
    s = {"StackName": name, "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{name}/0000",
         "StackStatus": status, "CreationTime": created,
         "Tags": [{"Key": "stp:stage", "Value": stage}, {"Key": "stp:project", "Value": project}],
         "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in (outputs or {}).items()]}
    if updated:
        s["LastUpdatedTime"] = updated
    if reason:
        s["StackStatusReason"] = reason
    return s


def _row(lid: str, rtype: str, physical: str, status: str = "CREATE_COMPLETE", reason: str = "") -> dict:
    r = {"LogicalResourceId": lid, "ResourceType": rtype, "PhysicalResourceId": physical, "ResourceStatus": status,
         "LastUpdatedTimestamp": _ago(hours=2)}
    if reason:
        r["ResourceStatusReason"] = reason
    return r


STACKS = {
    "queue-worker-dev": (
        _stack("queue-worker-dev", "UPDATE_COMPLETE", _ago(days=3), _ago(minutes=42), "dev", "queue-worker",
               outputs={"JobsQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/queue-worker-dev-jobs",
                        "JobsQueueArn": "arn:aws:sqs:us-east-1:123456789012:queue-worker-dev-jobs",
                        "ResultsBucketName": "queue-worker-dev-results", "WorkerLogGroupName": "/stp/queue-worker-dev/worker",
                        "WorkerServiceName": "queue-worker-dev-worker", "VpcId": "vpc-0a1b2c3d"}),
        QUEUE_WORKER_TEMPLATE,
        [_row("JobsQueue", "AWS::SQS::Queue", "https://sqs.us-east-1.amazonaws.com/123456789012/queue-worker-dev-jobs"),
         _row("ResultsBucket", "AWS::S3::Bucket", "queue-worker-dev-results"),
         _row("WorkerCluster", "AWS::ECS::Cluster", "queue-worker-dev-cluster"),
         _row("WorkerLogGroup", "AWS::Logs::LogGroup", "/stp/queue-worker-dev/worker"),
         _row("WorkerTaskRole", "AWS::IAM::Role", "queue-worker-dev-WorkerTaskRole"),
         _row("WorkerTaskDefinition", "AWS::ECS::TaskDefinition",
              "arn:aws:ecs:us-east-1:123456789012:task-definition/queue-worker-dev-worker:3", "UPDATE_COMPLETE"),
         _row("WorkerService", "AWS::ECS::Service",
              "arn:aws:ecs:us-east-1:123456789012:service/queue-worker-dev-cluster/queue-worker-dev-worker",
              "UPDATE_COMPLETE"),
         _row("Vpc", "AWS::EC2::VPC", "vpc-0a1b2c3d")],
    ),
    "canary-alb-dev": (
        _stack("canary-alb-dev", "UPDATE_IN_PROGRESS", _ago(days=1), _ago(minutes=2), "dev", "canary-alb",
               outputs={"ApiWebLogGroupName": "/stp/canary-alb-dev/web",
                        "CheckReleaseLogGroupName": "/aws/lambda/canary-alb-dev-checkRelease"}),
        CANARY_TEMPLATE,
        [_row("LoadBalancerAlb", "AWS::ElasticLoadBalancingV2::LoadBalancer", "arn:aws:elasticloadbalancing:lb/app/canary"),
         _row("ApiCluster", "AWS::ECS::Cluster", "canary-alb-dev-cluster"),
         _row("ApiWebLogGroup", "AWS::Logs::LogGroup", "/stp/canary-alb-dev/web"),
         _row("ApiTaskDefinition", "AWS::ECS::TaskDefinition", "arn:aws:ecs:task-definition/canary-alb-dev-api:8",
              "UPDATE_COMPLETE"),
         _row("ApiService", "AWS::ECS::Service", "arn:aws:ecs:us-east-1:123456789012:service/canary-alb-dev-cluster/api",
              "UPDATE_IN_PROGRESS"),
         _row("CheckReleaseFunction", "AWS::Lambda::Function", "canary-alb-dev-checkRelease"),
         _row("CheckReleaseLogGroup", "AWS::Logs::LogGroup", "/aws/lambda/canary-alb-dev-checkRelease")],
    ),
}

ROWS = [
    StackRow("api-with-sidecar-prod", "UPDATE_ROLLBACK_COMPLETE", "", "Resource update cancelled", _ago(days=40),
             _ago(hours=5), "prod", "api-with-sidecar"),
    StackRow("canary-alb-dev", "UPDATE_IN_PROGRESS", "", "", _ago(days=1), _ago(minutes=2), "dev", "canary-alb"),
    StackRow("old-experiment-dev", "ROLLBACK_COMPLETE", "", "The following resource(s) failed to create: [Db]",
             _ago(days=12), None, "dev", "old-experiment"),
    StackRow("queue-worker-dev", "UPDATE_COMPLETE", "", "", _ago(days=3), _ago(minutes=42), "dev", "queue-worker"),
]

TASKS = {
    "worker": [TaskRow("4f1c2b7d9e0a4b5c", "arn:aws:ecs:task/4f1c2b7d9e0a4b5c", "RUNNING", "RUNNING", "HEALTHY", "3",
                       _ago(minutes=40), "", [ContainerRow("worker", "RUNNING", "HEALTHY", None, "", "worker:latest")]),
               TaskRow("9a8b7c6d5e4f3a2b", "arn:aws:ecs:task/9a8b7c6d5e4f3a2b", "RUNNING", "RUNNING", "HEALTHY", "3",
                       _ago(minutes=38), "", [ContainerRow("worker", "RUNNING", "HEALTHY", None, "", "worker:latest")])],
    "api": [TaskRow("0b1c2d3e4f5a6b7c", "arn:aws:ecs:task/0b1c2d3e4f5a6b7c", "RUNNING", "RUNNING", "HEALTHY", "7",
                    _ago(hours=20), "", [ContainerRow("web", "RUNNING", "HEALTHY", None, "", "api:7")]),
            TaskRow("7c6b5a4f3e2d1c0b", "arn:aws:ecs:task/7c6b5a4f3e2d1c0b", "RUNNING", "RUNNING", "UNKNOWN", "8",
                    _ago(minutes=2), "", [ContainerRow("web", "RUNNING", "", None, "", "api:8")])],
}

_MESSAGES = [
    "polling queue-worker-dev-jobs for messages",
    '{"level":"info","msg":"job 1842 started","job":1842}',
    "processed job 1841 in 212 ms",
    '{"level":"warn","msg":"job 1839 retried (attempt 2)","attempt":2}',
    "uploaded result to s3://queue-worker-dev-results/1841.json",
    "ERROR failed to process job 1840: timeout after 30s",
    '{"level":"error","msg":"connection reset by peer","code":"ECONNRESET"}',
    "WARN visibility timeout close for job 1843",
    "heartbeat ok",
    '{"level":"debug","msg":"sqs receive returned 0 messages"}',
]


class FakeTail:
    """history(): a fixed set of lines over two tasks; poll(): nothing, or ``per_poll`` generated lines."""

    def __init__(self, sources: list[LogSource], start_ms: int, per_poll: int = 0, history_lines: int = 24,
                 base_ms: int | None = None):
        self.sources = sources
        self.start = start_ms
        self.per_poll = per_poll
        self.history_lines = history_lines
        self.base = base_ms if base_ms is not None else _ms(NOW) - 60_000
        self.n = 0
        self.polls = 0

    def _event(self, i: int) -> tuple:
        idx = i % len(self.sources)
        task = ("4f1c2b7d9e0a4b5c", "9a8b7c6d5e4f3a2b")[(i // len(self.sources)) % 2]
        container = self.sources[idx].container
        stream = f"{container}/{container}/{task}"
        return (self.base + i * 2500, 0, idx, stream, _MESSAGES[i % len(_MESSAGES)], f"e{i}")

    def history(self, limit: int | None = None) -> list[tuple]:
        events = [self._event(i) for i in range(self.history_lines)]
        self.n = self.history_lines
        return events[-limit:] if limit else events

    def poll(self) -> list[tuple]:
        self.polls += 1
        if not self.per_poll:
            return []
        out = []
        for _ in range(self.per_poll):
            e = self._event(self.n)
            out.append((self.base + 60_000 + self.n, *e[1:5], f"p{self.n}"))
            self.n += 1
        return out


@dataclass
class FakePrepared:
    config_path: Path
    project: str
    stage: str
    template: dict = field(default_factory=dict)

    @property
    def stack(self) -> str:
        return f"{self.project}-{self.stage}"


class FakeBackend(Backend):
    """Fixed data; ``now()`` is always NOW. Records the mutating calls it was asked to make."""

    local = True

    def __init__(self, *, stacks: bool = True, log_lines_per_poll: int = 0, history_lines: int = 24,
                 fail_stacks: int = 0, poll_interval: float = 1.0, log_interval: tuple[float, float] = (0.2, 1.0),
                 rollout_in_progress: bool = True):
        self.with_stacks = stacks
        self.log_lines_per_poll = log_lines_per_poll
        self.history_lines = history_lines
        self.fail_stacks = fail_stacks
        self.poll_interval = poll_interval
        self.log_interval = log_interval
        self.rollout_in_progress = rollout_in_progress
        self.calls: list[tuple[str, Any]] = []
        self.tails: list[FakeTail] = []
        self.executed = False

    def now(self) -> datetime:
        return NOW

    def context(self, stage: str = "", read_only: bool = False) -> Context:
        return Context("local http://127.0.0.1:4566", "us-east-1", stage or "all stages", read_only, True, True)

    def list_stacks(self) -> list[StackRow]:
        if self.fail_stacks > 0:
            self.fail_stacks -= 1
            raise AwsProblem("the local AWS at http://127.0.0.1:4566 does not answer")
        return list(ROWS) if self.with_stacks else []

    def stack_view(self, name: str) -> StackView | None:
        found = STACKS.get(name)
        if found is None:
            return None
        stack, template, rows = found
        return build_view(stack, template, rows, "us-east-1")

    def service_tasks(self, view: StackView, group) -> list[TaskRow]:
        return list(TASKS.get(group.name, []))

    def log_tail(self, stack: str, resource: str, container: str | None, start_ms: int, end_ms: int | None = None):
        view = self.stack_view(stack)
        group = view.group(resource) if view else None
        if group is None or not group.containers:
            raise AwsProblem(f"'{resource}' writes no logs stp knows of")
        sources = [LogSource(resource, c, f"/stp/{stack}/{c}") for c in group.containers]
        tail = FakeTail(sources, start_ms, self.log_lines_per_poll, self.history_lines)
        self.tails.append(tail)
        return tail

    def rollout(self, view: StackView, resource: str) -> RolloutState:
        group = view.group(resource)
        if group is None or not group.services():
            raise AwsProblem(f"'{resource}' is not an ECS service: it has no rollouts")
        if view.strategy(group) != "CANARY":
            return RolloutState(resource, "ROLLING", "tasks replaced in place (rolling update, no traffic shifting)",
                                stage=view.stage, status="SUCCESSFUL", deployment_id="ecs-svc/1234",
                                started=_ago(minutes=42), hooks=[])
        hooks = [HookStep(s, "canary-alb-dev-checkRelease" if s == "POST_PRODUCTION_TRAFFIC_SHIFT" else "",
                          "done" if i < 6 else ("active" if i == 6 else "pending"))
                 for i, s in enumerate(["RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP",
                                        "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
                                        "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"])]
        if not self.rollout_in_progress:
            return RolloutState(resource, "CANARY", "10% first, the rest after 5 min", stage=view.stage,
                                status="SUCCESSFUL", hooks=[HookStep(h.stage, h.hook, "done") for h in hooks],
                                bake_minutes=5)
        return RolloutState(
            resource, "CANARY", "10% first, the rest after 5 min", stage=view.stage, service="api",
            cluster="canary-alb-dev-cluster", status="IN_PROGRESS", lifecycle_stage="PRODUCTION_TRAFFIC_SHIFT",
            deployment_id=f"arn:aws:ecs:us-east-1:{ACCOUNT}:service-deployment/canary-alb-dev-cluster/api/abc123",
            started=_ago(minutes=2, seconds=30), old_percent=90.0, new_percent=10.0, old_label="rev 7",
            new_label="rev 8", next_shift_at=NOW + timedelta(minutes=2, seconds=30), next_shift_to=100.0,
            bake_minutes=5, hooks=hooks, source="fake")

    def rollback(self, state: RolloutState) -> str:
        self.calls.append(("rollback", state.resource))
        return "rollback requested: ECS moves traffic back to the old revision"

    # ------------------------------------------------------------------ deploy

    def prepare(self, config: str | Path, stage: str):
        path = Path(config)
        if not path.exists() and not str(config).endswith("stacktape.yml"):
            raise AwsProblem(f"{config}: no such file")
        from stp_tui.backend import project_of

        return FakePrepared(path, project_of(path) if path.exists() else "queue-worker", stage,
                            QUEUE_WORKER_TEMPLATE)

    def create_placeholder_secrets(self, prepared) -> list[str]:
        self.calls.append(("secrets", prepared.stack))
        return []

    def plan(self, prepared) -> DeployPlan:
        self.calls.append(("plan", prepared.stack))
        changes = [
            Change("Add", "WorkerScalingPolicy", "AWS::ApplicationAutoScaling::ScalingPolicy", "worker"),
            Change("Modify", "WorkerTaskDefinition", "AWS::ECS::TaskDefinition", "worker", "True", ["Memory*"]),
            Change("Modify", "WorkerService", "AWS::ECS::Service", "worker", "False", ["TaskDefinition"]),
            Change("Modify", "JobsQueue", "AWS::SQS::Queue", "jobs", "False", ["VisibilityTimeout"]),
            Change("Remove", "OldTopic", "AWS::SNS::Topic", "-"),
        ]
        plan = Plan(prepared.stack, "stp-20260115-120000-000000", "UPDATE",
                    f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{prepared.stack}/0000", changes)
        return DeployPlan(prepared, plan, diff_rows(changes), [])

    def discard(self, plan: DeployPlan) -> None:
        self.calls.append(("discard", plan.stack))

    def execute(self, plan: DeployPlan) -> str | None:
        self.calls.append(("execute", plan.stack))
        self.executed = True
        self._stack = plan.stack
        return "before"

    def events_since(self, stack_id: str, marker: str | None) -> list[dict]:
        if marker != "before":
            return []
        name = self._stack
        t0 = NOW - timedelta(seconds=40)
        seq = [
            (0, name, "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated"),
            (1, "WorkerScalingPolicy", "AWS::ApplicationAutoScaling::ScalingPolicy", "CREATE_IN_PROGRESS", ""),
            (1, "JobsQueue", "AWS::SQS::Queue", "UPDATE_IN_PROGRESS", ""),
            (2, "WorkerTaskDefinition", "AWS::ECS::TaskDefinition", "UPDATE_IN_PROGRESS", "Requested update requires"
                                                                                          " the creation of a new physical resource; hence creating one."),
            (4, "WorkerScalingPolicy", "AWS::ApplicationAutoScaling::ScalingPolicy", "CREATE_COMPLETE", ""),
            (5, "JobsQueue", "AWS::SQS::Queue", "UPDATE_COMPLETE", ""),
            (6, "WorkerTaskDefinition", "AWS::ECS::TaskDefinition", "UPDATE_COMPLETE", ""),
            (7, "WorkerService", "AWS::ECS::Service", "UPDATE_IN_PROGRESS", ""),
            (31, "WorkerService", "AWS::ECS::Service", "UPDATE_COMPLETE", ""),
            (33, "OldTopic", "AWS::SNS::Topic", "DELETE_IN_PROGRESS", ""),
            (34, "OldTopic", "AWS::SNS::Topic", "DELETE_COMPLETE", ""),
            (35, name, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE", ""),
        ]
        return [{"EventId": f"ev{i}", "StackName": name, "LogicalResourceId": lid, "ResourceType": rtype,
                 "ResourceStatus": status, "ResourceStatusReason": reason, "Timestamp": t0 + timedelta(seconds=s)}
                for i, (s, lid, rtype, status, reason) in enumerate(seq)]

    def stack_status(self, stack_id: str) -> tuple[str, str]:
        return ("UPDATE_COMPLETE", "") if self.executed else ("UPDATE_COMPLETE", "")

    def cancel(self, stack_id: str) -> str:
        self.calls.append(("cancel", stack_id))
        return "cancel requested: CloudFormation rolls the update back"


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)

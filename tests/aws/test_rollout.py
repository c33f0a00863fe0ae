"""`stp rollout` against the local AWS: a compiled canary workload deployed through CloudFormation, updated,
watched (0 → 10 → 100 % of production traffic on the listener rule) and rolled back; plus the pure parts."""

from __future__ import annotations

import contextlib
import io
import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from core.aws.console import Console
from core.aws.rollouts import Rollout, render, traffic_from_rules
from core.aws.rollouts import _wait_left as wait_left
from tests.aws.support import stp, unique

CONFIG = """
serviceName: {project}
resources:
  lb:
    type: application-load-balancer
  queue:
    type: sqs-queue
  api:
    type: multi-container-workload
    properties:
      resources: {{cpu: 0.25, memory: 512}}
      scaling: {{minInstances: 2, maxInstances: 4}}
      deployment:
        strategy: Canary10Percent5Minutes
      containers:
        - name: web
          packaging: {{type: prebuilt-image, properties: {{image: 'acme/web:{version}'}}}}
          loadBalancerHealthCheck: {{healthcheckPath: /health}}
          events:
            - type: application-load-balancer
              properties: {{loadBalancerName: lb, containerPort: 8080, priority: 3, paths: ['/api/*']}}
"""
SCALE = 200  # the 5-minute canary takes 1.5 s of real time, the whole deployment about 3.5 s
STOP_SCALE = 60  # slower, so that `stp rollout` (a few tenths of a second per call) surely sees the canary


def _template(project: str, version: int) -> str:
    from core.analysis import analyze
    from core.compile import compile_stack

    analysis = analyze(CONFIG.format(project=project, version=version))
    assert analysis.ok, [d.message for d in analysis.errors]
    return json.dumps(compile_stack(analysis, "dev", project, "us-east-1").template)


def _wait_stack(cfn, name: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            return status
        assert time.monotonic() < deadline, f"{name} still {status}"
        time.sleep(0.03)


@contextlib.contextmanager
def _time_scale(endpoint: str, scale: float):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post(value):
        request = urllib.request.Request(f"{endpoint}/_stp/config", data=json.dumps({"time_scale": value}).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with opener.open(request, timeout=5) as response:
            return json.loads(response.read())

    with opener.open(f"{endpoint}/_stp/config", timeout=5) as response:
        before = json.loads(response.read())["time_scale"]
    post(scale)
    try:
        yield
    finally:
        post(before)


class CanaryStack:
    def __init__(self, aws, project: str):
        self.cfn, self.project, self.version = aws.client("cloudformation"), project, 1
        self.name = f"{project}-dev"
        self.cfn.create_stack(StackName=self.name, TemplateBody=_template(project, 1), Capabilities=["CAPABILITY_IAM"])
        assert _wait_stack(self.cfn, self.name) == "CREATE_COMPLETE"

    def release(self) -> None:
        """A new image: CloudFormation replaces the task definition and updates the service (a deployment)."""
        self.version += 1
        self.cfn.update_stack(StackName=self.name, TemplateBody=_template(self.project, self.version),
                              Capabilities=["CAPABILITY_IAM"])
        assert _wait_stack(self.cfn, self.name) == "UPDATE_COMPLETE"

    def rollout(self, *extra: str):
        return stp("rollout", "api", "--stage", "dev", "--project", self.project, "--local", *extra)

    def json(self) -> dict:
        r = self.rollout("--format", "json")
        assert r.code == 0, r.text
        return json.loads(r.out)


@pytest.fixture(scope="module")
def canary(aws_server):
    from core.aws import connect

    return CanaryStack(connect(local=True, endpoint=aws_server.endpoint), unique("ro"))


@pytest.mark.slow
def test_rollout_follows_a_canary_release_from_0_to_10_to_100_percent(canary, aws_server):
    first = canary.json()  # the service's creation is a deployment too
    assert first["strategy"] == "CANARY" and first["status"] == "SUCCESSFUL" and first["terminal"]
    assert first["traffic"] == {"old": 0, "new": 100} and first["trafficSource"] == "listener-rule"
    assert first["resource"] == "api" and first["deployment"].startswith("arn:aws:ecs:us-east-1:")

    with _time_scale(aws_server.endpoint, SCALE):
        canary.release()
        watched = canary.rollout("--watch", "--format", "json")
    assert watched.code == 0, watched.text
    states = [json.loads(line) for line in watched.out.splitlines()]
    news = [s["traffic"]["new"] for s in states if s["traffic"]]
    # (the new tasks may be up before `stp` is: then the watch starts at 10 %)
    assert list(dict.fromkeys(news)) in ([0, 10, 100], [10, 100]), [(s["stage"], s["traffic"]) for s in states]
    assert states[-1]["status"] == "SUCCESSFUL" and states[-1]["terminal"]
    assert {s["status"] for s in states[:-1]} <= {"PENDING", "IN_PROGRESS"}
    # (stage and weights are two reads: the first 10 % may come with the stage before the shift)
    during = [s for s in states if s["traffic"] and s["traffic"]["new"] == 10]
    assert {s["stage"] for s in during} <= {"POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"}
    during = next(s for s in during if s["stage"] == "PRODUCTION_TRAFFIC_SHIFT")
    assert during["traffic"]["old"] == 90
    assert 0 <= during["nextShiftInSeconds"] <= 300 and during["timeScale"] == SCALE
    assert during["taskDefinition"]["old"] != during["taskDefinition"]["new"]
    baking = [s for s in states if s["stage"] == "BAKE_TIME"]
    assert all(0 <= s["bakeTimeLeftSeconds"] <= 300 for s in baking)

    text = canary.rollout()
    assert text.code == 0, text.text
    assert "CANARY deployment  SUCCESSFUL" in text.out and "old 0%" in text.out and "new 100%" in text.out


@pytest.mark.slow
def test_rollout_stop_rolls_back_after_confirmation(canary, aws_server):
    with _time_scale(aws_server.endpoint, STOP_SCALE):
        canary.release()
        deadline = time.monotonic() + 15
        while (state := canary.json())["traffic"]["new"] != 10:
            shown = {k: state[k] for k in ("status", "statusReason", "stage", "traffic", "taskDefinition", "createdAt")}
            assert not state["terminal"] and time.monotonic() < deadline, shown
            time.sleep(0.05)
        refused = canary.rollout("--stop")  # standard input is not a terminal
        assert refused.code == 2 and "pass --yes" in refused.err
        stopped = canary.rollout("--stop", "--yes", "--watch", "--format", "json")
    assert stopped.code == 0, stopped.text
    assert "rollback of 'api' requested" in stopped.err
    states = [json.loads(line) for line in stopped.out.splitlines()]
    assert states[0]["status"] in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
    final = states[-1]
    assert final["status"] == "ROLLBACK_SUCCESSFUL" and final["traffic"] == {"old": 100, "new": 0}
    assert "stop request" in final["rollback"]["reason"]
    again = canary.rollout("--stop", "--yes")
    assert again.code == 1 and "nothing to roll back" in again.err


@pytest.mark.slow  # (it deploys the module's stack when run alone)
def test_rollout_names_what_it_cannot_find(canary):
    other = stp("rollout", "nosuch", "--stage", "dev", "--project", canary.project, "--local")
    assert other.code == 1 and "has no resource 'nosuch'" in other.err and "api" in other.err
    queue = stp("rollout", "queue", "--stage", "dev", "--project", canary.project, "--local")
    assert queue.code == 1 and "has no ECS service" in queue.err
    missing = stp("rollout", "api", "--stage", "prod", "--project", canary.project, "--local")
    assert missing.code == 1 and "does not exist" in missing.err


# ------------------------------------------------------------------------------------------------ pure parts


def _revision(arn: str, group: str, rule: str = "rule-1") -> dict:
    return {"serviceRevisionArn": arn, "resolvedConfiguration": {"loadBalancers": [
        {"targetGroupArn": group, "productionListenerRule": rule}]}}


def _rule(weights: dict[str, int]) -> dict:
    return {"RuleArn": "rule-1", "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": g, "Weight": w} for g, w in weights.items()]}}]}


def test_traffic_comes_from_the_weights_of_the_revisions_target_groups():
    target, source = _revision("new", "green"), _revision("old", "blue")
    assert traffic_from_rules(target, [source], {"rule-1": _rule({"blue": 90, "green": 10})}) == (90.0, 10.0)
    assert traffic_from_rules(target, [source], {"rule-1": _rule({"blue": 975, "green": 25})}) == (97.5, 2.5)
    # the next deployment moves back from green to blue
    assert traffic_from_rules(source, [target], {"rule-1": _rule({"blue": 0, "green": 100})}) == (100.0, 0.0)
    assert traffic_from_rules(target, [], {"rule-1": _rule({"blue": 0, "green": 100})}) == (0.0, 100.0)
    assert traffic_from_rules(target, [source], {}) is None
    assert traffic_from_rules(None, [source], {"rule-1": _rule({"blue": 1})}) is None


def test_bake_time_and_next_shift_count_down_on_the_deployments_clock():
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    config = {"strategy": "CANARY", "bakeTimeInMinutes": 5,
              "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 10}}
    d = {"status": "IN_PROGRESS", "updatedAt": now - timedelta(seconds=60), "deploymentConfiguration": config}
    assert wait_left(d, "CANARY", "BAKE_TIME", 100.0, 1.0, now) == (240.0, None)
    assert wait_left(d, "CANARY", "PRODUCTION_TRAFFIC_SHIFT", 10.0, 1.0, now) == (None, 540.0)
    assert wait_left(d, "CANARY", "PRODUCTION_TRAFFIC_SHIFT", 10.0, 5.0, now) == (None, 300.0)  # time scale 5
    assert wait_left(d, "CANARY", "SCALE_UP", 0.0, 1.0, now) == (None, None)
    assert wait_left({**d, "status": "SUCCESSFUL"}, "CANARY", "BAKE_TIME", 100.0, 1.0, now) == (None, None)


def test_text_shows_stage_traffic_and_timing():
    rollout = Rollout(resource="api", cluster="c", service="s", deployment_arn="arn:d", strategy="LINEAR",
                      stage="PRODUCTION_TRAFFIC_SHIFT", status="IN_PROGRESS", traffic_old=70.0, traffic_new=30.0,
                      next_shift_in=75, old_task_definition="arn:td/web:1", new_task_definition="arn:td/web:2",
                      hooks=[{"targetArn": "arn:aws:lambda:us-east-1:1:function:check", "status": "SUCCEEDED"}],
                      time_scale=300)
    lines = render(rollout, Console(out=io.StringIO(), color=False))
    text = "\n".join(lines)
    assert lines[0] == "api  LINEAR deployment  IN_PROGRESS"
    assert "stage    PRODUCTION_TRAFFIC_SHIFT (7/10)" in text
    assert "old 70% " + "#" * 21 + "=" * 9 + " new 30%" in text
    assert "next shift in ~1m 15s (simulated, time scale 300x)" in text
    assert "revision web:1 -> web:2" in text and "hook     check  SUCCEEDED" in text
    data = rollout.to_json()
    assert data["traffic"] == {"old": 70, "new": 30} and data["nextShiftInSeconds"] == 75
    assert set(data) >= {"strategy", "stage", "status", "traffic"}

"""ECS service deployments on the local AWS: canary / linear / blue-green traffic shifting on the listener rule,
lifecycle stages on a compressed clock, stop → rollback, lifecycle hooks. Only what boto3 clients see."""

from __future__ import annotations

import contextlib
import io
import json
import time
import urllib.request
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

STAGES = ["RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
          "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME",
          "CLEAN_UP"]
FAST = 600  # simulated seconds per real second: a 5-minute canary takes half a second


def _config(endpoint: str, values: dict | None = None) -> dict:
    request = urllib.request.Request(f"{endpoint}/_stp/config", method="POST" if values else "GET",
                                     data=json.dumps(values).encode() if values else None,
                                     headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=5) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def time_scale(endpoint: str, scale: float):
    before = _config(endpoint)["time_scale"]
    _config(endpoint, {"time_scale": scale})
    try:
        yield
    finally:
        _config(endpoint, {"time_scale": before})


def poll(fetch, done, timeout: float = 15.0, every: float = 0.01) -> list:
    """Call fetch() until done(value); every distinct value seen, in order."""
    seen: list = []
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if not seen or seen[-1] != value:
            seen.append(value)
        if done(value):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"not done after {timeout}s; last states: {seen[-5:]}")
        time.sleep(every)


@pytest.fixture(scope="module")
def network(aws):
    ec2, elb = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]
               ["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    group = ec2.create_security_group(GroupName=f"rollouts-{uuid.uuid4().hex[:6]}", Description="x",
                                      VpcId=vpc)["GroupId"]
    lb = elb.create_load_balancer(Name=f"rollouts-{uuid.uuid4().hex[:6]}", Subnets=subnets)["LoadBalancers"][0]
    not_found = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    listener, test_listener = (
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                            DefaultActions=not_found)["Listeners"][0]["ListenerArn"] for port in (80, 8080))
    cluster = f"rollouts-{uuid.uuid4().hex[:6]}"
    aws("ecs").create_cluster(clusterName=cluster)
    return {"vpc": vpc, "subnets": subnets, "group": group, "listener": listener, "test_listener": test_listener,
            "cluster": cluster, "priority": iter(range(1, 1000))}


class Workload:
    """An ECS service behind an ALB rule forwarding to a pair of target groups, made through the APIs."""

    def __init__(self, aws, network, config: dict, *, test_rule: bool = False, desired: int = 2):
        self.ecs, self.elb, self.cluster = aws("ecs"), aws("elbv2"), network["cluster"]
        self.name = f"svc-{uuid.uuid4().hex[:6]}"
        self.family = f"{self.name}-td"
        self.tg = [self.elb.create_target_group(Name=f"{self.name}-{c}", Protocol="HTTP", Port=80, VpcId=network["vpc"],
                                                TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
                   for c in ("blue", "green")]
        priority = next(network["priority"])
        forward = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": self.tg[0], "Weight": 100}, {"TargetGroupArn": self.tg[1], "Weight": 0}]}}]
        self.rule = self.elb.create_rule(ListenerArn=network["listener"], Priority=priority, Actions=forward,
                                         Conditions=[{"Field": "path-pattern", "Values": [f"/{self.name}/*"]}]
                                         )["Rules"][0]["RuleArn"]
        advanced = {"alternateTargetGroupArn": self.tg[1], "productionListenerRule": self.rule,
                    "roleArn": "arn:aws:iam::123456789012:role/ecs-infrastructure"}
        if test_rule:
            self.test_rule = self.elb.create_rule(ListenerArn=network["test_listener"], Priority=priority,
                                                  Actions=forward, Conditions=[
                                                      {"Field": "path-pattern", "Values": [f"/{self.name}/*"]}]
                                                  )["Rules"][0]["RuleArn"]
            advanced["testListenerRule"] = self.test_rule
        self.revisions = [self.register(f"web:{n}") for n in (1, 2)]
        self.ecs.create_service(
            cluster=self.cluster, serviceName=self.name, taskDefinition=self.revisions[0], desiredCount=desired,
            launchType="FARGATE", deploymentConfiguration=config,
            networkConfiguration={"awsvpcConfiguration": {"subnets": network["subnets"],
                                                          "securityGroups": [network["group"]]}},
            loadBalancers=[{"targetGroupArn": self.tg[0], "containerName": "web", "containerPort": 80,
                            "advancedConfiguration": advanced}])
        self.wait_latest("SUCCESSFUL")  # the creation is a deployment too

    def register(self, image: str) -> str:
        return self.ecs.register_task_definition(
            family=self.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "web", "image": image, "essential": True}],
        )["taskDefinition"]["taskDefinitionArn"]

    def weights(self, rule: str | None = None) -> tuple[int, int]:
        (found,) = self.elb.describe_rules(RuleArns=[rule or self.rule])["Rules"]
        by_arn = {g["TargetGroupArn"]: g["Weight"] for g in found["Actions"][0]["ForwardConfig"]["TargetGroups"]}
        return by_arn[self.tg[0]], by_arn[self.tg[1]]

    def deployments(self, **filters) -> list[dict]:
        found = self.ecs.list_service_deployments(cluster=self.cluster, service=self.name, **filters)
        return found["serviceDeployments"]

    def latest(self) -> dict:
        arn = self.deployments()[0]["serviceDeploymentArn"]
        return self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]

    def wait_latest(self, status: str, timeout: float = 15.0) -> dict:
        poll(lambda: self.latest()["status"], lambda s: s == status or s in ("ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED",
                                                                             "STOPPED", "SUCCESSFUL"), timeout)
        latest = self.latest()
        assert latest["status"] == status, latest
        return latest

    def service(self) -> dict:
        return self.ecs.describe_services(cluster=self.cluster, services=[self.name])["services"][0]

    def state(self) -> tuple:
        """(status, stage, weights) read while the stage did not change (two requests are not one snapshot)."""
        while True:
            before = self.latest()
            weights = self.weights()
            after = self.latest()
            if (before["status"], before.get("lifecycleStage")) == (after["status"], after.get("lifecycleStage")):
                return after["status"], after.get("lifecycleStage"), weights


CANARY = {"strategy": "CANARY", "bakeTimeInMinutes": 5,
          "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}}


@pytest.mark.slow
def test_canary_moves_10_then_100_percent_through_the_lifecycle(aws, network, local_aws):
    with time_scale(local_aws.endpoint, FAST):
        app = Workload(aws, network, CANARY, test_rule=True)
        assert app.weights() == (100, 0)
        app.ecs.update_service(cluster=app.cluster, service=app.name, taskDefinition=app.revisions[1])
        during: list[dict] = []

        def state():
            deployments = app.service()["deployments"]
            if len(deployments) == 2 and not during:
                during.append({d["status"]: d for d in deployments})
            return app.state()

        seen = poll(state, lambda s: s[0] == "SUCCESSFUL")
    weights = [w for w in dict.fromkeys(s[2] for s in seen)]
    assert weights == [(100, 0), (90, 10), (0, 100)], seen
    stages = [s for s in dict.fromkeys(s[1] for s in seen) if s]
    assert [STAGES.index(s) for s in stages] == sorted(STAGES.index(s) for s in stages), stages
    assert {"PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"} <= set(stages)
    assert "RECONCILE_SERVICE" not in stages  # only one revision was running
    # 10 % only while the canary bakes; all of it before the final bake time
    assert all(s[1] == "PRODUCTION_TRAFFIC_SHIFT" for s in seen if s[2] == (90, 10))
    assert all(s[2] == (0, 100) for s in seen if s[1] in ("BAKE_TIME", "CLEAN_UP"))

    # describe_services during the shift: the new deployment PRIMARY, the old one ACTIVE beside it
    (both,) = during
    assert both["PRIMARY"]["taskDefinition"] == app.revisions[1] and both["PRIMARY"]["rolloutState"] == "IN_PROGRESS"
    assert both["ACTIVE"]["taskDefinition"] == app.revisions[0] and both["ACTIVE"]["rolloutState"] == "COMPLETED"
    service = app.service()
    (primary,) = service["deployments"]
    assert primary["taskDefinition"] == service["taskDefinition"] == app.revisions[1]
    assert primary["rolloutState"] == "COMPLETED" and service["runningCount"] == 2 == primary["runningCount"]
    assert app.weights(app.test_rule) == (0, 100)  # test traffic went to the new revision first

    # the deployment record, as DescribeServiceDeployments / DescribeServiceRevisions show it
    d = app.latest()
    assert d["deploymentConfiguration"]["strategy"] == "CANARY"
    assert d["targetServiceRevision"]["requestedProductionTrafficWeight"] == 100.0
    assert d["startedAt"] <= d["finishedAt"] and d["lifecycleStage"] == "CLEAN_UP"
    arns = [d["targetServiceRevision"]["arn"], d["sourceServiceRevisions"][0]["arn"]]
    revisions = app.ecs.describe_service_revisions(serviceRevisionArns=[*arns, arns[0] + "0"])
    target, source = revisions["serviceRevisions"]
    assert (source["taskDefinition"], target["taskDefinition"]) == tuple(app.revisions)
    assert target["resolvedConfiguration"]["loadBalancers"] == [{"targetGroupArn": app.tg[1],
                                                                   "productionListenerRule": app.rule}]
    assert source["resolvedConfiguration"]["loadBalancers"][0]["targetGroupArn"] == app.tg[0]
    assert target["containerImages"][0]["image"] == "web:2"
    assert revisions["failures"] == [{"arn": arns[0] + "0", "reason": "MISSING",
                                      "detail": "The service revision does not exist."}]
    listed = app.deployments()
    assert [b["status"] for b in listed] == ["SUCCESSFUL", "SUCCESSFUL"]  # newest first: the update, the creation
    assert listed[0]["targetServiceRevisionArn"] == arns[0]
    assert app.deployments(status=["IN_PROGRESS"]) == []
    assert len(app.deployments(maxResults=1)) == 1
    messages = [e["message"] for e in service["events"]]
    assert any("shifted 10% of production traffic" in m for m in messages)


@pytest.mark.slow
def test_linear_adds_10_percent_per_step_then_blue_green_moves_back_at_once(aws, network, local_aws):
    linear = {"strategy": "LINEAR", "bakeTimeInMinutes": 0,
              "linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 1}}
    with time_scale(local_aws.endpoint, FAST):
        app = Workload(aws, network, linear, desired=1)
        app.ecs.update_service(cluster=app.cluster, service=app.name, taskDefinition=app.revisions[1])
        seen = poll(app.weights, lambda w: w == (0, 100), every=0.005)
        app.wait_latest("SUCCESSFUL")
        steps = [int(m.split("shifted ")[1].split("%")[0]) for m in
                 reversed([e["message"] for e in app.service()["events"]]) if "shifted" in m]
        assert steps == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
        news = [w[1] for w in seen]
        assert news == sorted(news) and set(news) <= {0, *steps} and len(news) >= 5, seen
        assert all(old + new == 100 for old, new in seen)

        # the next deployment goes back to the first target group, all at once (BLUE_GREEN)
        app.ecs.update_service(cluster=app.cluster, service=app.name, taskDefinition=app.revisions[0],
                               deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0})
        d = app.wait_latest("SUCCESSFUL")
    assert app.weights() == (100, 0)
    assert d["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    assert app.service()["taskDefinition"] == app.revisions[0]


def test_stop_rolls_back_to_the_old_target_group(aws, network, local_aws):
    slow_canary = {**CANARY, "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 60}}
    with time_scale(local_aws.endpoint, FAST):
        app = Workload(aws, network, slow_canary)
        app.ecs.update_service(cluster=app.cluster, service=app.name, taskDefinition=app.revisions[1])
        poll(app.weights, lambda w: w == (90, 10))
        arn = app.latest()["serviceDeploymentArn"]
        answer = app.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        assert answer["serviceDeploymentArn"] == arn
        seen = poll(lambda: app.latest()["status"], lambda s: s == "ROLLBACK_SUCCESSFUL")
    assert seen[0] in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS") and "ROLLBACK_IN_PROGRESS" in seen, seen
    assert app.weights() == (100, 0)
    d = app.latest()
    assert d["rollback"]["serviceRevisionArn"] == d["sourceServiceRevisions"][0]["arn"]
    assert "stop request" in d["rollback"]["reason"] and d["stoppedAt"] >= d["startedAt"]
    service = app.service()
    (primary,) = service["deployments"]
    assert service["taskDefinition"] == primary["taskDefinition"] == app.revisions[0]
    assert primary["rolloutState"] == "COMPLETED" and service["runningCount"] == 2
    with pytest.raises(ClientError) as conflict:
        app.ecs.stop_service_deployment(serviceDeploymentArn=arn)
    assert conflict.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as missing:
        app.ecs.stop_service_deployment(serviceDeploymentArn=arn + "x")
    assert missing.value.response["Error"]["Code"] == "ServiceDeploymentNotFoundException"
    assert app.ecs.describe_service_deployments(serviceDeploymentArns=[arn + "x"])["failures"][0]["reason"] == "MISSING"


def _function(aws, name: str, **extra) -> str:
    role = aws("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {'hookStatus': 'SUCCEEDED'}\n")
    return aws("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                                         Code={"ZipFile": package.getvalue()}, **extra)["FunctionArn"]


def test_a_failing_lifecycle_hook_rolls_back_before_any_traffic_moves(aws, network, local_aws):
    suffix = uuid.uuid4().hex[:6]
    fine = _function(aws, f"smoke-{suffix}")
    failing = _function(aws, f"check-{suffix}", Environment={"Variables": {"STP_LOCAL_HOOK_STATUS": "FAILED"}})
    per_stage = _function(aws, f"gate-{suffix}", Tags={"stp:local:hook-status": "POST_SCALE_UP=FAILED"})
    role = "arn:aws:iam::123456789012:role/hooks"
    config = {**CANARY, "lifecycleHooks": [
        {"hookTargetArn": fine, "roleArn": role, "lifecycleStages": ["PRE_SCALE_UP"]},
        {"hookTargetArn": per_stage, "roleArn": role, "lifecycleStages": ["PRE_SCALE_UP"]},
        {"hookTargetArn": failing, "roleArn": role, "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]},
    ]}
    with time_scale(local_aws.endpoint, FAST):
        app = Workload(aws, network, config, desired=1)
        app.ecs.update_service(cluster=app.cluster, service=app.name, taskDefinition=app.revisions[1])
        weights = poll(app.weights, lambda w: app.latest()["status"].startswith("ROLLBACK_S"))
        d = app.wait_latest("ROLLBACK_SUCCESSFUL")
    assert weights == [(100, 0)]  # production traffic never moved
    hooks = {h["targetArn"]: h["status"] for h in d["lifecycleHookDetails"]}
    assert hooks == {fine: "SUCCEEDED", per_stage: "SUCCEEDED", failing: "FAILED"}
    assert failing in d["rollback"]["reason"] and "POST_TEST_TRAFFIC_SHIFT" in d["rollback"]["reason"]
    assert app.service()["taskDefinition"] == app.revisions[0]


def test_a_pause_hook_waits_for_continue_service_deployment(aws, network, local_aws):
    config = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": [
        {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]}
    with time_scale(local_aws.endpoint, FAST):
        app = Workload(aws, network, config, desired=1)
        app.ecs.update_service(cluster=app.cluster, service=app.name, taskDefinition=app.revisions[1])
        poll(lambda: [h["status"] for h in app.latest().get("lifecycleHookDetails", [])],
             lambda s: s == ["AWAITING_ACTION"])
        d = app.latest()
        assert d["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT" and app.weights() == (100, 0)
        (hook,) = d["lifecycleHookDetails"]
        assert hook["targetType"] == "PAUSE" and hook["timeoutAction"] == "ROLLBACK" and hook["expiresAt"] > d["createdAt"]
        app.ecs.continue_service_deployment(serviceDeploymentArn=d["serviceDeploymentArn"], hookId=hook["hookId"],
                                            action="CONTINUE")
        done = app.wait_latest("SUCCESSFUL")
    assert done["lifecycleHookDetails"][0]["status"] == "SUCCEEDED" and app.weights() == (0, 100)


def test_an_alarm_in_alarm_state_rolls_back(aws, network, local_aws):
    alarm = f"errors-{uuid.uuid4().hex[:6]}"
    watch = aws("cloudwatch")
    watch.put_metric_alarm(AlarmName=alarm, MetricName="5xx", Namespace="app", Statistic="Sum", Period=60,
                           EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    config = {**CANARY, "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 60},
              "alarms": {"alarmNames": [alarm], "enable": True, "rollback": True}}
    with time_scale(local_aws.endpoint, FAST):
        app = Workload(aws, network, config, desired=1)
        app.ecs.update_service(cluster=app.cluster, service=app.name, taskDefinition=app.revisions[1])
        poll(app.weights, lambda w: w == (90, 10))
        assert app.latest()["alarms"]["status"] == "MONITORING"
        watch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="too many errors")
        d = app.wait_latest("ROLLBACK_SUCCESSFUL")
    assert d["alarms"] == {"status": "TRIGGERED", "alarmNames": [alarm], "triggeredAlarmNames": [alarm]}
    assert alarm in d["rollback"]["reason"] and app.weights() == (100, 0)

"""Following stack events without a server: paging, de-duplication, reconnects, Ctrl-C, image builds."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ConnectionClosedError

from core.aws import artifacts
from core.aws.console import Console
from core.aws.session import AwsProblem, Target
from core.aws.stacks import Backoff, EventPrinter, EventStream, Outcome, watch

STACK_ID = "arn:aws:cloudformation:us-east-1:123:stack/demo-dev/abc"
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def ev(i: int, lid: str, status: str, reason: str | None = None, rtype: str = "AWS::SQS::Queue") -> dict:
    e = {"EventId": f"e{i}", "StackId": STACK_ID, "StackName": "demo-dev", "LogicalResourceId": lid,
         "ResourceType": rtype, "ResourceStatus": status, "Timestamp": T0 + timedelta(seconds=i)}
    if reason:
        e["ResourceStatusReason"] = reason
    return e


def stack_ev(i: int, status: str, reason: str | None = None) -> dict:
    return ev(i, "demo-dev", status, reason, "AWS::CloudFormation::Stack")


class FakeCfn:
    """DescribeStackEvents newest first, 2 per page; `script` releases more events at each first-page request;
    the requests numbered in `fail_on` (1-based, pages included) fail as a dropped connection."""

    def __init__(self, script: list[list[dict]], fail_on: set[int] = frozenset(), status: str = "UPDATE_IN_PROGRESS"):
        self.script = script
        self.events: list[dict] = []
        self.calls = 0
        self.fail_on = fail_on
        self.status = status
        self.cancelled = False

    def describe_stack_events(self, StackName, NextToken=None):
        self.calls += 1
        if self.calls in self.fail_on:
            raise ConnectionClosedError(endpoint_url="https://cloudformation")
        if NextToken is None and self.script:
            self.events.extend(self.script.pop(0))
        newest = sorted(self.events, key=lambda e: e["Timestamp"], reverse=True)
        start = int(NextToken or 0)
        page = newest[start:start + 2]
        out = {"StackEvents": page}
        if start + 2 < len(newest):
            out["NextToken"] = str(start + 2)
        return out

    def describe_stacks(self, StackName):
        last = [e for e in self.events if e["ResourceType"] == "AWS::CloudFormation::Stack"]
        status = last[-1]["ResourceStatus"] if last else self.status
        return {"Stacks": [{"StackId": STACK_ID, "StackName": "demo-dev", "StackStatus": status}]}

    def cancel_update_stack(self, StackName):
        self.cancelled = True


class FakeAws:
    local = True
    region = "us-east-1"
    target = Target(local=True, endpoint="http://fake")

    def __init__(self, cfn):
        self.cfn = cfn

    def client(self, name, **kw):
        return self.cfn

    def describe(self):
        return "fake"


def test_events_arrive_once_each_in_order_across_pages_and_a_dropped_connection():
    before = [stack_ev(0, "UPDATE_COMPLETE")]
    script = [
        [],  # prime
        [stack_ev(1, "UPDATE_IN_PROGRESS", "User Initiated"), ev(2, "Q", "UPDATE_IN_PROGRESS")],
        [],
        # five events at once (three pages to read back), and the connection drops on the second page
        [ev(3, "Q", "UPDATE_COMPLETE"), ev(4, "T", "UPDATE_IN_PROGRESS", rtype="AWS::SNS::Topic"),
         ev(5, "T", "UPDATE_COMPLETE", rtype="AWS::SNS::Topic"), stack_ev(6, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
         stack_ev(7, "UPDATE_COMPLETE")],
    ]
    cfn = FakeCfn(script, fail_on={5, 6})  # request 4 is the first page of the batch
    cfn.events = list(before)
    aws = FakeAws(cfn)
    stream = EventStream(aws, STACK_ID)
    stream.prime()
    seen, notes = [], []
    outcome = watch(aws, stream, seen.append, backoff=Backoff(0, 1, 0), on_reconnect=notes.append,
                    sleep=lambda s: None)
    assert [e["EventId"] for e in seen] == [f"e{i}" for i in range(1, 8)]
    assert outcome.status == "UPDATE_COMPLETE" and outcome.ok
    assert notes[0].startswith("connection lost") and notes[-1] == "reconnected"


def test_root_cause_skips_cancellations_and_the_stack_itself():
    events = [stack_ev(1, "UPDATE_IN_PROGRESS"),
              ev(2, "A", "UPDATE_FAILED", "Resource update cancelled"),
              ev(3, "B", "CREATE_FAILED", "Bucket name already exists"),
              stack_ev(4, "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [B]."),
              stack_ev(5, "UPDATE_ROLLBACK_COMPLETE")]
    outcome = Outcome(STACK_ID, "UPDATE_ROLLBACK_COMPLETE", None, events, 3.0)
    assert not outcome.ok
    assert outcome.root_cause["LogicalResourceId"] == "B"


def test_event_lines_show_elapsed_owner_duration_and_reason():
    out = io.StringIO()
    printer = EventPrinter(Console(out=out, color=False), "demo-dev", {"Q": "jobs"})
    for e in [stack_ev(0, "CREATE_IN_PROGRESS", "User Initiated"), ev(1, "Q", "CREATE_IN_PROGRESS"),
              ev(2, "Q", "CREATE_IN_PROGRESS", "Resource creation Initiated"),
              ev(4, "Q", "CREATE_FAILED", "quota exceeded")]:
        printer(e)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4  # the second "in progress" of Q adds nothing
    assert "stack demo-dev" in lines[0]
    assert "jobs › Q" in lines[1] and lines[1].lstrip().startswith("1.0s")
    assert "CREATE_FAILED" in lines[2] and lines[2].endswith("3.0s")
    assert lines[3].strip() == "quota exceeded"


def test_backoff_grows_while_idle_and_resets_on_news():
    b = Backoff(0.25, 2.0, 1.0)
    assert [b.next(False) for _ in range(4)] == [0.5, 1.0, 1.0, 1.0]
    assert b.next(True) == 0.25


def test_ctrl_c_offers_to_cancel_the_update(monkeypatch):
    from core.aws import deploy as d

    cfn = FakeCfn([], status="UPDATE_IN_PROGRESS")
    aws = FakeAws(cfn)
    calls = []

    def fake_watch(aws_, stream, on_event, **kw):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return Outcome(STACK_ID, "UPDATE_ROLLBACK_COMPLETE", None, [], 1.0)

    monkeypatch.setattr(d, "watch", fake_watch)
    monkeypatch.setattr(EventStream, "prime", lambda self: None)
    cfn.execute_change_set = lambda **kw: None
    plan = d.Plan("demo-dev", "cs", "UPDATE", STACK_ID, [])
    prepared = type("P", (), {"template": {}})()
    err = io.StringIO()
    console = Console(out=io.StringIO(), err=err, stdin=io.StringIO("y\n"), color=False, interactive=True)
    outcome = d.execute(aws, plan, prepared, console)
    assert cfn.cancelled and outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "Cancel the update of demo-dev?" in err.getvalue() and "rolling back" in err.getvalue()

    # without a terminal to ask on: stop watching, say where to look
    calls.clear()
    err = io.StringIO()
    console = Console(out=io.StringIO(), err=err, color=False, interactive=False)
    assert d.execute(aws, plan, prepared, console) is None
    assert "the deployment goes on in AWS" in err.getvalue() and "stp info" in err.getvalue()


def test_bucket_names_stay_valid():
    name = artifacts.bucket_name("A-Very-Long-Project-Name-That-Goes-On-And-On-prod", "123456789012", "ap-southeast-2")
    assert len(name) <= 63 and name == name.lower() and name.endswith("-deploy-123456789012-ap-southeast-2")
    assert artifacts.bucket_name("demo-dev", "123456789012", "us-east-1") == "demo-dev-deploy-123456789012-us-east-1"


def test_zips_are_deterministic(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    files = [("a.py", tmp_path / "a.py")]
    first = artifacts.deterministic_zip(files)
    (tmp_path / "a.py").touch()
    assert artifacts.deterministic_zip(files) == first


def test_images_without_docker_name_the_containers(monkeypatch):
    monkeypatch.setattr(artifacts.shutil, "which", lambda name: None)
    images = {"WorkerImage": {"resource": "worker", "container": "worker", "packaging": "custom-dockerfile"},
              "ApiWebImage": {"resource": "api", "container": "web", "packaging": "stacktape-image-buildpack"}}
    with pytest.raises(AwsProblem) as info:
        artifacts.build_and_push(FakeAws(None), "demo-dev", None, images, None, print)
    text = str(info.value)
    assert "worker/worker (custom-dockerfile), api/web (stacktape-image-buildpack)" in text
    assert "docker is not installed" in text


@pytest.mark.slow
def test_images_are_built_and_pushed_to_ecr(tmp_path, aws, monkeypatch):
    """The real-AWS image path (ECR of the local AWS), with docker replaced by a recorder."""
    from core.analysis import analyze

    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    text = ("resources:\n  worker:\n    type: worker-service\n    properties:\n      packaging:\n"
            "        type: custom-dockerfile\n        properties:\n          buildContextPath: .\n"
            "          buildArgs:\n            - argName: MODE\n              value: prod\n"
            "      resources:\n        cpu: 0.25\n        memory: 512\n")
    analysis = analyze(text)
    assert analysis.ok
    commands = []

    def run(cmd, **kw):
        commands.append(cmd)
        stdout = "sha256:0123456789abcdef0123456789abcdef\n" if cmd[:3] == ["docker", "image", "inspect"] else ""
        return subprocess.CompletedProcess(cmd, 0, stdout, "")

    monkeypatch.setattr(artifacts.shutil, "which", lambda name: "/usr/bin/" + name)
    images = {"WorkerImage": {"resource": "worker", "container": "worker", "packaging": "custom-dockerfile"}}
    said = []
    uris = artifacts.build_and_push(aws, "demo-dev", analysis, images, tmp_path, said.append, run=run)
    assert uris["WorkerImage"].endswith("/demo-dev:worker-worker-0123456789abcdef")
    assert any(c[:2] == ["docker", "login"] for c in commands)
    build = next(c for c in commands if c[:2] == ["docker", "build"])
    assert "--build-arg" in build and "MODE=prod" in build and build[-1] == str(tmp_path.resolve())
    assert ["docker", "push", uris["WorkerImage"]] in commands
    assert aws.client("ecr").describe_repositories(repositoryNames=["demo-dev"])["repositories"]

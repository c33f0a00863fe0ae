"""Fixtures of the dashboard tests.

`tui_aws` (session): a local AWS on a free port with its state in a temporary folder (like tests/aws), with
the bundled examples deployed as stacks `queue-worker-tui` and `canary-alb-tui`. Workloads are not run as
processes there (STP_LOCAL_RUN_WORKLOADS=0): the tests put the log lines they look for themselves.

`make_app` builds an StpApp over it; snapshot tests use stp_tui.fake.FakeBackend instead (fixed data and
clock).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.local import server
from tests.aws_env import dummy_credentials, env
from tests.conftest import EXAMPLES

STAGE = "tui"


@dataclass
class TuiAws:
    endpoint: str
    state_dir: str
    stacks: dict[str, str] = field(default_factory=dict)  # example → stack name
    log_groups: dict[str, str] = field(default_factory=dict)  # stack/resource/container → log group

    def aws(self):
        from core.aws import connect

        return connect(local=True, endpoint=self.endpoint)

    def client(self, service: str):
        return self.aws().client(service)

    def put_logs(self, group: str, container: str, lines: list[str], task: str | None = None,
                 at_ms: int | None = None) -> str:
        """Write lines into a log group as a task's container would; returns the task id."""
        logs = self.client("logs")
        task = task or uuid.uuid4().hex
        stream = f"{container}/{container}/{task}"
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
        t0 = at_ms if at_ms is not None else int(time.time() * 1000)
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": t0 + i, "message": m} for i, m in enumerate(lines)])
        return task

    def config(self, values: dict | None = None) -> dict:
        import urllib.request

        request = urllib.request.Request(f"{self.endpoint}/_stp/config", method="POST" if values else "GET",
                                         data=json.dumps(values).encode() if values else None,
                                         headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=5) as response:
            return json.loads(response.read())


def deploy_example(aws, config: Path, stage: str) -> str:
    from core.aws.console import Console
    from core.aws.dashboard import create_placeholder_secrets, prepare
    from core.aws.deploy import deploy

    prepared = prepare(config, stage, aws.region)
    create_placeholder_secrets(aws, prepared.template)
    out = io.StringIO()
    code = deploy(aws, prepared, Console(out=out, err=out, color=False, interactive=False), yes=True)
    assert code == 0, out.getvalue()
    return prepared.stack


def outputs(aws, stack: str) -> dict[str, str]:
    found = aws.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs") or ()}


@pytest.fixture(scope="session")
def tui_aws(tmp_path_factory) -> Iterator[TuiAws]:
    state = tmp_path_factory.mktemp("stp-tui-state")
    with env(STP_LOCAL_STATE_DIR=str(state), STP_LOCAL_RUN_WORKLOADS="0"):
        status = server.start(port=server.free_port(), resource_delay="0.01")
    try:
        found = TuiAws(status.endpoint, str(state))
        aws = found.aws()
        for example in ("queue-worker", "canary-alb"):
            found.stacks[example] = deploy_example(aws, EXAMPLES / example / "stacktape.yml", STAGE)
        qo = outputs(aws, found.stacks["queue-worker"])
        co = outputs(aws, found.stacks["canary-alb"])
        found.log_groups = {"worker": qo["WorkerLogGroupName"], "web": co["ApiWebLogGroupName"]}
        yield found
    finally:
        with env(STP_LOCAL_STATE_DIR=str(state)):
            server.stop()


@pytest.fixture(autouse=True)
def tui_env(monkeypatch, tmp_path):
    """Dummy credentials, no real profile, no user state folder."""
    dummy_credentials(monkeypatch, tmp_path)


@pytest.fixture
def make_app(tui_aws, tmp_path):
    """make_app(**options) → an StpApp over the session's local AWS (stage `tui` unless said otherwise)."""
    from stp_tui.app import StpApp
    from stp_tui.backend import AwsBackend

    def make(**options):
        options.setdefault("stage", STAGE)
        options.setdefault("save_dir", tmp_path)
        return StpApp(AwsBackend(local=True, endpoint=tui_aws.endpoint), **options)

    return make


@pytest.fixture
def example_copy(tmp_path):
    """example_copy(name) → a copy of a bundled example (its stacktape.yml path) to change freely."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(EXAMPLES / name, target)
        return target / "stacktape.yml"

    return copy

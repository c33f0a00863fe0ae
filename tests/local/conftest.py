"""One local AWS server for the session, started and stopped through `core.local.server` like a user would.

It listens on a free port with its state (pid file, log) in a temporary folder; tests talk to it with
boto3 (`endpoint_url`, dummy credentials, us-east-1) and assert only what a client sees.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.local import server
from tests.aws_env import env

RESOURCE_DELAY = "0.02"  # seconds per resource: quick, yet every operation is visibly asynchronous


@pytest.fixture(scope="session")
def local_state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("stp-local-state")


@pytest.fixture(scope="session")
def local_aws(local_state) -> Iterator[server.ServerStatus]:
    """The session's server. The environment points at its state folder only while starting and stopping it
    (tests that need `server.status()` to find it use `in_local_state`)."""
    with env(STP_LOCAL_STATE_DIR=str(local_state)):
        status = server.start(port=server.free_port(), resource_delay=RESOURCE_DELAY)
    try:
        yield status
    finally:
        with env(STP_LOCAL_STATE_DIR=str(local_state)):
            server.stop()


@pytest.fixture
def in_local_state(local_aws, local_state, monkeypatch) -> server.ServerStatus:
    """STP_LOCAL_STATE_DIR of the session's server, for this test."""
    monkeypatch.setenv("STP_LOCAL_STATE_DIR", str(local_state))
    monkeypatch.delenv("STP_LOCAL_PORT", raising=False)
    return local_aws


@pytest.fixture(scope="session")
def aws(local_aws):
    """aws("ecs") -> a boto3 client of the local server."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="us-east-1")
    clients: dict[str, object] = {}

    def client(service: str):
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=local_aws.endpoint)
        return clients[service]

    return client


@pytest.fixture(scope="session")
def cfn(aws):
    return aws("cloudformation")


@pytest.fixture
def stack_name(request) -> str:
    """A stack name unique to the test."""
    base = "".join(ch if ch.isalnum() else "-" for ch in request.node.name)[:40].strip("-")
    return f"{base}-{uuid.uuid4().hex[:6]}"


def wait_stack(cfn, name: str, timeout: float = 20.0) -> dict:
    """Poll DescribeStacks until the stack leaves *_IN_PROGRESS (REVIEW_IN_PROGRESS counts as settled)."""
    deadline = time.monotonic() + timeout
    while True:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS") or status == "REVIEW_IN_PROGRESS":
            return stack
        if time.monotonic() > deadline:
            raise AssertionError(f"stack {name} still {status} after {timeout}s")
        time.sleep(0.03)


def events(cfn, name: str) -> list[dict]:
    """Stack events oldest first (the API returns newest first)."""
    pages = cfn.get_paginator("describe_stack_events").paginate(StackName=name)
    return [e for page in pages for e in page["StackEvents"]][::-1]


def outputs(stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


@pytest.fixture
def state_dir(tmp_path, monkeypatch) -> Path:
    """A state folder of its own, for tests that start and stop servers themselves."""
    folder = tmp_path / "state"
    monkeypatch.setenv("STP_LOCAL_STATE_DIR", str(folder))
    monkeypatch.delenv("STP_LOCAL_PORT", raising=False)
    return folder

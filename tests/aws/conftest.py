"""A local AWS server for tests/aws (helpers to run `stp` in-process are in support.py).

The server is started like tests/local does it (core.local.server on a free port, state in a temporary
folder). Its state folder is put into STP_LOCAL_STATE_DIR for each test only (monkeypatch), so
`stp ... --local` finds this server even when tests/local runs its own server in the same session.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from core.local import server

RESOURCE_DELAY = "0.01"


@dataclass(frozen=True)
class LocalServer:
    endpoint: str
    state_dir: str


@contextlib.contextmanager
def _env(**values: str | None):
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def aws_server(tmp_path_factory) -> Iterator[LocalServer]:
    state = tmp_path_factory.mktemp("stp-aws-state")
    with _env(STP_LOCAL_STATE_DIR=str(state)):
        status = server.start(port=server.free_port(), resource_delay=RESOURCE_DELAY)
    try:
        yield LocalServer(status.endpoint, str(state))
    finally:
        with _env(STP_LOCAL_STATE_DIR=str(state)):
            server.stop()


@pytest.fixture(autouse=True)
def aws_env(request, monkeypatch, tmp_path):
    """Dummy credentials, no real profile, and (for tests using the server) its state folder."""
    empty = tmp_path / "aws-config-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_COLOR", "1")
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "STP_LOCAL_PORT"):
        monkeypatch.delenv(key, raising=False)
    if "aws_server" in request.fixturenames:
        srv = request.getfixturevalue("aws_server")
        monkeypatch.setenv("STP_LOCAL_STATE_DIR", srv.state_dir)
    else:  # never find (or start a server in) the user's own state folder
        monkeypatch.setenv("STP_LOCAL_STATE_DIR", str(tmp_path / "no-local-server"))


@pytest.fixture
def aws(aws_server):
    """A connected core.aws.Aws for the test server."""
    from core.aws import connect

    return connect(local=True, endpoint=aws_server.endpoint)

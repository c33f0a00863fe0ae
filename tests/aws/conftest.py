"""A local AWS server for tests/aws (helpers to run `stp` in-process are in support.py).

The server is started like tests/local does it (core.local.server on a free port, state in a temporary
folder). Its state folder is put into STP_LOCAL_STATE_DIR for each test only (monkeypatch), so
`stp ... --local` finds this server even when tests/local runs its own server in the same session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from core.local import server
from tests.aws_env import dummy_credentials, env

RESOURCE_DELAY = "0.01"


@dataclass(frozen=True)
class LocalServer:
    endpoint: str
    state_dir: str


@pytest.fixture(scope="session")
def aws_server(tmp_path_factory) -> Iterator[LocalServer]:
    state = tmp_path_factory.mktemp("stp-aws-state")
    with env(STP_LOCAL_STATE_DIR=str(state)):
        status = server.start(port=server.free_port(), resource_delay=RESOURCE_DELAY)
    try:
        yield LocalServer(status.endpoint, str(state))
    finally:
        with env(STP_LOCAL_STATE_DIR=str(state)):
            server.stop()


@pytest.fixture(autouse=True)
def awsenv(request, monkeypatch, tmp_path):
    """Dummy credentials, no real profile, and (for tests using the server) its state folder."""
    dummy_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    if "aws_server" in request.fixturenames:
        srv = request.getfixturevalue("aws_server")
        monkeypatch.setenv("STP_LOCAL_STATE_DIR", srv.state_dir)


@pytest.fixture
def aws(aws_server):
    """A connected core.aws.Aws for the test server."""
    from core.aws import connect

    return connect(local=True, endpoint=aws_server.endpoint)

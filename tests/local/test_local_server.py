"""Starting, stopping and inspecting the background server: `core.local.server` and `stp local ...`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from core.cli import main
from core.local import server


def test_status_when_nothing_runs(state_dir, capsys):
    assert server.status().state == "stopped"
    assert main(["local", "status"]) == 1
    out = capsys.readouterr().out
    assert "local AWS is not running" in out
    assert "stp local start" in out


def test_status_json_when_nothing_runs(state_dir, capsys):
    assert main(["local", "status", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["running"] is False and data["state"] == "stopped" and data["pid"] is None


def test_stale_state_file_is_cleaned(state_dir):
    state_dir.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (state_dir / "server.json").write_text(json.dumps({"pid": dead.pid, "port": 1, "started_at": 0}))
    status = server.status()
    assert status.state == "stopped" and status.stale_cleaned
    assert not (state_dir / "server.json").exists()
    assert "stale" in status.summary()


def test_stop_when_nothing_runs(state_dir, capsys):
    assert main(["local", "stop"]) == 0
    assert "not running" in capsys.readouterr().out


def test_endpoint_url_needs_a_running_server(state_dir):
    with pytest.raises(server.LocalServerError, match="stp local start"):
        server.endpoint_url()


def test_port_taken_by_another_program(state_dir):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(server.LocalServerError, match=f"port {port} is already in use"):
            server.start(port)
    assert server.status().state == "stopped"


def test_port_comes_from_the_environment(state_dir, monkeypatch):
    monkeypatch.setenv("STP_LOCAL_PORT", "not-a-port")
    with pytest.raises(server.LocalServerError, match="STP_LOCAL_PORT"):
        server.start()


def test_bad_time_scale_is_refused_by_the_cli(state_dir, capsys):
    with pytest.raises(SystemExit):
        main(["local", "start", "--time-scale", "0"])
    assert "greater than 0" in capsys.readouterr().err


@pytest.mark.slow
def test_server_that_dies_at_start_up_names_its_log(state_dir):
    with pytest.raises(server.LocalServerError) as failure:
        server.start(0, resource_delay="not-seconds")
    message = str(failure.value)
    assert "exited during start-up" in message
    assert str(state_dir / "server.log") in message
    assert "not a number of seconds" in message  # the log's last lines are quoted
    assert server.status().state == "stopped"


@pytest.mark.slow
def test_start_status_stop_through_the_cli(state_dir, capsys):
    assert main(["local", "start", "--port", "0", "--time-scale", "60"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("local AWS started at http://127.0.0.1:")
    assert "time scale: 60x" in out
    try:
        assert main(["local", "status", "--format", "json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["running"] and status["time_scale"] == 60
        assert status["endpoint"] == f"http://127.0.0.1:{status['port']}"
        assert status["uptime_seconds"] >= 0
        recorded = json.loads((state_dir / "server.json").read_text())
        assert recorded["pid"] == status["pid"] and recorded["port"] == status["port"]

        # A second start reuses it; a start on another port is refused.
        assert main(["local", "start"]) == 0
        assert "already running" in capsys.readouterr().out
        assert main(["local", "start", "--port", str(status["port"] + 1)]) == 1
        assert "stop it first" in capsys.readouterr().err

        # It answers AWS API calls.
        import boto3

        sqs = boto3.client("sqs", endpoint_url=status["endpoint"], **{k: v for k, v in server.client_options(
            status["endpoint"]).items() if k != "endpoint_url"})
        assert sqs.create_queue(QueueName="hello")["QueueUrl"].endswith("/hello")
    finally:
        assert main(["local", "stop"]) == 0
    assert "stopped local AWS" in capsys.readouterr().out
    assert not (state_dir / "server.json").exists()
    assert main(["local", "status"]) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(status["pid"], 0)


def test_ensure_running_reuses_the_running_server(in_local_state):
    status = server.ensure_running()
    assert status.running and status.reused
    assert status.pid == in_local_state.pid
    assert server.endpoint_url() == in_local_state.endpoint


def test_server_health_and_config_endpoints(in_local_state):
    local_aws = in_local_state
    import urllib.request

    def call(path: str, data: dict | None = None) -> dict:
        body = json.dumps(data).encode() if data is not None else None
        with urllib.request.urlopen(urllib.request.Request(f"{local_aws.endpoint}{path}", data=body)) as response:
            return json.loads(response.read())

    health = call("/_stp/health")
    assert health["service"] == "stp-local" and health["pid"] == local_aws.pid
    assert health["resource_delay"] == pytest.approx(0.02)
    try:
        changed = call("/_stp/config", {"type_delays": {"AWS::ECS::Service": 1}, "time_scale": 30})
        assert changed["type_delays"] == {"AWS::ECS::Service": 1.0} and changed["time_scale"] == 30
        assert server.status().time_scale == 30
    finally:
        call("/_stp/config", {"type_delays": {}, "time_scale": 1})
    with pytest.raises(urllib.error.HTTPError) as refused:
        call("/_stp/config", {"time_scale": "fast"})
    assert refused.value.code == 400

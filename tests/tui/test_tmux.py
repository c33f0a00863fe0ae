"""`stp-tui --local` in a real terminal (tmux, 120x36): the local AWS starts, the example is offered and
deployed, then the stack, the worker's logs and its rollout are opened with keys; the screen is read back with
`tmux capture-pane -p`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from core.local import server

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]


class Tmux:
    def __init__(self, name: str, env: dict[str, str]):
        self.name = name
        self.env = env

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10, env=self.env).stdout

    def start(self, command: str) -> None:
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "120", "-y", "36", command],
                       check=True, timeout=10, env=self.env)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", self.name, key)
            time.sleep(0.05)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on the screen after {timeout}s:\n{shown}")
            time.sleep(0.1)

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True, timeout=10, env=self.env)


def command_line() -> str:
    script = Path(sys.executable).with_name("stp-tui")
    exe = str(script) if script.exists() else f"{sys.executable} -m stp_tui"
    return f"cd {ROOT} && exec {exe} --local"


def test_stp_tui_local_in_a_real_terminal(tmp_path):
    state = tmp_path / "state"
    home = tmp_path / "home"
    home.mkdir()
    (home / "empty").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STP_", "TMUX"))}
    env.update(STP_LOCAL_PORT=str(server.free_port()), STP_LOCAL_STATE_DIR=str(state), TERM="xterm-256color",
               AWS_CONFIG_FILE=str(home / "empty"), AWS_SHARED_CREDENTIALS_FILE=str(home / "empty"),
               AWS_EC2_METADATA_DISABLED="true", TMUX_TMPDIR=str(tmp_path), PYTHONPATH=str(ROOT))
    tmux = Tmux(f"stp-tui-{uuid.uuid4().hex[:6]}", env)
    tmux.start(command_line())
    try:
        shown = tmux.wait_for("Deploy an example?", timeout=45)
        assert "queue-worker-dev" in shown and f"local http://127.0.0.1:{env['STP_LOCAL_PORT']}" in shown
        assert "region us-east-1" in shown
        tmux.keys("y")
        tmux.wait_for("deploy finished: CREATE_COMPLETE", timeout=45)
        tmux.keys("Escape")
        tmux.wait_for("a All stages", timeout=15)  # the stacks screen's keys (ESC alone, not alt+…)
        shown = tmux.wait_for("CREATE_COMPLETE", timeout=15)
        assert "queue-worker-dev" in shown
        tmux.keys("Enter")
        tmux.wait_for("worker-service", timeout=15)
        tmux.keys("Down", "Down")  # jobs → results → worker
        tmux.keys("l")
        tmux.wait_for("logs worker", timeout=15)
        tag = uuid.uuid4().hex[:8]
        put_log_line(env, f"hello from tmux {tag}")
        shown = tmux.wait_for(f"hello from tmux {tag}", timeout=20)
        assert "● following" in shown and "worker/" in shown
        tmux.keys("Escape")
        tmux.wait_for("d Detail", timeout=10)
        tmux.keys("r")
        shown = tmux.wait_for("strategy rolling", timeout=20)
        assert "rollout worker" in shown and "traffic" in shown and "lifecycle" in shown
        tmux.keys("q")
        deadline = time.monotonic() + 10
        while tmux.run("has-session", "-t", tmux.name) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        tmux.kill()
        saved = os.environ.get("STP_LOCAL_STATE_DIR")
        os.environ["STP_LOCAL_STATE_DIR"] = str(state)
        try:
            server.stop()
        finally:
            if saved is None:
                os.environ.pop("STP_LOCAL_STATE_DIR", None)
            else:
                os.environ["STP_LOCAL_STATE_DIR"] = saved


def put_log_line(env: dict[str, str], message: str) -> None:
    from core.aws import connect

    endpoint = f"http://127.0.0.1:{env['STP_LOCAL_PORT']}"
    aws = connect(local=True, endpoint=endpoint)
    stack = aws.client("cloudformation").describe_stacks(StackName="queue-worker-dev")["Stacks"][0]
    group = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["WorkerLogGroupName"]
    logs = aws.client("logs")
    stream = f"worker/worker/{uuid.uuid4().hex}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": message}])

"""`stp logs --follow` outlives a crash of the local AWS: it reconnects and prints what comes after, once each.

A dedicated server (own state folder, free port) is killed with SIGKILL and started again on the same port.
The local AWS keeps its state in memory, so the log group and stream are created again under the same names;
its event ids start again from 0 too, so ids already printed before the crash come back for new events.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.local import server
from tests.aws.support import stp, unique, write_config

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
serviceName: {project}
resources:
  worker:
    type: worker-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: public.ecr.aws/docker/library/busybox:latest
      resources:
        cpu: 0.25
        memory: 512
"""


class Lines:
    """The lines a child process writes to one stream, read as they come."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in iter(stream.readline, ""):
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def snapshot(self) -> list[str]:
        with self.lock:
            return list(self.lines)

    def text(self) -> str:
        return "\n".join(self.snapshot())


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None, err: Lines | None = None):
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"`stp logs --follow` exited ({proc.returncode}) while waiting for {what}:\n"
                                 f"{err.text() if err else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout:g}s" + (f"; stderr:\n{err.text()}" if err else ""))
        time.sleep(0.05)


def messages(out: Lines, tag: str) -> list[str]:
    return [line.split(None, 2)[2] for line in out.snapshot() if tag in line]


def put(logs, group: str, stream: str, message: str, *, ts: int | None = None) -> None:
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": ts or int(time.time() * 1000), "message": message}])


@pytest.mark.slow
def test_follow_resumes_after_the_local_aws_is_killed_and_restarted(tmp_path, monkeypatch):
    import boto3

    started = time.monotonic()
    state = tmp_path / "state"
    monkeypatch.setenv("STP_LOCAL_STATE_DIR", str(state))
    monkeypatch.setenv("STP_LOCAL_RUN_WORKLOADS", "0")  # for the server: no task output in the log group
    port = server.free_port()
    first = server.start(port=port, resource_delay="0.01")
    proc: subprocess.Popen | None = None
    try:
        project = unique("follow")
        path = write_config(tmp_path / "app", CONFIG.format(project=project))
        deployed = stp("deploy", str(path), "--stage", "dev", "--local", "--yes")
        assert deployed.code == 0, deployed.text

        from core.aws import connect
        from core.aws.logs import find_sources

        aws = connect(local=True, endpoint=first.endpoint)
        (source,) = find_sources(aws, f"{project}-dev", "worker")
        group, stream = source.group, "worker/worker/0123456789abcdef0123456789abcdef"

        def logs_client():
            return boto3.client("logs", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")

        logs = logs_client()
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        tag = unique("t")
        now = int(time.time() * 1000)
        put(logs, group, stream, f"{tag} before-1", ts=now - 2000)
        put(logs, group, stream, f"{tag} before-2", ts=now - 1000)

        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "logs", "worker", str(path), "--stage", "dev", "--local", "--follow",
             "--since", "5m", "--filter", tag],
            cwd=str(ROOT), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1)
        out, err = Lines(proc.stdout), Lines(proc.stderr)
        wait_for(lambda: len(messages(out, tag)) == 2, 15, "history", proc, err)
        put(logs, group, stream, f"{tag} live-1")
        wait_for(lambda: f"{tag} live-1" in out.text(), 10, "live event", proc, err)

        # the crash: SIGKILL the pid recorded in the state file (no shutdown, all state lost)
        pid = json.loads((state / "server.json").read_text())["pid"]
        assert pid == first.pid
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not server._alive(pid), 5, "the server to die")
        wait_for(lambda: "reconnecting" in err.text() or "retrying" in err.text(), 15, "a note about the outage",
                 proc, err)

        again = server.start(port=port, resource_delay="0.01")
        assert (again.port, again.started) == (port, True) and again.pid != pid
        logs = logs_client()
        logs.create_log_group(logGroupName=group)  # what the new, empty server does not know
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        for n in (1, 2, 3):
            put(logs, group, stream, f"{tag} after-{n}")
        wait_for(lambda: f"{tag} after-3" in out.text(), 15, "events written after the restart", proc, err)
        # one more event, seen only after later polls re-read the window holding after-1..3: no repeats meanwhile
        put(logs, group, stream, f"{tag} after-4")
        wait_for(lambda: f"{tag} after-4" in out.text(), 10, "the last event", proc, err)
        assert proc.poll() is None, err.text()

        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) in (0, 130), err.text()
        out.thread.join(5)
        err.thread.join(5)
        assert messages(out, tag) == [f"{tag} before-1", f"{tag} before-2", f"{tag} live-1", f"{tag} after-1",
                                      f"{tag} after-2", f"{tag} after-3", f"{tag} after-4"]
        notes = err.text()
        assert "Traceback" not in notes, notes
        assert "reconnected" in notes, notes
        assert time.monotonic() - started < 40
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)
        server.stop()

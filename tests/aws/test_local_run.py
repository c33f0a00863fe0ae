"""The local-worker example, deployed with `stp deploy --local`, runs for real: its log lines come back
through `stp logs`, and deleting the stack stops it."""

from __future__ import annotations

import shutil
import time

import pytest

from tests.aws.support import stp, unique
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow


def _wait_for(predicate, timeout: float = 30.0, every: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def test_worker_example_consumes_its_queue_and_its_logs_are_real(aws, tmp_path):
    folder = tmp_path / "local-worker"
    shutil.copytree(EXAMPLES / "local-worker", folder)
    project = unique("lw")
    deployed = stp("deploy", str(folder), "--stage", "dev", "--project", project, "--local", "--yes")
    assert deployed.code == 0, deployed.text

    sqs = aws.client("sqs")
    url = next(u for u in sqs.list_queues(QueueNamePrefix=f"{project}-dev")["QueueUrls"])
    sqs.send_message(QueueUrl=url, MessageBody='{"job": 7}')

    def logs() -> str:
        r = stp("logs", "worker", str(folder), "--stage", "dev", "--project", project, "--local", "--since", "10m")
        return r.out if "job=7" in r.out and "deleted message" in r.out else ""

    out = _wait_for(logs)
    assert out, stp("logs", "worker", str(folder), "--stage", "dev", "--project", project, "--local").text
    lines = out.splitlines()
    assert any("hello from the local worker" in line for line in lines)  # its environment came through
    assert all(" worker/" in line for line in lines)  # prefixed with container/task

    # a redeploy without changes restarts the processes with the current source
    again = stp("deploy", str(folder), "--stage", "dev", "--project", project, "--local", "--yes")
    assert again.code == 0 and "no changes" in again.out, again.text

    gone = stp("delete", str(folder), "--stage", "dev", "--project", project, "--local", "--yes")
    assert gone.code == 0, gone.text

"""How long `stp logs RESOURCE --since 1h` takes for 100,000 events in 4 streams, beside the floor.

Starts a local AWS of its own (free port, temporary state folder), deploys a one-container
worker-service, puts N events (default 100,000) into 4 task streams of its log group, then times:

- stp       `python -m core.cli logs worker --since 1h` as a user runs it (a new process, output to
            /dev/null): imports, finding the log group from the stack, fetching, merging, formatting;
- stp (in-process)  the same through core.aws.logs.show_logs, without the process start-up;
- floor     bare boto3 `filter_log_events` pagination over the whole log group, no printing;
- awslogs   `awslogs get GROUP --start 1h` (output to /dev/null) when the awslogs command is found
            (--awslogs PATH, $AWSLOGS, or PATH); skipped otherwise, and it says so.

Prints the best and median of --runs runs of each and the ratio to the floor.
Run: python bench/logs.py [--events N] [--runs N]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONFIG = """\
serviceName: logbench
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
STREAMS = 4
BATCH = 10_000


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def line(name: str, times: list[float], floor: float | None) -> str:
    best, median = min(times), statistics.median(times)
    ratio = f"  {best / floor:5.2f}x floor" if floor else ""
    return f"{name:<20} best {best * 1000:8.0f} ms   median {median * 1000:8.0f} ms{ratio}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--awslogs", help="path of the awslogs command (default: $AWSLOGS or PATH)")
    args = ap.parse_args()

    state = tempfile.mkdtemp(prefix="stp-bench-logs-")
    os.environ["STP_LOCAL_STATE_DIR"] = state
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_PROFILE", None)

    from core.analysis import analyze
    from core.aws import connect
    from core.aws.console import Console
    from core.aws.deploy import Prepared, deploy
    from core.aws.logs import show_logs
    from core.compile import compile_stack
    from core.local import server

    status = server.start(port=server.free_port())
    try:
        aws = connect(local=True, endpoint=status.endpoint)
        folder = Path(state) / "app"
        folder.mkdir()
        path = folder / "stacktape.yml"
        path.write_text(CONFIG)
        analysis = analyze(CONFIG)
        result = compile_stack(analysis, "bench", "logbench", "us-east-1")
        quiet = Console(out=io.StringIO(), err=io.StringIO(), interactive=False)
        if deploy(aws, Prepared(path, analysis, result, "logbench", "bench"), quiet, yes=True) != 0:
            print("deploying the bench stack failed", file=sys.stderr)
            return 1
        outputs = {o["OutputKey"]: o["OutputValue"] for o in
                   aws.client("cloudformation").describe_stacks(StackName="logbench-bench")["Stacks"][0]["Outputs"]}
        group = outputs["WorkerLogGroupName"]
        logs = aws.client("logs")

        t0 = time.perf_counter()
        start = int(time.time() * 1000) - 30 * 60_000
        per_stream = args.events // STREAMS
        for s in range(STREAMS):
            stream = f"worker/worker/{s:032x}"
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            for b in range(0, per_stream, BATCH):
                n = min(BATCH, per_stream - b)
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
                    {"timestamp": start + (b + j) * 10 + s,
                     "message": f"request {b + j} of task {s}: GET /api/items?page={j % 97} 200 {j % 1000}ms"}
                    for j in range(n)])
        total = per_stream * STREAMS
        print(f"put {total:,} events in {STREAMS} streams in {time.perf_counter() - t0:.1f} s"
              f" (local AWS at {status.endpoint})")

        env = dict(os.environ, PYTHONPATH=str(ROOT))
        cli = [sys.executable, "-m", "core.cli", "logs", "worker", str(path), "--stage", "bench", "--local",
               "--since", "1h"]

        def run_cli():
            with open(os.devnull, "w") as devnull:
                subprocess.run(cli, stdout=devnull, check=True, env=env, cwd=ROOT)

        counted = []

        def run_inprocess():
            with open(os.devnull, "w") as devnull:
                counted.append(show_logs(aws, "logbench-bench", "worker", devnull, since="1h"))

        def run_floor():
            n = 0
            for page in logs.get_paginator("filter_log_events").paginate(
                    logGroupName=group, startTime=int(time.time() * 1000) - 3600_000, PaginationConfig={"PageSize": 10000}):
                n += len(page["events"])
            counted.append(n)

        floor = timed(run_floor, args.runs)
        assert counted[-1] == total, f"floor read {counted[-1]} events, expected {total}"
        inproc = timed(run_inprocess, args.runs)
        assert counted[-1] == total, f"stp printed {counted[-1]} lines, expected {total}"
        cli_times = timed(run_cli, args.runs)
        best_floor = min(floor)
        print(line("floor (boto3)", floor, None))
        print(line("stp (in-process)", inproc, best_floor))
        print(line("stp logs (CLI)", cli_times, best_floor))

        awslogs = args.awslogs or os.environ.get("AWSLOGS") or shutil.which("awslogs")
        if not awslogs or not Path(awslogs).exists():
            print("awslogs: skipped (the awslogs command is not installed; pip install awslogs in another venv"
                  " and pass --awslogs PATH)")
        else:
            cmd = [awslogs, "get", group, "ALL", "--start", "1h", "--aws-endpoint-url", status.endpoint,
                   "--aws-region", "us-east-1"]

            def run_awslogs():
                with open(os.devnull, "w") as devnull:
                    subprocess.run(cmd, stdout=devnull, check=True)

            try:
                print(line("awslogs", timed(run_awslogs, args.runs), best_floor))
            except (OSError, subprocess.CalledProcessError) as exc:
                print(f"awslogs: failed ({exc})")
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

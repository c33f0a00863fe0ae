"""The dashboard's speed: first paint of the stacks screen, log lines rendered per second while following,
and memory after 100,000 lines (bounded by the log screen's cap).

- first paint   a new process (`python bench/tui.py --first-paint-child`) from its start, imports included,
                until the stacks table shows its rows (headless, 120x36); with --local the rows come from a
                local AWS of its own (free port, temporary state folder) holding one deployed stack, else
                from stp_tui.fake (no network);
- throughput    the log screen following a firehose source (stp_tui.fake, --batch lines per poll, polled
                without pause): lines received, formatted off the loop, written with Log.write_lines, and
                the screen rendered by the compositor after every batch (as a terminal would show it),
                per second, until --lines lines arrived;
- memory        traced Python memory held after those lines, beside the same after --cap lines: equal
                (± noise) means the buffer and the Log are bounded by the cap, not by the lines seen.

Targets: first paint < 1 s, ≥ 5,000 lines/s, memory bounded by the cap.
Run: python bench/tui.py [--lines N] [--cap N] [--batch N] [--local]
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # first thing: the child process measures from here

import argparse  # noqa: E402
import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (120, 36)


# --------------------------------------------------------------------------------------------- first paint


def first_paint_child(endpoint: str | None) -> None:
    """Runs in a fresh process: imports, app, first frame with the stacks; prints seconds as JSON."""
    from stp_tui.app import StpApp

    if endpoint:
        from stp_tui.backend import AwsBackend

        backend = AwsBackend(local=True, endpoint=endpoint)
    else:
        from stp_tui.fake import FakeBackend

        backend = FakeBackend()
    app = StpApp(backend)
    result: dict = {}

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            while not (getattr(app.screen, "loaded", False) and app.screen._keys):
                await pilot.pause(0.005)
            await pilot.pause()  # the frame with the rows
            result["seconds"] = time.perf_counter() - T0
            result["rows"] = len(app.screen._keys)

    asyncio.run(run())
    print(json.dumps(result))


def first_paint(endpoint: str | None, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--first-paint-child"]
        if endpoint:
            cmd += ["--endpoint", endpoint]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=str(ROOT))
        if out.returncode != 0:
            raise SystemExit(f"first-paint child failed:\n{out.stderr}")
        times.append(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
    return times


def local_stack() -> tuple[str, callable]:
    """A local AWS of our own with one deployed stack; returns (endpoint, stop)."""
    from core.local import server

    state = tempfile.mkdtemp(prefix="stp-bench-tui-")
    os.environ["STP_LOCAL_STATE_DIR"] = state
    os.environ["STP_LOCAL_RUN_WORKLOADS"] = "0"
    status = server.start(port=server.free_port(), resource_delay="0.01")
    from core.aws import connect
    from core.aws.console import Console
    from core.aws.dashboard import create_placeholder_secrets, example_config, prepare
    from core.aws.deploy import deploy

    import io

    aws = connect(local=True, endpoint=status.endpoint)
    prepared = prepare(example_config(), "bench", aws.region)
    create_placeholder_secrets(aws, prepared.template)
    sink = io.StringIO()
    if deploy(aws, prepared, Console(out=sink, err=sink, color=False, interactive=False), yes=True) != 0:
        raise SystemExit(sink.getvalue())

    def stop() -> None:
        server.stop()

    return status.endpoint, stop


# --------------------------------------------------------------------------------------------- logs


async def follow(lines: int, cap: int, batch: int, trace: bool = False) -> dict:
    """Follow a firehose until ``lines`` lines arrived; lines/s, or (``trace``) the memory held afterwards."""
    from stp_tui.app import StpApp
    from stp_tui.fake import FakeBackend
    from stp_tui.screens.logs import LogsScreen

    backend = FakeBackend(log_lines_per_poll=batch, history_lines=0, log_interval=(0.0, 0.0))
    app = StpApp(backend, max_lines=cap)
    out: dict = {}
    async with app.run_test(size=SIZE) as pilot:
        while not getattr(app.screen, "loaded", False):
            await pilot.pause(0.01)
        gc.collect()
        if trace:  # tracing slows Python down: only for the memory runs
            tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0] if trace else 0
        screen = LogsScreen("queue-worker-dev", "worker", containers=["worker"])
        t0 = time.perf_counter()
        await app.push_screen(screen)
        frames = paints = 0
        seen = 0
        while screen.received < lines:
            await pilot.pause(0)
            frames += 1
            if screen.received != seen:  # a batch arrived: paint the screen as the terminal would show it
                seen = screen.received
                app.screen._compositor.render_update(full=True)
                paints += 1
        elapsed = time.perf_counter() - t0
        screen.workers.cancel_group(screen, "logs")
        await pilot.pause(0.05)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base if trace else 0
        if trace:
            tracemalloc.stop()
        out.update(lines=screen.received, seconds=elapsed, rate=screen.received / elapsed, held=held,
                   buffer=len(screen.records), shown=screen.logview.line_count, following=screen.following,
                   frames=frames, paints=paints)
    return out


def mib(n: float) -> str:
    return f"{n / 1024 / 1024:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=100_000, help="lines to follow (default 100,000)")
    p.add_argument("--cap", type=int, default=20_000, help="the log screen's max_lines (default 20,000)")
    p.add_argument("--batch", type=int, default=1_000, help="lines per poll of the fake source (default 1,000)")
    p.add_argument("--runs", type=int, default=3, help="first-paint runs (default 3)")
    p.add_argument("--local", action="store_true", help="first paint against a local AWS with a deployed stack")
    p.add_argument("--first-paint-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.first_paint_child:
        first_paint_child(args.endpoint)
        return 0

    ok = True
    stop = None
    endpoint = None
    if args.local:
        print("starting a local AWS and deploying the example…", file=sys.stderr)
        endpoint, stop = local_stack()
    try:
        times = first_paint(endpoint, args.runs)
    finally:
        if stop:
            stop()
    best = min(times)
    where = "local AWS" if endpoint else "fake data"
    verdict = "ok" if best < 1.0 else "SLOW"
    ok &= best < 1.0
    print(f"first paint of the stacks screen ({where}, process start → rows shown): best {best:.3f} s,"
          f" median {sorted(times)[len(times) // 2]:.3f} s  [target < 1 s: {verdict}]")

    big = asyncio.run(follow(args.lines, args.cap, args.batch))
    big_mem = asyncio.run(follow(args.lines, args.cap, args.batch, trace=True))
    small = asyncio.run(follow(args.cap, args.cap, args.batch, trace=True))
    big.update(held=big_mem["held"], buffer=big_mem["buffer"], shown=big_mem["shown"])
    verdict = "ok" if big["rate"] >= 5000 else "SLOW"
    ok &= big["rate"] >= 5000
    print(f"log throughput while following: {big['lines']:,} lines in {big['seconds']:.2f} s = {big['rate']:,.0f}"
          f" lines/s (the log pane painted {big['paints']} times)  [target ≥ 5,000 lines/s: {verdict}]")
    bounded = big["buffer"] <= args.cap and big["shown"] <= args.cap and big["held"] <= small["held"] * 1.5 + 2**20
    ok &= bounded
    print(f"memory after {big['lines']:,} lines: {mib(big['held'])} held, buffer {big['buffer']:,} records,"
          f" log {big['shown']:,} lines; after {small['lines']:,} lines (= the cap): {mib(small['held'])}"
          f"  [bounded by the cap of {args.cap:,}: {'ok' if bounded else 'NO'}]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

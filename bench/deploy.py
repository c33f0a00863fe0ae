"""How quickly `stp deploy` shows its diff and reacts when the stack settles, beside `aws cloudformation deploy`.

Starts a local AWS of its own (free port, temporary state folder, a simulated per-resource delay), copies an
example config (default examples/queue-worker) and creates its stack once. Then, for --runs rounds:

- stp       `python -m core.cli deploy PATH --stage bench --local --yes` on a changed variant of the config
            (a new queue visibility timeout and a new environment variable: the queue, the task definition
            and the service change), run as a user runs it, its output read line by line:
            (a) time from the command's start to the change-set diff on screen (its summary line);
            (b) reaction latency: from the Timestamp of the stack's final event (UPDATE_COMPLETE) to the
                command's exit;
- aws CLI   `aws cloudformation deploy` (awscli v1) of the template stp compiles for the next variant, with
            the same parameters and tags, on the same stack: (b) as above. It waits for the change set
            every 5 s and for the stack every 30 s. Found with --aws, else `aws` on PATH when it is v1, else
            /tmp/awscli-venv/bin/aws, else installed there with pip; skipped with a message if that fails.

Last, one more changed deploy and then --runs deploys of the same config: (c) a no-change deploy's wall time.
Prints each run, the medians, and how they compare with the targets:
(a) <= 2 s, (b) median <= 1 s and <= 0.1x the AWS CLI's, (c) <= 2 s.

Run: python bench/deploy.py [--runs 3] [--resource-delay 0.2] [--example examples/queue-worker] [--aws PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STAGE = "bench"
SUMMARY = re.compile(r"\d+ to add, \d+ to modify")  # the last line of the diff (core.aws.deploy.render_plan)
SECRET = re.compile(r"\$Secret\('([^'.]+)(?:\.([^']+))?'\)")
AWSCLI_VENV = Path("/tmp/awscli-venv")
TARGET_DIFF, TARGET_REACT, TARGET_RATIO, TARGET_NOOP = 2.0, 1.0, 0.1, 2.0


@dataclass
class Run:
    code: int
    wall: float  # start to exit, s
    diff: float | None  # start to the diff's summary line, s
    latency: float | None  # final stack event to exit, s
    final: str = ""
    lines: list[str] = field(default_factory=list)
    stamps: list[float] = field(default_factory=list)  # when each line came, s after the start
    final_at: float | None = None  # the final stack event, s after the start

    @property
    def to_output(self) -> float | None:
        """From the final stack event to the command's last line of output."""
        if self.final_at is None or not self.stamps:
            return None
        return self.stamps[-1] - self.final_at

    def show(self) -> str:
        rows = [f"    | {t:6.2f}s  {line}" for t, line in zip(self.stamps, self.lines)]
        if self.final_at is not None:
            rows.append(f"    | {self.final_at:6.2f}s  <final stack event {self.final}>; exit at {self.wall:.2f}s")
        return "\n".join(rows)


def variant(text: str, n: int) -> str:
    """The config with a visibility timeout and an environment variable of its own (n)."""
    changed, hits = re.subn(r"(visibilityTimeoutSeconds:\s*)\d+", lambda m: f"{m.group(1)}{60 + n}", text, count=1)
    env = re.search(r"^(\s*)environment:\s*$", changed, re.MULTILINE)
    if env:
        indent = env.group(1) + "  "
        changed = (changed[:env.end()] + f"\n{indent}- name: BENCH_VARIANT\n{indent}  value: '{n}'"
                   + changed[env.end():])
    if not hits and not env:
        raise SystemExit("the example has neither visibilityTimeoutSeconds nor environment: cannot vary it")
    return changed


def final_event(cfn, stack: str) -> tuple[str, float]:
    """Status and epoch seconds of the stack's newest event of its own."""
    for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]:
        if e["LogicalResourceId"] == stack and e["ResourceType"] == "AWS::CloudFormation::Stack":
            ts = e["Timestamp"]
            # the local AWS writes UTC without a zone (botocore then assumes local time): read it as UTC
            return e["ResourceStatus"], ts.replace(tzinfo=UTC).timestamp()
    raise RuntimeError(f"stack {stack} has no events")


def run_command(cmd: list[str], env: dict, cfn=None, stack: str | None = None) -> Run:
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, bufsize=1, env=env, cwd=str(ROOT))
    diff = None
    lines, stamps = [], []
    assert proc.stdout is not None
    for line in proc.stdout:
        now = time.time() - t0
        if diff is None and SUMMARY.search(line):
            diff = now
        lines.append(line.rstrip("\n"))
        stamps.append(now)
    code = proc.wait()
    end = time.time()
    run = Run(code, end - t0, diff, None, lines=lines, stamps=stamps)
    if cfn is not None and stack is not None:
        run.final, when = final_event(cfn, stack)
        if when >= t0:  # the command moved the stack (a no-change deploy leaves the old final event)
            run.latency = end - when
            run.final_at = when - t0
    return run


def find_awscli(explicit: str | None) -> tuple[str | None, str]:
    """(path of an awscli v1 `aws`, how it was found) or (None, why not)."""
    def version(path: str) -> str:
        try:
            done = subprocess.run([path, "--version"], check=False, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return (done.stdout + done.stderr).strip()

    if explicit:
        return (explicit, version(explicit)) if version(explicit) else (None, f"{explicit} does not run")
    on_path = shutil.which("aws")
    if on_path and version(on_path).startswith("aws-cli/1."):
        return on_path, version(on_path)
    local = AWSCLI_VENV / "bin" / "aws"
    if not local.exists():
        print(f"installing awscli (v1) into {AWSCLI_VENV} ...", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(AWSCLI_VENV)], check=True, capture_output=True,
                           timeout=300)
            subprocess.run([str(AWSCLI_VENV / "bin" / "pip"), "install", "-q", "awscli"], check=True,
                           capture_output=True, timeout=600)
        except (OSError, subprocess.SubprocessError) as exc:
            return None, f"could not install awscli into {AWSCLI_VENV}: {exc}"
    found = version(str(local))
    return (str(local), found) if found else (None, f"{local} does not run")


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(seconds: float | None) -> str:
    return "   n/a" if seconds is None else f"{seconds:6.2f} s"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("OK" if ok else "MISSED")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="update / AWS CLI / no-change runs each (default 3)")
    ap.add_argument("--resource-delay", default="0.2", help="simulated seconds per resource (default 0.2)")
    ap.add_argument("--example", default="examples/queue-worker", help="example config folder")
    ap.add_argument("--aws", help="path of an awscli v1 `aws` command")
    ap.add_argument("--no-awscli", action="store_true", help="skip the AWS CLI comparison")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the commands' output")
    args = ap.parse_args()

    state = Path(tempfile.mkdtemp(prefix="stp-bench-deploy-"))
    empty = state / "aws-config-empty"
    empty.write_text("")
    os.environ.update(STP_LOCAL_STATE_DIR=str(state), AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(empty),
                      AWS_SHARED_CREDENTIALS_FILE=str(empty), AWS_EC2_METADATA_DISABLED="true", NO_COLOR="1")
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "STP_LOCAL_PORT"):
        os.environ.pop(key, None)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")

    from core.analysis import analyze
    from core.aws import connect
    from core.aws.artifacts import DeploymentBucket
    from core.aws.console import Console
    from core.aws.deploy import Prepared, _mark_source, supply_parameters
    from core.compile import compile_stack
    from core.local import server

    awscli, about = (None, "skipped (--no-awscli)") if args.no_awscli else find_awscli(args.aws)
    status = server.start(port=server.free_port(), resource_delay=args.resource_delay)
    print(f"local AWS at {status.endpoint} (pid {status.pid}), resource delay {args.resource_delay} s;"
          f" AWS CLI: {awscli + ' (' + about + ')' if awscli else about}")
    try:
        app = state / "app"
        shutil.copytree(ROOT / args.example, app)
        config = app / "stacktape.yml"
        base = config.read_text()
        analysis = analyze(base)
        project = analysis.data.get("serviceName") if isinstance(analysis.data, dict) else None
        project = project or app.name
        stack = f"{project}-{STAGE}"
        aws = connect(local=True, endpoint=status.endpoint)
        cfn = aws.client("cloudformation")
        for name, key in {m.groups() for m in SECRET.finditer(base)}:
            value = json.dumps({key: "bench"}) if key else "bench"
            aws.client("secretsmanager").create_secret(Name=name, SecretString=value)
        stp_cmd = [sys.executable, "-m", "core.cli", "deploy", str(config), "--stage", STAGE, "--local", "--yes"]

        def stp_deploy(n: int | None, label: str) -> Run:
            if n is not None:
                config.write_text(variant(base, n))
            run = run_command(stp_cmd, env, cfn, stack)
            if args.verbose:
                print(run.show())
            if run.code != 0:
                print("\n".join(run.lines[-30:]), file=sys.stderr)
                raise SystemExit(f"{label}: stp deploy exited with {run.code}")
            print(f"  {label:<24} diff {fmt(run.diff)}   reaction {fmt(run.latency)} (last line {fmt(run.to_output)})"
                  f"   wall {fmt(run.wall)}   {run.final}")
            return run

        def aws_deploy(n: int, label: str) -> Run:
            text = variant(base, n)
            config.write_text(text)
            an = analyze(text)
            prepared = Prepared(config, an, compile_stack(an, STAGE, project, aws.region), project, STAGE)
            _mark_source(prepared)
            quiet = Console(out=io.StringIO(), err=io.StringIO(), interactive=False)
            params = supply_parameters(aws, prepared, DeploymentBucket(aws, stack), quiet)
            template = state / f"template-{n}.json"
            template.write_text(json.dumps(prepared.template))
            cmd = [awscli, "cloudformation", "deploy", "--template-file", str(template), "--stack-name", stack,
                   "--capabilities", "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND",
                   "--tags", f"stp:project={project}", f"stp:stage={STAGE}",
                   "--endpoint-url", status.endpoint, "--region", "us-east-1", "--no-fail-on-empty-changeset"]
            if params:
                cmd += ["--parameter-overrides", *(f"{k}={v}" for k, v in params.items())]
            run = run_command(cmd, env, cfn, stack)
            if args.verbose:
                print(run.show())
            if run.code != 0:
                print("\n".join(run.lines[-30:]), file=sys.stderr)
                raise SystemExit(f"{label}: aws cloudformation deploy exited with {run.code}")
            print(f"  {label:<24} {'':13}   reaction {fmt(run.latency)} (last line {fmt(run.to_output)})"
                  f"   wall {fmt(run.wall)}   {run.final}")
            return run

        print("create:")
        stp_deploy(0, "stp deploy (create)")
        stp_runs: list[Run] = []
        aws_runs: list[Run] = []
        n = 0
        print("updates:")
        for i in range(args.runs):
            n += 1
            stp_runs.append(stp_deploy(n, f"stp deploy #{i + 1}"))
            if awscli:
                n += 1
                aws_runs.append(aws_deploy(n, f"aws cfn deploy #{i + 1}"))
        print("no-change deploys:")
        n += 1
        stp_deploy(n, "stp deploy (change)")
        noop_runs = []
        for i in range(args.runs):
            run = stp_deploy(None, f"stp deploy no-change #{i + 1}")
            if not any("no changes" in line for line in run.lines):
                raise SystemExit("the no-change deploy did deploy something: " + "\n".join(run.lines[-10:]))
            noop_runs.append(run)

        diff = median([r.diff for r in stp_runs if r.diff is not None])
        react = median([r.latency for r in stp_runs if r.latency is not None])
        react_aws = median([r.latency for r in aws_runs if r.latency is not None])
        shown = median([r.to_output for r in stp_runs if r.to_output is not None])
        noop = median([r.wall for r in noop_runs])
        ratio = react / react_aws if react is not None and react_aws else None
        print()
        print(f"medians of {args.runs} runs (resource delay {args.resource_delay} s):")

        def row(label: str, value: float | None, target: float | None = None, text: str = "") -> None:
            shown_value = fmt(value) if text == "" else f"{text:>8}"
            check = ""
            if target is not None:
                check = f"   target <= {target:g}{' s' if text == '' else '  '}   {verdict(None if value is None else value <= target)}"
                if value is not None and text == "":
                    check += f"  ({value / target:.2f}x target)"
            print(f"  {label:<46}{shown_value}{check}")

        row("(a) stp deploy start -> diff on screen", diff, TARGET_DIFF)
        row("(b) reaction latency, stp deploy", react, TARGET_REACT)
        row("    of which until its last line of output", shown)
        if awscli:
            row("    reaction latency, aws cloudformation deploy", react_aws)
            row("    ratio stp / aws CLI", ratio, TARGET_RATIO, "n/a" if ratio is None else f"{ratio:.3f}")
        else:
            print(f"      aws CLI comparison: {about}")
        row("(c) no-change stp deploy wall time", noop, TARGET_NOOP)
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

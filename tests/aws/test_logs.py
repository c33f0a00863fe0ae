"""`stp logs`: events put into a workload's log groups with boto3, read back merged, filtered, followed."""

from __future__ import annotations

import io
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest

from core.aws import logs as awslogs
from core.aws.console import Console
from core.aws.session import Target
from tests.aws.support import stp, unique, write_config

MULTI = """
resources:
  app:
    type: multi-container-workload
    properties:
      containers:
        - name: web
          packaging:
            type: prebuilt-image
            properties:
              image: nginx:1.27
        - name: sidecar
          packaging:
            type: prebuilt-image
            properties:
              image: busybox:latest
      resources:
        cpu: 0.25
        memory: 512
  queue:
    type: sqs-queue
"""


@pytest.fixture(scope="module")
def stack(aws_server, tmp_path_factory):
    """A deployed two-container workload; (project, config path, {container: log group})."""
    from core.analysis import analyze
    from core.aws import connect
    from core.aws.deploy import Prepared, deploy
    from core.compile import compile_stack

    project = unique("logs")
    path = write_config(tmp_path_factory.mktemp("logs-app"), MULTI)
    analysis = analyze(path.read_text())
    result = compile_stack(analysis, "dev", project, "us-east-1")
    aws = connect(local=True, endpoint=aws_server.endpoint)
    console = Console(out=io.StringIO(), err=io.StringIO(), color=False, interactive=False)
    assert deploy(aws, Prepared(path, analysis, result, project, "dev"), console, yes=True) == 0
    outputs = {o["OutputKey"]: o["OutputValue"] for o in
               aws.client("cloudformation").describe_stacks(StackName=f"{project}-dev")["Stacks"][0]["Outputs"]}
    return project, path, {"web": outputs["AppWebLogGroupName"], "sidecar": outputs["AppSidecarLogGroupName"]}


def task_stream(container: str) -> tuple[str, str]:
    task = uuid.uuid4().hex
    return f"{container}/{container}/{task}", task[:8]


def put(aws, group: str, stream: str, events: list[tuple[int, str]]) -> None:
    client = aws.client("logs")
    try:
        client.create_log_stream(logGroupName=group, logStreamName=stream)
    except client.exceptions.ResourceAlreadyExistsException:
        pass
    client.put_log_events(logGroupName=group, logStreamName=stream,
                          logEvents=[{"timestamp": ts, "message": m} for ts, m in sorted(events)])


def now_ms() -> int:
    return int(time.time() * 1000)


def logs_cmd(stack, *extra):
    project, path, _ = stack
    return stp("logs", "app", str(path), "--stage", "dev", "--project", project, "--local", *extra)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def messages(out: str) -> list[str]:
    return [line.split(None, 2)[2] for line in out.splitlines() if line.strip()]


@pytest.mark.slow
def test_streams_of_all_containers_merge_in_time_order(stack, aws):
    _, _, groups = stack
    t = now_ms() - 60_000
    tag = unique("m")
    streams = {}
    for c in ("web", "web", "sidecar", "sidecar"):
        name, short = task_stream(c)
        streams[name] = (c, short)
    for i, (name, (c, _)) in enumerate(streams.items()):
        put(aws, groups[c], name, [(t + 10 * j + i, f"{tag} {i}-{j}") for j in range(25)])
    r = logs_cmd(stack, "--since", "5m", "--filter", tag)
    assert r.code == 0, r.text
    lines = r.out.splitlines()
    assert len(lines) == 100
    stamps = [line.split(" ", 1)[0] for line in lines]
    assert stamps == sorted(stamps)
    expected = [f"{tag} {i}-{j}" for j in range(25) for i in range(4)]
    assert messages(r.out) == expected
    labels = {line.split()[1] for line in lines}
    assert labels == {f"{c}/{short}" for c, short in streams.values()}
    assert lines[0].startswith(iso(t) + " ")


@pytest.mark.slow
def test_since_until_and_filter(stack, aws):
    _, _, groups = stack
    tag = unique("w")
    name, _ = task_stream("web")
    now = now_ms()
    put(aws, groups["web"], name, [(now - 3 * 3600_000, f"{tag} old"), (now - 30 * 60_000, f"{tag} half-hour"),
                                   (now - 60_000, f"{tag} recent ERROR"), (now - 1000, f"{tag} newest")])
    assert messages(logs_cmd(stack, "--since", "1h", "--filter", tag).out) == [
        f"{tag} half-hour", f"{tag} recent ERROR", f"{tag} newest"]
    assert len(messages(logs_cmd(stack, "--since", "4h", "--filter", tag).out)) == 4
    assert messages(logs_cmd(stack, "--since", "4h", "--until", "10m", "--filter", tag).out) == [
        f"{tag} old", f"{tag} half-hour"]
    iso_window = logs_cmd(stack, "--since", iso(now - 31 * 60_000), "--until", iso(now - 29 * 60_000), "--filter", tag)
    assert messages(iso_window.out) == [f"{tag} half-hour"]
    assert messages(logs_cmd(stack, "--since", "1h", "--filter", "ERROR").out) == [f"{tag} recent ERROR"]


@pytest.mark.slow
def test_container_choice_and_unknown_names(stack, aws):
    _, _, groups = stack
    tag = unique("c")
    put(aws, groups["sidecar"], task_stream("sidecar")[0], [(now_ms() - 1000, f"{tag} from sidecar")])
    put(aws, groups["web"], task_stream("web")[0], [(now_ms() - 1000, f"{tag} from web")])
    only = logs_cmd(stack, "--container", "sidecar", "--filter", tag)
    assert messages(only.out) == [f"{tag} from sidecar"]
    bad = logs_cmd(stack, "--container", "nope")
    assert bad.code == 1 and "has no container 'nope'; its containers: web, sidecar" in bad.err
    project, path, _ = stack
    r = stp("logs", "missing", str(path), "--stage", "dev", "--project", project, "--local")
    assert r.code == 1 and "no resource 'missing'; resources with logs: app" in r.err
    r = stp("logs", "queue", str(path), "--stage", "dev", "--project", project, "--local")
    assert r.code == 1 and "sqs-queue 'queue' writes no logs" in r.err
    r = logs_cmd(stack, "--since", "yesterday-ish")
    assert r.code == 2 and "cannot read the time 'yesterday-ish'" in r.err


class Sink(io.StringIO):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def write(self, s):
        with self.lock:
            return super().write(s)

    def text(self):
        with self.lock:
            return self.getvalue()


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def follow(stack, aws, tag, sink, stop, notes=None):
    project, _, _ = stack
    return threading.Thread(target=awslogs.show_logs, daemon=True, kwargs={
        "aws": aws, "stack": f"{project}-dev", "resource": "app", "out": sink, "since": "2m", "pattern": tag,
        "follow": True, "stop": stop, "on_note": notes.append if notes is not None else None})


@pytest.mark.slow
def test_follow_prints_history_then_new_events_once_each(stack, aws):
    _, _, groups = stack
    tag = unique("f")
    web, _ = task_stream("web")
    t = now_ms()
    put(aws, groups["web"], web, [(t - 5000, f"{tag} before-1"), (t - 4000, f"{tag} before-2")])
    sink, stop = Sink(), threading.Event()
    thread = follow(stack, aws, tag, sink, stop)
    thread.start()
    try:
        assert wait_for(lambda: f"{tag} before-2" in sink.text())
        put(aws, groups["web"], web, [(now_ms(), f"{tag} after-1")])
        side, _ = task_stream("sidecar")  # a stream (and container) that did not exist when following began
        put(aws, groups["sidecar"], side, [(now_ms(), f"{tag} after-2")])
        assert wait_for(lambda: f"{tag} after-2" in sink.text() and f"{tag} after-1" in sink.text())
        # an event that arrives late (older timestamp than what was printed) is still picked up
        put(aws, groups["web"], web, [(now_ms() - 3000, f"{tag} late")])
        assert wait_for(lambda: f"{tag} late" in sink.text())
        time.sleep(1.5)  # a few more polls over the same window: nothing printed twice
    finally:
        stop.set()
        thread.join(10)
    got = messages(sink.text())
    assert sorted(got) == sorted({f"{tag} before-1", f"{tag} before-2", f"{tag} after-1", f"{tag} after-2",
                                  f"{tag} late"})
    assert got[:2] == [f"{tag} before-1", f"{tag} before-2"]


@pytest.mark.slow
def test_follow_survives_a_dropped_connection(stack, aws, monkeypatch):
    from botocore.exceptions import EndpointConnectionError

    _, _, groups = stack
    tag = unique("r")
    web, _ = task_stream("web")
    put(aws, groups["web"], web, [(now_ms() - 1000, f"{tag} 0")])
    client = aws.client("logs")
    real = client.filter_log_events
    down = threading.Event()

    def flaky(**kwargs):
        if down.is_set():
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        return real(**kwargs)

    monkeypatch.setattr(client, "filter_log_events", flaky)
    monkeypatch.setattr(awslogs, "_call", lambda aws_, fn, kwargs, attempts=1: _once(aws_, fn, kwargs))
    sink, stop, notes = Sink(), threading.Event(), []
    thread = follow(stack, aws, tag, sink, stop, notes)
    thread.start()
    try:
        assert wait_for(lambda: f"{tag} 0" in sink.text())
        down.set()
        put(aws, groups["web"], web, [(now_ms(), f"{tag} 1")])  # written while the connection is down
        assert wait_for(lambda: any("retrying" in n for n in notes))
        put(aws, groups["web"], web, [(now_ms(), f"{tag} 2")])
        down.clear()
        assert wait_for(lambda: f"{tag} 2" in sink.text())
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join(10)
    assert messages(sink.text()) == [f"{tag} 0", f"{tag} 1", f"{tag} 2"]
    assert "reconnected" in notes


def _once(aws, fn, kwargs):
    from core.aws.session import translated

    with translated(aws.target, aws.region, "reading logs"):
        return fn(**kwargs)


# --------------------------------------------------------------------------------------------- without a server


class FakeLogs:
    """Live Tail and FilterLogEvents as a scripted fake (the local AWS has no real Live Tail)."""

    def __init__(self, sessions, gap_events):
        self.sessions = list(sessions)
        self.gap_events = gap_events
        self.started = 0

    def describe_log_groups(self, logGroupNamePrefix):
        return {"logGroups": [{"logGroupName": logGroupNamePrefix,
                               "logGroupArn": f"arn:aws:logs:us-east-1:1:log-group:{logGroupNamePrefix}"}]}

    def start_live_tail(self, logGroupIdentifiers, **kw):
        self.started += 1
        return {"responseStream": self.sessions.pop(0)}

    def filter_log_events(self, **kw):
        return {"events": [e for e in self.gap_events if e["timestamp"] >= kw.get("startTime", 0)
                           and e.get("group", "g-web") == kw["logGroupName"]]}


class FakeAws:
    local = False
    region = "us-east-1"
    target = Target(profile="fake", region="us-east-1")

    def __init__(self, logs):
        self.logs = logs

    def client(self, name, **kw):
        return self.logs

    def describe(self):
        return "fake AWS"


def _result(group, stream, ts, message):
    return {"logGroupIdentifier": f"arn:aws:logs:us-east-1:1:log-group:{group}", "logStreamName": stream,
            "timestamp": ts, "ingestionTime": ts, "message": message}


def test_live_tail_dedups_the_history_boundary_and_reconnects():
    from botocore.exceptions import ConnectionClosedError

    stop = threading.Event()

    def first():
        yield {"sessionStart": {"sessionId": "1"}}
        yield {"sessionUpdate": {"sessionMetadata": {"sampled": False}, "sessionResults": [
            _result("g-web", "web/web/a", 1000, "seen in history"), _result("g-web", "web/web/a", 1100, "new 1")]}}
        raise ConnectionClosedError(endpoint_url="https://streaming-logs")

    def second():
        yield {"sessionStart": {"sessionId": "2"}}
        yield {"sessionUpdate": {"sessionResults": [_result("g-side", "side/side/b", 1300, "new 3")]}}
        stop.set()

    gap = [{"timestamp": 1100, "ingestionTime": 1100, "logStreamName": "web/web/a", "message": "new 1", "eventId": "x"},
           {"timestamp": 1200, "ingestionTime": 1200, "logStreamName": "web/web/a", "message": "new 2 (in the gap)",
            "eventId": "y"}]
    fake = FakeLogs([first(), second()], gap)
    sources = [awslogs.LogSource("app", "web", "g-web"), awslogs.LogSource("app", "sidecar", "g-side")]
    out = Sink()
    printer = awslogs.Printer(sources, out)
    history = [(1000, 1000, 0, "web/web/a", "seen in history", "h1")]
    printer.write(history)
    notes = []
    assert awslogs.follow_live_tail(FakeAws(fake), sources, printer, None, stop, history, notes.append) is True
    assert messages(out.text()) == ["seen in history", "new 1", "new 2 (in the gap)", "new 3"]
    assert fake.started == 2
    assert any("reconnecting" in n for n in notes)
    assert "sidecar/b " in out.text()


def test_live_tail_unavailable_falls_back():
    from botocore.exceptions import ClientError

    class Denied(FakeLogs):
        def start_live_tail(self, **kw):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "StartLiveTail")

    sources = [awslogs.LogSource("app", "web", "g-web")]
    printer = awslogs.Printer(sources, io.StringIO())
    assert awslogs.follow_live_tail(FakeAws(Denied([], [])), sources, printer, None, threading.Event(), []) is False


def test_parse_time():
    now = 1_700_000_000_000
    assert awslogs.parse_time("10m", now) == now - 600_000
    assert awslogs.parse_time("2h", now) == now - 7_200_000
    assert awslogs.parse_time("1d", now) == now - 86_400_000
    assert awslogs.parse_time("30s", now) == now - 30_000
    assert awslogs.parse_time("90 minutes ago", now) == now - 5_400_000
    assert awslogs.parse_time("2024-05-01T12:00:00Z", now) == 1_714_564_800_000
    assert awslogs.parse_time("2024-05-01T14:00:00+02:00", now) == 1_714_564_800_000
    assert awslogs.parse_time("2024-05-01T12:00:00", now) == 1_714_564_800_000  # no zone: UTC
    assert awslogs.parse_time("now", now) == now


def test_printer_labels_colours_and_batches():
    sources = [awslogs.LogSource("app", "web", "g1"), awslogs.LogSource("fn", "fn", "g2")]
    out = io.StringIO()
    p = awslogs.Printer(sources, out, color=True, batch=2)
    p.write([(0, 0, 0, "web/web/0123456789abcdef0123456789abcdef", "hello\n", "1"),
             (1, 0, 1, "2024/05/01/[$LATEST]fedcba9876543210fedcba9876543210", "λ", "2"),
             (2, 0, 0, "custom-stream", "x", "3")])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and p.count == 3
    assert "web/01234567" in lines[0] and lines[0].endswith(" hello") and "\x1b[" in lines[0]
    assert "fn/fedcba98" in lines[1]
    assert "web/custom-stream" in lines[2]
    assert lines[0].startswith("1970-01-01T00:00:00.000Z ")

"""CloudWatch Logs of the local AWS as `stp logs` uses it: filter patterns and a Live Tail that follows."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from core.local.extensions.logs_tail import FilterPattern

LINES = [
    "INFO starting worker",
    "ERROR could not connect to db",
    "WARN retrying in 5s",
    "ERROR Exception: timeout",
    '{"level": "ERROR", "latency": 250, "user": {"id": 7, "name": "ada"}, "tags": ["a", "b"], "ok": false}',
    '{"level": "INFO", "latency": 12, "user": {"id": 8, "name": "bob"}, "tags": [], "ok": true, "gone": null}',
    '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326',
    '10.0.0.2 - - [10/Oct/2000:13:56:00 -0700] "POST /login HTTP/1.1" 200 512',
]


def matching(pattern: str) -> list[int]:
    matcher = FilterPattern(pattern)
    return [i for i, line in enumerate(LINES) if matcher.matches(line)]


@pytest.mark.parametrize("pattern, expected", [
    ("", list(range(8))),
    ("ERROR", [1, 3, 4]),
    ("ERROR db", [1]),
    ('"could not connect"', [1]),
    ("?WARN ?INFO", [0, 2, 5]),
    ("ERROR -Exception", [1, 4]),
    ('ERROR -"connect to"', [3, 4]),
    ("%retry(ing)? in \\d+s%", [2]),
    ('{ $.level = "ERROR" }', [4]),
    ("{ $.level = ERR* }", [4]),
    ("{ $.latency > 100 }", [4]),
    ("{ $.latency <= 12 }", [5]),
    ('{ $.user.name = "bob" }', [5]),
    ("{ $.user.id = 7 }", [4]),
    ('{ $.tags[0] = "a" }', [4]),
    ('{ ($.level = "INFO") || ($.latency > 200) }', [4, 5]),
    ('{ $.level = "ERROR" && $.user.id != 7 }', []),
    ("{ $.ok IS FALSE }", [4]),
    ("{ $.gone IS NULL }", [5]),
    ("{ $.gone NOT EXISTS }", [4]),
    ("{ $.gone EXISTS }", [5]),
    ("{ $.level = %^E.+R$% }", [4]),
    ("[ip, identity, user, timestamp, request, status_code = 404, bytes]", [6]),
    ("[ip, ..., status_code = 2*, bytes]", [7]),
    ("[ip, ..., status_code >= 200 && status_code < 300, bytes > 500]", [7]),
    ("[ip = 10.*, ...]", [7]),
])
def test_filter_patterns_behave_like_cloudwatch(pattern, expected):
    assert matching(pattern) == expected


def test_an_unreadable_pattern_is_refused():
    from moto.logs.exceptions import InvalidParameterException

    for pattern in ('{ $.level = "ERROR" ', "{ level = 1 }", "{ $.a > abc }", "%([%"):
        with pytest.raises(InvalidParameterException):
            FilterPattern(pattern)


@pytest.fixture
def log_group(aws):
    logs = aws("logs")
    name = f"/stp/test/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="app/web/1")
    logs.create_log_stream(logGroupName=name, logStreamName="app/web/2")
    yield name
    logs.delete_log_group(logGroupName=name)


def put(logs, group: str, stream: str, *messages: str) -> None:
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])


def test_filter_log_events_uses_the_patterns(aws, log_group):
    logs = aws("logs")
    put(logs, log_group, "app/web/1", *LINES)

    def found(pattern: str) -> list[str]:
        return [e["message"] for e in logs.filter_log_events(logGroupName=log_group, filterPattern=pattern)["events"]]

    assert found("?WARN ?INFO") == [LINES[0], LINES[2], LINES[5]]
    assert found("ERROR -Exception") == [LINES[1], LINES[4]]
    assert found('{ $.level = "ERROR" }') == [LINES[4]]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.filter_log_events(logGroupName=log_group, filterPattern="{ $.level = ")


@pytest.fixture(scope="module")
def tail_logs(local_aws):
    """A logs client for Live Tail: StartLiveTail's endpoint has a host prefix (`stream-`), which a local
    endpoint cannot take, so it is switched off (what any client of the local AWS has to do)."""
    import boto3
    from botocore.config import Config

    return boto3.client("logs", endpoint_url=local_aws.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(inject_host_prefix=False))


def _arn(logs, group: str) -> str:
    (found,) = [g for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] if g["logGroupName"] == group]
    return found["logGroupArn"]


def _sessions(local_aws) -> int:
    import urllib.request

    with urllib.request.urlopen(f"{local_aws.endpoint}/_stp/runner", timeout=5) as response:
        return json.loads(response.read())["liveTailSessions"]


def test_live_tail_follows_new_events_until_the_client_leaves(aws, tail_logs, log_group, local_aws):
    logs = aws("logs")
    put(logs, log_group, "app/web/1", "ERROR from before the session")  # history: not sent
    response = tail_logs.start_live_tail(logGroupIdentifiers=[_arn(logs, log_group)], logEventFilterPattern="ERROR")
    stream = response["responseStream"]
    received: list[dict] = []
    updates = 0
    first = None
    writer_started = threading.Event()

    def writer():
        writer_started.wait(5)
        put(logs, log_group, "app/web/1", "INFO ignored", "ERROR first")
        logs.create_log_stream(logGroupName=log_group, logStreamName="app/web/3")  # a new task's stream
        put(logs, log_group, "app/web/3", "ERROR from a new stream")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    for message in stream:
        if "sessionStart" in message:
            first = message["sessionStart"]
            writer_started.set()
            continue
        update = message["sessionUpdate"]
        updates += 1
        assert update["sessionMetadata"]["sampled"] is False
        received.extend(update["sessionResults"])
        if len(received) >= 2 or time.monotonic() > deadline:
            break
    stream.close()  # the client leaves: the server ends the session
    thread.join(5)
    assert first is not None and first["logEventFilterPattern"] == "ERROR"
    assert [(r["logStreamName"], r["message"]) for r in received] == [
        ("app/web/1", "ERROR first"), ("app/web/3", "ERROR from a new stream")]
    assert all(r["logGroupIdentifier"].endswith(f"log-group:{log_group}") for r in received)
    # the server ends the session once the client went away (it notices at the next update)
    deadline = time.monotonic() + 10
    while _sessions(local_aws) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sessions(local_aws) == 0
    assert logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]


def test_live_tail_sends_heartbeats_and_honours_stream_prefixes(aws, tail_logs, log_group):
    logs = aws("logs")
    response = tail_logs.start_live_tail(logGroupIdentifiers=[_arn(logs, log_group)], logStreamNamePrefixes=["app/web/2"])
    stream = response["responseStream"]
    put(logs, log_group, "app/web/1", "not this stream")
    put(logs, log_group, "app/web/2", "this stream")
    seen, updates = [], 0
    for message in stream:
        if "sessionUpdate" in message:
            updates += 1
            seen.extend(r["message"] for r in message["sessionUpdate"]["sessionResults"])
            if seen and updates >= 2:
                break
    stream.close()
    assert seen == ["this stream"]


def test_live_tail_refuses_what_aws_refuses(tail_logs, log_group):
    logs = tail_logs
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.start_live_tail(logGroupIdentifiers=["arn:aws:logs:us-east-1:123456789012:log-group:nope"])
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.start_live_tail(logGroupIdentifiers=[_arn(logs, log_group)], logStreamNames=["a"],
                             logStreamNamePrefixes=["b"])


def test_a_live_tail_session_ends_with_a_timeout(monkeypatch):
    """In-process: the session's end after its time limit, as AWS ends it (SessionTimeoutException)."""
    from moto.core.eventstream import EventStreamEncoder  # noqa: F401 - the encoder the stream uses
    from moto.logs.models import logs_backends

    from core.local.extensions import logs_tail

    backend = logs_backends["123456789012"]["eu-west-3"]
    name = f"timeout-{uuid.uuid4().hex[:6]}"
    backend.create_log_group(name, {})
    monkeypatch.setattr(logs_tail, "_session_seconds", lambda: 0.3)
    monkeypatch.setattr(logs_tail, "UPDATE_INTERVAL", 0.1)
    session = logs_tail.LiveTailSession("123456789012", "eu-west-3", {"logGroupIdentifiers": [name]})
    frames = list(logs_tail._stream(session))
    assert b"initial-response" in frames[0] and b"sessionStart" in frames[1]
    assert any(b"sessionUpdate" in f for f in frames[2:-1])
    assert b"SessionTimeoutException" in frames[-1]
    assert json.loads(frames[1][frames[1].index(b"{"):-4])["logGroupIdentifiers"][0].endswith(name)

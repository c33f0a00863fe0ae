"""`stp logs`: the log events of a resource's containers, merged in time order, optionally followed.

Where: the deployed template's ``Metadata.Stp`` names each resource's log-group outputs
(``logGroup:<container>`` for a container workload, ``logGroup`` for a function); the stack's
outputs hold their names. Fetching: one ``filter_log_events`` pagination per log group, split by
stream names into parallel queries when the group has a handful of streams, then a k-way merge.
Following: CloudWatch Live Tail on real AWS; polling with a sliding start time otherwise (and
whenever Live Tail is unavailable), de-duplicated by eventId. A dropped connection is retried from
where it stopped, so nothing is lost or printed twice.
"""

from __future__ import annotations

import heapq
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from core.aws.session import Aws, AwsProblem, error_code, is_transient, translated
from core.aws.stacks import (
    deployed_template,
    find_stack,
    list_resources,
    outputs_of,
    stp_metadata,
)

PAGE_LIMIT = 10_000
MAX_SPLIT_STREAMS = 400  # up to this many streams, a fetch is split into parallel per-stream queries
PARALLEL = 8
FOLLOW_LAG_MS = 10_000  # polling re-reads this much before the newest event: late arrivals are not missed
LIVE_TAIL_MAX_GROUPS = 10
_PALETTE = ("bright-cyan", "bright-magenta", "bright-yellow", "bright-green", "bright-blue", "cyan", "magenta",
            "yellow", "green", "blue")
_HEX_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class LogSource:
    resource: str
    container: str
    group: str


# One event: (timestamp ms, ingestion ms, source index, stream, message, event id)
Event = tuple


# --------------------------------------------------------------------------------------------- where


def find_sources(aws: Aws, stack: str, resource: str, container: str | None = None) -> list[LogSource]:
    """The log groups of a resource (of one container of it, with ``container``)."""
    found = find_stack(aws, stack)
    if found is None:
        raise AwsProblem(f"stack {stack} does not exist in {aws.describe()}; deploy it first (`stp deploy`)")
    meta = stp_metadata(deployed_template(aws, found["StackId"]))
    resources = meta.get("resources") or {}
    values = outputs_of(found)
    with_logs = sorted(n for n, r in resources.items() if any(k.startswith("logGroup") for k in r.get("outputs") or {}))
    if resource not in resources:
        raise AwsProblem(f"stack {stack} has no resource '{resource}'"
                         + (f"; resources with logs: {', '.join(with_logs)}" if with_logs else ""))
    sources = []
    for what, output in (resources[resource].get("outputs") or {}).items():
        if what == "logGroup" or what.startswith("logGroup:"):
            cname = what.partition(":")[2] or resource
            if output in values:
                sources.append(LogSource(resource, cname, values[output]))
    if not sources:  # older templates: the AWS::Logs::LogGroup resources the resource owns
        owned = set(resources[resource].get("logicalIds") or ())
        for row in list_resources(aws, found["StackId"]):
            if row.get("LogicalResourceId") in owned and row.get("ResourceType") == "AWS::Logs::LogGroup":
                sources.append(LogSource(resource, row["LogicalResourceId"], row.get("PhysicalResourceId", "")))
    if not sources:
        rtype = resources[resource].get("type", "resource")
        raise AwsProblem(f"{rtype} '{resource}' writes no logs stp knows of"
                         + (f"; resources with logs: {', '.join(with_logs)}" if with_logs else ""))
    if container is not None:
        picked = [s for s in sources if s.container == container]
        if not picked:
            raise AwsProblem(f"'{resource}' has no container '{container}'; its containers:"
                             f" {', '.join(s.container for s in sources)}")
        sources = picked
    return sources


# --------------------------------------------------------------------------------------------- when


_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)"
                       r"\s*(?:ago)?\s*$", re.IGNORECASE)
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def parse_time(text: str, now_ms: int | None = None) -> int:
    """``10m`` / ``2h`` / ``1d`` (that long ago), ``now``, an ISO 8601 time (UTC unless it says), or epoch ms."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    text = str(text).strip()
    if text.lower() == "now":
        return now_ms
    m = _RELATIVE.match(text)
    if m:
        unit = m.group(2).lower()
        key = "ms" if unit == "ms" else ("m" if unit.startswith("m") else unit[0])
        return now_ms - int(float(m.group(1)) * _UNIT_MS[key])
    if text.isdigit() and len(text) >= 12:
        return int(text)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise AwsProblem(f"cannot read the time '{text}': use e.g. 10m, 2h, 1d, or an ISO time like"
                         " 2024-05-01T12:00:00Z", 2) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


# --------------------------------------------------------------------------------------------- fetch


def _call(aws: Aws, fn: Callable, kwargs: dict, attempts: int = 6) -> dict:
    """One API call, retried on a dropped connection (the same request again: nothing lost or repeated)."""
    delay = 0.2
    for attempt in range(attempts):
        try:
            return fn(**kwargs)
        except Exception as exc:
            if not is_transient(exc) or attempt == attempts - 1:
                with translated(aws.target, aws.region, "reading logs"):
                    raise
            time.sleep(delay)
            delay = min(5.0, delay * 2)
    raise AssertionError("unreachable")


def _stream_chunks(aws: Aws, group: str) -> list[list[str] | None]:
    """Stream-name batches to query in parallel; [None] to query the whole group at once."""
    logs = aws.client("logs")
    names: list[str] = []
    token = None
    try:
        while True:
            kwargs: dict[str, Any] = {"logGroupName": group, "limit": 50}
            if token:
                kwargs["nextToken"] = token
            page = _call(aws, logs.describe_log_streams, kwargs)
            names.extend(s["logStreamName"] for s in page.get("logStreams") or ())
            token = page.get("nextToken")
            if not token:
                break
            if len(names) >= MAX_SPLIT_STREAMS:
                return [None]
    except AwsProblem:
        return [None]
    if len(names) < 2:
        return [None]
    k = max(min(PARALLEL, len(names)), -(-len(names) // 100))  # at most 100 names per query
    return [names[i::k] for i in range(k)]


def _fetch_group(aws: Aws, index: int, group: str, streams: list[str] | None, start: int | None, end: int | None,
                 pattern: str | None, limit: int | None = None) -> list[Event]:
    logs = aws.client("logs")
    kwargs: dict[str, Any] = {"logGroupName": group, "limit": PAGE_LIMIT}
    if streams:
        kwargs["logStreamNames"] = streams
    if start is not None:
        kwargs["startTime"] = start
    if end is not None:
        kwargs["endTime"] = end
    if pattern:
        kwargs["filterPattern"] = pattern
    out: list[Event] = []
    while True:
        try:
            page = _call(aws, logs.filter_log_events, kwargs)
        except AwsProblem as exc:
            if "ResourceNotFoundException" in str(exc):
                return out  # the group does not exist (yet): nothing logged
            raise
        for e in page.get("events") or ():
            out.append((e.get("timestamp", 0), e.get("ingestionTime", 0), index, e.get("logStreamName", ""),
                        e.get("message", ""), e.get("eventId", "")))
        token = page.get("nextToken")
        if not token or (limit is not None and len(out) >= limit):
            break
        kwargs["nextToken"] = token
    out.sort()
    return out


def fetch(aws: Aws, sources: list[LogSource], start: int | None, end: int | None = None,
          pattern: str | None = None, split: bool = True) -> list[Event]:
    """Every matching event of the sources between start and end (ms), in time order."""
    tasks = []
    for i, src in enumerate(sources):
        for streams in (_stream_chunks(aws, src.group) if split else [None]):
            tasks.append((i, src.group, streams))
    if len(tasks) == 1:
        return _fetch_group(aws, tasks[0][0], tasks[0][1], tasks[0][2], start, end, pattern)
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(tasks))) as pool:
        parts = list(pool.map(lambda t: _fetch_group(aws, t[0], t[1], t[2], start, end, pattern), tasks))
    return list(heapq.merge(*parts))


# --------------------------------------------------------------------------------------------- print


class Printer:
    """Formats events as ``TIME  container/task  message`` lines and writes them in batches."""

    def __init__(self, sources: list[LogSource], out: TextIO, color: bool = False, batch: int = 2000):
        self.sources = sources
        self.out = out
        self.color = color
        self.batch = batch
        self._seconds: dict[int, str] = {}
        self._labels: dict[tuple[int, str], str] = {}
        self.width = 0
        colors = {}
        for s in sources:
            colors.setdefault(s.container, _PALETTE[len(colors) % len(_PALETTE)])
        self._color_of = [colors[s.container] for s in sources]
        self.lock = threading.Lock()
        self.count = 0

    def label(self, index: int, stream: str) -> str:
        key = (index, stream)
        found = self._labels.get(key)
        if found is None:
            last = stream.rsplit("/", 1)[-1]
            if "]" in last:  # Lambda: 2024/05/01/[$LATEST]0123abcd…
                last = last.rsplit("]", 1)[-1]
            if _HEX_ID.fullmatch(last):
                last = last[:8]
            found = self._labels[key] = f"{self.sources[index].container}/{last}" if last else self.sources[index].container
        return found

    def _second(self, sec: int) -> str:
        if len(self._seconds) > 100_000:
            self._seconds.clear()
        text = self._seconds[sec] = datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return text

    def write(self, events: Iterable[Event]) -> int:
        events = events if isinstance(events, list) else list(events)
        if not events:
            return 0
        label = self.label
        keys = {(e[2], e[3]) for e in events}
        self.width = max(self.width, max(len(label(i, s)) for i, s in keys))
        width = self.width
        tags = {k: (self._paint(label(*k).ljust(width), k[0]) if self.color else label(*k).ljust(width)) for k in keys}
        seconds, second = self._seconds, self._second
        lines: list[str] = []
        append = lines.append
        n = 0
        with self.lock:
            for ts, _, index, stream, message, _ in events:
                sec, milli = divmod(ts, 1000)
                stamp = seconds.get(sec) or second(sec)
                if message.endswith("\n"):
                    message = message.rstrip("\n")
                append(f"{stamp}.{milli:03d}Z {tags[index, stream]} {message}")
                if len(lines) >= self.batch:
                    self.out.write("\n".join(lines) + "\n")
                    n += len(lines)
                    lines.clear()
            if lines:
                self.out.write("\n".join(lines) + "\n")
                n += len(lines)
            self.out.flush()
            self.count += n
        return n

    def _paint(self, text: str, index: int) -> str:
        from core.aws.console import STYLES

        return f"\x1b[{STYLES[self._color_of[index]]}m{text}\x1b[0m"


# --------------------------------------------------------------------------------------------- follow


def _poll_key(e: Event) -> tuple:
    """What identifies an event while polling: its eventId within its stream and millisecond (a restarted local
    AWS numbers events from 0 again, so an id alone may come back for a new event), else its content."""
    return (e[2], e[3], e[0], e[5] or e[4])


class Recent:
    """Keys seen recently (``_poll_key`` while polling): each event is printed once."""

    def __init__(self) -> None:
        self.keys: dict[Any, int] = {}

    def add(self, key: Any, ts: int) -> bool:
        """True when the key is new."""
        if key in self.keys:
            return False
        self.keys[key] = ts
        return True

    def prune(self, before: int) -> None:
        if len(self.keys) > 1000:
            self.keys = {k: t for k, t in self.keys.items() if t >= before}


def follow_polling(aws: Aws, sources: list[LogSource], printer: Printer, start: int, pattern: str | None,
                   stop: threading.Event, recent: Recent | None = None, interval: tuple[float, float] = (0.5, 2.0),
                   on_note: Callable[[str], None] | None = None, newest: int | None = None) -> None:
    """Poll for new events until ``stop`` is set.

    Each poll asks from ``FOLLOW_LAG_MS`` before the newest event seen (never before ``start``), so an
    event that arrives late is still found; ``recent`` (eventIds) keeps the overlap from printing twice.
    """
    recent = recent or Recent()
    newest = start if newest is None else max(start, newest)
    delay = interval[0]
    outage = False
    while not stop.is_set():
        window = max(start, newest - FOLLOW_LAG_MS)
        try:
            batch = fetch(aws, sources, window, None, pattern, split=False)
        except AwsProblem as exc:
            if not outage and on_note:
                on_note(f"reading logs failed ({exc}); retrying…")
            outage = True
            stop.wait(min(10.0, delay * 2))
            continue
        if outage and on_note:
            on_note("reconnected")
        outage = False
        fresh = [e for e in batch if recent.add(_poll_key(e), e[0])]
        if fresh:
            printer.write(fresh)
            newest = max(newest, max(e[0] for e in fresh))
            recent.prune(newest - FOLLOW_LAG_MS - 1000)
            delay = interval[0]
        else:
            delay = min(interval[1], delay * 1.5)
        stop.wait(delay)


def _content_key(e: Event) -> tuple:
    return (e[2], e[3], e[0], e[4])


def follow_live_tail(aws: Aws, sources: list[LogSource], printer: Printer, pattern: str | None,
                     stop: threading.Event, history: list[Event], on_note: Callable[[str], None] | None = None) -> bool:
    """Follow with CloudWatch Live Tail; False when it is not available (the caller polls instead)."""
    if len(sources) > LIVE_TAIL_MAX_GROUPS:
        return False
    logs = aws.client("logs", read_timeout=300)
    try:
        arns = {}
        for i, src in enumerate(sources):
            groups = _call(aws, logs.describe_log_groups, {"logGroupNamePrefix": src.group}).get("logGroups") or ()
            arn = next((g.get("logGroupArn") or g.get("arn", "").removesuffix(":*") for g in groups
                        if g.get("logGroupName") == src.group), None)
            if arn is None:
                return False
            arns[arn] = i
    except AwsProblem:
        return False
    boundary = max((e[0] for e in history), default=0)
    seen = {_content_key(e) for e in history if e[0] >= boundary - FOLLOW_LAG_MS}
    newest = boundary
    warned_sampled = False
    while not stop.is_set():
        try:
            kwargs: dict[str, Any] = {"logGroupIdentifiers": list(arns)}
            if pattern:
                kwargs["logEventFilterPattern"] = pattern
            stream = logs.start_live_tail(**kwargs)["responseStream"]
        except Exception as exc:  # noqa: BLE001
            if is_transient(exc):
                stop.wait(1.0)
                continue
            return False  # not allowed / not supported here: poll instead
        try:
            for message in stream:
                if stop.is_set():
                    break
                update = message.get("sessionUpdate")
                if not update:
                    continue
                if (update.get("sessionMetadata") or {}).get("sampled") and not warned_sampled and on_note:
                    on_note("live tail is sampling: more than 500 events per second, some are not shown")
                    warned_sampled = True
                fresh = []
                for r in update.get("sessionResults") or ():
                    idx = arns.get(str(r.get("logGroupIdentifier", "")).removesuffix(":*"))
                    if idx is None:
                        idx = next((i for a, i in arns.items() if a.endswith(str(r.get("logGroupIdentifier")))), 0)
                    e = (r.get("timestamp", 0), r.get("ingestionTime", 0), idx, r.get("logStreamName", ""),
                         r.get("message", ""), "")
                    key = _content_key(e)
                    if e[0] <= boundary and key in seen:
                        continue
                    seen.add(key)
                    fresh.append(e)
                if fresh:
                    fresh.sort()
                    printer.write(fresh)
                    newest = max(newest, fresh[-1][0])
                if len(seen) > 50_000:
                    boundary = newest
                    seen = {k for k in seen if k[2] >= newest - FOLLOW_LAG_MS}
        except Exception as exc:  # noqa: BLE001 - session ended (3 h limit) or the connection dropped
            if error_code(exc) in ("AccessDeniedException", "InvalidParameterException"):
                return False
            if on_note:
                on_note(f"live tail interrupted ({type(exc).__name__}); reconnecting…")
        # between sessions: catch up by polling what arrived meanwhile, then start a new session
        if stop.is_set():
            break
        try:
            gap = fetch(aws, sources, max(0, newest - FOLLOW_LAG_MS), None, pattern, split=False)
        except AwsProblem:
            gap = []
        fresh = [e for e in gap if _content_key(e) not in seen]
        for e in fresh:
            seen.add(_content_key(e))
        if fresh:
            printer.write(fresh)
            newest = max(newest, fresh[-1][0])
        boundary = newest
    return True


# --------------------------------------------------------------------------------------------- the command


def show_logs(aws: Aws, stack: str, resource: str, out: TextIO, *, container: str | None = None,
              since: str | None = "10m", until: str | None = None, pattern: str | None = None,
              follow: bool = False, color: bool = False, live_tail: bool | None = None,
              on_note: Callable[[str], None] | None = None, stop: threading.Event | None = None) -> int:
    """`stp logs`: print the events (then follow them); returns how many lines were printed."""
    sources = find_sources(aws, stack, resource, container)
    now = int(time.time() * 1000)
    start = parse_time(since, now) if since else None
    end = parse_time(until, now) if until else None
    if start is not None and end is not None and end < start:
        raise AwsProblem(f"--until ({until}) is before --since ({since})", 2)
    printer = Printer(sources, out, color)
    history = fetch(aws, sources, start, end, pattern)
    printer.write(history)
    if not follow:
        return printer.count
    if end is not None:
        raise AwsProblem("--follow and --until do not go together", 2)
    stop = stop or threading.Event()
    use_live = (not aws.local) if live_tail is None else live_tail
    try:
        if use_live and follow_live_tail(aws, sources, printer, pattern, stop, history, on_note):
            return printer.count
        floor = start if start is not None else now
        newest = max((e[0] for e in history), default=floor)
        recent = Recent()
        for e in history:
            if e[0] >= newest - FOLLOW_LAG_MS:
                recent.add(_poll_key(e), e[0])
        follow_polling(aws, sources, printer, floor, pattern, stop, recent, on_note=on_note, newest=newest)
    except KeyboardInterrupt:
        pass
    return printer.count

"""Lines of local processes into CloudWatch Logs of the local AWS (moto's logs backend, in-process).

`LogSink.write(target, line)` queues a line (any thread, never blocks on the server lock); a background
thread flushes the queue every `interval` seconds (or sooner when it holds many lines): per log stream,
in the order the lines were written, timestamps never going backwards, into moto's `put_log_events`
under `state.LOCK` (held only for the write). A stream is created on its first line; a log group that
does not exist (deleted with its stack) drops the lines, as the awslogs driver would fail to send them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

from core.local import state

log = logging.getLogger("stp.local.runner")

MAX_EVENT_BYTES = 256 * 1024 - 26  # CloudWatch's limit per event (message plus 26 bytes)
MAX_BATCH = 10_000  # events per PutLogEvents
FLUSH_AT = 500  # flush early when this many lines wait


@dataclass(frozen=True)
class LogTarget:
    account_id: str
    region: str
    group: str
    stream: str


def split_long(message: str) -> list[str]:
    data = message.encode("utf-8")
    if len(data) <= MAX_EVENT_BYTES:
        return [message]
    parts = []
    while data:
        chunk = data[:MAX_EVENT_BYTES]
        text = chunk.decode("utf-8", errors="ignore")  # never split inside a character
        parts.append(text)
        data = data[len(text.encode("utf-8")):]
    return parts


class LogSink:
    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self._queue: deque[tuple[LogTarget, int, str]] = deque()
        self._cond = threading.Condition()
        self._last_ts: dict[LogTarget, int] = {}
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="stp-local-logsink", daemon=True)
        self._thread.start()

    def write(self, target: LogTarget, message: str, timestamp_ms: int | None = None) -> None:
        ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        with self._cond:
            for part in split_long(message):
                self._queue.append((target, ts, part))
            if len(self._queue) >= FLUSH_AT:
                self._cond.notify()

    def flush(self) -> None:
        """Write what is queued now (the caller's thread)."""
        with self._cond:
            batch = list(self._queue)
            self._queue.clear()
        if batch:
            self._put(batch)

    def close(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=2)
        self.flush()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue and not self._stopped or len(self._queue) < FLUSH_AT and not self._stopped:
                    self._cond.wait(self.interval)
                stopped = self._stopped
            try:
                self.flush()
            except Exception:
                log.exception("writing process output to CloudWatch Logs failed")
            if stopped:
                return

    def _put(self, batch: list[tuple[LogTarget, int, str]]) -> None:
        from moto.logs.models import logs_backends

        streams: dict[LogTarget, list[dict]] = {}
        for target, ts, message in batch:
            ts = max(ts, self._last_ts.get(target, 0))  # ordered: never earlier than the line before
            self._last_ts[target] = ts
            streams.setdefault(target, []).append({"timestamp": ts, "message": message})
        for target, events in streams.items():
            for start in range(0, len(events), MAX_BATCH):
                chunk = events[start:start + MAX_BATCH]
                with state.LOCK:
                    backend = logs_backends[target.account_id][target.region]
                    group = backend.groups.get(target.group)
                    if group is None:
                        continue  # the log group is gone (stack deleted): the lines are dropped
                    if target.stream not in group.streams:
                        group.create_log_stream(target.stream)
                    backend.put_log_events(target.group, target.stream, chunk)

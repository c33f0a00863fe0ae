"""CloudWatch Logs as clients use it to follow a workload: filter patterns and a Live Tail that follows.

moto's `StartLiveTail` answers one snapshot of the stored events and ends, and its filter patterns know
only plain and quoted terms (anything else matches every event). Here:

- `FilterPattern(pattern).matches(message)` implements CloudWatch's filter pattern syntax for the common
  forms and replaces moto's `EventMessageFilter` (so `filter_log_events`, Live Tail and metric filters use
  it): terms and "quoted phrases" (all must occur, case-sensitive), `?term` (at least one of them),
  `-term` (none of them), `%regex%`, JSON patterns `{ $.level = "ERROR" }` with `= != < > <= >=`, `*`
  wildcards, `IS NULL|TRUE|FALSE`, `EXISTS`, `NOT EXISTS`, `&&`, `||`, `!` and parentheses, array
  indexes `$.a[0].b`, and space-delimited patterns `[ip, user, ..., status = 4*, bytes > 100]`. A pattern
  it cannot read is refused with InvalidParameterException, as CloudWatch refuses it.
- `StartLiveTail` streams: the session start, then a `sessionUpdate` about every `UPDATE_INTERVAL` seconds
  (at once when events arrive, empty ones as heartbeats) with the events ingested since the session
  started (at most 500 per update, `sampled` when more) in the requested log groups and streams, matching
  the pattern, until the client disconnects, the server stops, or the session times out
  (`$STP_LOCAL_LIVE_TAIL_TIMEOUT` seconds, default 3 hours as on AWS), which ends it with a
  SessionTimeoutException. It is answered by `intercept()`, a WSGI hook the server calls before moto and
  outside `state.LOCK` (the lock is taken only to read new events).
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

LIVE_TAIL_TARGET = "Logs_20140328.StartLiveTail"
UPDATE_INTERVAL = 1.0  # seconds between session updates when nothing arrives (heartbeats)
POLL_INTERVAL = 0.1  # how often new events are looked for
MAX_RESULTS = 500  # events per session update, as on AWS
DEFAULT_SESSION_SECONDS = 3 * 3600


class PatternError(ValueError):
    pass


# ================================================================ filter patterns


def _wildcard(pattern: str, value: str) -> bool:
    if "*" not in pattern:
        return pattern == value
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _number(text: Any) -> float | None:
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text)
    try:
        value = float(str(text))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _compare(actual: Any, op: str, expected: Any, expected_is_string: bool, regex: re.Pattern | None) -> bool:
    """One comparison of a JSON or space-delimited pattern; `actual` is the value in the event."""
    if regex is not None:
        return op in ("=", "!=") and isinstance(actual, str | int | float) and not isinstance(actual, bool) and \
            (regex.search(str(actual)) is not None) == (op == "=")
    if op in ("<", ">", "<=", ">="):
        a, b = _number(actual), _number(expected)
        if a is None or b is None:
            return False
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    if actual is None or isinstance(actual, dict | list):
        equal = False
    elif not expected_is_string and _number(expected) is not None and _number(actual) is not None \
            and not isinstance(actual, str):
        equal = _number(actual) == _number(expected)
    elif isinstance(actual, bool):
        equal = str(expected).lower() == str(actual).lower() and not expected_is_string
    else:
        equal = _wildcard(str(expected), str(actual))
    return equal if op == "=" else not equal


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<selector>\$(?:\.[^\s.\[\]=!<>&|(){},"]+|\[\d+\]|\[\*\])*)
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<regex>%(?:[^%\\]|\\.)*%)
    | (?P<op>&&|\|\||!=|<=|>=|=|<|>|!|\(|\)|\{|\}|\[|\]|,)
    | (?P<word>[^\s"(){}\[\],=!<>&|]+)
    )""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise PatternError(f"cannot read the filter pattern at {text[pos:pos + 20]!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _regex(token: str) -> re.Pattern:
    try:
        return re.compile(token[1:-1].replace("\\%", "%"))
    except re.error as exc:
        raise PatternError(f"invalid regular expression {token}: {exc}") from None


# ---------------------------------------------------------------- JSON patterns

_SELECTOR = re.compile(r"\$((?:\.[^\s.\[\]]+|\[\d+\]|\[\*\])*)")


def _select(document: Any, path: str) -> list[Any]:
    """Values at a selector like `.a[0].b`; a `*` fans out. Empty list: the field does not exist."""
    values = [document]
    for part in re.findall(r"\.[^.\[]+|\[\d+\]|\[\*\]", path):
        nxt = []
        for value in values:
            if part in (".*", "[*]"):
                if isinstance(value, dict):
                    nxt.extend(value.values())
                elif isinstance(value, list):
                    nxt.extend(value)
            elif part.startswith("["):
                index = int(part[1:-1])
                if isinstance(value, list) and index < len(value):
                    nxt.append(value[index])
            elif isinstance(value, dict) and part[1:] in value:
                nxt.append(value[part[1:]])
        values = nxt
    return values


def _either(a, b):
    return lambda doc: a(doc) or b(doc)


def _both(a, b):
    return lambda doc: a(doc) and b(doc)


def _contains(text: str):
    return lambda message: text in message


def _searches(regex: re.Pattern):
    return lambda message: regex.search(message) is not None


class _JsonParser:
    """expr := and ('||' and)* ; and := unary ('&&' unary)* ; unary := '!' unary | '(' expr ')' | test"""

    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens, self.pos = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise PatternError(f"expected {value or 'more'} in the JSON filter pattern")
        self.pos += 1
        return token

    def parse(self):
        self.take("{")
        expr = self.expr()
        self.take("}")
        if self.peek() is not None:
            raise PatternError("unexpected text after the JSON filter pattern's closing brace")
        return expr

    def expr(self):
        left = self.conj()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.conj()
            left = _either(left, right)
        return left

    def conj(self):
        left = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.unary()
            left = _both(left, right)
        return left

    def unary(self):
        token = self.peek()
        if token == ("op", "!"):
            self.take()
            inner = self.unary()
            return lambda doc: not inner(doc)
        if token == ("op", "("):
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        return self.test()

    def test(self):
        kind, text = self.take()
        match = _SELECTOR.fullmatch(text) if kind == "selector" else None
        if match is None:
            raise PatternError(f"expected a selector like $.field in the JSON filter pattern, got {text!r}")
        path = match.group(1)
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].upper() in ("IS", "NOT", "EXISTS"):
            words = []
            while self.peek() is not None and self.peek()[0] == "word" and \
                    self.peek()[1].upper() in ("IS", "NOT", "EXISTS", "NULL", "TRUE", "FALSE"):
                words.append(self.take()[1].upper())
            test = " ".join(words)
            checks = {
                "IS NULL": lambda v: any(x is None for x in v),
                "IS TRUE": lambda v: any(x is True for x in v),
                "IS FALSE": lambda v: any(x is False for x in v),
                "EXISTS": lambda v: bool(v),
                "NOT EXISTS": lambda v: not v,
            }
            if test not in checks:
                raise PatternError(f"unknown test {test!r} in the JSON filter pattern")
            check = checks[test]
            return lambda doc: check(_select(doc, path))
        kind, op = self.take()
        if kind != "op" or op not in ("=", "!=", "<", ">", "<=", ">="):
            raise PatternError(f"expected a comparison after $ {path}, got {op!r}")
        vkind, raw = self.take()
        if vkind not in ("string", "word", "regex"):
            raise PatternError(f"expected a value after {op} in the JSON filter pattern")
        regex = _regex(raw) if vkind == "regex" else None
        value = _unquote(raw) if vkind == "string" else raw
        is_string = vkind == "string"
        if op in ("<", ">", "<=", ">=") and _number(value) is None:
            raise PatternError(f"{op} needs a number, got {raw}")

        def compare(doc):
            found = _select(doc, path)
            if op == "!=":
                return bool(found) and all(_compare(v, "!=", value, is_string, regex) for v in found)
            return any(_compare(v, op, value, is_string, regex) for v in found)

        return compare


def _json_document(message: str) -> Any:
    text = message.strip()
    try:
        return json.loads(text)
    except ValueError:
        start = text.find("{")  # "2024-01-01T00:00:00Z {...}": a JSON object after a prefix
        if start > 0:
            try:
                return json.loads(text[start:])
            except ValueError:
                return None
    return None


# ---------------------------------------------------------------- space-delimited patterns


def _fields(message: str) -> list[str]:
    """A log line's fields: separated by spaces; "quoted" and [bracketed] parts are one field each."""
    return [m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None else m.group(0)
            for m in re.finditer(r'"([^"]*)"|\[([^\]]*)\]|\S+', message)]


def _delimited(tokens: list[tuple[str, str]]):
    """`[a, b = x, ..., c > 3 && c < 9]` -> a matcher of a message's fields."""
    if not tokens or tokens[0][1] != "[" or tokens[-1][1] != "]":
        raise PatternError("a space-delimited filter pattern is written [field, field = value, ...]")
    inner = tokens[1:-1]
    groups: list[list[tuple[str, str]]] = [[]]
    for token in inner:
        if token == ("op", ","):
            groups.append([])
        else:
            groups[-1].append(token)
    fields = []
    for group in groups:
        if not group:
            raise PatternError("an empty field in the space-delimited filter pattern")
        if group == [("word", "...")]:
            fields.append(None)
            continue
        name = group[0][1]
        rest = group[1:]
        fields.append(_field_condition(name, rest))
    has_ellipsis = None in fields

    def matches(message: str) -> bool:
        values = _fields(message)
        return _match_fields(fields, 0, values, 0, has_ellipsis)

    return matches


def _field_condition(name: str, tokens: list[tuple[str, str]]):
    if not tokens:
        return lambda value: True
    alternatives: list[list] = [[]]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == ("op", "||"):
            alternatives.append([])
            i += 1
            continue
        if token == ("op", "&&"):
            i += 1
            continue
        if token[0] == "word" and token[1] == name:
            i += 1
            continue
        if token[0] != "op" or token[1] not in ("=", "!=", "<", ">", "<=", ">="):
            raise PatternError(f"expected a comparison for field {name} in the filter pattern")
        if i + 1 >= len(tokens):
            raise PatternError(f"expected a value after {token[1]} for field {name}")
        vkind, raw = tokens[i + 1]
        regex = _regex(raw) if vkind == "regex" else None
        value = _unquote(raw) if vkind == "string" else raw
        alternatives[-1].append((token[1], value, vkind == "string", regex))
        i += 2

    def check(actual: str) -> bool:
        for conditions in alternatives:
            if all(_compare(actual if _number(actual) is None or op in ("=", "!=") else _number(actual), op, value,
                            is_string, regex) for op, value, is_string, regex in conditions):
                return True
        return False

    return check


def _match_fields(conditions: list, ci: int, values: list[str], vi: int, ellipsis: bool) -> bool:
    if ci == len(conditions):
        return vi == len(values) or ellipsis and conditions and conditions[-1] is None
    condition = conditions[ci]
    if condition is None:  # ... matches any number of fields
        return any(_match_fields(conditions, ci + 1, values, k, ellipsis) for k in range(vi, len(values) + 1))
    if vi >= len(values):
        return False
    return condition(values[vi]) and _match_fields(conditions, ci + 1, values, vi + 1, ellipsis)


# ---------------------------------------------------------------- the pattern


class FilterPattern:
    """A CloudWatch Logs filter pattern; `matches(message)`. Raises InvalidParameterException when unreadable."""

    def __init__(self, pattern: str | None):
        self.pattern = (pattern or "").strip()
        try:
            self._matches = _compiled(self.pattern)
        except PatternError as exc:
            from moto.logs.exceptions import InvalidParameterException

            raise InvalidParameterException(msg=f"Invalid filter pattern {self.pattern!r}: {exc}") from None

    def matches(self, message: str) -> bool:
        return self._matches(message)

    # moto's EventMessageFilter interface
    @property
    def filter_type(self) -> FilterPattern:
        return self


@lru_cache(maxsize=256)  # moto builds a filter per event: compile each pattern once
def _compiled(pattern: str):
    if not pattern or pattern == '""':
        return lambda message: True
    if pattern.startswith("{"):
        matcher = _JsonParser(_tokens(pattern)).parse()

        def json_matches(message: str) -> bool:
            document = _json_document(message)
            if not isinstance(document, dict | list):
                return False
            try:
                return bool(matcher(document))
            except (TypeError, ValueError):
                return False

        return json_matches
    if pattern.startswith("["):
        return _delimited(_tokens(pattern))
    if len(pattern) > 1 and pattern.startswith("%") and pattern.endswith("%") and pattern.count("%") == 2:
        regex = _regex(pattern)
        return lambda message: regex.search(message) is not None
    return _terms(pattern)


def _terms(pattern: str):
    required: list = []
    optional: list = []
    excluded: list = []
    for match in re.finditer(r'([?-]?)("(?:[^"\\]|\\.)*"|%(?:[^%\\]|\\.)*%|\S+)', pattern):
        prefix, body = match.groups()
        if body.startswith('"') and body.endswith('"') and len(body) >= 2:
            test = _contains(_unquote(body))
        elif body.startswith("%") and body.endswith("%") and len(body) >= 2:
            test = _searches(_regex(body))
        else:
            test = _contains(body)
        {"": required, "?": optional, "-": excluded}[prefix].append(test)

    def matches(message: str) -> bool:
        if not all(t(message) for t in required):
            return False
        if any(t(message) for t in excluded):
            return False
        return not optional or any(t(message) for t in optional)

    return matches


# ================================================================ Live Tail that follows


def _session_seconds() -> float:
    try:
        return max(1.0, float(os.environ.get("STP_LOCAL_LIVE_TAIL_TIMEOUT", DEFAULT_SESSION_SECONDS)))
    except ValueError:
        return float(DEFAULT_SESSION_SECONDS)


def _encode(headers: dict[str, str], payload: dict[str, Any] | None) -> bytes:
    from moto.core.eventstream import EventStreamEncoder

    body = b"" if payload is None else json.dumps(payload).encode()
    if payload is not None:
        headers = {**headers, ":content-type": "application/json"}
    return EventStreamEncoder().encode_message(headers, body)


def _event(event_type: str, payload: dict[str, Any] | None) -> bytes:
    return _encode({":message-type": "event", ":event-type": event_type}, payload)


def _exception(code: str, message: str) -> bytes:
    return _encode({":message-type": "exception", ":exception-type": code}, {"message": message})


def _error(start_response, status: str, code: str, message: str):
    data = json.dumps({"__type": code, "message": message}).encode()
    start_response(status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code),
                            ("Content-Length", str(len(data)))])
    return [data]


def _request_scope(environ) -> tuple[str, str]:
    """(account, region) of a request the way moto derives them."""
    from moto.core import DEFAULT_ACCOUNT_ID

    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = re.search(r"Credential=([^/]+)/\d{8}/([^/]+)/", auth)
    region = match.group(2) if match else "us-east-1"
    if os.environ.get("MOTO_ACCOUNT_ID"):
        return os.environ["MOTO_ACCOUNT_ID"], region
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return environ["HTTP_X_MOTO_ACCOUNT_ID"], region
    try:
        from moto.iam.models import get_account_id_from

        return get_account_id_from(match.group(1) if match else "AKIAEXAMPLE"), region
    except Exception:  # noqa: BLE001
        return DEFAULT_ACCOUNT_ID, region


def _find_group(backend: Any, identifier: str):
    from moto.logs.exceptions import ResourceNotFoundException

    wanted = str(identifier).removesuffix(":*")
    for group in backend.groups.values():
        if wanted in (group.name, group.arn, str(group.arn).removesuffix(":*")):
            return group
    raise ResourceNotFoundException("The specified log group does not exist.")


class LiveTailSession:
    def __init__(self, account: str, region: str, body: dict[str, Any]):
        from moto.logs.exceptions import InvalidParameterException
        from moto.logs.models import logs_backends

        from core.local import state

        self.account, self.region = account, region
        identifiers = body.get("logGroupIdentifiers") or []
        names = body.get("logStreamNames")
        prefixes = body.get("logStreamNamePrefixes")
        if not identifiers:
            raise InvalidParameterException(msg="logGroupIdentifiers must name at least one log group")
        if len(identifiers) > 10:
            raise InvalidParameterException(
                msg="1 validation error detected: Value at 'logGroupIdentifiers' failed to satisfy constraint:"
                    " Member must have length less than or equal to 10")
        if names is not None and prefixes is not None:
            raise InvalidParameterException(msg="Only one of logStreamNames or logStreamNamePrefixes can be provided.")
        if (names is not None or prefixes is not None) and len(identifiers) != 1:
            raise InvalidParameterException(
                msg="logStreamNames and logStreamNamePrefixes can only be used with a single log group.")
        self.names, self.prefixes = names or [], prefixes or []
        self.pattern_text = body.get("logEventFilterPattern") or ""
        self.pattern = FilterPattern(self.pattern_text)
        self.session_id = str(uuid.uuid4())
        self.request_id = str(uuid.uuid4())
        with state.LOCK:
            backend = logs_backends[account][region]
            self.groups = [_find_group(backend, i) for i in identifiers]
            # what exists now is history: only events ingested from now on are sent
            self.cursors: dict[tuple[int, str], tuple[Any, int]] = {}
            for group in self.groups:
                for stream in self._streams(group):
                    self.cursors[(id(group), stream.log_stream_name)] = (stream, len(stream.events))

    def _streams(self, group: Any) -> list[Any]:
        streams = list(group.streams.values())
        if self.names:
            return [s for s in streams if s.log_stream_name in self.names]
        if self.prefixes:
            return [s for s in streams if any(s.log_stream_name.startswith(p) for p in self.prefixes)]
        return streams

    def start(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "sessionId": self.session_id,
            "logGroupIdentifiers": [str(g.arn).removesuffix(":*") for g in self.groups],
            "logStreamNames": self.names,
            "logStreamNamePrefixes": self.prefixes,
            "logEventFilterPattern": self.pattern_text,
        }

    def new_events(self) -> list[dict[str, Any]]:
        """Events ingested since the last call, in the requested groups and streams, matching the pattern."""
        from core.local import state

        found: list[tuple[Any, Any, str]] = []
        with state.LOCK:
            for group in self.groups:
                arn = str(group.arn).removesuffix(":*")
                for stream in self._streams(group):
                    key = (id(group), stream.log_stream_name)
                    known, index = self.cursors.get(key, (stream, 0))
                    if known is not stream:  # deleted and created again
                        index = 0
                    events = stream.events
                    if len(events) > index:
                        found.extend((event, arn, stream.log_stream_name) for event in events[index:])
                    self.cursors[key] = (stream, len(events))
        results = [{"logStreamName": name, "logGroupIdentifier": arn, "message": event.message,
                    "timestamp": event.timestamp, "ingestionTime": event.ingestion_time}
                   for event, arn, name in found if self.pattern.matches(event.message)]
        results.sort(key=lambda r: (r["timestamp"], r["ingestionTime"]))
        return results


_active: set[str] = set()  # session ids of open Live Tail sessions


def active_sessions() -> int:
    return len(_active)


def _stream(session: LiveTailSession) -> Iterator[bytes]:
    _active.add(session.session_id)
    try:
        yield from _follow(session)
    finally:  # the client went away (the server closes this generator), or the session ended
        _active.discard(session.session_id)


def _follow(session: LiveTailSession) -> Iterator[bytes]:
    from core.local import state

    yield _event("initial-response", None)
    yield _event("sessionStart", session.start())
    deadline = time.monotonic() + _session_seconds()
    last_sent = time.monotonic()
    pending: list[dict[str, Any]] = []
    while True:
        if state.shutting_down.is_set():
            return
        if time.monotonic() >= deadline:
            yield _exception("SessionTimeoutException", "Live Tail session has ended: the session timed out.")
            return
        pending.extend(session.new_events())
        now = time.monotonic()
        if pending or now - last_sent >= UPDATE_INTERVAL:
            sampled = len(pending) > MAX_RESULTS
            batch = pending[-MAX_RESULTS:] if sampled else pending
            pending = []
            yield _event("sessionUpdate", {"sessionMetadata": {"sampled": sampled}, "sessionResults": batch})
            last_sent = now
        state.shutting_down.wait(POLL_INTERVAL)


def live_tail_app(environ, start_response):
    from moto.core.exceptions import JsonRESTError

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
    except ValueError as exc:
        return _error(start_response, "400 Bad Request", "SerializationException", str(exc))
    if not isinstance(body, dict):
        return _error(start_response, "400 Bad Request", "SerializationException", "expected a JSON object")
    account, region = _request_scope(environ)
    try:
        session = LiveTailSession(account, region, body)
    except JsonRESTError as exc:
        return _error(start_response, f"{exc.code} Bad Request" if exc.code == 400 else f"{exc.code} Error",
                      exc.error_type, exc.message)
    start_response("200 OK", [("Content-Type", "application/vnd.amazon.eventstream"),
                              ("x-amzn-RequestId", session.request_id)])
    return _stream(session)


def intercept(environ):
    """The WSGI app answering this request instead of moto (StartLiveTail), else None."""
    if environ.get("REQUEST_METHOD") == "POST" and environ.get("HTTP_X_AMZ_TARGET") == LIVE_TAIL_TARGET:
        return live_tail_app
    return None


_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Use these filter patterns in moto's logs backend (filter_log_events, live tail, metric filters)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.logs import models, utils

        models.EventMessageFilter = FilterPattern  # type: ignore[misc]
        utils.EventMessageFilter = FilterPattern  # type: ignore[misc]
        _installed = True

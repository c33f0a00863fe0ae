"""Start, stop and inspect the local AWS server running in the background.

The server (`python -m core.local.serve`) runs detached in its own process group; its pid, port and
start time are recorded in `server.json` in the state folder, its output goes to `server.log` there:

    $STP_LOCAL_STATE_DIR, else $XDG_STATE_HOME/stp/local, else ~/.local/state/stp/local

Port: the argument, else $STP_LOCAL_PORT, else 4566 (0 picks a free port). Only the standard library is
used here, so `stp local status` stays fast; the server process is the one that imports moto.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DEFAULT_PORT = 4566
HOST = "127.0.0.1"
ENV_PORT = "STP_LOCAL_PORT"
ENV_STATE_DIR = "STP_LOCAL_STATE_DIR"
SERVICE_NAME = "stp-local"  # what /_stp/health answers with (see serve.py)
HEALTH_PATH = "/_stp/health"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

# Dummy credentials and the region a client of the local server uses.
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
LOCAL_REGION = "us-east-1"

_children: dict[int, subprocess.Popen] = {}  # servers started by this process, so they can be reaped


class LocalServerError(Exception):
    """The local server could not be started, reached or stopped; the message says what to do."""


@dataclass
class ServerStatus:
    """What `stp local status` reports. `state` is "running", "stopped" or "unresponsive"."""

    state: str
    port: int | None = None
    pid: int | None = None
    started_at: float | None = None
    log_file: str | None = None
    state_file: str | None = None
    time_scale: float | None = None
    resource_delay: float | None = None
    reused: bool = False  # start()/ensure_running() found it already running
    started: bool = False  # start() has just started it
    stale_cleaned: bool = False  # a state file of a server that had died was removed

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def endpoint(self) -> str | None:
        return f"http://{HOST}:{self.port}" if self.port else None

    @property
    def uptime_seconds(self) -> float | None:
        return max(0.0, time.time() - self.started_at) if self.started_at and self.state != "stopped" else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(running=self.running, endpoint=self.endpoint, uptime_seconds=self.uptime_seconds)
        return data

    def summary(self) -> str:
        """Human-readable lines for the CLI."""
        if self.state == "stopped":
            text = "local AWS is not running"
            if self.stale_cleaned:
                text += " (it had exited; removed its stale state file)"
            return text + "\n  start it with: stp local start"
        head = "local AWS is running" if self.running else "local AWS is not responding"
        if self.started:
            head = "local AWS started"
        elif self.reused and self.running:
            head = "local AWS is already running"
        lines = [f"{head} at {self.endpoint} (pid {self.pid}, up {format_duration(self.uptime_seconds or 0)})"]
        if self.time_scale not in (None, 1, 1.0):
            lines.append(f"  time scale: {self.time_scale:g}x")
        lines.append(f"  log: {self.log_file}")
        if self.running:
            lines.append(f"  use: AWS_ENDPOINT_URL={self.endpoint} (any credentials, region {LOCAL_REGION})")
        else:
            lines.append("  restart it with: stp local stop && stp local start")
        return "\n".join(lines)


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


# ---------------------------------------------------------------- state folder


def state_dir() -> Path:
    if os.environ.get(ENV_STATE_DIR):
        return Path(os.environ[ENV_STATE_DIR]).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / "stp" / "local"


def _state_file() -> Path:
    return state_dir() / "server.json"


def _log_file() -> Path:
    return state_dir() / "server.log"


@contextlib.contextmanager
def _exclusive():
    """One start/stop at a time across processes (two `--local` commands starting the server at once)."""
    folder = state_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalServerError(f"cannot create the state folder {folder}: {exc.strerror}") from None
    with open(folder / ".lock", "a+") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no cross-process lock
            pass
        yield


def _read_state() -> dict[str, Any] | None:
    try:
        data = json.loads(_state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) and isinstance(data.get("port"), int) else None


def _write_state(data: dict[str, Any]) -> None:
    path = _state_file()
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _remove_state() -> None:
    with contextlib.suppress(FileNotFoundError):
        _state_file().unlink()


# ---------------------------------------------------------------- processes and HTTP


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped by its parent) is not alive
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _is_server_process(pid: int) -> bool:
    """Whether pid is a `core.local.serve` process (guards against a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return _alive(pid)  # no /proc: trust the health check done by the caller
    return b"core.local.serve" in cmdline


def _health(port: int, timeout: float = 1.0) -> dict[str, Any] | None:
    """The server's /_stp/health answer, or None when nothing of ours answers on the port."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    try:
        with opener.open(f"http://{HOST}:{port}{HEALTH_PATH}", timeout=timeout) as response:
            data = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and data.get("service") == SERVICE_NAME else None


def _port_in_use(port: int) -> bool:
    """Whether something listens on the port (a socket lingering in TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _resolve_port(port: int | None) -> int:
    if port is None:
        raw = os.environ.get(ENV_PORT)
        if raw:
            try:
                port = int(raw)
            except ValueError:
                raise LocalServerError(f"{ENV_PORT}={raw!r} is not a port number") from None
        else:
            port = DEFAULT_PORT
    if not 0 <= port <= 65535:
        raise LocalServerError(f"port {port} is outside 0..65535")
    return port or free_port()


def _log_tail(lines: int = 15) -> str:
    try:
        text = _log_file().read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join("    " + line for line in text.rstrip().splitlines()[-lines:])


def _project_root() -> str:
    return str(Path(__file__).resolve().parent.parent.parent)


def _status_from(data: dict[str, Any], state: str, **extra: Any) -> ServerStatus:
    return ServerStatus(
        state=state,
        port=data.get("port"),
        pid=data.get("pid"),
        started_at=data.get("started_at"),
        log_file=data.get("log_file") or str(_log_file()),
        state_file=str(_state_file()),
        time_scale=data.get("time_scale"),
        resource_delay=data.get("resource_delay"),
        **extra,
    )


def _stopped(stale: bool = False) -> ServerStatus:
    return ServerStatus(state="stopped", log_file=str(_log_file()), state_file=str(_state_file()), stale_cleaned=stale)


# ---------------------------------------------------------------- the API


def status() -> ServerStatus:
    """Whether the recorded server runs and answers; a record of a dead server is removed."""
    data = _read_state()
    if data is None:
        return _stopped()
    pid = data["pid"]
    if not _alive(pid) or not _is_server_process(pid):
        _remove_state()
        return _stopped(stale=True)
    health = _health(data["port"])
    if health is None or health.get("pid") != pid:
        return _status_from(data, "unresponsive")
    data.update(time_scale=health.get("time_scale"), resource_delay=health.get("resource_delay"))
    return _status_from(data, "running")


def start(
    port: int | None = None,
    *,
    time_scale: float | None = None,
    resource_delay: str | float | None = None,
    verbose: bool = False,
    timeout: float = START_TIMEOUT,
    on_spawn: Callable[[int, Path], None] | None = None,
) -> ServerStatus:
    """Start the server in the background and wait until it answers; reuse one that already runs.

    `on_spawn(port, log_file)` is called once a new server process is started (loading moto takes a few
    seconds), e.g. to tell the user to wait.

    Raises LocalServerError when the port is taken by another program, when the server exits during
    start-up or does not answer within `timeout` seconds (the message names the log file).
    """
    with _exclusive():
        current = status()
        if current.state == "running":
            if port not in (None, 0, current.port):
                raise LocalServerError(
                    f"local AWS already runs on port {current.port} (pid {current.pid}); stop it first with `stp local stop`"
                )
            current.reused = True
            return current
        if current.state == "unresponsive":
            raise LocalServerError(
                f"local AWS (pid {current.pid}, port {current.port}) is not responding; see {current.log_file},"
                " then run `stp local stop` and start it again"
            )
        chosen = _resolve_port(port)
        adopted = _adopt(chosen)
        if adopted is not None:
            return adopted
        if _port_in_use(chosen):
            raise LocalServerError(
                f"port {chosen} is already in use by another program (another local AWS such as LocalStack or"
                f" moto?); choose another with --port or {ENV_PORT}"
            )
        return _spawn(chosen, time_scale, resource_delay, verbose, timeout, stale=current.stale_cleaned,
                      on_spawn=on_spawn)


def _adopt(port: int) -> ServerStatus | None:
    """A server of ours answering on the port without a record here (state file lost): record and reuse it."""
    health = _health(port)
    if health is None or not isinstance(health.get("pid"), int) or not _alive(health["pid"]):
        return None
    data = {
        "pid": health["pid"],
        "port": port,
        "started_at": health.get("started_at") or time.time(),
        "log_file": str(_log_file()),
        "time_scale": health.get("time_scale"),
        "resource_delay": health.get("resource_delay"),
    }
    _write_state(data)
    return _status_from(data, "running", reused=True)


def _spawn(port, time_scale, resource_delay, verbose, timeout, stale, on_spawn=None) -> ServerStatus:
    folder = state_dir()
    log = _log_file()
    if log.exists():
        with contextlib.suppress(OSError):
            os.replace(log, log.with_suffix(".log.1"))
    command = [sys.executable, "-m", "core.local.serve", "--host", HOST, "--port", str(port)]
    if time_scale is not None:
        command += ["--time-scale", str(time_scale)]
    if resource_delay is not None:
        command += ["--resource-delay", str(resource_delay)]
    if verbose:
        command.append("--verbose")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_project_root(), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    with open(log, "wb") as log_handle:
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_handle,
                stderr=subprocess.STDOUT,
                cwd=str(folder),
                env=env,
                start_new_session=True,  # own process group: a Ctrl-C in the terminal does not reach it
                close_fds=True,
            )
        except OSError as exc:
            raise LocalServerError(f"cannot run {sys.executable}: {exc.strerror}") from None
    _children[process.pid] = process
    started_at = time.time()
    if on_spawn is not None:
        on_spawn(port, log)
    deadline = time.monotonic() + timeout
    while True:
        health = _health(port, timeout=0.5)
        if health is not None and health.get("pid") == process.pid:
            break
        code = process.poll()
        if code is not None:
            _children.pop(process.pid, None)
            raise LocalServerError(
                f"local AWS exited during start-up (exit code {code}); its log {log} ends with:\n{_log_tail()}"
            )
        if time.monotonic() > deadline:
            _terminate(process.pid, STOP_TIMEOUT)
            raise LocalServerError(
                f"local AWS did not answer on port {port} within {timeout:g}s; see its log {log}:\n{_log_tail()}"
            )
        time.sleep(0.05)
    data = {
        "pid": process.pid,
        "port": port,
        "started_at": started_at,
        "log_file": str(log),
        "command": command,
        "time_scale": health.get("time_scale"),
        "resource_delay": health.get("resource_delay"),
    }
    _write_state(data)
    return _status_from(data, "running", stale_cleaned=stale, started=True)


def _signal(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the server leads its own process group (start_new_session)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _terminate(pid: int, timeout: float) -> None:
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        _signal(pid, signal.SIGKILL)
        while _alive(pid) and time.monotonic() < deadline + 5:
            time.sleep(0.05)
    child = _children.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=1)


def stop(timeout: float = STOP_TIMEOUT) -> ServerStatus:
    """Stop the recorded server (SIGTERM, then SIGKILL after `timeout` s). Returns what was running.

    The returned status has state "stopped" when nothing was running, else the state it had.
    """
    with _exclusive():
        data = _read_state()
        if data is None:
            return _stopped()
        pid = data["pid"]
        if not _alive(pid) or not _is_server_process(pid):
            _remove_state()
            return _stopped(stale=True)
        before = _status_from(data, "running" if _health(data["port"]) else "unresponsive")
        _terminate(pid, timeout)
        if _alive(pid):
            raise LocalServerError(f"local AWS (pid {pid}) did not stop; kill it by hand")
        _remove_state()
        return before


def ensure_running(port: int | None = None, **options: Any) -> ServerStatus:
    """For `--local` on other commands: the running server, else a freshly started one."""
    current = status()
    if current.running and port in (None, 0, current.port):
        current.reused = True
        return current
    return start(port, **options)


def endpoint_url() -> str:
    """Endpoint of the running server, e.g. http://127.0.0.1:4566."""
    current = status()
    if not current.running:
        raise LocalServerError("local AWS is not running; start it with `stp local start`")
    return current.endpoint  # type: ignore[return-value]


def client_options(endpoint: str | None = None) -> dict[str, Any]:
    """Keyword arguments for `boto3.client(service, **client_options())` against the local server."""
    return {"endpoint_url": endpoint or endpoint_url(), "region_name": LOCAL_REGION, **LOCAL_CREDENTIALS}

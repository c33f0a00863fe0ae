"""Tasks of one service as local processes, kept running the way ECS keeps a service's tasks running.

A `TaskSlot` is one of the service's desired tasks. It runs a task (all runnable containers of the task
definition, each a process in its own process group, started in `dependsOn` order), and when an essential
container exits it stops the others, logs the exit code and starts a new task (new task id, new log
streams) after a backoff that grows while tasks keep dying young (0.5 s, 1 s, 2 s … up to 30 s; reset by
a task that lived `HEALTHY_AFTER` seconds), like ECS replacing tasks of a service.

Output (stdout and stderr in one pipe, so their order is kept) goes line by line to the container's
`awslogs` group, stream `<prefix>/<container>/<task id>` as ECS names it. Stopping sends SIGTERM to the
process group, then SIGKILL after the container's stopTimeout (at most `MAX_STOP_TIMEOUT` locally).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.local.runner.commands import describe
from core.local.runner.logsink import LogSink, LogTarget
from core.local.runner.plan import ContainerPlan, ServicePlan, StackSnapshot

log = logging.getLogger("stp.local.runner")

NOTE = "[stp local]"
MAX_STOP_TIMEOUT = 10.0
HEALTHY_AFTER = 10.0
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
POLL = 0.05


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prctl():
    """libc's prctl, resolved now (in the server), so the child calls it without importing or loading anything."""
    if sys.platform != "linux":
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the process gets SIGTERM when the server dies without stopping it (SIGKILL of the server).
    Only a call of an already resolved C function: nothing that takes a lock another thread might hold."""
    _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


def log_stream(container: ContainerPlan, task_id: str) -> str:
    prefix = container.info.stream_prefix
    return f"{prefix}/{container.info.name}/{task_id}" if prefix else f"{container.info.name}/{task_id}"


def log_target(snap: StackSnapshot, container: ContainerPlan, stream: str) -> LogTarget | None:
    if not container.info.log_group:
        return None
    return LogTarget(snap.account_id, snap.region, container.info.log_group, stream)


@dataclass
class ContainerProcess:
    plan: ContainerPlan
    task_id: str
    target: LogTarget | None
    port: int | None
    process: subprocess.Popen | None = None
    reader: threading.Thread | None = None
    started_at: float = 0.0
    exit_code: int | None = None
    start_error: str | None = None

    @property
    def name(self) -> str:
        return self.plan.info.name

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def poll(self) -> int | None:
        if self.start_error is not None:
            return 127 if self.exit_code is None else self.exit_code
        if self.process is None:
            return None
        code = self.process.poll()
        if code is not None:
            self.exit_code = code
        return code


class TaskRun:
    """One task: its containers' processes."""

    def __init__(self, snap: StackSnapshot, service: ServicePlan, sink: LogSink, on_event: Callable[[str], None]):
        self.snap, self.service, self.sink, self.on_event = snap, service, sink, on_event
        self.task_id = uuid.uuid4().hex
        self.started_at = time.time()
        self.containers: list[ContainerProcess] = []
        for c in service.containers:
            if not c.runnable:
                continue
            port = free_port() if c.info.port_mappings else None
            self.containers.append(ContainerProcess(c, self.task_id, log_target(snap, c, log_stream(c, self.task_id)),
                                                    port))

    def note(self, container: ContainerProcess, message: str) -> None:
        if container.target is not None:
            self.sink.write(container.target, f"{NOTE} {message}")

    def environment(self, container: ContainerProcess) -> dict[str, str]:
        env = dict(container.plan.environment)
        if container.port is not None:
            env["PORT"] = str(container.port)  # each local task listens on its own port
        elif "PORT" not in env:
            env["PORT"] = str(free_port())
        env["STP_LOCAL_TASK_ID"] = self.task_id
        env["ECS_TASK_ID"] = self.task_id
        return env

    def start_container(self, container: ContainerProcess) -> None:
        command = container.plan.command
        assert command is not None
        argv = command.for_port(container.port)
        for note in command.notes:
            self.note(container, note)
        try:
            container.process = subprocess.Popen(
                argv, cwd=command.cwd, env=self.environment(container), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
                preexec_fn=_die_with_parent if _PRCTL is not None else None,  # noqa: PLW1509 - see _die_with_parent
            )
        except OSError as exc:
            container.start_error = f"cannot start {describe(argv)}: {exc.strerror or exc}"
            self.note(container, container.start_error)
            return
        container.started_at = time.monotonic()
        container.reader = threading.Thread(target=self._read, args=(container,), daemon=True,
                                            name=f"stp-local-{container.name}-{self.task_id[:8]}")
        container.reader.start()

    def _read(self, container: ContainerProcess) -> None:
        stream = container.process.stdout if container.process else None
        if stream is None:
            return
        with contextlib.suppress(Exception):
            for raw in iter(stream.readline, b""):
                if container.target is not None:
                    self.sink.write(container.target, raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        with contextlib.suppress(Exception):
            stream.close()

    def start(self, stop: threading.Event) -> bool:
        """Start the containers in dependsOn order; False when stopped or a dependency failed meanwhile."""
        started: set[str] = set()
        pending = list(self.containers)
        runnable = {c.name for c in self.containers}
        while pending:
            progressed = False
            for container in list(pending):
                ready = True
                for dep, condition in container.plan.info.depends_on:
                    if dep not in runnable:
                        continue  # a container that does not run locally counts as started
                    other = next(c for c in self.containers if c.name == dep)
                    if condition in ("COMPLETE", "SUCCESS"):
                        code = other.poll() if dep in started else None
                        if code is None:
                            ready = False
                        elif condition == "SUCCESS" and code != 0:
                            self.note(container, f"not started: container {dep} exited with code {code}"
                                                 " (dependsOn condition SUCCESS)")
                            return False
                    elif dep not in started:
                        ready = False
                if ready:
                    self.start_container(container)
                    started.add(container.name)
                    pending.remove(container)
                    progressed = True
            if pending and not progressed and stop.wait(POLL):
                return False
        return True

    def essential_exit(self) -> ContainerProcess | None:
        for container in self.containers:
            if container.plan.info.essential and container.poll() is not None:
                return container
        if self.containers and all(c.poll() is not None for c in self.containers):
            return self.containers[0]
        return None

    def stop(self, reason: str = "") -> None:
        """SIGTERM every container's process group, SIGKILL after its stop timeout; waits for them."""
        deadline: dict[int, float] = {}
        now = time.monotonic()
        for container in self.containers:
            proc = container.process
            if proc is None:
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            deadline[proc.pid] = now + min(container.plan.info.stop_timeout, MAX_STOP_TIMEOUT)
        for container in self.containers:
            proc = container.process
            if proc is None:
                continue
            try:
                container.exit_code = proc.wait(timeout=max(0.0, deadline[proc.pid] - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.note(container, f"did not stop within {min(container.plan.info.stop_timeout, MAX_STOP_TIMEOUT):g}s"
                                     " of SIGTERM: killed")
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # and whatever it started
            with contextlib.suppress(subprocess.TimeoutExpired):
                container.exit_code = proc.wait(timeout=2)
            if container.reader is not None:
                container.reader.join(timeout=2)
        if reason:
            for container in self.containers:
                if container.process is not None:
                    self.note(container, f"task stopped ({reason}); exit code {container.exit_code}")

    def kill(self) -> None:
        for container in self.containers:
            if container.process is not None and container.process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(container.process.pid, signal.SIGKILL)

    def describe(self) -> dict[str, Any]:
        return {
            "taskId": self.task_id,
            "startedAt": self.started_at,
            "containers": [{
                "name": c.name,
                "pid": c.process.pid if c.process else None,
                "running": c.running(),
                "exitCode": c.exit_code,
                "port": c.port,
                "containerPort": (c.plan.info.port_mappings or [None])[0],
                "logGroup": c.plan.info.log_group,
                "logStream": c.target.stream if c.target else None,
                "command": c.plan.command.for_port(c.port) if c.plan.command else None,
                **({"error": c.start_error} if c.start_error else {}),
            } for c in self.containers],
        }


@dataclass
class TaskSlot:
    """One desired task of a service, replaced when it stops, until the slot is stopped."""

    snap: StackSnapshot
    service: ServicePlan
    sink: LogSink
    on_event: Callable[[str], None]
    index: int = 0
    current: TaskRun | None = None
    restarts: int = 0
    last_exit: dict[str, Any] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _stop_reason: str = "stopped"
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"stp-local-task-{self.service.info.name}-{self.index}")
        self._thread.start()

    def stop(self, reason: str) -> None:
        self._stop_reason = reason
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def kill(self) -> None:
        """SIGKILL what still runs (the server is going away and cannot wait any longer)."""
        with self._lock:
            current = self.current
        if current is not None:
            current.kill()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            task = TaskRun(self.snap, self.service, self.sink, self.on_event)
            with self._lock:
                self.current = task
            began = time.monotonic()
            ok = task.start(self._stop)
            if ok:
                self.on_event(f"has started 1 tasks: (task {task.task_id}).")
            exited = None
            while ok and not self._stop.is_set():
                exited = task.essential_exit()
                if exited is not None:
                    break
                self._stop.wait(POLL)
            if self._stop.is_set():
                task.stop(self._stop_reason)
                return
            lived = time.monotonic() - began
            failures = failures + 1 if lived < HEALTHY_AFTER else 1
            delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (failures - 1))
            code = exited.poll() if exited is not None else None
            what = f"essential container {exited.name} exited with code {code}" if exited is not None \
                else "a container dependency failed"
            task.stop()
            self.last_exit = {"taskId": task.task_id, "container": exited.name if exited else None, "exitCode": code,
                              "ranSeconds": round(lived, 3), "at": time.time()}
            for container in task.containers:
                task.note(container, f"task {task.task_id} stopped: {what} after {lived:.1f}s;"
                                     f" a new task starts in {delay:g}s (like ECS replacing a stopped task)")
            self.on_event(f"stopped 1 running tasks (task {task.task_id}): {what}. Restarting in {delay:g}s.")
            self.restarts += 1
            if self._stop.wait(delay):
                return

    def describe(self) -> dict[str, Any]:
        with self._lock:
            current = self.current
        return {"slot": self.index, "restarts": self.restarts, "lastExit": self.last_exit,
                **(current.describe() if current is not None else {})}

"""The runner: follows stack operations of the local AWS and keeps each stack's workloads running.

The CloudFormation engine reports every stack status through `engine.stack_event`; `install()` wraps it
so that the statuses below reach `Runner.notify` (which only queues: the engine holds `state.LOCK` then).
One thread takes them in order:

    CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE  -> (re)start the stack's tasks
    DELETE_IN_PROGRESS, ROLLBACK_IN_PROGRESS, CREATE_FAILED,
    ROLLBACK_COMPLETE, DELETE_COMPLETE                          -> stop them

A (re)start plans every ECS service again (`plan`), starts the new tasks, then stops the old ones (in the
background, like a rolling ECS deployment): a deploy with changed code restarts the processes even when
the template did not change the service, since the local "image" is the source folder.

Containers that cannot run locally are reported where clients look: a `[stp local]` line in the
container's log group (stream `<prefix>/<container>/not-running`), an event of the ECS service
(`describe_services(...)["services"][0]["events"]`), and `GET /_stp/runner`.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any

from core.local import state
from core.local.runner import plan as planning
from core.local.runner.logsink import LogSink, LogTarget
from core.local.runner.tasks import NOTE, TaskSlot

log = logging.getLogger("stp.local.runner")

START_STATES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"}
STOP_STATES = {"DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "CREATE_FAILED", "ROLLBACK_COMPLETE", "DELETE_COMPLETE"}
MAX_SERVICE_EVENTS = 100


def _warm_up() -> None:
    """Import the config analysis now, not when the first stack completes (it takes about a second)."""
    try:
        import core.analysis
        import core.compile.workload_spec  # noqa: F401
    except Exception:
        log.debug("warming up the config analysis failed", exc_info=True)


class ServiceRun:
    def __init__(self, snap: planning.StackSnapshot, service: planning.ServicePlan, runner: Runner):
        self.snap, self.plan, self.runner = snap, service, runner
        self.slots: list[TaskSlot] = []

    def start(self) -> None:
        for index in range(self.plan.desired if self.plan.runnable else 0):
            slot = TaskSlot(self.snap, self.plan, self.runner.sink, self._event, index=index)
            self.slots.append(slot)
            slot.start()

    def stop(self, reason: str) -> None:
        for slot in self.slots:
            slot.stop(reason)

    def join(self, timeout: float | None = None) -> None:
        for slot in self.slots:
            slot.join(timeout)

    def kill(self) -> None:
        for slot in self.slots:
            slot.kill()

    def _event(self, message: str) -> None:
        self.runner.service_event(self.snap, self.plan.info, message)

    def describe(self) -> dict[str, Any]:
        info = self.plan.info
        return {
            "resource": info.resource,
            "service": info.name,
            "cluster": info.cluster,
            "serviceArn": info.arn,
            "taskDefinition": info.task_definition,
            "desiredCount": info.desired_count,
            "localTasks": self.plan.desired if self.plan.runnable else 0,
            "targetGroups": info.target_groups,
            "containers": [{"name": c.info.name, "runnable": c.runnable,
                            **({"reason": c.reason} if c.reason else {"command": c.command.argv, "cwd": c.command.cwd})}
                           for c in self.plan.containers],
            "tasks": [slot.describe() for slot in self.slots],
        }


class StackRun:
    def __init__(self, snap: planning.StackSnapshot, services: list[ServiceRun]):
        self.snap, self.services = snap, services
        self.started_at = time.time()

    def stop(self, reason: str) -> None:
        for service in self.services:
            service.stop(reason)

    def join(self, timeout: float | None = None) -> None:
        for service in self.services:
            service.join(timeout)

    def kill(self) -> None:
        for service in self.services:
            service.kill()

    def describe(self) -> dict[str, Any]:
        return {"stackName": self.snap.name, "stackId": self.snap.stack_id, "sourceDir": str(self.snap.source_dir or ""),
                "startedAt": self.started_at, "services": [s.describe() for s in self.services]}


class Runner:
    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.sink = LogSink()
        self._queue: queue.Queue = queue.Queue()
        self._runs: dict[str, StackRun] = {}
        self._runs_lock = threading.Lock()
        self._stopping: list[StackRun] = []
        self._closed = threading.Event()
        self.proxies = None  # LoadBalancerProxies, set by it
        self._thread = threading.Thread(target=self._loop, name="stp-local-runner", daemon=True)
        self._thread.start()
        threading.Thread(target=_warm_up, name="stp-local-runner-warm-up", daemon=True).start()

    # ------------------------------------------------------------ engine side (under state.LOCK: only queue)

    def notify(self, stack: Any, status: str) -> None:
        if status in START_STATES or status in STOP_STATES:
            self._queue.put((stack, status))

    # ------------------------------------------------------------ the runner's thread

    def _loop(self) -> None:
        while not self._closed.is_set():
            try:
                stack, status = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                if status in START_STATES:
                    self._deploy(stack, status)
                else:
                    self._stop_stack(stack.stack_id, f"stack {stack.name} {status}")
            except Exception:
                log.exception("local runner: handling %s of stack %s failed", status, getattr(stack, "name", "?"))
            finally:
                self._queue.task_done()

    def _deploy(self, stack: Any, status: str) -> None:
        with state.LOCK:
            if stack.status != status:  # a later operation already started (deleted meanwhile...)
                return
            snap = planning.snapshot(stack)
        if snap is None:
            return
        plans = planning.plan(snap, self.endpoint)
        run = StackRun(snap, [ServiceRun(snap, p, self) for p in plans])
        for service in run.services:
            self._report_not_running(snap, service.plan)
            service.start()
        with self._runs_lock:
            old = self._runs.get(snap.stack_id)
            self._runs[snap.stack_id] = run
        if old is not None:
            self._stop_in_background(old, f"stack {snap.name} {status}: replaced by new tasks")

    def _stop_stack(self, stack_id: str, reason: str) -> None:
        with self._runs_lock:
            run = self._runs.pop(stack_id, None)
        if run is not None:
            self._stop_in_background(run, reason)

    def _stop_in_background(self, run: StackRun, reason: str) -> None:
        run.stop(reason)
        with self._runs_lock:
            self._stopping.append(run)

        def wait() -> None:
            run.join()
            with self._runs_lock:
                if run in self._stopping:
                    self._stopping.remove(run)

        threading.Thread(target=wait, daemon=True, name=f"stp-local-stop-{run.snap.name}").start()

    # ------------------------------------------------------------ reporting

    def _report_not_running(self, snap: planning.StackSnapshot, service: planning.ServicePlan) -> None:
        for container in service.containers:
            if container.runnable:
                continue
            message = f"container {container.info.name} of {service.info.resource} is not run locally: {container.reason}"
            if container.info.log_group:
                prefix = container.info.stream_prefix
                stream = f"{prefix}/{container.info.name}/not-running" if prefix else f"{container.info.name}/not-running"
                self.sink.write(LogTarget(snap.account_id, snap.region, container.info.log_group, stream),
                                f"{NOTE} {message}")
            self.service_event(snap, service.info, f"stp local: {message}")
        if service.runnable and service.info.desired_count > service.desired:
            self.service_event(snap, service.info, f"stp local: runs {service.desired} of {service.info.desired_count}"
                                                   " desired tasks locally (STP_LOCAL_MAX_TASKS)")

    def service_event(self, snap: planning.StackSnapshot, info: planning.ServiceInfo, message: str) -> None:
        """An event of the ECS service, as ECS writes them ("(service NAME) has started 1 tasks ...")."""
        from moto.core.utils import utcnow
        from moto.ecs.models import ecs_backends
        from moto.moto_api._internal import mock_random

        with state.LOCK:
            service = ecs_backends[snap.account_id][snap.region].services.get(f"{info.cluster}:{info.name}")
            if service is None or getattr(service, "arn", None) != info.arn:
                return
            events = getattr(service, "events", None)
            if events is None:
                return
            events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": utcnow(),
                              "message": f"(service {info.name}) {message}"})
            del events[MAX_SERVICE_EVENTS:]

    def describe(self, load_balancers: bool = True) -> dict[str, Any]:
        with self._runs_lock:
            runs = list(self._runs.values())
            stopping = len(self._stopping)
        stacks = {r.snap.name: r.describe() for r in runs}
        if load_balancers and self.proxies is not None:
            listeners = self.proxies.describe()
            for run in runs:
                stacks[run.snap.name]["loadBalancers"] = [lb for lb in listeners if lb["stackId"] == run.snap.stack_id]
        from core.local.extensions import logs_tail

        return {"endpoint": self.endpoint, "stacks": stacks, "stopping": stopping,
                "pending": self._queue.unfinished_tasks, "liveTailSessions": logs_tail.active_sessions()}

    # ------------------------------------------------------------ shutdown

    def close(self, timeout: float = 8.0) -> None:
        """Stop every task (in parallel), flush their logs; at most about `timeout` seconds."""
        self._closed.set()
        with self._runs_lock:
            runs = list(self._runs.values()) + list(self._stopping)
            self._runs.clear()
        for run in runs:
            run.stop("local AWS shutting down")
        deadline = time.monotonic() + timeout
        for run in runs:
            run.join(max(0.0, deadline - time.monotonic()))
        for run in runs:  # what did not stop in time is killed: nothing outlives the server
            run.kill()
        try:
            self.sink.close()
        except Exception:
            log.debug("flushing the last lines failed", exc_info=True)

    # ------------------------------------------------------------ restart on request

    def restart(self, stack_name: str) -> tuple[int, dict[str, Any]]:
        """New tasks for a running stack (HTTP status, answer)."""
        from moto.cloudformation.models import cloudformation_backends

        with state.LOCK:
            found = None
            for account in cloudformation_backends.values():
                for backend in account.values():
                    for stack in backend.stacks.values():
                        if stack_name in (stack.name, stack.stack_id):
                            found = stack
            if found is None:
                return 404, {"error": f"no stack {stack_name}"}
            status = found.status
        if status not in START_STATES:
            return 409, {"error": f"stack {found.name} is {status}: its tasks start when it is complete"}
        self._queue.put((found, status))
        return 202, {"restarting": found.name}

    # ------------------------------------------------------------ HTTP: GET /_stp/runner, POST /_stp/runner/restart

    def http(self, environ, start_response):
        return _json(start_response, 200, self.describe())

    def http_restart(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
            stack = str(body["stack"])
        except (ValueError, KeyError, TypeError):
            return _json(start_response, 400, {"error": 'expected {"stack": NAME}'})
        return _json(start_response, *self.restart(stack))


def _json(start_response, status: int, body: dict[str, Any]):
    reasons = {200: "OK", 202: "Accepted", 400: "Bad Request", 404: "Not Found", 409: "Conflict"}
    data = json.dumps(body, indent=1, default=str).encode()
    start_response(f"{status} {reasons.get(status, 'Error')}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]

"""Where the dashboard's data comes from: AWS (real or local) through core.aws, or a fixed fake.

Every method may block (network) and is called from worker threads only, never from the event loop.
``AwsBackend`` connects lazily (starting the local AWS when it must) on the first call; the fake
(stp_tui/fake.py) answers the same calls with fixed data and a fixed clock, for snapshots and benches.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from core.aws import dashboard as dash
from core.aws.session import AwsProblem, as_problem


@dataclass(frozen=True)
class Context:
    """What the header shows: where the commands go."""

    target: str  # "profile prod" | "default credentials" | "local http://127.0.0.1:4566"
    region: str
    stage: str
    read_only: bool = False
    connected: bool = False
    local: bool = False


def problem_text(exc: BaseException) -> str:
    problem = as_problem(exc)
    if problem is not None:
        return str(problem)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class Backend:
    """The calls the screens make; AwsBackend and FakeBackend implement them."""

    local = False
    poll_interval = 5.0  # seconds between refreshes of a live view
    log_interval = (0.5, 2.0)  # log polling: fastest, slowest

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def parse_time(self, text: str) -> int:
        """``10m`` / ``2h`` ago, ``now``, an ISO time or epoch ms; AwsProblem with a hint otherwise."""
        from core.aws.logs import parse_time

        return parse_time(text, self.now_ms())

    def context(self, stage: str = "", read_only: bool = False) -> Context:  # pragma: no cover - interface
        raise NotImplementedError

    def connect(self) -> None:
        pass


class AwsBackend(Backend):
    def __init__(self, local: bool = False, profile: str | None = None, region: str | None = None,
                 endpoint: str | None = None):
        if local and profile:
            raise AwsProblem("--profile and --local do not go together: the local AWS takes any credentials", 2)
        self.local = local
        self.profile = profile
        self.region = region
        self.endpoint = endpoint
        self._aws = None
        self._lock = threading.Lock()
        self.poll_interval = 2.0 if local else 5.0
        self.log_interval = (0.2, 1.0) if local else (1.0, 4.0)
        self.started_local = False

    # ------------------------------------------------------------------ connection

    @property
    def aws(self):
        if self._aws is None:
            self.connect()
        return self._aws

    def connect(self) -> None:
        with self._lock:
            if self._aws is not None:
                return
            from core.aws import connect

            def spawned(port, log):
                self.started_local = True

            self._aws = connect(local=self.local, profile=self.profile, region=self.region, endpoint=self.endpoint,
                                on_local_start=spawned)

    @property
    def connected(self) -> bool:
        return self._aws is not None

    def context(self, stage: str = "", read_only: bool = False) -> Context:
        aws = self._aws
        if self.local:
            where = f"local {aws.endpoint}" if aws is not None else "local AWS (starting…)"
        else:
            where = f"profile {self.profile}" if self.profile else "default credentials"
        region = aws.region if aws is not None else (self.region or ("us-east-1" if self.local else "…"))
        return Context(where, region, stage or "all stages", read_only, aws is not None, self.local)

    def describe(self) -> str:
        return self.aws.describe()

    # ------------------------------------------------------------------ stacks

    def list_stacks(self) -> list[dash.StackRow]:
        return dash.list_stacks(self.aws)

    def stack_view(self, name: str) -> dash.StackView | None:
        return dash.stack_view(self.aws, name)

    def service_tasks(self, view: dash.StackView, group: dash.ResourceGroup) -> list[dash.TaskRow]:
        return dash.service_tasks(self.aws, group)

    # ------------------------------------------------------------------ logs

    def log_tail(self, stack: str, resource: str, container: str | None, start_ms: int, end_ms: int | None = None):
        sources = dash.log_sources(self.aws, stack, resource, container)
        return dash.LogTail(self.aws, sources, start_ms, end_ms)

    # ------------------------------------------------------------------ rollouts

    def rollout(self, view: dash.StackView, resource: str) -> dash.RolloutState:
        return dash.rollout_state(self.aws, view, resource)

    def rollback(self, state: dash.RolloutState) -> str:
        return dash.rollback(self.aws, state)

    # ------------------------------------------------------------------ deploy

    def prepare(self, config: str | Path, stage: str):
        return dash.prepare(config, stage, self.aws.region)

    def missing_secrets(self, prepared) -> list[str]:
        return dash.missing_secrets(self.aws, prepared.template)

    def create_placeholder_secrets(self, prepared) -> list[str]:
        return dash.create_placeholder_secrets(self.aws, prepared.template)

    def plan(self, prepared) -> dash.DeployPlan:
        return dash.plan_deploy(self.aws, prepared)

    def discard(self, plan: dash.DeployPlan) -> None:
        if plan.plan is not None:
            dash.discard_plan(self.aws, plan.plan)

    def execute(self, plan: dash.DeployPlan) -> str | None:
        return dash.execute_plan(self.aws, plan.plan)

    def events_since(self, stack_id: str, marker: str | None) -> list[dict]:
        return dash.events_since(self.aws, stack_id, marker)

    def stack_status(self, stack_id: str) -> tuple[str, str]:
        return dash.stack_status(self.aws, stack_id)

    def cancel(self, stack_id: str) -> str:
        return dash.cancel_deploy(self.aws, stack_id)


def project_of(config: str | Path) -> str:
    """The project name a config deploys as (serviceName, else its folder), without a full analysis."""
    import re

    path = Path(config)
    if path.is_dir():
        path = path / "stacktape.yml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        text = ""
    m = re.search(r"^serviceName:[ \t]*(['\"]?)([A-Za-z0-9][-A-Za-z0-9]*)\1[ \t]*(#.*)?$", text, re.M)
    if m:
        return m.group(2)
    return re.sub(r"[^A-Za-z0-9]+", "-", path.resolve().parent.name).strip("-") or "stp"


def monotonic() -> float:
    return time.monotonic()


__all__ = ["AwsBackend", "Backend", "Context", "problem_text", "project_of", "Any"]

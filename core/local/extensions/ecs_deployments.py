"""ECS service deployments, simulated on the scaled clock the way ECS runs them.

Every change that makes ECS start a deployment (UpdateService with a new task definition or
`forceNewDeployment`, a changed network/load balancer/service connect configuration, or the same
through a CloudFormation update of the AWS::ECS::Service) creates a *service deployment* from the
running *service revisions* (sources) to a new one (target). `ecs_service.start_deployment` hands it
to this module (`Observer.started`); a background thread per deployment then walks it through its
lifecycle stages, each step under `state.LOCK`, each wait on `clock.CLOCK` (so `--time-scale 300`
makes a 5-minute canary take one second) and never while holding the lock:

    BLUE_GREEN / CANARY / LINEAR (ServiceDeploymentLifecycleStage):
      [RECONCILE_SERVICE]        only when more than one revision runs (a deployment was superseded)
      PRE_SCALE_UP               hooks
      SCALE_UP                   the target revision's tasks start (SCALE_UP_SECONDS)
      POST_SCALE_UP              hooks
      TEST_TRAFFIC_SHIFT         the test listener rule forwards 100 % to the target (when configured)
      POST_TEST_TRAFFIC_SHIFT    hooks
      PRODUCTION_TRAFFIC_SHIFT   per step: PRE_PRODUCTION_TRAFFIC_SHIFT hooks, weights move, hooks;
                                 BLUE_GREEN 100 % at once; CANARY canaryPercent %, canaryBakeTimeInMinutes,
                                 then 100 %; LINEAR +stepPercent % every stepBakeTimeInMinutes
      POST_PRODUCTION_TRAFFIC_SHIFT  hooks
      BAKE_TIME                  bakeTimeInMinutes with both revisions up
      CLEAN_UP                   the source revisions scale down; status SUCCESSFUL
    ROLLING: no lifecycle stage; the target scales up while the sources scale down, then SUCCESSFUL.

Traffic moves by rewriting the forward weights of the service's
`loadBalancers[].advancedConfiguration.productionListenerRule` between `targetGroupArn` and
`alternateTargetGroupArn` (`elbv2_weights`), so `elbv2 describe_rules` shows what ECS would set. As on
AWS the two target groups take turns: a revision on the primary group is replaced by one on the
alternate group, and the next deployment moves back (`DescribeServiceRevisions` →
`resolvedConfiguration.loadBalancers` says which group each revision uses).

Rollback (`StopServiceDeployment` stopType ROLLBACK, a failed lifecycle hook, a CloudWatch alarm of
`deploymentConfiguration.alarms` in ALARM with rollback enabled, a PAUSE hook answered ROLLBACK or timing
out): ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS (all production traffic back to the source revision at once,
the service's task definition back to it) → CLEAN_UP (the target scales down) → ROLLBACK_SUCCESSFUL.
A deployment started while another runs supersedes it (that one ends STOPPED).

Lifecycle hooks (`deploymentConfiguration.lifecycleHooks`): every invocation is recorded in
`lifecycleHookDetails` (all of them, not only the current stage's) and as a service event. The local AWS
runs no Lambda code (no Docker), so a hook's verdict follows this rule:
  - the hook function (hookTargetArn) must exist in the local Lambda, else the hook FAILED;
  - its verdict is the function's tag `stp:local:hook-status`, else its environment variable
    `STP_LOCAL_HOOK_STATUS`, else SUCCEEDED. The value is `SUCCEEDED` or `FAILED` for every stage, or
    per stage: `POST_TEST_TRAFFIC_SHIFT=FAILED,PRODUCTION_TRAFFIC_SHIFT=SUCCEEDED` (stages not named
    succeed). A FAILED hook rolls the deployment back.
PAUSE hooks wait (status AWAITING_ACTION) for ContinueServiceDeployment (CONTINUE or ROLLBACK) or their
timeoutConfiguration (default 60 minutes, action ROLLBACK).

Known differences from AWS: a CloudFormation update completes as soon as a blue/green-style deployment
has started (AWS keeps the resource UPDATE_IN_PROGRESS until the deployment ends; here the stack settles and
the deployment goes on, so it can be watched); ROLLING deployments made by CloudFormation complete at once
(CloudFormation waits for them on AWS). No task ever fails, so the circuit breaker only monitors.
Timestamps are real wall-clock times (like the rest of moto); only the durations are compressed.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
import math
import string
import threading
import traceback
from datetime import timedelta
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random

from core.local import state
from core.local.clock import CLOCK
from core.local.extensions import ecs_service, elbv2_weights

log = logging.getLogger("stp.local.ecs")

BLUE_GREEN_FAMILY = ("BLUE_GREEN", "CANARY", "LINEAR")
TERMINAL = frozenset({"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"})

# Simulated seconds of the steps that have no configured duration.
STAGE_SECONDS = 5.0  # a stage that only runs hooks, or moves test traffic
SCALE_UP_SECONDS = 60.0  # new tasks start and pass their health checks
CLEAN_UP_SECONDS = 30.0  # old tasks drain and stop
HOOK_SECONDS = 2.0  # one Lambda hook invocation
POLL_REAL_SECONDS = 0.1  # a waiting deployment looks for stop requests and alarms this often (real time)

# API defaults (ECS API reference)
DEFAULT_CANARY_PERCENT, DEFAULT_CANARY_BAKE_MINUTES = 5.0, 10
DEFAULT_LINEAR_PERCENT, DEFAULT_LINEAR_BAKE_MINUTES = 10.0, 6
DEFAULT_PAUSE_TIMEOUT_MINUTES = 60

HOOK_STATUS_TAG = "stp:local:hook-status"
HOOK_STATUS_ENV = "STP_LOCAL_HOOK_STATUS"
HOOK_STATUSES = ("SUCCEEDED", "FAILED")

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


class _Rollback(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Interrupted(Exception):
    """The deployment ends without touching the service (superseded, service deleted, server stopping)."""


def _random_id(length: int = 20) -> str:
    return "".join(mock_random.choice(_ID_ALPHABET) for _ in range(length))


def _partition(region: str) -> str:
    from moto.utilities.utils import get_partition

    return get_partition(region)


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _event(service: Any, message: str) -> None:
    service.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": utcnow(), "message": message})
    del service.events[100:]


def _sync_counts(service: Any) -> None:
    """Service (and cluster) running/pending counts = the sum over the service's deployments."""
    running = sum(int(d.get("runningCount") or 0) for d in service.deployments)
    pending = sum(int(d.get("pendingCount") or 0) for d in service.deployments)
    backend = service._backend
    cluster = backend.clusters.get(service.cluster_name)
    if cluster is not None:
        backend.update_cluster_resources(cluster, running - int(service.running_count or 0), task_state="RUNNING")
        backend.update_cluster_resources(cluster, pending - int(service.pending_count or 0), task_state="PENDING")
    service.running_count, service.pending_count = running, pending


def _set_entry(entry: dict[str, Any], **values: Any) -> None:
    entry.update(values)
    entry["updatedAt"] = utcnow()


def _number(value: Any, kind: type, default: Any) -> Any:
    try:
        return kind(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def normalize_config(config: Any) -> dict[str, Any]:
    """deploymentConfiguration with numbers as numbers (CloudFormation may hand them over as strings)."""
    config = copy.deepcopy(config) if isinstance(config, dict) else {}
    for key in ("maximumPercent", "minimumHealthyPercent", "bakeTimeInMinutes"):
        if key in config:
            config[key] = _number(config[key], int, config[key])
    canary = config.get("canaryConfiguration")
    if isinstance(canary, dict):
        canary["canaryPercent"] = _number(canary.get("canaryPercent"), float, DEFAULT_CANARY_PERCENT)
        canary["canaryBakeTimeInMinutes"] = _number(canary.get("canaryBakeTimeInMinutes"), int,
                                                    DEFAULT_CANARY_BAKE_MINUTES)
    linear = config.get("linearConfiguration")
    if isinstance(linear, dict):
        linear["stepPercent"] = _number(linear.get("stepPercent"), float, DEFAULT_LINEAR_PERCENT)
        linear["stepBakeTimeInMinutes"] = _number(linear.get("stepBakeTimeInMinutes"), int, DEFAULT_LINEAR_BAKE_MINUTES)
    breaker = config.get("deploymentCircuitBreaker")
    if isinstance(breaker, dict):
        for key in ("enable", "rollback"):
            if isinstance(breaker.get(key), str):
                breaker[key] = breaker[key].lower() == "true"
    return config


def traffic_steps(config: dict[str, Any]) -> list[tuple[float, float]]:
    """(percent of production traffic on the target, simulated seconds to wait after that shift) per step."""
    strategy = config.get("strategy") or "ROLLING"
    if strategy == "CANARY":
        canary = config.get("canaryConfiguration") or {}
        percent = float(canary.get("canaryPercent", DEFAULT_CANARY_PERCENT))
        bake = float(canary.get("canaryBakeTimeInMinutes", DEFAULT_CANARY_BAKE_MINUTES)) * 60
        return [(percent, bake), (100.0, 0.0)] if 0 < percent < 100 else [(100.0, 0.0)]
    if strategy == "LINEAR":
        linear = config.get("linearConfiguration") or {}
        step = float(linear.get("stepPercent", DEFAULT_LINEAR_PERCENT))
        bake = float(linear.get("stepBakeTimeInMinutes", DEFAULT_LINEAR_BAKE_MINUTES)) * 60
        if not 0 < step < 100:
            return [(100.0, 0.0)]
        steps, percent = [], step
        while percent < 100 - 1e-9:
            steps.append((round(percent, 1), bake))
            percent += step
        return [*steps, (100.0, 0.0)]
    return [(100.0, 0.0)]


# ---------------------------------------------------------------- lifecycle hook verdicts


def hook_verdict(function_arn: str, stage: str) -> tuple[str, str]:
    """(SUCCEEDED | FAILED, reason) of a Lambda hook, without running it (see the module docstring)."""
    from moto.awslambda.models import lambda_backends

    parts = str(function_arn).split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        return "FAILED", f"{function_arn} is not a Lambda function ARN"
    region, account = parts[3], parts[4]
    try:
        function = lambda_backends[account][region].get_function(function_arn)
    except Exception:  # noqa: BLE001 - moto raises UnknownFunctionException (and others for bad ARNs)
        return "FAILED", f"Lambda function {function_arn} does not exist"
    spec = (getattr(function, "tags", None) or {}).get(HOOK_STATUS_TAG)
    where = f"tag {HOOK_STATUS_TAG}"
    if not spec:
        spec = (getattr(function, "environment_vars", None) or {}).get(HOOK_STATUS_ENV)
        where = f"environment variable {HOOK_STATUS_ENV}"
    if not spec:
        return "SUCCEEDED", "the local AWS does not run hook functions; no verdict configured: SUCCEEDED"
    spec = str(spec).strip()
    if "=" not in spec:
        verdict = spec.upper()
    else:
        verdict = "SUCCEEDED"
        for part in spec.split(","):
            name, _, value = part.partition("=")
            if name.strip().upper() == stage:
                verdict = value.strip().upper()
    if verdict not in HOOK_STATUSES:
        return "FAILED", f"{where} of {function_arn} says {verdict!r}, not SUCCEEDED or FAILED"
    return verdict, f"verdict from the function's {where} (the local AWS does not run hook functions)"


# ---------------------------------------------------------------- service revisions


class Revision:
    """A service revision: the task definition and environment one set of the service's tasks runs with."""

    def __init__(self, service: Any, entry: dict[str, Any], target_groups: list[dict[str, str]]):
        number = mock_random.randint(10**18, 10**19 - 1)
        region = service.region_name
        self.arn = (f"arn:{_partition(region)}:ecs:{region}:{service._account_id}:service-revision/"
                    f"{service.cluster_name}/{service.name}/{number}")
        self.service_arn = service.arn
        self.cluster_arn = service.cluster_arn
        self.task_definition = entry.get("taskDefinition") or service.task_definition
        self.created_at = utcnow()
        self.entry = entry  # its deployment in describe_services deployments[]
        self.target_groups = target_groups  # resolvedConfiguration.loadBalancers
        self.production_weight = 0.0
        self.test_weight = 0.0
        self.spec = _drop_none({
            "capacityProviderStrategy": getattr(service, "capacity_provider_strategy", None) or None,
            "launchType": service.launch_type,
            "platformVersion": service.platform_version,
            "platformFamily": entry.get("platformFamily"),
            "loadBalancers": copy.deepcopy(service.load_balancers) or None,
            "serviceRegistries": copy.deepcopy(service.service_registries) or None,
            "networkConfiguration": copy.deepcopy(getattr(service, "network_configuration", None)) or None,
            "serviceConnectConfiguration": copy.deepcopy(entry.get("serviceConnectConfiguration")),
            "volumeConfigurations": copy.deepcopy(entry.get("volumeConfigurations")),
            "vpcLatticeConfigurations": copy.deepcopy(entry.get("vpcLatticeConfigurations")),
        })
        self.container_images = self._images(service)

    def _images(self, service: Any) -> list[dict[str, str]]:
        try:
            definition = service._backend.describe_task_definition(self.task_definition)
        except Exception:  # noqa: BLE001 - deregistered or unknown: no images to show
            return []
        images = []
        for container in definition.container_definitions or []:
            image = container.get("image")
            if image:
                digest = "sha256:" + hashlib.sha256(str(image).encode()).hexdigest()
                images.append({"containerName": container.get("name"), "image": image, "imageDigest": digest})
        return images

    def target_group_for(self, rule_arn: str) -> str | None:
        for item in self.target_groups:
            if item.get("productionListenerRule") == rule_arn:
                return item["targetGroupArn"]
        return None

    def summary(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "requestedTaskCount": int(self.entry.get("desiredCount") or 0),
            "runningTaskCount": int(self.entry.get("runningCount") or 0),
            "pendingTaskCount": int(self.entry.get("pendingCount") or 0),
            "requestedTestTrafficWeight": float(self.test_weight),
            "requestedProductionTrafficWeight": float(self.production_weight),
        }

    def to_api(self) -> dict[str, Any]:
        return {
            "serviceRevisionArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "taskDefinition": self.task_definition,
            **self.spec,
            "containerImages": self.container_images,
            "guardDutyEnabled": False,
            "createdAt": self.created_at,
            "resolvedConfiguration": {"loadBalancers": copy.deepcopy(self.target_groups)},
        }


def _target_groups(service: Any, production: Revision | None, *, new: bool) -> list[dict[str, str]]:
    """Which target group a revision's tasks register with, per load balancer of the service.

    With an alternate target group the new revision takes the group the production revision does not use."""
    out = []
    for lb in service.load_balancers or []:
        primary = lb.get("targetGroupArn")
        if not primary:
            continue
        advanced = lb.get("advancedConfiguration") or {}
        rule, alternate = advanced.get("productionListenerRule"), advanced.get("alternateTargetGroupArn")
        chosen = primary
        if rule and alternate:
            current = production.target_group_for(rule) if production is not None else None
            if current not in (primary, alternate):
                weights = elbv2_weights.weights(rule)
                current = alternate if weights.get(alternate, 0) > weights.get(primary, 0) else primary
            chosen = (alternate if current == primary else primary) if new else current
        out.append(_drop_none({"targetGroupArn": chosen, "productionListenerRule": rule}))
    return out


# ---------------------------------------------------------------- service deployments


class ServiceDeployment:
    def __init__(self, service: Any, target: Revision, sources: list[Revision], config: dict[str, Any], origin: str):
        region = service.region_name
        self.id = _random_id()
        self.arn = (f"arn:{_partition(region)}:ecs:{region}:{service._account_id}:service-deployment/"
                    f"{service.cluster_name}/{service.name}/{self.id}")
        self.service = service
        self.service_arn = service.arn
        self.cluster_arn = service.cluster_arn
        self.target = target
        self.sources = sources
        self.production = max(sources, key=lambda r: r.production_weight) if sources else None
        self.config = config
        self.strategy = config.get("strategy") or "ROLLING"
        self.origin = origin
        now = utcnow()
        self.created_at = now
        self.updated_at = now
        self.started_at = None
        self.finished_at = None
        self.stopped_at = None
        self.status = "PENDING"
        self.status_reason: str | None = None
        self.stage: str | None = None
        self.hooks: list[dict[str, Any]] = []
        self.rollback: dict[str, Any] | None = None
        breaker = config.get("deploymentCircuitBreaker") or {}
        self.breaker_status = "MONITORING" if breaker.get("enable") else "DISABLED"
        alarms = config.get("alarms") or {}
        self.alarm_status = "MONITORING" if alarms.get("enable") and alarms.get("alarmNames") else "DISABLED"
        self.triggered_alarms: list[str] = []
        self.stop_request: str | None = None
        self.superseded = False
        self.wake = threading.Event()

    @property
    def active(self) -> bool:
        return self.status not in TERMINAL

    def touch(self) -> None:
        self.updated_at = utcnow()

    def finish(self, status: str, reason: str | None = None) -> None:
        self.status = status
        if reason is not None:
            self.status_reason = reason
        self.finished_at = self.updated_at = utcnow()
        if status in ("STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"):
            self.stopped_at = self.finished_at
        if self.breaker_status == "MONITORING":
            self.breaker_status = "MONITORING_COMPLETE"
        if self.alarm_status == "MONITORING":
            self.alarm_status = "MONITORING_COMPLETE"

    def brief(self) -> dict[str, Any]:
        return _drop_none({
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "startedAt": self.started_at,
            "createdAt": self.created_at,
            "finishedAt": self.finished_at,
            "targetServiceRevisionArn": self.target.arn,
            "status": self.status,
            "statusReason": self.status_reason,
        })

    def to_api(self) -> dict[str, Any]:
        desired = int(self.target.entry.get("desiredCount") or 0)
        alarms = self.config.get("alarms") or {}
        return _drop_none({
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "stoppedAt": self.stopped_at,
            "updatedAt": self.updated_at,
            "sourceServiceRevisions": [r.summary() for r in self.sources],
            "targetServiceRevision": self.target.summary(),
            "status": self.status,
            "statusReason": self.status_reason,
            "lifecycleStage": self.stage,
            "lifecycleHookDetails": [{k: v for k, v in h.items() if not k.startswith("_")} for h in self.hooks]
            or None,
            "deploymentConfiguration": self.config or None,
            "rollback": self.rollback,
            "deploymentCircuitBreaker": {
                "status": self.breaker_status,
                "failureCount": 0,
                "threshold": min(200, max(3, math.ceil(desired * 0.5))),
            },
            "alarms": {
                "status": "TRIGGERED" if self.triggered_alarms else self.alarm_status,
                "alarmNames": list(alarms.get("alarmNames") or []),
                "triggeredAlarmNames": list(self.triggered_alarms),
            },
        })


class Store:
    """Every service deployment and revision of this server (touched only under state.LOCK)."""

    def __init__(self) -> None:
        self.deployments: dict[str, ServiceDeployment] = {}
        self.revisions: dict[str, Revision] = {}
        self.by_service: dict[str, list[ServiceDeployment]] = {}  # service ARN → oldest first
        self.by_entry: dict[str, Revision] = {}  # id of a describe_services deployment → its revision

    def add(self, deployment: ServiceDeployment) -> None:
        self.deployments[deployment.arn] = deployment
        self.by_service.setdefault(deployment.service_arn, []).append(deployment)
        for revision in (deployment.target, *deployment.sources):
            self.revisions[revision.arn] = revision
            self.by_entry[revision.entry["id"]] = revision

    def active(self, service: Any) -> ServiceDeployment | None:
        for deployment in reversed(self.by_service.get(service.arn, [])):
            if deployment.active and deployment.service is service:
                return deployment
        return None

    def revision_of(self, service: Any, entry: dict[str, Any]) -> Revision:
        found = self.by_entry.get(entry.get("id", ""))
        if found is None:  # a deployment made before we saw the service: describe it as it is
            found = Revision(service, entry, _target_groups(service, None, new=False))
            found.production_weight = 100.0 if entry.get("status") == "PRIMARY" else 0.0
            self.by_entry[entry["id"]] = found
            self.revisions[found.arn] = found
        return found

    def forget_service(self, service_arn: str) -> None:
        for deployment in self.by_service.pop(service_arn, []):
            deployment.superseded = True
            deployment.wake.set()


STORE = Store()


# ---------------------------------------------------------------- the simulation


class Simulation:
    """Runs one service deployment in a background thread."""

    def __init__(self, deployment: ServiceDeployment):
        self.d = deployment
        self.rolling_back = False

    def start(self) -> None:
        thread = threading.Thread(target=self.run, name=f"ecs-deployment-{self.d.id}", daemon=True)
        thread.start()

    # ------------------------------------------------------------ plumbing

    @property
    def service(self) -> Any:
        return self.d.service

    @contextlib.contextmanager
    def step(self):
        """One atomic step: holds the lock, first checks whether the deployment must stop or roll back."""
        with state.LOCK:
            self._check()
            yield

    def _check(self) -> None:
        if state.shutting_down.is_set():
            raise _Interrupted("the local AWS is stopping")
        if self.d.superseded:
            raise _Interrupted("superseded")
        service = self.service
        registered = service._backend.services.get(f"{service.cluster_name}:{service.name}")
        if service.status != "ACTIVE" or registered is not service:
            raise _Interrupted("service deleted")
        if self.rolling_back:
            return
        if self.d.stop_request:
            raise _Rollback(self.d.stop_request)
        self._check_alarms()

    def _check_alarms(self) -> None:
        alarms = self.d.config.get("alarms") or {}
        if self.d.alarm_status != "MONITORING":
            return
        from moto.cloudwatch.models import cloudwatch_backends

        backend = cloudwatch_backends[self.service._account_id][self.service.region_name]
        firing = [name for name in alarms.get("alarmNames") or []
                  if getattr(backend.alarms.get(name), "state_value", None) == "ALARM"]
        if firing and not self.d.triggered_alarms:
            self.d.triggered_alarms = firing
            self.d.touch()
            if alarms.get("rollback"):
                raise _Rollback(f"Service deployment rolled back because CloudWatch alarm(s) {', '.join(firing)}"
                                " went into ALARM.")

    def wait(self, simulated_seconds: float) -> None:
        deadline = CLOCK.now() + max(0.0, simulated_seconds)
        while True:
            with self.step():
                pass
            left = deadline - CLOCK.now()
            if left <= 0:
                return
            if self.d.wake.wait(min(CLOCK.real_seconds(left), POLL_REAL_SECONDS)):
                self.d.wake.clear()

    def enter(self, stage: str) -> None:
        with self.step():
            self.d.stage = stage
            self.d.touch()

    def desired(self) -> int:
        return int(self.service.desired_count or 0)

    def say(self, message: str) -> None:
        _event(self.service, f"(service {self.service.name}) {message}")

    # ------------------------------------------------------------ the flow

    def run(self) -> None:
        try:
            try:
                with self.step():
                    self.d.status = "IN_PROGRESS"
                    self.d.started_at = utcnow()
                    self.d.touch()
                    kind = self.d.strategy.lower().replace("_", "/")
                    self.say(f"started {kind} deployment {self.d.id} of {self.d.target.task_definition}.")
                if self.d.strategy in BLUE_GREEN_FAMILY and self.d.production is not None:
                    self.blue_green()
                else:
                    self.rolling()
            except _Rollback as rollback:
                self.roll_back(rollback.reason)
        except _Interrupted as why:
            if str(why) == "service deleted":
                with state.LOCK:
                    if self.d.active:
                        self.d.finish("STOPPED", "The service was deleted.")
        except Exception as exc:  # noqa: BLE001 - never leave a deployment IN_PROGRESS forever
            log.error("ECS deployment %s failed:\n%s", self.d.arn, traceback.format_exc())
            with state.LOCK:
                if self.d.active:
                    self.d.finish("ROLLBACK_FAILED", f"Internal error of the local AWS: {type(exc).__name__}: {exc}")

    def rolling(self) -> None:
        target, desired = self.d.target, self.desired()
        with self.step():
            _set_entry(target.entry, desiredCount=desired, pendingCount=desired, runningCount=0,
                       rolloutState="IN_PROGRESS", rolloutStateReason="ECS deployment in progress.")
            _sync_counts(self.service)
        self.wait(SCALE_UP_SECONDS / 2)
        with self.step():
            desired = self.desired()
            half = desired // 2
            _set_entry(target.entry, desiredCount=desired, runningCount=half, pendingCount=desired - half)
            for source in self.d.sources:
                if source.entry in self.service.deployments:
                    _set_entry(source.entry, runningCount=max(0, int(source.entry.get("runningCount") or 0) - half))
            _sync_counts(self.service)
        self.wait(SCALE_UP_SECONDS / 2)
        with self.step():
            self.complete()

    def blue_green(self) -> None:
        if len([s for s in self.d.sources if s.entry in self.service.deployments]) > 1:
            self.reconcile()
        self.hook_stage("PRE_SCALE_UP")
        self.scale_up()
        self.hook_stage("POST_SCALE_UP")
        self.enter("TEST_TRAFFIC_SHIFT")
        with self.step():
            if self.shift_test_traffic(to_target=True):
                self.say(f"moved test traffic to deployment {self.d.id}.")
        self.run_hooks("TEST_TRAFFIC_SHIFT")
        self.wait(STAGE_SECONDS)
        self.hook_stage("POST_TEST_TRAFFIC_SHIFT")
        self.enter("PRODUCTION_TRAFFIC_SHIFT")
        for percent, bake in traffic_steps(self.d.config):
            self.run_hooks("PRE_PRODUCTION_TRAFFIC_SHIFT")
            with self.step():
                self.shift(percent)
            self.run_hooks("PRODUCTION_TRAFFIC_SHIFT")
            if bake:
                self.wait(bake)
        self.hook_stage("POST_PRODUCTION_TRAFFIC_SHIFT")
        self.enter("BAKE_TIME")
        self.wait(float(self.d.config.get("bakeTimeInMinutes") or 0) * 60)
        self.enter("CLEAN_UP")
        with self.step():
            for source in self.d.sources:
                if source.entry in self.service.deployments:
                    _set_entry(source.entry, runningCount=0, pendingCount=0, desiredCount=0)
            _sync_counts(self.service)
        self.wait(CLEAN_UP_SECONDS)
        with self.step():
            self.complete()

    def reconcile(self) -> None:
        """More than one revision runs: production traffic all to the production one, the others stop."""
        self.enter("RECONCILE_SERVICE")
        production = self.d.production
        with self.step():
            self.set_production_weights(production, 100.0, others=[s for s in self.d.sources if s is not production])
            for source in self.d.sources:
                if source is not production and source.entry in self.service.deployments:
                    _set_entry(source.entry, runningCount=0, pendingCount=0, desiredCount=0)
            _sync_counts(self.service)
        self.wait(STAGE_SECONDS)
        with self.step():
            keep = [e for e in self.service.deployments
                    if e is self.d.target.entry or e is production.entry]
            self.service.deployments = keep
            _sync_counts(self.service)

    def scale_up(self) -> None:
        self.enter("SCALE_UP")
        target = self.d.target
        with self.step():
            desired = self.desired()
            _set_entry(target.entry, desiredCount=desired, pendingCount=desired, runningCount=0)
            _sync_counts(self.service)
        self.wait(SCALE_UP_SECONDS)
        with self.step():
            desired = self.desired()
            _set_entry(target.entry, desiredCount=desired, pendingCount=0, runningCount=desired)
            _sync_counts(self.service)
            self.say(f"has started {desired} tasks of deployment {self.d.id}.")

    def hook_stage(self, stage: str) -> None:
        self.enter(stage)
        self.run_hooks(stage)
        self.wait(STAGE_SECONDS)

    # ------------------------------------------------------------ traffic

    def set_production_weights(self, winner: Revision, percent: float, others: list[Revision]) -> bool:
        """`percent` % of each production listener rule to `winner`'s target group, the rest to the others'."""
        changed = False
        old_weight, new_weight = elbv2_weights.percent_weights(percent)
        for item in winner.target_groups:
            rule = item.get("productionListenerRule")
            if not rule:
                continue
            other_groups = {o.target_group_for(rule) for o in others} - {None, item["targetGroupArn"]}
            weights = {g: old_weight for g in other_groups}
            weights[item["targetGroupArn"]] = new_weight if other_groups else 100
            changed = elbv2_weights.set_weights(rule, weights) or changed
        winner.production_weight = percent
        for other in others:
            other.production_weight = 100.0 - percent if other is self.d.production else 0.0
        return changed

    def shift(self, percent: float) -> None:
        production = self.d.production
        self.set_production_weights(self.d.target, percent, [production] if production else [])
        self.d.touch()
        self.say(f"shifted {percent:g}% of production traffic to deployment {self.d.id}"
                 f" ({100 - percent:g}% stays on the previous revision).")

    def shift_test_traffic(self, *, to_target: bool) -> bool:
        production = self.d.production
        changed = False
        for lb in self.service.load_balancers or []:
            advanced = lb.get("advancedConfiguration") or {}
            test_rule, rule = advanced.get("testListenerRule"), advanced.get("productionListenerRule")
            if not test_rule or not rule:
                continue
            new_group = self.d.target.target_group_for(rule)
            old_group = production.target_group_for(rule) if production else None
            weights = {g: w for g, w in ((new_group, 100 if to_target else 0), (old_group, 0 if to_target else 100))
                       if g is not None}
            if new_group != old_group:
                changed = elbv2_weights.set_weights(test_rule, weights) or changed
        self.d.target.test_weight = 100.0 if to_target else 0.0
        if production is not None:
            production.test_weight = 0.0 if to_target else 100.0
        return changed

    # ------------------------------------------------------------ hooks

    def run_hooks(self, stage: str) -> None:
        for index, hook in enumerate(self.d.config.get("lifecycleHooks") or []):
            if stage not in (hook.get("lifecycleStages") or []):
                continue
            if (hook.get("targetType") or "AWS_LAMBDA") == "PAUSE":
                self.pause(hook, stage)
            else:
                self.lambda_hook(hook, stage, index)

    def lambda_hook(self, hook: dict[str, Any], stage: str, index: int) -> None:
        arn = hook.get("hookTargetArn") or ""
        with self.step():
            detail = {"hookId": _random_id(12), "targetType": "AWS_LAMBDA", "targetArn": arn, "status": "IN_PROGRESS",
                      "_stage": stage}
            self.d.hooks.append(detail)
            self.d.touch()
        self.wait(HOOK_SECONDS)
        with self.step():
            verdict, why = hook_verdict(arn, stage)
            detail["status"] = verdict
            self.d.touch()
            self.say(f"lifecycle hook {arn} at {stage}: {verdict} ({why}).")
            if verdict == "FAILED":
                raise _Rollback(f"Service deployment rolled back because lifecycle hook {arn} failed at {stage}:"
                                f" {why}.")

    def pause(self, hook: dict[str, Any], stage: str) -> None:
        timeout = hook.get("timeoutConfiguration") or {}
        minutes = _number(timeout.get("timeoutInMinutes"), float, DEFAULT_PAUSE_TIMEOUT_MINUTES)
        action = timeout.get("action") or "ROLLBACK"
        with self.step():
            detail = {"hookId": _random_id(12), "targetType": "PAUSE", "status": "AWAITING_ACTION",
                      "expiresAt": utcnow() + timedelta(seconds=CLOCK.real_seconds(minutes * 60)),
                      "timeoutAction": action, "_stage": stage}
            self.d.hooks.append(detail)
            self.d.touch()
            self.say(f"paused at {stage}: waiting for ContinueServiceDeployment (hook {detail['hookId']}).")
        deadline = CLOCK.now() + minutes * 60
        while True:
            with self.step():
                answer = detail.get("_action")
                if answer is None and CLOCK.now() >= deadline:
                    detail["status"] = "TIMED_OUT"
                    answer = action
                if answer is not None:
                    if detail["status"] == "AWAITING_ACTION":
                        detail["status"] = "SUCCEEDED" if answer == "CONTINUE" else "FAILED"
                    self.d.touch()
                    if answer == "ROLLBACK":
                        how = "timed out" if detail["status"] == "TIMED_OUT" else "was answered ROLLBACK"
                        raise _Rollback(f"Service deployment rolled back at {stage}: pause hook"
                                        f" {detail['hookId']} {how}.")
                    return
            left = deadline - CLOCK.now()
            if self.d.wake.wait(max(0.0, min(CLOCK.real_seconds(left), POLL_REAL_SECONDS))):
                self.d.wake.clear()

    # ------------------------------------------------------------ endings

    def complete(self) -> None:
        """The target serves everything; the sources are gone: SUCCESSFUL."""
        service, target = self.service, self.d.target
        desired = self.desired()
        target.production_weight = 100.0
        for source in self.d.sources:
            source.production_weight = 0.0
        _set_entry(target.entry, status="PRIMARY", desiredCount=desired, runningCount=desired, pendingCount=0,
                   rolloutState="COMPLETED", rolloutStateReason=f"ECS deployment {target.entry['id']} completed.")
        service.deployments = [target.entry]
        _sync_counts(service)
        self.d.finish("SUCCESSFUL", "Service deployment completed.")
        self.say("has reached a steady state.")

    def roll_back(self, reason: str) -> None:
        self.rolling_back = True
        production = self.d.production
        with self.step():
            if production is None:
                self.d.finish("ROLLBACK_FAILED", f"{reason} There is no previous service revision to roll back to.")
                self.say(f"cannot roll back deployment {self.d.id}: no previous service revision.")
                return
            service = self.service
            self.d.status = "ROLLBACK_IN_PROGRESS"
            self.d.status_reason = reason
            self.d.rollback = {"reason": reason, "startedAt": utcnow(), "serviceRevisionArn": production.arn}
            self.d.touch()
            service.task_definition = production.task_definition
            _set_entry(self.d.target.entry, status="ACTIVE", rolloutState="FAILED", rolloutStateReason=reason)
            _set_entry(production.entry, status="PRIMARY", desiredCount=self.desired(),
                       runningCount=max(int(production.entry.get("runningCount") or 0), 0))
            if production.entry not in service.deployments:
                service.deployments.append(production.entry)
            service.deployments.sort(key=lambda e: e.get("status") != "PRIMARY")
            self.say(f"is rolling back deployment {self.d.id}: {reason}")
            if self.d.stage in ("PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME"):
                self.d.stage = "PRODUCTION_TRAFFIC_SHIFT"
            self.set_production_weights(production, 100.0, [self.d.target])
            self.shift_test_traffic(to_target=False)
            _set_entry(production.entry, runningCount=self.desired(), pendingCount=0)
            _sync_counts(service)
        self.wait(STAGE_SECONDS)
        with self.step():
            self.d.stage = "CLEAN_UP"
            self.d.touch()
            _set_entry(self.d.target.entry, runningCount=0, pendingCount=0, desiredCount=0)
            _sync_counts(self.service)
        self.wait(CLEAN_UP_SECONDS)
        with self.step():
            service = self.service
            service.deployments = [e for e in service.deployments if e is not self.d.target.entry]
            _set_entry(production.entry, status="PRIMARY", rolloutState="COMPLETED",
                       rolloutStateReason=f"ECS deployment {production.entry['id']} completed.")
            _sync_counts(service)
            self.d.finish("ROLLBACK_SUCCESSFUL")
            self.say(f"rolled back deployment {self.d.id} to {production.task_definition}.")


# ---------------------------------------------------------------- what ecs_service tells us


class Observer:
    """Registered as `ecs_service.deployment_observer`."""

    def created(self, service: Any, params: dict[str, Any], steady: bool) -> None:
        if not service.deployments:
            return  # CODE_DEPLOY / EXTERNAL controllers: ECS makes no service deployments
        STORE.forget_service(service.arn)
        entry = service.deployments[0]
        config = normalize_config(getattr(service, "deployment_configuration", None)
                                  or params.get("deploymentConfiguration"))
        target = Revision(service, entry, _target_groups(service, None, new=False))
        target.production_weight = 100.0
        deployment = ServiceDeployment(service, target, [], config, "create")
        STORE.add(deployment)
        if steady or entry.get("rolloutState") == "COMPLETED":
            deployment.started_at = deployment.created_at
            deployment.finish("SUCCESSFUL", "Service deployment completed.")
            return
        Simulation(deployment).start()

    def started(self, service: Any, entry: dict[str, Any], previous: list[dict[str, Any]], params: dict[str, Any],
                origin: str) -> bool:
        if (service.deployment_controller or {}).get("type", "ECS") != "ECS":
            return False
        config = normalize_config(params.get("deploymentConfiguration")
                                  or getattr(service, "deployment_configuration", None))
        running = STORE.active(service)
        if running is not None:
            running.superseded = True
            running.finish("STOPPED", "Service deployment was superseded by a newer service deployment.")
            running.wake.set()
        sources = [STORE.revision_of(service, e) for e in previous]
        production = max(sources, key=lambda r: r.production_weight) if sources else None
        target = Revision(service, entry, _target_groups(service, production, new=True))
        deployment = ServiceDeployment(service, target, sources, config, origin)
        STORE.add(deployment)
        if origin == "cloudformation" and deployment.strategy not in BLUE_GREEN_FAMILY:
            # CloudFormation waits for a rolling deployment: it is complete when the resource is.
            deployment.started_at = deployment.created_at
            target.production_weight = 100.0
            for source in sources:
                source.production_weight = 0.0
            deployment.finish("SUCCESSFUL", "Service deployment completed.")
            return False
        for old in previous:
            _set_entry(old, status="ACTIVE")
        _set_entry(entry, pendingCount=0, runningCount=0, desiredCount=int(service.desired_count or 0))
        service.deployments = [entry, *previous]
        _sync_counts(service)
        Simulation(deployment).start()
        return True

    def simulating(self, service: Any) -> bool:
        return STORE.active(service) is not None


# ---------------------------------------------------------------- the ECS API


class ServiceDeploymentNotFoundException(ServiceException):
    code = "ServiceDeploymentNotFoundException"


class ConflictException(ServiceException):
    code = "ConflictException"


class InvalidParameterException(ServiceException):
    code = "InvalidParameterException"


def _timestamp(value: Any):
    """A createdAt filter bound (datetime, epoch seconds or ISO text) as an aware datetime."""
    from datetime import UTC, datetime

    if value is None:
        return None
    if isinstance(value, datetime):
        return _aware(value)
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError):
        return _aware(datetime.fromisoformat(str(value)))


def _aware(value):
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _list_service_deployments(self):
    from moto.core.responses import ActionResult

    service = self.ecs_backend._get_service(self._get_param("cluster") or "default", self._get_param("service"))
    statuses = set(self._get_param("status") or [])
    created = self._get_param("createdAt") or {}
    before, after = _timestamp(created.get("before")), _timestamp(created.get("after"))
    found = [d for d in reversed(STORE.by_service.get(service.arn, [])) if d.service is service]
    if statuses:
        found = [d for d in found if d.status in statuses]
    if before is not None:
        found = [d for d in found if _aware(d.created_at) <= before]
    if after is not None:
        found = [d for d in found if _aware(d.created_at) >= after]
    start = int(self._get_param("nextToken") or 0)
    size = max(1, min(100, int(self._get_param("maxResults") or 20)))
    page = found[start:start + size]
    result: dict[str, Any] = {"serviceDeployments": [d.brief() for d in page]}
    if start + size < len(found):
        result["nextToken"] = str(start + size)
    return ActionResult(result)


def _describe_service_deployments(self):
    from moto.core.responses import ActionResult

    found, failures = [], []
    for arn in self._get_param("serviceDeploymentArns") or []:
        deployment = STORE.deployments.get(arn)
        if deployment is None:
            failures.append({"arn": arn, "reason": "MISSING", "detail": "The service deployment does not exist."})
        else:
            found.append(deployment.to_api())
    return ActionResult({"serviceDeployments": found, "failures": failures})


def _describe_service_revisions(self):
    from moto.core.responses import ActionResult

    found, failures = [], []
    for arn in self._get_param("serviceRevisionArns") or []:
        revision = STORE.revisions.get(arn)
        if revision is None:
            failures.append({"arn": arn, "reason": "MISSING", "detail": "The service revision does not exist."})
        else:
            found.append(revision.to_api())
    return ActionResult({"serviceRevisions": found, "failures": failures})


def _deployment_or_fail(arn: str) -> ServiceDeployment:
    deployment = STORE.deployments.get(arn or "")
    if deployment is None:
        raise ServiceDeploymentNotFoundException(f"The service deployment {arn} does not exist.")
    return deployment


def _stop_service_deployment(self):
    from moto.core.responses import ActionResult

    deployment = _deployment_or_fail(self._get_param("serviceDeploymentArn"))
    stop_type = self._get_param("stopType") or "ROLLBACK"
    if stop_type != "ROLLBACK":
        raise InvalidParameterException(f"stopType {stop_type} is not supported; the valid value is ROLLBACK.")
    if not deployment.active or deployment.status.startswith("ROLLBACK") or deployment.stop_request:
        raise ConflictException(f"The service deployment is {deployment.status} and cannot be stopped.")
    deployment.stop_request = "Service deployment rolled back because of a stop request."
    deployment.status = "ROLLBACK_REQUESTED"
    deployment.status_reason = deployment.stop_request
    deployment.touch()
    deployment.wake.set()
    return ActionResult({"serviceDeploymentArn": deployment.arn})


def _continue_service_deployment(self):
    from moto.core.responses import ActionResult

    deployment = _deployment_or_fail(self._get_param("serviceDeploymentArn"))
    hook_id = self._get_param("hookId")
    action = self._get_param("action") or "CONTINUE"
    detail = next((h for h in deployment.hooks if h.get("hookId") == hook_id), None)
    if detail is None or detail.get("targetType") != "PAUSE":
        raise InvalidParameterException(f"The service deployment has no pause hook {hook_id}.")
    if detail.get("status") != "AWAITING_ACTION" or not deployment.active:
        raise ConflictException(f"The pause hook {hook_id} is {detail.get('status')}, not AWAITING_ACTION.")
    detail["_action"] = action
    deployment.wake.set()
    return ActionResult({"serviceDeploymentArn": deployment.arn})


# UpdateService parameters whose change makes a new deployment (besides taskDefinition / forceNewDeployment)
DEPLOYMENT_PARAMETERS = {
    "networkConfiguration": "network_configuration",
    "loadBalancers": "load_balancers",
    "serviceRegistries": "service_registries",
    "capacityProviderStrategy": "capacity_provider_strategy",
    "platformVersion": "platform_version",
    "launchType": "launch_type",
    "serviceConnectConfiguration": None,
    "volumeConfigurations": None,
    "vpcLatticeConfigurations": None,
}


def _patch_update_service() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.update_service
    if getattr(original, "_stp", False):
        return

    def update_service(self):
        backend = self.ecs_backend
        params = {k: v for k, v in (self._get_params() or {}).items() if v is not None}
        service = backend._get_service(params.get("cluster") or "default",
                                       str(params.get("service", "")).split("/")[-1])
        cluster = backend.clusters.get(service.cluster_name)
        before = {api: copy.deepcopy(getattr(service, attr, None))
                  for api, attr in DEPLOYMENT_PARAMETERS.items() if attr}
        primary = service.deployments[0] if service.deployments else {}
        before.update({k: copy.deepcopy(primary.get(k)) for k, attr in DEPLOYMENT_PARAMETERS.items() if attr is None})
        old_task_definition = service.task_definition
        counts = (service.running_count, service.pending_count)
        cluster_counts = (cluster.running_tasks_count, cluster.pending_tasks_count) if cluster is not None else None
        result = original(self)
        # moto's UpdateService resets the counts its own way: put them back, then apply ours.
        service.running_count, service.pending_count = counts
        if cluster is not None and cluster_counts is not None:
            cluster.running_tasks_count, cluster.pending_tasks_count = cluster_counts
        if params.get("taskDefinition"):
            service.task_definition = backend.describe_task_definition(params["taskDefinition"]).arn
        changed = (service.task_definition != old_task_definition or bool(params.get("forceNewDeployment"))
                   or any(api in params and params[api] != before.get(api) for api in DEPLOYMENT_PARAMETERS))
        if changed and (service.deployment_controller or {}).get("type", "ECS") == "ECS":
            ecs_service.start_deployment(service, params, origin="api")
        elif "desiredCount" in params and service.deployments and not STORE.active(service):
            desired = int(params["desiredCount"])
            _set_entry(service.deployments[0], desiredCount=desired, runningCount=desired, pendingCount=0)
            _sync_counts(service)
        return result

    update_service._stp = True  # type: ignore[attr-defined]
    EC2ContainerServiceResponse.update_service = update_service


def install() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    ecs_service.deployment_observer = Observer()
    for name, fn in (("list_service_deployments", _list_service_deployments),
                     ("describe_service_deployments", _describe_service_deployments),
                     ("describe_service_revisions", _describe_service_revisions),
                     ("stop_service_deployment", _stop_service_deployment),
                     ("continue_service_deployment", _continue_service_deployment)):
        setattr(EC2ContainerServiceResponse, name, fn)
    _patch_update_service()

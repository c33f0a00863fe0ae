"""`stp rollout`: where the current ECS deployment of a workload stands, and rolling it back.

    rollout = current_rollout(aws, find_service(aws, "demo-dev", "api"))
    rollout.strategy, rollout.stage, rollout.status, rollout.traffic_old, rollout.traffic_new

Only the standard ECS and ELBv2 APIs are used, so real AWS and the local AWS answer alike:

- the workload's ECS service comes from the stack (``Metadata.Stp`` outputs serviceName/clusterName,
  else the AWS::ECS::Service the resource owns);
- its deployments from ``ListServiceDeployments`` (an in-flight one if any, else the newest) and
  ``DescribeServiceDeployments`` (strategy, lifecycle stage, status, hooks, rollback);
- traffic from the production listener rule: ``DescribeServiceRevisions`` says which target group each
  revision uses (``resolvedConfiguration.loadBalancers``), ``elbv2 DescribeRules`` the forward weights;
  when that cannot be read, the revisions' ``requestedProductionTrafficWeight`` is shown instead;
- bake time left / next traffic shift: the configured minutes minus the time since the deployment's
  ``updatedAt`` (an estimate). Against the local AWS elapsed time is multiplied by its time scale
  (``/_stp/config``), so the numbers are in the simulated minutes the deployment is configured in;
- ``--stop``: ``StopServiceDeployment`` with stopType ROLLBACK.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.aws.console import Console
from core.aws.session import Aws, AwsProblem, error_code, is_transient, translated
from core.aws.stacks import deployed_template, find_stack, list_resources, outputs_of, stp_metadata

IN_FLIGHT = ("PENDING", "IN_PROGRESS", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
TERMINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
STAGES = ("RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
          "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME",
          "CLEAN_UP")
WATCH_INTERVAL = 2.0  # seconds between polls against AWS (stages last minutes)
LOCAL_WATCH_INTERVAL = 0.2  # the local AWS usually runs on a compressed clock
MAX_LIST_PAGES = 20


@dataclass(frozen=True)
class ServiceRef:
    resource: str
    cluster: str
    service: str  # name or ARN


@dataclass
class Rollout:
    """One service deployment as `stp rollout` shows it."""

    resource: str
    cluster: str
    service: str
    deployment_arn: str
    strategy: str
    stage: str | None
    status: str
    status_reason: str | None = None
    traffic_old: float | None = None
    traffic_new: float | None = None
    traffic_source: str | None = None  # "listener-rule" | "requested-weights"
    bake_left: float | None = None  # seconds (of the deployment's own, possibly simulated, clock)
    next_shift_in: float | None = None
    old_task_definition: str | None = None
    new_task_definition: str | None = None
    hooks: list[dict] = field(default_factory=list)
    rollback: dict | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None
    time_scale: float = 1.0

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def key(self) -> tuple:
        """What changes when the rollout moves (for redrawing only on change)."""
        return (self.deployment_arn, self.status, self.stage, self.traffic_old, self.traffic_new,
                tuple((h.get("hookId"), h.get("status")) for h in self.hooks))

    def to_json(self) -> dict:
        return {
            "resource": self.resource,
            "cluster": self.cluster,
            "service": self.service,
            "deployment": self.deployment_arn,
            "strategy": self.strategy,
            "stage": self.stage,
            "status": self.status,
            "statusReason": self.status_reason,
            "traffic": ({"old": _pct(self.traffic_old), "new": _pct(self.traffic_new)}
                        if self.traffic_new is not None else None),
            "trafficSource": self.traffic_source,
            "bakeTimeLeftSeconds": _secs(self.bake_left),
            "nextShiftInSeconds": _secs(self.next_shift_in),
            "taskDefinition": {"old": self.old_task_definition, "new": self.new_task_definition},
            "hooks": [{k: (_iso(v) if isinstance(v, datetime) else v) for k, v in h.items()} for h in self.hooks],
            "rollback": ({k: (_iso(v) if isinstance(v, datetime) else v) for k, v in self.rollback.items()}
                         if self.rollback else None),
            "createdAt": _iso(self.created_at),
            "startedAt": _iso(self.started_at),
            "updatedAt": _iso(self.updated_at),
            "finishedAt": _iso(self.finished_at),
            "terminal": self.terminal,
            "timeScale": self.time_scale,
        }


def _pct(value: float | None) -> float | int | None:
    if value is None:
        return None
    value = round(float(value), 1)
    return int(value) if value.is_integer() else value


def _secs(value: float | None) -> int | None:
    return None if value is None else max(0, round(value))


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------------------------- finding


def find_service(aws: Aws, stack: str, resource: str) -> ServiceRef:
    """The ECS service (and cluster) of a config resource of the stack."""
    found = find_stack(aws, stack)
    if found is None:
        raise AwsProblem(f"stack {stack} does not exist in {aws.describe()}; deploy it first (`stp deploy`)")
    meta = stp_metadata(deployed_template(aws, found["StackId"]))
    resources = meta.get("resources") or {}
    values = outputs_of(found)
    with_service = sorted(n for n, r in resources.items() if "serviceName" in (r.get("outputs") or {}))
    hint = f"; resources with an ECS service: {', '.join(with_service)}" if with_service else ""
    if resource not in resources:
        raise AwsProblem(f"stack {stack} has no resource '{resource}'{hint}")
    outs = resources[resource].get("outputs") or {}
    name, cluster = values.get(outs.get("serviceName", "")), values.get(outs.get("clusterName", ""))
    if not name or not cluster:  # older templates: the service the resource owns
        owned = set(resources[resource].get("logicalIds") or ())
        for row in list_resources(aws, found["StackId"]):
            if row.get("LogicalResourceId") not in owned:
                continue
            if row.get("ResourceType") == "AWS::ECS::Service" and not name:
                name = row.get("PhysicalResourceId")
            elif row.get("ResourceType") == "AWS::ECS::Cluster" and not cluster:
                cluster = row.get("PhysicalResourceId")
        if name and not cluster and str(name).count("/") == 2:  # long ARN: service/<cluster>/<name>
            cluster = str(name).split("/")[1]
    if not name:
        rtype = resources[resource].get("type", "resource")
        raise AwsProblem(f"{rtype} '{resource}' has no ECS service, so it has no rollouts{hint}")
    return ServiceRef(resource, cluster or "default", name)


def time_scale(aws: Aws) -> float:
    """Simulated seconds per real second: 1 on AWS, the local server's `--time-scale` with --local."""
    if not aws.local or not aws.endpoint:
        return 1.0
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{aws.endpoint.rstrip('/')}/_stp/config", timeout=2) as response:
            scale = float(json.loads(response.read()).get("time_scale") or 1.0)
    except (OSError, ValueError, TypeError):
        return 1.0
    return scale if scale > 0 else 1.0


# --------------------------------------------------------------------------------------------- reading


def _latest_deployment_arn(aws: Aws, ref: ServiceRef) -> str | None:
    ecs = aws.client("ecs")
    with translated(aws.target, aws.region, f"listing the deployments of {ref.resource}"):
        try:
            live = ecs.list_service_deployments(cluster=ref.cluster, service=ref.service, status=list(IN_FLIGHT))
        except Exception as exc:
            if error_code(exc) in ("ServiceNotFoundException", "ClusterNotFoundException"):
                raise AwsProblem(f"the ECS service of '{ref.resource}' ({ref.service} in cluster {ref.cluster}) does"
                                 f" not exist in {aws.describe()}") from None
            raise
        briefs = list(live.get("serviceDeployments") or ())
        if not briefs:
            token, pages = None, 0
            while pages < MAX_LIST_PAGES:
                kwargs: dict[str, Any] = {"cluster": ref.cluster, "service": ref.service}
                if token:
                    kwargs["nextToken"] = token
                page = ecs.list_service_deployments(**kwargs)
                briefs.extend(page.get("serviceDeployments") or ())
                token, pages = page.get("nextToken"), pages + 1
                if not token:
                    break
    if not briefs:
        return None
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    newest = max(briefs, key=lambda b: b.get("createdAt") or b.get("startedAt") or epoch)
    return newest["serviceDeploymentArn"]


def _forward_weights(rule: dict) -> dict[str, float]:
    for action in rule.get("Actions") or ():
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if groups:
            return {g["TargetGroupArn"]: float(g.get("Weight", 1)) for g in groups if g.get("TargetGroupArn")}
        if action.get("TargetGroupArn"):
            return {action["TargetGroupArn"]: 1.0}
    return {}


def traffic_from_rules(target: dict | None, sources: list[dict], rules: dict[str, dict]) -> tuple[float, float] | None:
    """(old %, new %) of production traffic from the listener rule weights, or None when unknown.

    `target`/`sources`: DescribeServiceRevisions entries; `rules`: rule ARN → DescribeRules entry."""
    if not target:
        return None
    for item in (target.get("resolvedConfiguration") or {}).get("loadBalancers") or ():
        rule_arn, new_group = item.get("productionListenerRule"), item.get("targetGroupArn")
        rule = rules.get(rule_arn or "")
        if not rule or not new_group:
            continue
        old_groups = {s_item.get("targetGroupArn") for s in sources
                      for s_item in (s.get("resolvedConfiguration") or {}).get("loadBalancers") or ()
                      if s_item.get("productionListenerRule") == rule_arn} - {None, new_group}
        weights = _forward_weights(rule)
        if not old_groups:  # no source revision on another group: the pair of the service's load balancer
            old_groups = set(weights) - {new_group}
        new = weights.get(new_group, 0.0)
        old = sum(weights.get(g, 0.0) for g in old_groups)
        if new + old <= 0:
            continue
        share = 100.0 * new / (new + old)
        return 100.0 - share, share
    return None


def _rule_arns(revisions: list[dict]) -> list[str]:
    arns: list[str] = []
    for revision in revisions:
        for item in (revision.get("resolvedConfiguration") or {}).get("loadBalancers") or ():
            arn = item.get("productionListenerRule")
            if arn and arn not in arns:
                arns.append(arn)
    return arns


def _wait_left(deployment: dict, strategy: str, stage: str | None, new: float | None, scale: float,
               now: datetime) -> tuple[float | None, float | None]:
    """(bake time left, next shift in) in seconds of the deployment's clock, while it is in flight."""
    if deployment.get("status") not in IN_FLIGHT or deployment.get("status", "").startswith("ROLLBACK"):
        return None, None
    since = deployment.get("updatedAt") or deployment.get("startedAt")
    if since is None:
        return None, None
    elapsed = max(0.0, (now - since).total_seconds()) * scale
    config = deployment.get("deploymentConfiguration") or {}
    if stage == "BAKE_TIME":
        return float(config.get("bakeTimeInMinutes") or 0) * 60 - elapsed, None
    if stage == "PRODUCTION_TRAFFIC_SHIFT" and new is not None and 0 < new < 100:
        if strategy == "CANARY":
            minutes = (config.get("canaryConfiguration") or {}).get("canaryBakeTimeInMinutes", 10)
        elif strategy == "LINEAR":
            minutes = (config.get("linearConfiguration") or {}).get("stepBakeTimeInMinutes", 6)
        else:
            return None, None
        return None, float(minutes) * 60 - elapsed
    return None, None


def current_rollout(aws: Aws, ref: ServiceRef, scale: float = 1.0, *, now: datetime | None = None) -> Rollout | None:
    """The in-flight deployment of the service, else its newest one; None when it has none."""
    arn = _latest_deployment_arn(aws, ref)
    if arn is None:
        return None
    return describe_rollout(aws, ref, arn, scale, now=now)


def describe_rollout(aws: Aws, ref: ServiceRef, arn: str, scale: float = 1.0, *,
                     now: datetime | None = None) -> Rollout:
    ecs = aws.client("ecs")
    with translated(aws.target, aws.region, f"reading the deployment of {ref.resource}"):
        found = ecs.describe_service_deployments(serviceDeploymentArns=[arn]).get("serviceDeployments") or []
        if not found:
            raise AwsProblem(f"service deployment {arn} does not exist in {aws.describe()}")
        d = found[0]
        target_arn = (d.get("targetServiceRevision") or {}).get("arn")
        source_arns = [s["arn"] for s in d.get("sourceServiceRevisions") or () if s.get("arn")]
        wanted = [a for a in [target_arn, *source_arns] if a][:20]
        revisions = {r["serviceRevisionArn"]: r for r in
                     (ecs.describe_service_revisions(serviceRevisionArns=wanted).get("serviceRevisions") or [])
                     } if wanted else {}
    target = revisions.get(target_arn or "")
    sources = [revisions[a] for a in source_arns if a in revisions]
    traffic, source = None, None
    rule_arns = _rule_arns([r for r in (target, *sources) if r])
    if rule_arns:
        with translated(aws.target, aws.region, "reading the production listener rule"):
            try:
                rules = {r["RuleArn"]: r for r in aws.client("elbv2").describe_rules(RuleArns=rule_arns)["Rules"]}
            except Exception as exc:
                if is_transient(exc) or error_code(exc) in ("RuleNotFound", "AccessDenied", "AccessDeniedException"):
                    rules = {}
                else:
                    raise
        traffic = traffic_from_rules(target, sources, rules)
        source = "listener-rule" if traffic else None
    if traffic is None:
        requested_new = (d.get("targetServiceRevision") or {}).get("requestedProductionTrafficWeight")
        requested_old = [s.get("requestedProductionTrafficWeight") for s in d.get("sourceServiceRevisions") or ()]
        if requested_new is not None and (requested_old or requested_new in (0, 100)):
            old = sum(float(w or 0) for w in requested_old)
            total = float(requested_new) + old
            if total > 0:
                traffic = (100.0 * old / total, 100.0 * float(requested_new) / total)
                source = "requested-weights"
    strategy = (d.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING"
    stage = d.get("lifecycleStage")
    new = traffic[1] if traffic else None
    bake_left, next_shift = _wait_left(d, strategy, stage, new, scale, now or datetime.now(UTC))
    hooks = []
    for h in d.get("lifecycleHookDetails") or ():
        hooks.append({k: h[k] for k in ("hookId", "targetType", "targetArn", "status", "expiresAt") if k in h})
    return Rollout(
        resource=ref.resource, cluster=ref.cluster, service=ref.service, deployment_arn=d["serviceDeploymentArn"],
        strategy=strategy, stage=stage, status=d.get("status", "?"), status_reason=d.get("statusReason"),
        traffic_old=traffic[0] if traffic else None, traffic_new=new, traffic_source=source,
        bake_left=bake_left, next_shift_in=next_shift,
        old_task_definition=(sources[0].get("taskDefinition") if sources else None),
        new_task_definition=target.get("taskDefinition") if target else None,
        hooks=hooks, rollback=d.get("rollback"),
        created_at=d.get("createdAt"), started_at=d.get("startedAt"), updated_at=d.get("updatedAt"),
        finished_at=d.get("finishedAt"), time_scale=scale,
    )


def stop_rollout(aws: Aws, rollout: Rollout) -> None:
    """Ask ECS to roll the deployment back to the previous revision."""
    with translated(aws.target, aws.region, f"stopping the deployment of {rollout.resource}"):
        aws.client("ecs").stop_service_deployment(serviceDeploymentArn=rollout.deployment_arn, stopType="ROLLBACK")


# --------------------------------------------------------------------------------------------- showing


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _short_td(arn: str | None) -> str:
    return arn.rsplit("/", 1)[-1] if arn else "-"


def status_style(status: str) -> str:
    if status == "SUCCESSFUL":
        return "green"
    if status.startswith("ROLLBACK") or status in ("STOPPED", "STOP_REQUESTED"):
        return "red" if status in ("ROLLBACK_FAILED",) else "magenta"
    return "yellow"


def render(rollout: Rollout, console: Console) -> list[str]:
    """The text lines of a rollout (painted for the console)."""
    p = console.paint
    head = f"{p(rollout.resource, 'bold')}  {p(rollout.strategy, 'cyan')} deployment"
    lines = [f"{head}  {p(rollout.status, status_style(rollout.status))}"]
    if rollout.stage:
        index = f" ({STAGES.index(rollout.stage) + 1}/{len(STAGES)})" if rollout.stage in STAGES else ""
        lines.append(f"  stage    {rollout.stage}{index}")
    if rollout.traffic_new is not None:
        width = 30
        filled = round(width * rollout.traffic_new / 100.0)
        if console.color:
            bar = p("█" * (width - filled), "blue") + p("█" * filled, "green")
        else:
            bar = "#" * (width - filled) + "=" * filled
        lines.append(f"  traffic  old {_pct(rollout.traffic_old)}% {bar} new {_pct(rollout.traffic_new)}%")
    timing = []
    if rollout.next_shift_in is not None:
        timing.append(f"next shift in ~{_duration(rollout.next_shift_in)}")
    if rollout.bake_left is not None:
        timing.append(f"bake time left ~{_duration(rollout.bake_left)}")
    if timing:
        scale = f" (simulated, time scale {rollout.time_scale:g}x)" if rollout.time_scale != 1 else ""
        lines.append(f"  timing   {', '.join(timing)}{scale}")
    lines.append(f"  revision {_short_td(rollout.old_task_definition)} -> {_short_td(rollout.new_task_definition)}")
    for hook in rollout.hooks:
        target = hook.get("targetArn") or "pause"
        lines.append(f"  hook     {target.rsplit(':', 1)[-1]}  {hook.get('status')}")
    if rollout.status_reason and rollout.status != "SUCCESSFUL":
        lines.append(f"  reason   {p(rollout.status_reason, 'dim')}")
    return lines


def show(rollout: Rollout | None, console: Console, fmt: str, *, lines_before: int = 0, stream: bool = False) -> int:
    """Print a rollout; returns how many lines were printed (for redrawing in place)."""
    if fmt == "json":
        data = rollout.to_json() if rollout else None
        console.say(json.dumps(data, default=str) if stream else json.dumps(data, indent=2, default=str))
        return 0
    if rollout is None:
        return 0
    lines = render(rollout, console)
    if lines_before and console.color:  # a terminal: redraw over the previous state
        console.out.write(f"\x1b[{lines_before}F\x1b[J")
    for line in lines:
        console.say(line)
    return len(lines)


def watch(aws: Aws, ref: ServiceRef, console: Console, fmt: str, *, scale: float = 1.0, arn: str | None = None,
          interval: float | None = None, timeout: float | None = None,
          sleep: Callable[[float], None] = time.sleep) -> Rollout | None:
    """Redraw the rollout until it reaches a terminal state (or `timeout` seconds); returns the last one seen."""
    interval = interval if interval is not None else (LOCAL_WATCH_INTERVAL if aws.local else WATCH_INTERVAL)
    deadline = time.monotonic() + timeout if timeout else None
    last_key, drawn, rollout = None, 0, None
    while True:
        try:
            rollout = describe_rollout(aws, ref, arn, scale) if arn else current_rollout(aws, ref, scale)
        except AwsProblem:
            raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            sleep(interval)
            continue
        if rollout is None:
            return None
        arn = rollout.deployment_arn
        if rollout.key() != last_key or (console.color and fmt != "json"):
            drawn = show(rollout, console, fmt, lines_before=drawn if console.color else 0, stream=True)
            last_key = rollout.key()
        if rollout.terminal or (deadline is not None and time.monotonic() > deadline):
            return rollout
        sleep(interval)


def run(aws: Aws, stack: str, resource: str, console: Console, *, stop: bool = False, follow: bool = False,
        yes: bool = False, fmt: str = "text") -> int:
    """`stp rollout`: show (or follow, or roll back) the current deployment; returns the exit code.

    Exit code with --watch: 0 when the deployment ends SUCCESSFUL (with --stop: ROLLBACK_SUCCESSFUL), else 1."""
    ref = find_service(aws, stack, resource)
    scale = time_scale(aws)
    rollout = current_rollout(aws, ref, scale)
    if rollout is None:
        if fmt == "json":
            show(None, console, fmt)
        else:
            console.note(f"'{resource}' ({ref.service}) has no service deployments yet")
        return 0 if not stop else 1
    if stop:
        if rollout.terminal:
            raise AwsProblem(f"nothing to roll back: the latest deployment of '{resource}' is {rollout.status}")
        if rollout.status.startswith("ROLLBACK"):
            raise AwsProblem(f"the deployment of '{resource}' is already rolling back ({rollout.status})")
        if not yes:
            if not console.interactive:
                raise AwsProblem("refusing to roll back without confirmation: input is not a terminal; pass --yes", 2)
            where = (f" ({_pct(rollout.traffic_new)}% of traffic on the new revision)"
                     if rollout.traffic_new is not None else "")
            if not console.ask(f"Roll back the {rollout.strategy} deployment of '{resource}'{where} to"
                               f" {_short_td(rollout.old_task_definition)}?"):
                console.note("nothing done")
                return 1
        stop_rollout(aws, rollout)
        console.note(f"rollback of '{resource}' requested")
        rollout = describe_rollout(aws, ref, rollout.deployment_arn, scale)
    if not follow:
        show(rollout, console, fmt)
        return 0
    final = watch(aws, ref, console, fmt, scale=scale, arn=rollout.deployment_arn)
    wanted = "ROLLBACK_SUCCESSFUL" if stop else "SUCCESSFUL"
    return 0 if final is not None and final.status == wanted else 1

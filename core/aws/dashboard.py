"""What the terminal dashboard (`stp-tui`) shows, as plain data: nothing here prints or asks.

The CLI modules (stacks, deploy, logs) talk to a Console; the dashboard needs the same facts as values
it can put into tables and trees, so this module reuses their lower-level helpers and returns data:

- ``list_stacks``      every stack of the target (name, status, stage, times)
- ``stack_view``       one stack grouped by config resource (``Metadata.Stp.resources[name].logicalIds``
                       of the deployed template) → the AWS resources each consists of, plus the template
- ``service_tasks``    the ECS tasks of a service and their containers
- ``events_since``     stack events newer than an event id, oldest first
- ``prepare`` / ``plan_deploy`` / ``execute_plan`` / ``events_since`` / ``cancel_deploy`` / ``diff_rows``
                       a deployment as data: checks and the change set as rows (deploy.deploy prints and
                       asks instead), then its events
- ``LogTail``          log events of the sources since a time, then each new one once (the data version
                       of logs.follow_polling, which prints)
- ``rollout_state`` / ``rollback``
                       a workload's gradual deployment (from core.aws.rollouts when it exists, else
                       from what ECS and the load balancer report)
"""

from __future__ import annotations

import io
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from core.aws.session import Aws, AwsProblem, error_code, error_message, translated
from core.aws.stacks import (
    IN_PROGRESS_SUFFIX,
    OTHER_LABEL,
    SHARED_LABEL,
    STACK_TYPE,
    deployed_template,
    find_stack,
    is_terminal,
    list_resources,
    outputs_of,
    owners,
    stp_metadata,
)

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
DEFAULT_EXAMPLE = "queue-worker"
WORKLOAD_TYPES = {"worker-service", "web-service", "private-service", "multi-container-workload", "batch-job",
                  "function", "edge-lambda-function", "nextjs-web", "astro-web", "nuxt-web", "sveltekit-web",
                  "solidstart-web", "tanstack-web", "remix-web"}
ECS_SERVICE = "AWS::ECS::Service"


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


# --------------------------------------------------------------------------------------------- stacks


@dataclass
class StackRow:
    name: str
    status: str
    stack_id: str = ""
    reason: str = ""
    created: datetime | None = None
    updated: datetime | None = None
    stage: str = ""
    project: str = ""

    @property
    def last_changed(self) -> datetime | None:
        return self.updated or self.created


def list_stacks(aws: Aws) -> list[StackRow]:
    """Every stack of the target that is not deleted, by name."""
    cfn = aws.client("cloudformation")
    rows: list[StackRow] = []
    with translated(aws.target, aws.region, "listing stacks"):
        for page in cfn.get_paginator("describe_stacks").paginate():
            for s in page.get("Stacks") or ():
                if s.get("StackStatus") == "DELETE_COMPLETE":
                    continue
                tags = {t.get("Key"): t.get("Value") for t in s.get("Tags") or ()}
                name = s["StackName"]
                stage = tags.get("stp:stage") or ""
                project = tags.get("stp:project") or ""
                rows.append(StackRow(name, s.get("StackStatus", ""), s.get("StackId", ""),
                                     s.get("StackStatusReason") or "", _aware(s.get("CreationTime")),
                                     _aware(s.get("LastUpdatedTime")), stage, project))
    rows.sort(key=lambda r: r.name)
    return rows


# --------------------------------------------------------------------------------------------- one stack


@dataclass
class AwsResource:
    logical_id: str
    type: str
    physical_id: str = ""
    status: str = ""
    reason: str = ""
    updated: datetime | None = None


@dataclass
class ResourceGroup:
    """A config resource (or the shared/other bucket) and the AWS resources it consists of."""

    name: str
    type: str
    children: list[AwsResource] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    logical_ids: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = [c.status for c in self.children]
        if not statuses:
            return "NOT_DEPLOYED"
        for pick in (lambda s: s.endswith("_FAILED"), lambda s: s.endswith(IN_PROGRESS_SUFFIX)):
            hit = next((s for s in statuses if pick(s)), None)
            if hit:
                return hit
        return max(statuses, key=lambda s: ("DELETE" in s, "UPDATE" in s))

    @property
    def containers(self) -> list[str]:
        """Containers with a log group (``logGroup:<container>`` outputs; a function: its own name)."""
        names = []
        for what in self.outputs:
            if what.startswith("logGroup:"):
                names.append(what.partition(":")[2])
            elif what == "logGroup":
                names.append(self.name)
        return names

    @property
    def has_logs(self) -> bool:
        return bool(self.containers) or any(c.type == "AWS::Logs::LogGroup" for c in self.children)

    @property
    def is_workload(self) -> bool:
        return self.type in WORKLOAD_TYPES or any(c.type in (ECS_SERVICE, "AWS::Lambda::Function")
                                                  for c in self.children)

    def child(self, logical_id: str) -> AwsResource | None:
        return next((c for c in self.children if c.logical_id == logical_id), None)

    def services(self) -> list[AwsResource]:
        return [c for c in self.children if c.type == ECS_SERVICE]


@dataclass
class StackView:
    name: str
    stack_id: str
    status: str
    reason: str = ""
    created: datetime | None = None
    updated: datetime | None = None
    region: str = ""
    project: str = ""
    stage: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    groups: list[ResourceGroup] = field(default_factory=list)
    template: dict = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)

    def group(self, name: str) -> ResourceGroup | None:
        return next((g for g in self.groups if g.name == name), None)

    def owner_of(self, logical_id: str) -> ResourceGroup | None:
        return next((g for g in self.groups if g.child(logical_id) is not None or logical_id in g.logical_ids), None)

    @property
    def stack_outputs(self) -> dict[str, str]:
        """Outputs not shown under a resource (the config's own stackConfig.outputs)."""
        meta = stp_metadata(self.template)
        used = {lid for r in (meta.get("resources") or {}).values() for lid in (r.get("outputs") or {}).values()}
        used |= set(((meta.get("shared") or {}).get("outputs") or {}).values())
        return {k: v for k, v in self.outputs.items() if k not in used}

    def resource_template(self, name: str) -> dict:
        """The compiled template of one config resource (its resources and outputs), or of one logical id."""
        resources = self.template.get("Resources") or {}
        group = self.group(name)
        if group is None:
            if name in resources:
                return {"Resources": {name: resources[name]}}
            return {}
        ids = group.logical_ids or [c.logical_id for c in group.children]
        meta = (stp_metadata(self.template).get("resources") or {}).get(name) or {}
        outs = self.template.get("Outputs") or {}
        picked: dict[str, Any] = {"Resources": {lid: resources[lid] for lid in ids if lid in resources}}
        out_ids = set((meta.get("outputs") or {}).values())
        if out_ids:
            picked["Outputs"] = {k: v for k, v in outs.items() if k in out_ids}
        return picked

    def deployment_config(self, group: ResourceGroup) -> dict:
        """DeploymentConfiguration of the group's ECS service in the template ({} when none)."""
        resources = self.template.get("Resources") or {}
        for lid in group.logical_ids or [c.logical_id for c in group.children]:
            res = resources.get(lid) or {}
            if res.get("Type") == ECS_SERVICE:
                return dict((res.get("Properties") or {}).get("DeploymentConfiguration") or {})
        return {}

    def strategy(self, group: ResourceGroup) -> str:
        """CANARY / LINEAR / BLUE_GREEN for a gradual deployment, ROLLING for another ECS service, '' else."""
        if not any(c.type == ECS_SERVICE for c in group.children) and not self._has_service(group):
            return ""
        return str(self.deployment_config(group).get("Strategy") or "ROLLING")

    def _has_service(self, group: ResourceGroup) -> bool:
        resources = self.template.get("Resources") or {}
        return any((resources.get(lid) or {}).get("Type") == ECS_SERVICE for lid in group.logical_ids)

    def task_containers(self, group: ResourceGroup) -> list[str]:
        """Container names of the group's task definition in the template."""
        resources = self.template.get("Resources") or {}
        names: list[str] = []
        for lid in group.logical_ids or [c.logical_id for c in group.children]:
            res = resources.get(lid) or {}
            if res.get("Type") == "AWS::ECS::TaskDefinition":
                for c in (res.get("Properties") or {}).get("ContainerDefinitions") or ():
                    if isinstance(c, dict) and isinstance(c.get("Name"), str):
                        names.append(c["Name"])
        return names


def stack_view(aws: Aws, name: str) -> StackView | None:
    """The stack with each AWS resource under the config resource that made it; None when there is none."""
    stack = find_stack(aws, name)
    if stack is None:
        return None
    sid = stack["StackId"]
    reviewing = stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    template = {} if reviewing else deployed_template(aws, sid)
    rows = [] if reviewing else list_resources(aws, sid)
    return build_view(stack, template, rows, aws.region)


def build_view(stack: dict, template: dict, rows: list[dict], region: str) -> StackView:
    """A StackView from DescribeStacks, the deployed template and ListStackResources (no AWS calls)."""
    metadata = stp_metadata(template)
    values = outputs_of(stack)
    groups: dict[str, ResourceGroup] = {}
    for rname, res in (metadata.get("resources") or {}).items():
        outs = {what: values[lid] for what, lid in (res.get("outputs") or {}).items() if lid in values}
        groups[rname] = ResourceGroup(rname, res.get("type", ""), outputs=outs,
                                      logical_ids=list(res.get("logicalIds") or ()))
    shared_meta = metadata.get("shared") or {}
    shared = ResourceGroup(SHARED_LABEL, "stack-wide", logical_ids=list(shared_meta.get("logicalIds") or ()),
                           outputs={w: values[lid] for w, lid in (shared_meta.get("outputs") or {}).items()
                                    if lid in values})
    other = ResourceGroup(OTHER_LABEL, "cloudformationResources")
    owner = owners(metadata)
    for row in rows:
        lid = row.get("LogicalResourceId", "")
        child = AwsResource(lid, row.get("ResourceType", ""), row.get("PhysicalResourceId") or "",
                            row.get("ResourceStatus", ""), row.get("ResourceStatusReason") or "",
                            _aware(row.get("LastUpdatedTimestamp")))
        who = owner.get(lid)
        if who == SHARED_LABEL:
            shared.children.append(child)
        elif who in groups:
            groups[who].children.append(child)
        else:
            other.children.append(child)
    ordered = list(groups.values()) + [g for g in (shared, other) if g.children]
    tags = {t.get("Key"): t.get("Value") for t in stack.get("Tags") or ()}
    return StackView(
        name=stack["StackName"], stack_id=stack.get("StackId", ""), status=stack.get("StackStatus", ""),
        reason=stack.get("StackStatusReason") or "", created=_aware(stack.get("CreationTime")),
        updated=_aware(stack.get("LastUpdatedTime")), region=region,
        project=str(metadata.get("project") or tags.get("stp:project") or ""),
        stage=str(metadata.get("stage") or tags.get("stp:stage") or ""),
        outputs=values, groups=ordered, template=template,
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters") or ()},
    )


# --------------------------------------------------------------------------------------------- ECS tasks


@dataclass
class ContainerRow:
    name: str
    status: str = ""
    health: str = ""
    exit_code: int | None = None
    reason: str = ""
    image: str = ""


@dataclass
class TaskRow:
    task_id: str
    arn: str = ""
    status: str = ""
    desired: str = ""
    health: str = ""
    revision: str = ""
    started: datetime | None = None
    stopped_reason: str = ""
    containers: list[ContainerRow] = field(default_factory=list)


def _cluster_and_service(group: ResourceGroup, service: AwsResource) -> tuple[str, str]:
    sid = service.physical_id
    if sid.startswith("arn:") and sid.count("/") >= 2:  # arn:aws:ecs:r:a:service/cluster/name
        _, cluster, name = sid.rsplit("/", 2)
        return cluster, sid
    cluster = next((c.physical_id for c in group.children if c.type == "AWS::ECS::Cluster"), "")
    return cluster, sid


def service_tasks(aws: Aws, group: ResourceGroup, service: AwsResource | None = None) -> list[TaskRow]:
    """Running (and recently stopped) tasks of the group's ECS service, each with its containers."""
    services = [service] if service is not None else group.services()
    ecs = aws.client("ecs")
    tasks: list[TaskRow] = []
    for svc in services:
        if not svc or not svc.physical_id:
            continue
        cluster, sid = _cluster_and_service(group, svc)
        if not cluster:
            continue
        with translated(aws.target, aws.region, f"listing the tasks of {svc.logical_id}"):
            arns: list[str] = []
            for status in ("RUNNING", "STOPPED"):
                try:
                    arns += ecs.list_tasks(cluster=cluster, serviceName=sid.rsplit("/", 1)[-1],
                                           desiredStatus=status).get("taskArns") or []
                except Exception as exc:  # noqa: BLE001
                    if error_code(exc) in ("ServiceNotFoundException", "ClusterNotFoundException"):
                        break
                    raise
            for i in range(0, len(arns), 100):
                described = ecs.describe_tasks(cluster=cluster, tasks=arns[i:i + 100]).get("tasks") or ()
                for t in described:
                    tasks.append(_task_row(t))
    tasks.sort(key=lambda t: (t.status != "RUNNING", t.started or datetime.min.replace(tzinfo=timezone.utc)))
    return tasks


def _task_row(t: dict) -> TaskRow:
    arn = t.get("taskArn", "")
    revision = str(t.get("taskDefinitionArn", "")).rsplit(":", 1)[-1]
    containers = [ContainerRow(c.get("name", ""), c.get("lastStatus", ""), c.get("healthStatus", "") or "",
                               c.get("exitCode"), c.get("reason", "") or "", c.get("image", "") or "")
                  for c in t.get("containers") or ()]
    return TaskRow(arn.rsplit("/", 1)[-1], arn, t.get("lastStatus", ""), t.get("desiredStatus", ""),
                   t.get("healthStatus", "") or "", revision, _aware(t.get("startedAt") or t.get("createdAt")),
                   t.get("stoppedReason", "") or "", containers)


# --------------------------------------------------------------------------------------------- events


def events_since(aws: Aws, stack_id: str, after: str | None = None, limit_pages: int = 20) -> list[dict]:
    """Stack events newer than the event ``after`` (all of them when None), oldest first."""
    cfn = aws.client("cloudformation")
    new: list[dict] = []
    token = None
    with translated(aws.target, aws.region, "reading the stack's events"):
        for _ in range(limit_pages):
            page = cfn.describe_stack_events(StackName=stack_id, **({"NextToken": token} if token else {}))
            stop = False
            for e in page.get("StackEvents") or ():
                if after is not None and e.get("EventId") == after:
                    stop = True
                    break
                new.append(e)
            token = page.get("NextToken")
            if stop or not token:
                break
    new.reverse()
    return new


def stack_status(aws: Aws, stack_id: str) -> tuple[str, str]:
    with translated(aws.target, aws.region, "reading the stack"):
        s = aws.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]
    return s.get("StackStatus", ""), s.get("StackStatusReason") or ""


# --------------------------------------------------------------------------------------------- deploy


@dataclass
class DiffRow:
    action: str  # Add | Modify | Remove | Import | Dynamic
    owner: str
    logical_id: str
    type: str
    replacement: str  # "REPLACE" | "may replace" | ""
    properties: list[str] = field(default_factory=list)

    @property
    def sign(self) -> str:
        return {"Add": "+", "Modify": "~", "Remove": "-", "Import": ">", "Dynamic": "?"}.get(self.action, "?")

    @property
    def replaces(self) -> bool:
        return self.replacement == "REPLACE"


def diff_rows(changes: list) -> list[DiffRow]:
    """Rows of a change set (core.aws.deploy.Change list), by owner then action, replacements marked."""
    order = ["Add", "Modify", "Remove", "Import", "Dynamic"]
    rows = []
    for c in sorted(changes, key=lambda c: (c.owner == "-", c.owner.startswith("("), c.owner,
                                            order.index(c.action) if c.action in order else 9, c.logical_id)):
        repl = {"True": "REPLACE", "Conditional": "may replace"}.get(c.replacement, "")
        rows.append(DiffRow(c.action, c.owner, c.logical_id, c.type, repl, list(c.properties)))
    return rows


def diff_summary(rows: list[DiffRow]) -> dict[str, int]:
    return {"add": sum(r.action == "Add" for r in rows), "modify": sum(r.action == "Modify" for r in rows),
            "remove": sum(r.action == "Remove" for r in rows), "replace": sum(r.replaces for r in rows)}


@dataclass
class DeployPlan:
    """The outcome of planning: a change set to review (``plan``), or nothing to do (``plan`` None)."""

    prepared: Any  # core.aws.deploy.Prepared
    plan: Any | None  # core.aws.deploy.Plan
    rows: list[DiffRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    up_to_date: str = ""  # why nothing is to be done

    @property
    def stack(self) -> str:
        return self.prepared.stack


class _Notes(io.StringIO):
    """A Console stream whose lines are collected for the dashboard."""


def _quiet_console():
    from core.aws.console import Console

    return Console(out=_Notes(), err=_Notes(), color=False, interactive=False)


def _console_lines(console) -> list[str]:
    return [line for line in (console.out.getvalue() + console.err.getvalue()).splitlines() if line.strip()]


def prepare(config_path: str | Path, stage: str, region: str, project: str | None = None):
    """Validate and compile a config into a core.aws.deploy.Prepared; AwsProblem lists what is wrong."""
    from core.analysis import analyze
    from core.aws.deploy import Prepared
    from core.compile import CompileError, compile_stack

    path = Path(config_path)
    if path.is_dir():
        found = next((path / n for n in ("stacktape.yml", "stacktape.yaml") if (path / n).is_file()), None)
        if found is None:
            raise AwsProblem(f"no stacktape.yml in {path}")
        path = found
    if not path.is_file():
        raise AwsProblem(f"{path}: no such file")
    if not re.fullmatch(r"[A-Za-z0-9][-A-Za-z0-9]*", stage or ""):
        raise AwsProblem(f"stage {stage!r}: use letters, digits and dashes")
    analysis = analyze(path.read_text(encoding="utf-8"))
    errors = [d for d in analysis.diagnostics if d.severity == "error"]
    if errors or not analysis.ok:
        lines = [f"{path.name}:{d.span.line + 1}:{d.span.col + 1}: {d.message}" for d in errors[:10]]
        raise AwsProblem("the config has errors:\n" + "\n".join(lines))
    if not project:
        service = getattr(analysis.config, "serviceName", None) if analysis.config is not None else None
        project = str(service) if service and not str(service).startswith("$") else \
            (re.sub(r"[^A-Za-z0-9]+", "-", path.resolve().parent.name).strip("-") or "stp")
    try:
        result = compile_stack(analysis, stage, project, region)
    except CompileError as exc:
        raise AwsProblem("cannot compile the config:\n" + "\n".join(str(p) for p in exc.problems)) from None
    return Prepared(path, analysis, result, project, stage)


def missing_secrets(aws: Aws, template: dict) -> list[str]:
    """Names of secrets the template reads that do not exist."""
    from core.aws import secrets

    problems = secrets.check_references(aws, template)
    names = []
    for p in problems:
        m = re.match(r"secret '([^']+)' does not exist", p)
        if m:
            names.append(m.group(1))
    return names


def create_placeholder_secrets(aws: Aws, template: dict) -> list[str]:
    """Local AWS only: create each missing secret with a placeholder value for every key the template reads."""
    from core.aws import secrets

    if not aws.local:
        raise AwsProblem("placeholder secrets are only made in the local AWS")
    refs = secrets.references(template)
    made = []
    for name in missing_secrets(aws, template):
        ref = refs.get(name)
        value = json.dumps({k: "local-placeholder" for k in sorted(ref.keys)}) if ref and ref.keys else "local-placeholder"
        secrets.set_secret(aws, name, value, "placeholder made by stp-tui for the local AWS")
        made.append(name)
    return made


def plan_deploy(aws: Aws, prepared) -> DeployPlan:
    """The checks and the change set of `stp deploy`, as data (nothing is executed)."""
    from core.aws.deploy import check_updatable, create_plan, stage, template_argument

    console = _quiet_console()
    name = prepared.stack
    stack = find_stack(aws, name)
    if stack is not None:
        if stack["StackStatus"] == "ROLLBACK_COMPLETE":
            raise AwsProblem(f"stack {name} is ROLLBACK_COMPLETE (its first creation failed): delete it first"
                             " (`stp delete`), then deploy again")
        check_updatable(stack, name)
    staged = stage(aws, prepared, stack, console)
    if staged.unchanged:
        return DeployPlan(prepared, None, notes=_console_lines(console),
                          up_to_date=f"no changes: {name} is up to date ({stack['StackStatus']})")
    template_arg = template_argument(prepared, staged.bucket, console)
    plan = create_plan(aws, prepared, stack, template_arg, staged.parameters, staged.tags, console)
    if plan is None:
        return DeployPlan(prepared, None, notes=_console_lines(console), up_to_date=f"no changes: {name} is up to date")
    return DeployPlan(prepared, plan, diff_rows(plan.changes), _console_lines(console))


def discard_plan(aws: Aws, plan) -> None:
    from core.aws.deploy import discard

    discard(aws, plan)


def last_event_id(aws: Aws, stack_id: str) -> str | None:
    with translated(aws.target, aws.region, "reading the stack's events"):
        page = aws.client("cloudformation").describe_stack_events(StackName=stack_id).get("StackEvents") or ()
    return page[0]["EventId"] if page else None


def execute_plan(aws: Aws, plan) -> str | None:
    """Execute the change set; returns the id of the newest event before it (for ``events_since``)."""
    marker = last_event_id(aws, plan.stack_id)
    with translated(aws.target, aws.region, "executing the change set"):
        aws.client("cloudformation").execute_change_set(StackName=plan.stack_id, ChangeSetName=plan.change_set)
    return marker


def is_stack_event(event: dict, stack_name: str) -> bool:
    return event.get("ResourceType") == STACK_TYPE and event.get("LogicalResourceId") == stack_name


def settled(event: dict, stack_name: str) -> bool:
    """The event that ends an operation on the stack."""
    return is_stack_event(event, stack_name) and is_terminal(event.get("ResourceStatus", ""))


def cancel_deploy(aws: Aws, stack_id: str) -> str:
    """Cancel what runs on the stack: an update is rolled back, a creation deleted. Returns what was done."""
    status, _ = stack_status(aws, stack_id)
    cfn = aws.client("cloudformation")
    if status == "UPDATE_IN_PROGRESS":
        call, done, what = cfn.cancel_update_stack, "cancel requested: CloudFormation rolls the update back", \
            "CancelUpdateStack"
    elif status == "CREATE_IN_PROGRESS":
        call, done, what = cfn.delete_stack, "deleting the half-created stack", "DeleteStack"
    else:
        raise AwsProblem(f"the stack is {status}: it can no longer be cancelled")
    try:
        with translated(aws.target, aws.region, "cancelling the deployment"):
            try:
                call(StackName=stack_id)
            except Exception as exc:  # noqa: BLE001
                if not error_code(exc) and not isinstance(exc, AwsProblem) and "Parser" in type(exc).__name__:
                    raise AwsProblem(f"{aws.describe()} does not support {what}: the deployment goes on") from None
                raise
    except AwsProblem:
        raise
    return done


# --------------------------------------------------------------------------------------------- logs


class LogTail:
    """Log events of some sources: ``history(start)`` once, then ``poll()`` for each new event once.

    The data version of core.aws.logs.follow_polling: every poll reads from FOLLOW_LAG_MS before the
    newest event seen, and a set of recent event ids keeps the overlap from being returned twice.
    """

    def __init__(self, aws: Aws, sources: list, start_ms: int, end_ms: int | None = None):
        from core.aws.logs import Recent

        self.aws = aws
        self.sources = sources
        self.start = start_ms
        self.end = end_ms  # a closed range: history only, nothing to follow
        self.newest = start_ms
        self.recent = Recent()

    @staticmethod
    def _key(e: tuple) -> tuple:
        return (e[2], e[5] or (e[3], e[0], e[4]))

    def history(self, limit: int | None = None) -> list[tuple]:
        from core.aws.logs import FOLLOW_LAG_MS, fetch

        # parallel per-stream queries pay off on AWS; the local AWS answers one query per group faster
        events = fetch(self.aws, self.sources, self.start, self.end, None, split=not self.aws.local)
        if limit is not None and len(events) > limit:
            events = events[-limit:]
        if events:
            self.newest = max(self.newest, events[-1][0])
        for e in events:
            if e[0] >= self.newest - FOLLOW_LAG_MS:
                self.recent.add(self._key(e), e[0])
        return events

    def poll(self) -> list[tuple]:
        from core.aws.logs import FOLLOW_LAG_MS, fetch

        if self.end is not None:
            return []
        window = max(self.start, self.newest - FOLLOW_LAG_MS)
        batch = fetch(self.aws, self.sources, window, None, None, split=False)
        fresh = [e for e in batch if self.recent.add(self._key(e), e[0])]
        if fresh:
            self.newest = max(self.newest, max(e[0] for e in fresh))
            self.recent.prune(self.newest - FOLLOW_LAG_MS - 1000)
        return fresh


def log_sources(aws: Aws, stack: str, resource: str, container: str | None = None) -> list:
    from core.aws.logs import find_sources

    return find_sources(aws, stack, resource, container)


# --------------------------------------------------------------------------------------------- rollouts

LIFECYCLE_STAGES = ["RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
                    "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT",
                    "BAKE_TIME", "CLEAN_UP"]
ACTIVE_DEPLOYMENT = {"PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "STOP_REQUESTED"}


@dataclass
class HookStep:
    stage: str
    hook: str = ""  # the function (or ARN) run at this stage, "" for a plain stage
    state: str = "pending"  # done | active | pending | failed | skipped


@dataclass
class RolloutState:
    resource: str
    strategy: str  # CANARY | LINEAR | BLUE_GREEN | ROLLING
    describe: str  # e.g. "10% first, the rest after 5 min"
    stage: str = ""
    service: str = ""
    cluster: str = ""
    status: str = "IDLE"  # IDLE | IN_PROGRESS | SUCCESSFUL | ROLLBACK_IN_PROGRESS | ...
    lifecycle_stage: str = ""
    deployment_id: str = ""
    started: datetime | None = None
    old_percent: float = 100.0
    new_percent: float = 0.0
    old_label: str = "current"
    new_label: str = "new"
    next_shift_at: datetime | None = None
    next_shift_to: float | None = None
    bake_minutes: int | None = None
    hooks: list[HookStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = "ecs"  # "rollouts" when core.aws.rollouts gave the state
    raw: Any = field(default=None, repr=False, compare=False)  # the core.aws.rollouts.Rollout behind it

    @property
    def in_progress(self) -> bool:
        return self.status in ACTIVE_DEPLOYMENT

    @property
    def can_rollback(self) -> bool:
        return self.in_progress and self.status not in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS",
                                                        "STOP_REQUESTED") and bool(self.deployment_id)


def _strategy_words(config: dict) -> tuple[str, str]:
    strategy = str(config.get("Strategy") or config.get("strategy") or "ROLLING").upper()
    canary = config.get("CanaryConfiguration") or config.get("canaryConfiguration") or {}
    linear = config.get("LinearConfiguration") or config.get("linearConfiguration") or {}
    if strategy == "CANARY":
        pct = canary.get("CanaryPercent", canary.get("canaryPercent", 10))
        mins = canary.get("CanaryBakeTimeInMinutes", canary.get("canaryBakeTimeInMinutes", "?"))
        return strategy, f"{float(pct):g}% first, the rest after {mins} min"
    if strategy == "LINEAR":
        pct = linear.get("StepPercent", linear.get("stepPercent", 10))
        mins = linear.get("StepBakeTimeInMinutes", linear.get("stepBakeTimeInMinutes", "?"))
        return strategy, f"{float(pct):g}% more every {mins} min"
    if strategy == "BLUE_GREEN":
        return strategy, "new revision beside the old one, then all traffic at once"
    return "ROLLING", "tasks replaced in place (rolling update, no traffic shifting)"


def _hook_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1] if ":function:" in arn else arn


def _rollouts_module():
    try:
        from core.aws import (
            rollouts,  # written by another part of the project; optional here
        )
    except ImportError:
        return None
    if not all(callable(getattr(rollouts, n, None)) for n in ("current_rollout", "stop_rollout")):
        return None
    return rollouts


def rollout_state(aws: Aws, view: StackView, resource: str, now: datetime | None = None) -> RolloutState:
    """The deployment of a workload: strategy, traffic split, lifecycle stage, hooks.

    From core.aws.rollouts (ListServiceDeployments / DescribeServiceDeployments / the listener rule) when that
    module exists and the endpoint answers those APIs; else from DescribeServices and the listener rule, with a
    note saying what is missing."""
    group = view.group(resource)
    if group is None:
        raise AwsProblem(f"stack {view.name} has no resource '{resource}'")
    services = group.services()
    if not services:
        raise AwsProblem(f"'{resource}' ({group.type}) is not an ECS service: it has no rollouts")
    rollouts = _rollouts_module()
    if rollouts is None:
        return _from_ecs(aws, view, group, services[0], now, "core/aws/rollouts.py is not available: showing what"
                         " ECS and the load balancer report (no hook history; the next shift is estimated)")
    cluster, sid = _cluster_and_service(group, services[0])
    ref = rollouts.ServiceRef(resource, cluster or "default", sid)
    scale = rollouts.time_scale(aws) if callable(getattr(rollouts, "time_scale", None)) else 1.0
    try:
        found = rollouts.current_rollout(aws, ref, scale, now=now)
    except AwsProblem as exc:
        if "does not exist" in str(exc):
            raise
        return _from_ecs(aws, view, group, services[0], now, f"service deployments are not readable here ({exc});"
                         " showing what DescribeServices reports")
    if found is None:
        return _from_ecs(aws, view, group, services[0], now, "no service deployment recorded yet")
    return _adapt(found, view, group, now or datetime.now(timezone.utc))


def _adapt(r: Any, view: StackView, group: ResourceGroup, now: datetime) -> RolloutState:
    """core.aws.rollouts.Rollout → RolloutState."""
    config = {k[0].lower() + k[1:]: v for k, v in view.deployment_config(group).items()}
    config["strategy"] = r.strategy or config.get("strategy")
    strategy, words = _strategy_words(config)
    status = r.status or "IDLE"
    if r.traffic_new is not None:
        old, new = float(r.traffic_old or 0.0), float(r.traffic_new)
    elif status == "SUCCESSFUL":
        old, new = 0.0, 100.0
    else:
        old, new = 100.0, 0.0
    scale = getattr(r, "time_scale", 1.0) or 1.0
    state = RolloutState(
        resource=group.name, strategy=strategy, describe=words, stage=view.stage, service=str(r.service),
        cluster=str(r.cluster), status=status, lifecycle_stage=r.stage or "", deployment_id=r.deployment_arn,
        started=_aware(r.started_at or r.created_at), old_percent=old, new_percent=new,
        old_label=_revision(r.old_task_definition, "old"), new_label=_revision(r.new_task_definition, "new"),
        bake_minutes=config.get("bakeTimeInMinutes"), source="rollouts", raw=r)
    if r.next_shift_in is not None:
        state.next_shift_at = now + timedelta(seconds=max(0.0, r.next_shift_in) / scale)
        if strategy == "CANARY":
            state.next_shift_to = 100.0
        elif strategy == "LINEAR":
            step = (config.get("linearConfiguration") or {}).get("StepPercent") or \
                (config.get("linearConfiguration") or {}).get("stepPercent") or 10
            state.next_shift_to = min(100.0, new + float(step))
    if r.bake_left is not None:
        state.notes.append(f"bake time left ~{int(r.bake_left // 60)}m {int(r.bake_left % 60):02d}s"
                           + (f" (simulated, time scale {scale:g}x)" if scale != 1 else ""))
    if scale != 1 and r.next_shift_in is not None:
        state.notes.append(f"the local AWS runs {scale:g}x faster than real time: times are real")
    if r.status_reason and status != "SUCCESSFUL":
        state.notes.append(str(r.status_reason))
    failed = status.startswith("ROLLBACK") or status in ("STOPPED", "STOP_REQUESTED")
    state.hooks = _hooks_from_config(config, state.lifecycle_stage, failed=failed and bool(state.lifecycle_stage),
                                     finished=status == "SUCCESSFUL")
    physical = {c.logical_id: c.physical_id for g in view.groups for c in g.children}
    for step in state.hooks:
        if step.hook in physical:
            step.hook = _hook_name(physical[step.hook])
    by_target = {}
    for h in r.hooks or ():
        target = h.get("targetArn") or ""
        by_target[_hook_name(target)] = str(h.get("status") or "")
    for step in state.hooks:
        verdict = by_target.get(step.hook)
        if verdict:
            step.hook = f"{step.hook} ({verdict.lower()})"
            if verdict in ("FAILED", "TIMED_OUT"):
                step.state = "failed"
    return state


def _revision(task_definition: str | None, fallback: str) -> str:
    if not task_definition:
        return fallback
    rev = task_definition.rsplit(":", 1)[-1]
    return f"{fallback} rev {rev}" if rev.isdigit() else fallback


def _hooks_from_config(config: dict, current: str, failed: bool = False, finished: bool = False) -> list[HookStep]:
    hooks: dict[str, str] = {}
    for h in config.get("LifecycleHooks") or config.get("lifecycleHooks") or ():
        arn = h.get("HookTargetArn") or h.get("hookTargetArn") or ""
        name = _hook_name(arn) if isinstance(arn, str) else _ref_name(arn)
        for st in h.get("LifecycleStages") or h.get("lifecycleStages") or ():
            hooks[st] = name
    steps = []
    idx = LIFECYCLE_STAGES.index(current) if current in LIFECYCLE_STAGES else (len(LIFECYCLE_STAGES) if finished else -1)
    for i, st in enumerate(LIFECYCLE_STAGES):
        if i < idx:
            state = "done"
        elif i == idx:
            state = "failed" if failed else ("done" if finished else "active")
        else:
            state = "pending"
        steps.append(HookStep(st, hooks.get(st, ""), state))
    return steps


def _ref_name(value: Any) -> str:
    if isinstance(value, dict):
        inner = value.get("Fn::GetAtt") or value.get("Ref") or ""
        if isinstance(inner, list) and inner:
            return str(inner[0])
        return str(inner)
    return str(value)


def _from_ecs(aws: Aws, view: StackView, group: ResourceGroup, service: AwsResource, now: datetime | None,
              note: str = "") -> RolloutState:
    ecs = aws.client("ecs")
    cluster, sid = _cluster_and_service(group, service)
    with translated(aws.target, aws.region, f"reading the service of {group.name}"):
        described = ecs.describe_services(cluster=cluster, services=[sid]).get("services") or []
    if not described:
        raise AwsProblem(f"the ECS service of '{group.name}' was not found")
    svc = described[0]
    config = svc.get("deploymentConfiguration") or {}
    if not config.get("strategy"):
        config = {**config, **{k[0].lower() + k[1:]: v for k, v in view.deployment_config(group).items()}}
    strategy, words = _strategy_words(config)
    state = RolloutState(group.name, strategy, words, stage=view.stage, service=svc.get("serviceName", ""),
                         cluster=cluster, bake_minutes=config.get("bakeTimeInMinutes"))
    if note:
        state.notes.append(note)
    deployment = None
    deployments = svc.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if deployment is not None:
        state.deployment_id = deployment.get("serviceDeploymentArn", "")
        state.status = deployment.get("status", "") or "IDLE"
        state.lifecycle_stage = deployment.get("lifecycleStage", "") or ""
        state.started = _aware(deployment.get("startedAt") or deployment.get("createdAt"))
    elif primary is not None:
        rollout = primary.get("rolloutState") or ""
        state.deployment_id = primary.get("id", "")
        state.status = {"COMPLETED": "SUCCESSFUL", "IN_PROGRESS": "IN_PROGRESS", "FAILED": "ROLLBACK_SUCCESSFUL"}.get(
            rollout, rollout or "IDLE")
        state.started = _aware(primary.get("createdAt"))
    weights = _listener_weights(aws, svc)
    if weights is not None and state.in_progress:
        current, alternate = weights
        total = (current + alternate) or 100
        state.old_percent, state.new_percent = 100.0 * current / total, 100.0 * alternate / total
    elif state.in_progress and len(deployments) > 1 and primary is not None:
        running = sum(d.get("runningCount", 0) for d in deployments) or 1
        state.new_percent = 100.0 * primary.get("runningCount", 0) / running
        state.old_percent = 100.0 - state.new_percent
        state.old_label, state.new_label = "old tasks", "new tasks"
    finished = state.status in ("SUCCESSFUL", "IDLE")
    state.hooks = _hooks_from_config(config, state.lifecycle_stage, failed=state.status.startswith("ROLLBACK")
                                     or state.status == "STOPPED", finished=finished)
    if state.in_progress and state.started and strategy in ("CANARY", "LINEAR"):
        key = "canaryConfiguration" if strategy == "CANARY" else "linearConfiguration"
        step = (config.get(key) or {})
        minutes = step.get("canaryBakeTimeInMinutes") or step.get("stepBakeTimeInMinutes")
        pct = step.get("canaryPercent") or step.get("stepPercent") or 10
        if minutes:
            now = now or datetime.now(timezone.utc)
            elapsed = (now - state.started).total_seconds() / 60
            steps_done = int(elapsed // float(minutes)) + 1
            state.next_shift_at = state.started + timedelta(minutes=float(minutes) * steps_done)
            state.next_shift_to = 100.0 if strategy == "CANARY" else min(100.0, float(pct) * (steps_done + 1))
    return state


def _listener_weights(aws: Aws, svc: dict) -> tuple[float, float] | None:
    """(weight of the production target group, weight of the alternate one) on the production rule."""
    for lb in svc.get("loadBalancers") or ():
        adv = lb.get("advancedConfiguration") or {}
        rule = adv.get("productionListenerRule")
        if not rule:
            continue
        try:
            rules = aws.client("elbv2").describe_rules(RuleArns=[rule]).get("Rules") or []
        except Exception:  # noqa: BLE001 - the split is a nice-to-have
            return None
        for r in rules:
            for action in r.get("Actions") or ():
                groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
                if len(groups) >= 2:
                    by_arn = {g.get("TargetGroupArn"): float(g.get("Weight", 0)) for g in groups}
                    return by_arn.get(lb.get("targetGroupArn"), 0.0), by_arn.get(adv.get("alternateTargetGroupArn"),
                                                                                   0.0)
    return None


def rollback(aws: Aws, state: RolloutState) -> str:
    """Roll the in-progress deployment back (StopServiceDeployment, stopType ROLLBACK)."""
    if not state.can_rollback:
        raise AwsProblem(f"'{state.resource}' has no deployment in progress to roll back")
    rollouts = _rollouts_module()
    if rollouts is not None and state.raw is not None:
        rollouts.stop_rollout(aws, state.raw)
        return f"rollback of '{state.resource}' requested: traffic moves back to the old revision"
    if not state.deployment_id.startswith("arn:"):
        raise AwsProblem("this endpoint reports no service deployment to stop; roll back by deploying the previous"
                         " version")
    with translated(aws.target, aws.region, "rolling back"):
        aws.client("ecs").stop_service_deployment(serviceDeploymentArn=state.deployment_id, stopType="ROLLBACK")
    return f"rollback of '{state.resource}' requested: traffic moves back to the old revision"


# --------------------------------------------------------------------------------------------- examples


def example_config(name: str = DEFAULT_EXAMPLE) -> Path:
    return EXAMPLES / name / "stacktape.yml"


def wait(seconds: float, cancelled: Callable[[], bool]) -> bool:
    """Sleep in small steps; False when ``cancelled()`` became true meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cancelled():
            return False
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
    return not cancelled()


__all__ = ["AwsResource", "ContainerRow", "DeployPlan", "DiffRow", "HookStep", "LogTail", "ResourceGroup",
           "RolloutState", "StackRow", "StackView", "TaskRow", "build_view", "cancel_deploy", "create_placeholder_secrets",
           "diff_rows", "diff_summary", "discard_plan", "error_message", "events_since", "example_config",
           "execute_plan", "list_stacks", "log_sources", "missing_secrets", "plan_deploy", "prepare", "rollback",
           "rollout_state", "service_tasks", "stack_status", "stack_view"]

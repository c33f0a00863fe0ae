"""Stacks: find one, read it back grouped by config resource, follow its events, delete it.

The compiler writes ``Metadata.Stp`` into every template: for each config resource its type, the
logical ids it produced and its outputs (see core/compile/compiler.py). Reading that back from the
deployed template is how `stp info` groups the physical AWS resources under the resource that
owns them, and how `stp logs` finds a workload's log groups.

Events are polled with ``describe_stack_events`` (newest first) and de-duplicated by EventId: a
poll pages back until it meets an event already seen, so a poll that fails half-way, or a dropped
connection, neither loses nor repeats one. The interval starts short and backs off while nothing
happens (``Backoff``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.aws.console import Console
from core.aws.session import (
    Aws,
    AwsProblem,
    error_code,
    error_message,
    is_transient,
    translated,
)

STACK_TYPE = "AWS::CloudFormation::Stack"
SHARED_LABEL = "(shared)"
OTHER_LABEL = "(other)"
IN_PROGRESS_SUFFIX = "_IN_PROGRESS"
OK_STATUSES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
# a stack in one of these cannot take a change set now
BUSY = "is busy"


def stack_name(project: str, stage: str) -> str:
    return f"{project}-{stage}"


def is_terminal(status: str) -> bool:
    return not status.endswith(IN_PROGRESS_SUFFIX)


# --------------------------------------------------------------------------------------------- reading


def find_stack(aws: Aws, name: str) -> dict | None:
    """The stack as DescribeStacks reports it, or None when there is none (deleted stacks: by id only)."""
    cfn = aws.client("cloudformation")
    try:
        with translated(aws.target, aws.region, "reading the stack"):
            try:
                return cfn.describe_stacks(StackName=name)["Stacks"][0]
            except Exception as exc:
                if error_code(exc) == "ValidationError" and "does not exist" in error_message(exc):
                    return None
                raise
    except IndexError:
        return None


def deployed_template(aws: Aws, stack: str) -> dict:
    with translated(aws.target, aws.region, "reading the deployed template"):
        body = aws.client("cloudformation").get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    return dict(body) if isinstance(body, dict) else {}


def stp_metadata(template: dict) -> dict:
    meta = (template.get("Metadata") or {}).get("Stp")
    return meta if isinstance(meta, dict) else {}


def owners(metadata: dict) -> dict[str, str]:
    """Logical id → the config resource that produced it (SHARED_LABEL for the VPC and such)."""
    found: dict[str, str] = {}
    for name, res in (metadata.get("resources") or {}).items():
        for lid in res.get("logicalIds") or ():
            found[lid] = name
    for lid in (metadata.get("shared") or {}).get("logicalIds") or ():
        found.setdefault(lid, SHARED_LABEL)
    return found


def list_resources(aws: Aws, stack: str) -> list[dict]:
    cfn = aws.client("cloudformation")
    rows: list[dict] = []
    with translated(aws.target, aws.region, "listing the stack's resources"):
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
            rows.extend(page.get("StackResourceSummaries") or ())
    return rows


def outputs_of(stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs") or ()}


@dataclass
class ResourceView:
    name: str
    type: str
    children: list[dict] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # what (e.g. queueUrl) → value

    @property
    def status(self) -> str:
        statuses = [c.get("ResourceStatus", "") for c in self.children]
        if not statuses:
            return "NOT_DEPLOYED"
        for pick in (lambda s: s.endswith("_FAILED"), lambda s: s.endswith(IN_PROGRESS_SUFFIX)):
            hit = next((s for s in statuses if pick(s)), None)
            if hit:
                return hit
        return max(statuses, key=lambda s: ("DELETE" in s, "UPDATE" in s))

    def to_json(self) -> dict:
        return {
            "name": self.name, "type": self.type, "status": self.status, "outputs": self.outputs,
            "children": [{"logicalId": c.get("LogicalResourceId"), "type": c.get("ResourceType"),
                          "physicalId": c.get("PhysicalResourceId"), "status": c.get("ResourceStatus"),
                          **({"reason": c["ResourceStatusReason"]} if c.get("ResourceStatusReason") else {}),
                          "lastUpdated": _iso(c.get("LastUpdatedTimestamp"))} for c in self.children],
        }


@dataclass
class StackInfo:
    stack: dict
    metadata: dict
    resources: list[ResourceView]
    region: str

    @property
    def name(self) -> str:
        return self.stack["StackName"]

    @property
    def status(self) -> str:
        return self.stack["StackStatus"]

    @property
    def last_updated(self) -> datetime | None:
        return self.stack.get("LastUpdatedTime") or self.stack.get("CreationTime")

    def stack_outputs(self) -> dict[str, str]:
        """Outputs not shown under a resource (the config's own stackConfig.outputs)."""
        used = {lid for r in (self.metadata.get("resources") or {}).values() for lid in (r.get("outputs") or {}).values()}
        used |= set(((self.metadata.get("shared") or {}).get("outputs") or {}).values())
        return {k: v for k, v in outputs_of(self.stack).items() if k not in used}

    def resource(self, name: str) -> ResourceView | None:
        return next((r for r in self.resources if r.name == name), None)

    def to_json(self) -> dict:
        return {
            "stackName": self.name, "stackId": self.stack.get("StackId"), "region": self.region,
            "status": self.status, "statusReason": self.stack.get("StackStatusReason"),
            "created": _iso(self.stack.get("CreationTime")), "lastUpdated": _iso(self.last_updated),
            "project": self.metadata.get("project"), "stage": self.metadata.get("stage"),
            "outputs": outputs_of(self.stack),
            "resources": [r.to_json() for r in self.resources],
        }


def stack_info(aws: Aws, name: str) -> StackInfo | None:
    stack = find_stack(aws, name)
    if stack is None:
        return None
    sid = stack["StackId"]
    metadata = stp_metadata(deployed_template(aws, sid)) if stack["StackStatus"] != "REVIEW_IN_PROGRESS" else {}
    rows = list_resources(aws, sid) if stack["StackStatus"] != "REVIEW_IN_PROGRESS" else []
    values = outputs_of(stack)
    views: dict[str, ResourceView] = {}
    for rname, res in (metadata.get("resources") or {}).items():
        outs = {what: values[lid] for what, lid in (res.get("outputs") or {}).items() if lid in values}
        views[rname] = ResourceView(rname, res.get("type", ""), outputs=outs)
    shared = metadata.get("shared") or {}
    shared_view = ResourceView(SHARED_LABEL, "stack-wide",
                               outputs={w: values[lid] for w, lid in (shared.get("outputs") or {}).items() if lid in values})
    other = ResourceView(OTHER_LABEL, "cloudformationResources")
    owner = owners(metadata)
    for row in rows:
        who = owner.get(row.get("LogicalResourceId", ""))
        view = views.get(who) if who and who != SHARED_LABEL else (shared_view if who == SHARED_LABEL else other)
        (view or other).children.append(row)
    ordered = list(views.values()) + [v for v in (shared_view, other) if v.children]
    return StackInfo(stack, metadata, ordered, aws.region)


def _iso(value) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def ago(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "never"
    now = now or datetime.now(UTC)
    seconds = max(0, int((now - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def status_style(status: str) -> str:
    if status.endswith("_FAILED") or "ROLLBACK" in status:
        return "red" if status.endswith(("_FAILED", "ROLLBACK_COMPLETE")) else "magenta"
    if status.endswith(IN_PROGRESS_SUFFIX):
        return "yellow"
    if status.endswith("_COMPLETE"):
        return "green"
    return "dim"


def render_info(info: StackInfo, console: Console) -> None:
    p = console.paint
    when = info.last_updated
    stamp = f"{_iso(when)} ({ago(when)})" if when else "?"
    console.say(f"{p(info.name, 'bold')}  {p(info.status, status_style(info.status))}  last updated {stamp}")
    if info.stack.get("StackStatusReason"):
        console.say(f"  {p(info.stack['StackStatusReason'], 'dim')}")
    console.say(f"  region {info.region}, stack id {info.stack.get('StackId')}")
    extra = info.stack_outputs()
    if extra:
        console.say("outputs:")
        width = max(len(k) for k in extra)
        for k, v in extra.items():
            console.say(f"  {k.ljust(width)}  {v}")
    if not info.resources:
        console.say("no resources yet")
        return
    console.say("resources:")
    lid_w = max((len(c.get("LogicalResourceId", "")) for r in info.resources for c in r.children), default=10)
    type_w = max((len(c.get("ResourceType", "")) for r in info.resources for c in r.children), default=10)
    for r in info.resources:
        console.say(f"  {p(r.name, 'bold')}  {p(r.type, 'cyan')}  {p(r.status, status_style(r.status))}")
        for what, value in r.outputs.items():
            console.say(f"    {p(what + ':', 'dim')} {value}")
        for c in r.children:
            status = c.get("ResourceStatus", "")
            line = (f"    {c.get('LogicalResourceId', '').ljust(lid_w)}  {c.get('ResourceType', '').ljust(type_w)}"
                    f"  {p(status.ljust(22), status_style(status))}  {c.get('PhysicalResourceId') or '-'}")
            console.say(line.rstrip())
            if c.get("ResourceStatusReason") and status.endswith("_FAILED"):
                console.say(f"      {p(c['ResourceStatusReason'], 'red')}")


# --------------------------------------------------------------------------------------------- events


class Backoff:
    """Polling interval: short while things happen, growing while nothing does, never above ``cap``."""

    def __init__(self, start: float = 0.25, factor: float = 1.6, cap: float = 5.0):
        self.start, self.factor, self.cap = start, factor, cap
        self.delay = start

    def next(self, busy: bool) -> float:
        self.delay = self.start if busy else min(self.cap, self.delay * self.factor)
        return self.delay


def default_backoff(aws: Aws) -> Backoff:
    return Backoff(0.1, 1.5, 1.0) if aws.local else Backoff(0.5, 1.5, 5.0)


class EventStream:
    """New events of one stack, oldest first, each once (by EventId)."""

    def __init__(self, aws: Aws, stack_id: str):
        self.aws = aws
        self.stack_id = stack_id
        self.name = stack_id.split("/")[1] if stack_id.startswith("arn:") and "/" in stack_id else stack_id
        self.seen: set[str] = set()
        self.since: datetime | None = None

    def is_own(self, event: dict) -> bool:
        """An event of the stack itself (not of a resource, nor of a nested stack)."""
        return event.get("ResourceType") == STACK_TYPE and event.get("LogicalResourceId") == self.name

    def prime(self) -> None:
        """Mark what happened so far as seen: later polls return only events of what comes next."""
        page = self.aws.client("cloudformation").describe_stack_events(StackName=self.stack_id)["StackEvents"]
        self.seen.update(e["EventId"] for e in page)
        if page:
            self.since = max(e["Timestamp"] for e in page)

    def poll(self) -> list[dict]:
        """Events since the last poll. Raises botocore errors; nothing is marked seen unless all pages came."""
        cfn = self.aws.client("cloudformation")
        new: list[dict] = []
        token = None
        while True:
            kwargs = {"StackName": self.stack_id, **({"NextToken": token} if token else {})}
            page = cfn.describe_stack_events(**kwargs)
            stop = False
            for event in page.get("StackEvents") or ():
                if event["EventId"] in self.seen or (self.since is not None and event["Timestamp"] < self.since):
                    stop = True
                    break
                new.append(event)
            token = page.get("NextToken")
            if stop or not token:
                break
        new.reverse()
        self.seen.update(e["EventId"] for e in new)
        return new


@dataclass
class Outcome:
    stack_id: str
    status: str
    reason: str | None
    events: list[dict]
    elapsed: float
    ok_statuses: frozenset = frozenset(OK_STATUSES)

    @property
    def ok(self) -> bool:
        return self.status in self.ok_statuses

    @property
    def failures(self) -> list[dict]:
        return [e for e in self.events if e.get("ResourceStatus", "").endswith("_FAILED")]

    @property
    def root_cause(self) -> dict | None:
        """The first failure that is not merely a consequence (a cancellation) of another."""
        fails = self.failures
        for e in fails:
            reason = (e.get("ResourceStatusReason") or "").lower()
            if e.get("ResourceType") != STACK_TYPE and "cancel" not in reason:
                return e
        return fails[0] if fails else None


def watch(aws: Aws, stream: EventStream, on_event: Callable[[dict], None], *,
          backoff: Backoff | None = None, on_reconnect: Callable[[str], None] | None = None,
          give_up_after: float = 900.0, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Poll events until the stack reaches a terminal state; a dropped connection is retried, not fatal."""
    backoff = backoff or default_backoff(aws)
    cfn = aws.client("cloudformation")
    started = time.monotonic()
    events: list[dict] = []
    outage_since: float | None = None
    idle = 0
    while True:
        try:
            new = stream.poll()
            status = None
            if not new:
                idle += 1
                if idle % 4 == 0:  # no events for a while: make sure the stack has not settled unseen
                    status = cfn.describe_stacks(StackName=stream.stack_id)["Stacks"][0]["StackStatus"]
        except Exception as exc:
            if not is_transient(exc):
                with translated(aws.target, aws.region, "following the stack's events"):
                    raise
            now = time.monotonic()
            if outage_since is None:
                outage_since = now
                if on_reconnect:
                    on_reconnect(f"connection lost ({type(exc).__name__}); reconnecting…")
            elif now - outage_since > give_up_after:
                raise AwsProblem(f"lost the connection to {aws.describe()} for {int(now - outage_since)} s; the"
                                 " operation goes on in AWS: check it with `stp info`") from None
            sleep(min(10.0, backoff.next(False) * 2))
            continue
        if outage_since is not None:
            outage_since = None
            if on_reconnect:
                on_reconnect("reconnected")
        done = False
        for event in new:
            idle = 0
            events.append(event)
            on_event(event)
            if stream.is_own(event) and is_terminal(event.get("ResourceStatus", "")):
                done = True
        if status is not None and is_terminal(status):
            # settled: pick up the last events before stopping
            for event in stream.poll():
                events.append(event)
                on_event(event)
            done = True
        if done:
            break
        sleep(backoff.next(bool(new)))
    stack = cfn.describe_stacks(StackName=stream.stack_id)["Stacks"][0]
    return Outcome(stream.stack_id, stack["StackStatus"], stack.get("StackStatusReason"), events,
                   time.monotonic() - started)


class EventPrinter:
    """One line per stack event: elapsed time, status, owner › logical id, type, and the reason if any."""

    def __init__(self, console: Console, stack_name: str, owner: dict[str, str] | None = None):
        self.console = console
        self.stack_name = stack_name
        self.owner = owner or {}
        self.t0: datetime | None = None
        self.started: dict[str, datetime] = {}
        self.width = max([len(self._label(lid)) for lid in self.owner] + [24])
        self.width = min(self.width, 56)

    def _label(self, lid: str) -> str:
        who = self.owner.get(lid)
        return f"{who} › {lid}" if who else lid

    def __call__(self, e: dict) -> None:
        p = self.console.paint
        ts = e.get("Timestamp")
        if self.t0 is None:
            self.t0 = ts
        status = e.get("ResourceStatus", "")
        reason = e.get("ResourceStatusReason") or ""
        lid = e.get("LogicalResourceId", "")
        if status.endswith(IN_PROGRESS_SUFFIX) and reason.endswith("Initiated") and lid in self.started:
            return  # CloudFormation's second "in progress" for the same resource: no news
        elapsed = (ts - self.t0).total_seconds() if isinstance(ts, datetime) and self.t0 else 0.0
        took = ""
        if status.endswith(IN_PROGRESS_SUFFIX):
            self.started.setdefault(lid, ts)
        elif lid in self.started and isinstance(ts, datetime):
            took = f"  {(ts - self.started.pop(lid)).total_seconds():.1f}s"
        if e.get("ResourceType") == STACK_TYPE and lid == self.stack_name:
            label, rtype = p(f"stack {lid}", "bold"), ""
        else:
            label, rtype = self._label(lid).ljust(self.width), p(e.get("ResourceType", ""), "dim")
        line = f"{p(f'{elapsed:6.1f}s', 'dim')}  {p(status.ljust(22), status_style(status))}  {label}  {rtype}{took}"
        self.console.say(line.rstrip())
        if reason and (status.endswith("_FAILED") or "ROLLBACK" in status or e.get("ResourceType") != STACK_TYPE) \
                and reason not in ("Resource creation Initiated", "User Initiated"):
            self.console.say(f"         {p(reason, 'red' if status.endswith('_FAILED') else 'dim')}")


def describe_outcome(outcome: Outcome, console: Console, verb: str, owner: dict[str, str] | None = None) -> None:
    """The last words of an operation: success, or the root cause and what the rollback left."""
    p = console.paint
    if outcome.ok:
        console.say(p(f"{verb} finished: {outcome.status} in {outcome.elapsed:.1f}s", "green"))
        return
    cause = outcome.root_cause
    if cause is not None:
        lid = cause.get("LogicalResourceId", "")
        who = (owner or {}).get(lid)
        where = f"{who} › {lid}" if who else lid
        console.say(p(f"root cause: {where} ({cause.get('ResourceType')}) {cause.get('ResourceStatus')}:", "red+bold"))
        console.say(p(f"  {cause.get('ResourceStatusReason') or 'no reason given'}", "red"))
    console.say(p(f"{verb} failed: the stack is {outcome.status}", "red"))
    console.say(rollback_words(outcome.status))


def rollback_words(status: str) -> str:
    return {
        "ROLLBACK_COMPLETE": "rollback complete: the stack was not created; the next deploy deletes it and starts again",
        "UPDATE_ROLLBACK_COMPLETE": "rollback complete: the stack is back to its previous version",
        "ROLLBACK_FAILED": "rollback FAILED: some resources may remain; delete the stack with `stp delete`",
        "UPDATE_ROLLBACK_FAILED": "rollback FAILED: fix the cause, then continue the rollback in the CloudFormation console",
        "CREATE_FAILED": "rollback was disabled: the resources created so far remain",
        "UPDATE_FAILED": "rollback was disabled: the stack keeps the resources updated so far",
        "DELETE_FAILED": "some resources could not be deleted; fix the cause above and run `stp delete` again",
    }.get(status, f"the stack is now {status}")


# --------------------------------------------------------------------------------------------- delete


def delete(aws: Aws, name: str, console: Console, *, yes: bool = False) -> int:
    """Delete the stack (after asking unless ``yes``), follow its events, then remove the deploy bucket."""
    stack = find_stack(aws, name)
    if stack is None:
        console.say(f"stack {name} does not exist in {aws.describe()}; nothing to delete")
        return 0
    status = stack["StackStatus"]
    if status.endswith(IN_PROGRESS_SUFFIX) and status != "REVIEW_IN_PROGRESS":
        raise AwsProblem(f"stack {name} {BUSY} ({status}); wait until it settles, then delete it")
    if not yes:
        if not console.interactive:
            raise AwsProblem(f"refusing to delete {name} without confirmation: input is not a terminal; pass --yes", 2)
        n = len(list_resources(aws, stack["StackId"]))
        if not console.ask(f"Delete stack {name} ({status}, {n} resources) in {aws.describe()}?"):
            console.say("not deleted")
            return 1
    sid = stack["StackId"]
    owner = owners(stp_metadata(deployed_template(aws, sid))) if status != "REVIEW_IN_PROGRESS" else {}
    stream = EventStream(aws, sid)
    cfn = aws.client("cloudformation")
    with translated(aws.target, aws.region, "deleting the stack"):
        stream.prime()
        cfn.delete_stack(StackName=sid)
    console.say(f"deleting stack {name} in {aws.describe()}")
    printer = EventPrinter(console, name, owner)
    try:
        outcome = watch(aws, stream, printer, on_reconnect=lambda m: console.note(m))
    except KeyboardInterrupt:
        console.note(f"stopped watching; the deletion goes on in AWS: check it with `stp info` (stack {name})")
        return 130
    outcome.ok_statuses = frozenset({"DELETE_COMPLETE"})
    describe_outcome(outcome, console, "delete", owner)
    if outcome.ok:
        from core.aws.artifacts import remove_deployment_storage

        for line in remove_deployment_storage(aws, name):
            console.say(line)
    return 0 if outcome.ok else 1

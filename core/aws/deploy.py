"""Deploy a compiled config: supply parameters, change set, diff, confirm, execute, follow the events.

    prepared = Prepared(config_path, analysis, compile_result, project, stage)
    code = deploy(connect(...), prepared, Console(), yes=False)

Nothing changes in AWS before the checks pass: the stack must be in a state that takes a change
set, every `$Secret` the template reads must exist (with its keys), every template parameter must
have a value. Then a change set (CREATE or UPDATE, chosen explicitly) shows what would change;
only after a yes is it executed, and its events are followed until the stack settles. A change
set that is not executed is deleted again (and so is the empty stack a CREATE change set made),
so an aborted deploy leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.aws import artifacts, secrets
from core.aws.console import Console
from core.aws.session import Aws, AwsProblem, error_code, error_message, translated
from core.aws.stacks import (
    BUSY,
    IN_PROGRESS_SUFFIX,
    OK_STATUSES,
    Backoff,
    EventPrinter,
    EventStream,
    Outcome,
    default_backoff,
    deployed_template,
    describe_outcome,
    find_stack,
    owners,
    stack_name,
    status_style,
    stp_metadata,
    watch,
)

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
UPDATABLE = OK_STATUSES | {"UPDATE_ROLLBACK_COMPLETE"}
NO_CHANGES = ("didn't contain changes", "no updates are to be performed", "no changes")


@dataclass
class Prepared:
    """A validated, compiled config ready to deploy."""

    config_path: Path
    analysis: Any
    result: Any  # core.compile.CompileResult
    project: str
    stage: str

    @property
    def stack(self) -> str:
        return stack_name(self.project, self.stage)

    @property
    def template(self) -> dict:
        return self.result.template

    @property
    def config_dir(self) -> Path:
        return self.config_path.resolve().parent


@dataclass
class Change:
    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    type: str
    owner: str
    replacement: str = ""  # True | False | Conditional | ""
    properties: list[str] = field(default_factory=list)
    physical_id: str | None = None

    @property
    def replaces(self) -> bool:
        return self.replacement == "True"


@dataclass
class Plan:
    stack: str
    change_set: str
    change_type: str  # CREATE | UPDATE
    stack_id: str
    changes: list[Change]


# --------------------------------------------------------------------------------------------- parameters


def supply_parameters(aws: Aws, prepared: Prepared, bucket: artifacts.DeploymentBucket, console: Console) -> dict:
    """Template parameter → value: image URIs, code locations, and values taken from the config."""
    template = prepared.template
    declared = template.get("Parameters") or {}
    values: dict[str, str] = {}
    images = dict(getattr(prepared.result, "images", None) or {})
    if images:
        if aws.local:
            for param, image in images.items():
                values[param] = artifacts.local_image_uri(image["resource"], image["container"])
        else:
            values.update(artifacts.build_and_push(aws, prepared.stack, prepared.analysis, images,
                                                   prepared.config_dir, console.say))
    for art in code_artifacts(prepared):
        model = prepared.analysis.resources[art["resource"]].model
        package = artifacts.lambda_package(prepared.config_dir, art["resource"], model.properties.packaging)
        for note in package.notes:
            console.note(f"warning: {note}")
        uploaded = bucket.put(package.key, package.body, "application/zip")
        size = f"{len(package.body) / 1024:.1f} KiB"
        console.say(f"uploaded code of {art['resource']} ({size}) to s3://{bucket.name}/{package.key}" if uploaded
                    else f"code of {art['resource']} unchanged ({size}, s3://{bucket.name}/{package.key})")
        values[art["bucketParameter"]] = bucket.name
        values[art["keyParameter"]] = package.key
    for art in (getattr(prepared.result, "artifacts", None) or {}).values():
        if art.get("kind") == "secret-value":
            value = config_value(prepared.analysis.data, art["path"])
            if value is not None:
                for param in art.get("parameters") or ():
                    values[param] = str(value)
    missing = [p for p, spec in declared.items() if p not in values and "Default" not in (spec or {})]
    if missing:
        lines = "\n".join(f"  {p}: {(declared[p] or {}).get('Description', '')}" for p in missing)
        raise AwsProblem(f"the template needs values the deploy step cannot supply yet:\n{lines}")
    return {p: v for p, v in values.items() if p in declared}


def code_artifacts(prepared: Prepared) -> list[dict]:
    """Lambda code packages the template takes as parameters (from the compile result, else derived)."""
    arts = getattr(prepared.result, "artifacts", None)
    if arts is not None:
        return [a for a in arts.values() if a.get("kind") == "lambda-package"]
    from core.compile.naming import logical_id

    declared = prepared.template.get("Parameters") or {}
    found = []
    for name, entry in prepared.analysis.resources.items():
        b, k = logical_id(name, "CodeBucket"), logical_id(name, "CodeKey")
        if b in declared and k in declared and entry.model is not None:
            found.append({"kind": "lambda-package", "resource": name, "bucketParameter": b, "keyParameter": k})
    return found


def config_value(data, path: str):
    """The value at a config path like ``resources.db.properties.credentials.password`` or ``a.b[2].c``."""
    node = data
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


# --------------------------------------------------------------------------------------------- change sets


def template_argument(prepared: Prepared, bucket: artifacts.DeploymentBucket, console: Console) -> dict:
    body = json.dumps(prepared.template, separators=(",", ":"))
    size = len(body.encode())
    if size <= artifacts.INLINE_TEMPLATE_LIMIT:
        return {"TemplateBody": body}
    if size > artifacts.URL_TEMPLATE_LIMIT:
        raise AwsProblem(f"the template is {size:,} bytes; CloudFormation takes at most"
                         f" {artifacts.URL_TEMPLATE_LIMIT:,}: split the config into several stacks")
    key = f"templates/{prepared.stack}/{hashlib.sha256(body.encode()).hexdigest()[:20]}.json"
    bucket.put(key, body.encode(), "application/json")
    console.say(f"template is {size:,} bytes (over {artifacts.INLINE_TEMPLATE_LIMIT:,}): uploaded to"
                f" s3://{bucket.name}/{key}")
    return {"TemplateURL": bucket.url(key)}


def unchanged(aws: Aws, stack: dict, prepared: Prepared, parameters: dict, tags: list[dict]) -> bool:
    """Same template, parameters and tags as deployed: no change set needed."""
    if stack["StackStatus"] not in UPDATABLE:
        return False
    declared = prepared.template.get("Parameters") or {}
    if any((spec or {}).get("NoEcho") for spec in declared.values()):
        return False  # hidden values come back as ****: cannot compare
    deployed = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters") or ()}
    if deployed != parameters:
        return False
    if {t["Key"]: t["Value"] for t in stack.get("Tags") or ()} != {t["Key"]: t["Value"] for t in tags}:
        return False
    current = deployed_template(aws, stack["StackId"])
    return json.loads(json.dumps(current, default=str)) == json.loads(json.dumps(prepared.template))


def create_plan(aws: Aws, prepared: Prepared, stack: dict | None, template_arg: dict, parameters: dict,
                tags: list[dict], console: Console) -> Plan | None:
    """Create the change set and wait for it; None when it holds no changes (then it is deleted)."""
    cfn = aws.client("cloudformation")
    change_type = "UPDATE" if stack is not None and stack["StackStatus"] != "REVIEW_IN_PROGRESS" else "CREATE"
    name = "stp-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    with translated(aws.target, aws.region, "creating the change set"):
        created = cfn.create_change_set(
            StackName=prepared.stack, ChangeSetName=name, ChangeSetType=change_type,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=CAPABILITIES, Tags=tags, Description=f"stp deploy of {prepared.config_path.name}",
            **template_arg,
        )
    stack_id = created["StackId"]
    plan = Plan(prepared.stack, name, change_type, stack_id, [])
    try:
        described = wait_change_set(aws, plan)
        if described["Status"] == "FAILED":
            reason = described.get("StatusReason") or "no reason given"
            if any(p in reason.lower() for p in NO_CHANGES):
                discard(aws, plan)
                return None
            raise AwsProblem(f"CloudFormation rejected the change set: {reason}")
        new_owner = owners(prepared.result.template.get("Metadata", {}).get("Stp") or {})
        old_owner = owners(stp_metadata(deployed_template(aws, stack_id))) if change_type == "UPDATE" else {}
        plan.changes = [_change(c, {**old_owner, **new_owner}) for c in all_changes(aws, plan, described)]
        return plan
    except BaseException:
        discard(aws, plan)
        raise


def wait_change_set(aws: Aws, plan: Plan, timeout: float = 600.0) -> dict:
    cfn = aws.client("cloudformation")
    backoff = default_backoff(aws)
    deadline = time.monotonic() + timeout
    while True:
        with translated(aws.target, aws.region, "waiting for the change set"):
            described = cfn.describe_change_set(StackName=plan.stack_id, ChangeSetName=plan.change_set)
        status = described["Status"]
        if status in ("CREATE_COMPLETE", "FAILED"):
            if status == "CREATE_COMPLETE" and described.get("ExecutionStatus") not in (None, "AVAILABLE"):
                if described.get("ExecutionStatus") in ("UNAVAILABLE", "OBSOLETE", "EXECUTE_FAILED"):
                    raise AwsProblem(f"the change set cannot be executed ({described['ExecutionStatus']}):"
                                     f" {described.get('StatusReason') or 'the stack changed meanwhile'}")
            else:
                return described
        if time.monotonic() > deadline:
            raise AwsProblem(f"the change set was still {status} after {timeout:.0f}s")
        time.sleep(backoff.next(False))


def all_changes(aws: Aws, plan: Plan, first: dict) -> list[dict]:
    cfn = aws.client("cloudformation")
    changes = list(first.get("Changes") or ())
    token = first.get("NextToken")
    while token:
        with translated(aws.target, aws.region, "reading the change set"):
            page = cfn.describe_change_set(StackName=plan.stack_id, ChangeSetName=plan.change_set, NextToken=token)
        changes.extend(page.get("Changes") or ())
        token = page.get("NextToken")
    return changes


def _change(raw: dict, owner: dict[str, str]) -> Change:
    rc = raw.get("ResourceChange") or {}
    props: list[str] = []
    for d in rc.get("Details") or ():
        target = d.get("Target") or {}
        label = target.get("Name") or target.get("Attribute") or ""
        if target.get("RequiresRecreation") == "Always":
            label += "*"
        if label and label not in props:
            props.append(label)
    lid = rc.get("LogicalResourceId", "")
    return Change(rc.get("Action", ""), lid, rc.get("ResourceType", ""), owner.get(lid, "-"),
                  rc.get("Replacement") or "", props, rc.get("PhysicalResourceId"))


def discard(aws: Aws, plan: Plan) -> None:
    """Delete a change set that will not run, and the empty stack a CREATE change set made."""
    cfn = aws.client("cloudformation")
    try:
        cfn.delete_change_set(StackName=plan.stack_id, ChangeSetName=plan.change_set)
        if plan.change_type == "CREATE":
            stack = cfn.describe_stacks(StackName=plan.stack_id)["Stacks"][0]
            if stack["StackStatus"] == "REVIEW_IN_PROGRESS":
                cfn.delete_stack(StackName=plan.stack_id)
    except Exception as exc:  # noqa: BLE001 - cleaning up: the original problem matters more
        del exc


_ACTION = {"Add": ("+", "add", "green"), "Modify": ("~", "modify", "yellow"), "Remove": ("-", "remove", "red"),
           "Import": (">", "import", "cyan"), "Dynamic": ("?", "dynamic", "magenta")}


def render_plan(plan: Plan, console: Console) -> None:
    p = console.paint
    console.say(f"{'Creating' if plan.change_type == 'CREATE' else 'Changes to'} stack {p(plan.stack, 'bold')}"
                f" (change set {plan.change_set}):")
    rows = []
    for c in sorted(plan.changes, key=lambda c: (c.owner == "-", c.owner.startswith("("), c.owner, list(_ACTION).index(c.action)
                                                 if c.action in _ACTION else 9, c.logical_id)):
        sign, word, style = _ACTION.get(c.action, ("?", c.action.lower(), None))
        repl = {"True": "REPLACE", "Conditional": "may replace"}.get(c.replacement, "")
        rows.append((f"{sign} {word}", c.owner, c.logical_id, c.type, repl, ", ".join(c.properties), style))
    header = ("ACTION", "RESOURCE", "LOGICAL ID", "TYPE", "REPLACEMENT", "CHANGED")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header[:5])]
    if not rows:
        console.say("  no resource changes (stack-level settings only: tags or parameters)")
    else:
        console.say("  " + "  ".join(h.ljust(w) for h, w in zip(header, [*widths, 0])).rstrip())
    for r in rows:
        cells = [p(r[0].ljust(widths[0]), r[6]), r[1].ljust(widths[1]), r[2].ljust(widths[2]), r[3].ljust(widths[3]),
                 p(r[4].ljust(widths[4]), "red+bold" if r[4] == "REPLACE" else ("yellow" if r[4] else None)),
                 p(r[5], "dim")]
        console.say(("  " + "  ".join(cells)).rstrip())
    count = {a: sum(1 for c in plan.changes if c.action == a) for a in ("Add", "Modify", "Remove")}
    replaced = sum(1 for c in plan.changes if c.replaces)
    summary = f"{count['Add']} to add, {count['Modify']} to modify"
    if replaced:
        summary += f" ({replaced} replaced: a new physical resource, the old one is deleted)"
    summary += f", {count['Remove']} to remove"
    console.say(f"  {summary}")


# --------------------------------------------------------------------------------------------- local runs


def mark_local_source(prepared: Prepared) -> None:
    """Tell the local AWS where the source is, so it can run the workloads as local processes.

    Only for local deploys: real AWS runs the built images and has no use for a path on this machine.
    """
    meta = prepared.template.setdefault("Metadata", {}).setdefault("Stp", {})
    meta["sourceDir"] = str(prepared.config_dir)
    if prepared.config_path.name not in ("stacktape.yml", "stacktape.yaml"):
        meta["configFile"] = prepared.config_path.name


def restart_local_tasks(aws: Aws, stack: str) -> bool:
    """Code edits leave a local template unchanged (images are placeholders): restart the processes instead."""
    import urllib.request

    if not aws.target.endpoint:
        return False
    request = urllib.request.Request(
        f"{aws.target.endpoint.rstrip('/')}/_stp/runner/restart", data=json.dumps({"stack": stack}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return 200 <= response.status < 300  # the runner answers 202 Accepted
    except OSError:
        return False


# --------------------------------------------------------------------------------------------- before a change set


def check_updatable(stack: dict, name: str) -> None:
    """Refuse a stack that cannot take a change set now: busy, or failed beyond an update.

    ROLLBACK_COMPLETE (a failed first creation) is left to the caller: it can only be deleted and created again.
    """
    status = stack["StackStatus"]
    if status.endswith(IN_PROGRESS_SUFFIX) and status != "REVIEW_IN_PROGRESS":
        raise AwsProblem(f"stack {name} {BUSY} ({status}); wait until it settles (`stp info`), then deploy again")
    if status not in UPDATABLE and status != "REVIEW_IN_PROGRESS":
        hint = {"UPDATE_ROLLBACK_FAILED": "continue the rollback in the CloudFormation console first",
                "ROLLBACK_FAILED": "delete it with `stp delete` first",
                "DELETE_FAILED": "delete it with `stp delete` first",
                "CREATE_FAILED": "delete it with `stp delete` first"}.get(status, "fix it first")
        raise AwsProblem(f"stack {name} is {status} and cannot be updated: {hint}")


@dataclass
class Staged:
    """What a change set is made from, once every check has passed."""

    bucket: artifacts.DeploymentBucket
    parameters: dict
    tags: list[dict]
    unchanged: bool  # the stack already has this template, these parameters and tags
    restarted: bool = False  # (local AWS, unchanged) the workloads were restarted with the current source


def stage(aws: Aws, prepared: Prepared, stack: dict | None, console: Console) -> Staged:
    """Everything before the change set, shared by `stp deploy` and the dashboard: the secret check (nothing
    changes when one is missing), the local source folder, the parameters and whether anything changed."""
    problems = secrets.check_references(aws, prepared.template)
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise AwsProblem(f"missing secrets (nothing was changed):\n{lines}\ncreate them with"
                         " `stp secret set NAME VALUE` (a JSON object for keyed secrets)")
    if aws.local:
        mark_local_source(prepared)
    bucket = artifacts.DeploymentBucket(aws, prepared.stack)
    parameters = supply_parameters(aws, prepared, bucket, console)
    tags = [{"Key": "stp:project", "Value": prepared.project}, {"Key": "stp:stage", "Value": prepared.stage}]
    same = stack is not None and unchanged(aws, stack, prepared, parameters, tags)
    restarted = same and aws.local and restart_local_tasks(aws, prepared.stack)
    return Staged(bucket, parameters, tags, same, restarted)


# --------------------------------------------------------------------------------------------- the command


def deploy(aws: Aws, prepared: Prepared, console: Console, *, yes: bool = False) -> int:
    """`stp deploy`: returns the exit code; raises AwsProblem for what stops it before any change."""
    if not yes and not console.interactive:
        raise AwsProblem("refusing to deploy without confirmation: input is not a terminal; pass --yes to deploy"
                         " without being asked", 2)
    name = prepared.stack
    started = time.monotonic()
    console.say(f"deploying {p_stack(console, name)} to {aws.describe()}")
    stack = find_stack(aws, name)
    if stack is not None:
        status = stack["StackStatus"]
        if status == "ROLLBACK_COMPLETE":
            if not _recreate(aws, stack, console, yes):
                return 1
            stack = None
        else:
            check_updatable(stack, name)
    staged = stage(aws, prepared, stack, console)
    if staged.unchanged:
        console.say(console.paint(f"no changes: {name} is up to date ({stack['StackStatus']})", "green"))
        if staged.restarted:
            console.say("local tasks restarted with the current source")
        return 0
    template_arg = template_argument(prepared, staged.bucket, console)
    plan = create_plan(aws, prepared, stack, template_arg, staged.parameters, staged.tags, console)
    if plan is None:
        console.say(console.paint(f"no changes: {name} is up to date", "green"))
        return 0
    try:
        render_plan(plan, console)
        if not yes and not console.ask(f"Deploy these changes to {name}?"):
            discard(aws, plan)
            console.say("not deployed; the change set was deleted")
            return 1
    except BaseException:
        discard(aws, plan)
        raise
    outcome = execute(aws, plan, prepared, console)
    if outcome is None:
        return 130
    if outcome.status == "DELETE_COMPLETE":  # the user cancelled the creation (Ctrl-C)
        console.say(f"the creation was cancelled: stack {name} was deleted")
        return 1
    owner = owners(prepared.template.get("Metadata", {}).get("Stp") or {})
    outcome.ok_statuses = frozenset(OK_STATUSES)
    describe_outcome(outcome, console, "deploy", owner)
    if outcome.ok:
        _show_outputs(aws, plan.stack_id, console)
        console.say(console.paint(f"done in {time.monotonic() - started:.1f}s", "dim"))
    return 0 if outcome.ok else 1


def p_stack(console: Console, name: str) -> str:
    return console.paint(name, "bold")


def _recreate(aws: Aws, stack: dict, console: Console, yes: bool) -> bool:
    """A stack whose creation failed cannot be updated: delete it so it can be created again."""
    name = stack["StackName"]
    console.say(f"stack {name} is ROLLBACK_COMPLETE (its first creation failed and was rolled back); it must be"
                " deleted before it can be created again")
    if not yes and not console.ask(f"Delete the failed stack {name} now?"):
        console.say("not deployed")
        return False
    stream = EventStream(aws, stack["StackId"])
    with translated(aws.target, aws.region, "deleting the failed stack"):
        stream.prime()
        aws.client("cloudformation").delete_stack(StackName=stack["StackId"])
        outcome = watch(aws, stream, EventPrinter(console, name), on_reconnect=console.note)
    if outcome.status != "DELETE_COMPLETE":
        raise AwsProblem(f"could not delete the failed stack {name}: it is {outcome.status}")
    return True


def execute(aws: Aws, plan: Plan, prepared: Prepared, console: Console) -> Outcome | None:
    """Execute the change set and follow it; None when the user stopped watching (it goes on in AWS)."""
    cfn = aws.client("cloudformation")
    stream = EventStream(aws, plan.stack_id)
    with translated(aws.target, aws.region, "executing the change set"):
        stream.prime()
        cfn.execute_change_set(StackName=plan.stack_id, ChangeSetName=plan.change_set)
    owner = owners(prepared.template.get("Metadata", {}).get("Stp") or {})
    printer = EventPrinter(console, plan.stack, owner)
    cancelled = False
    while True:
        try:
            return watch(aws, stream, printer, on_reconnect=console.note)
        except KeyboardInterrupt:
            if cancelled or not _offer_cancel(aws, plan, console):
                console.note(f"stopped watching; the deployment goes on in AWS: follow it with `stp info` (stack"
                             f" {plan.stack})")
                return None
            cancelled = True


def _offer_cancel(aws: Aws, plan: Plan, console: Console) -> bool:
    """After Ctrl-C: cancel the update (or creation)? True to keep watching what the cancel does."""
    cfn = aws.client("cloudformation")
    try:
        status = cfn.describe_stacks(StackName=plan.stack_id)["Stacks"][0]["StackStatus"]
    except Exception:  # noqa: BLE001
        return False
    console.note("")
    try:
        if status == "UPDATE_IN_PROGRESS":
            if not console.ask(f"Cancel the update of {plan.stack}? CloudFormation rolls it back"):
                return console.ask("Keep watching?", default=True)
            try:
                cfn.cancel_update_stack(StackName=plan.stack_id)
            except Exception as exc:  # noqa: BLE001
                console.note(f"could not cancel the update: {error_code(exc) or type(exc).__name__}:"
                             f" {error_message(exc)}")
                return console.ask("Keep watching?", default=True)
            console.note("cancel requested: rolling back…")
            return True
        if status == "CREATE_IN_PROGRESS":
            if not console.ask(f"Cancel the creation of {plan.stack}? The stack is deleted"):
                return console.ask("Keep watching?", default=True)
            cfn.delete_stack(StackName=plan.stack_id)
            console.note("deleting the half-created stack…")
            return True
        console.note(f"the stack is {console.paint(status, status_style(status))}: it can no longer be cancelled")
        return console.ask("Keep watching?", default=True)
    except KeyboardInterrupt:
        return False


def _show_outputs(aws: Aws, stack_id: str, console: Console) -> None:
    stack = find_stack(aws, stack_id)
    outs = [(o["OutputKey"], o.get("OutputValue", "")) for o in (stack or {}).get("Outputs") or ()]
    if outs:
        width = max(len(k) for k, _ in outs)
        console.say("outputs:")
        for k, v in outs:
            console.say(f"  {k.ljust(width)}  {v}")


__all__ = ["Backoff", "Change", "Plan", "Prepared", "deploy", "render_plan", "supply_parameters"]

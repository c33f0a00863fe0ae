"""Deploy: pick a config and a stage, review the change set, confirm, then follow every resource.

Phases: Prepare (validate + compile) ─ Change set ─ Review (the diff: adds, modifies, removes, with
replacements in red) ─ Execute (per-resource rows: status, timer, failure reason) ─ Done (summary).
``c`` cancels: a change set under review is discarded, a running update is rolled back (a creation
deleted), each after a confirmation. Leaving the screen with a change set under review discards it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, ContentSwitcher, DataTable, Footer, Input, Label, Static

from core.aws.dashboard import DeployPlan, diff_summary, is_stack_event, settled
from core.aws.stacks import STACK_TYPE, is_terminal, owners, rollback_words, stp_metadata
from stp_tui.backend import problem_text
from stp_tui.format import duration, status_style
from stp_tui.screens.base import StpScreen
from stp_tui.widgets.phase_strip import PhaseStrip
from stp_tui.workers import Cancelled, Retry, notify, sleep

ACTION_STYLE = {"Add": "green", "Modify": "yellow", "Remove": "red", "Import": "cyan", "Dynamic": "magenta"}
ACTION_WORD = {"Add": "add", "Modify": "modify", "Remove": "remove", "Import": "import", "Dynamic": "dynamic"}
OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}


class Phase(Message):
    def __init__(self, phase: str, state: str = "active", note: str = "") -> None:
        super().__init__()
        self.phase = phase
        self.state = state
        self.note = note


class PlanReady(Message):
    def __init__(self, plan: DeployPlan) -> None:
        super().__init__()
        self.plan = plan


class Failed(Message):
    def __init__(self, phase: str, text: str) -> None:
        super().__init__()
        self.phase = phase
        self.text = text


class StackEvents(Message):
    def __init__(self, events: list[dict]) -> None:
        super().__init__()
        self.events = events


class Finished(Message):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__()
        self.status = status
        self.reason = reason


class DeployScreen(StpScreen):
    TITLE_TEXT = "Deploy"
    HELP = ("Deploy a config as the stack <project>-<stage>. p (or the Plan button) validates, compiles and creates a"
            " change set; its diff lists what is added, modified (replacements in red) and removed. a asks for a"
            " confirmation naming the stack, stage and region, then executes it and follows each resource. c cancels"
            " (after a confirmation).")
    MUTATING = frozenset({"plan", "apply", "cancel"})
    BINDINGS = [
        Binding("p", "plan", "Plan"),
        Binding("a", "apply", "Apply"),
        Binding("c", "cancel", "Cancel"),
    ]

    def __init__(self, config: str | Path | None = None, stage: str | None = None, *, auto: bool = False) -> None:
        super().__init__()
        self.config = str(config) if config else ""
        self.stage = stage or "dev"
        self.auto = auto
        self.state = "idle"  # idle | planning | review | executing | done | failed
        self.plan: DeployPlan | None = None
        self.rows: dict[str, dict] = {}
        self.owner: dict[str, str] = {}
        self.started_at: datetime | None = None
        self.final_status = ""
        self.events: list[dict] = []

    @property
    def crumbs(self) -> list[str]:
        return ["Deploy"]

    def compose(self) -> ComposeResult:
        yield self.header()
        with Horizontal(id="deploy-form"):
            yield Label("config", classes="form-label")
            yield Input(self.config, placeholder="path to stacktape.yml", id="deploy-config")
            yield Label("stage", classes="form-label")
            yield Input(self.stage, placeholder="dev", id="deploy-stage")
            yield Button("Plan (p)", id="plan-button", variant="primary")
        yield PhaseStrip(id="phases")
        yield Static("", id="deploy-head")
        with ContentSwitcher(initial="diff", id="deploy-body"):
            yield DataTable(id="diff", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="progress", cursor_type="row", zebra_stripes=True)
        yield Static("", id="deploy-summary")
        yield Footer()

    def on_mount(self) -> None:
        diff = self.query_one("#diff", DataTable)
        for label, key in (("ACTION", "action"), ("RESOURCE", "owner"), ("LOGICAL ID", "lid"), ("TYPE", "type"),
                           ("REPLACEMENT", "repl"), ("CHANGED", "props")):
            diff.add_column(label, key=key)
        progress = self.query_one("#progress", DataTable)
        for label, key in (("RESOURCE", "owner"), ("LOGICAL ID", "lid"), ("TYPE", "type"), ("STATUS", "status"),
                           ("TIME", "time")):
            progress.add_column(label, key=key)
        progress.add_column("REASON", key="reason", width=80)
        self._head()
        if self.auto or (self.config and self.read_only is False and getattr(self.app, "auto_plan", False)):
            self.action_plan()
        elif not self.config:
            self.query_one("#deploy-config", Input).focus()
        else:
            self.query_one("#diff", DataTable).focus()
        self.set_interval(1.0, self._tick)

    # ------------------------------------------------------------------ header and summary

    def _stack_name(self) -> str:
        from stp_tui.backend import project_of

        if self.plan is not None:
            return self.plan.stack
        config = self.query_one("#deploy-config", Input).value.strip() or self.config
        stage = self.query_one("#deploy-stage", Input).value.strip() or self.stage
        return f"{project_of(config)}-{stage}" if config else f"?-{stage}"

    def _head(self, extra: str = "") -> None:
        ctx = self.app.context
        text = Text(" ")
        text.append("stack ", style="dim")
        text.append(self._stack_name(), style="bold")
        text.append("  stage ", style="dim")
        text.append(self.query_one("#deploy-stage", Input).value.strip() or self.stage, style="bold")
        text.append("  region ", style="dim")
        text.append(ctx.region)
        text.append("  → ", style="dim")
        text.append(ctx.target, style="cyan")
        if extra:
            text.append(f"  {extra}", style="dim")
        self.query_one("#deploy-head", Static).update(text)

    def _summary(self, text: Text | str) -> None:
        self.query_one("#deploy-summary", Static).update(text)

    # ------------------------------------------------------------------ plan

    @on(Button.Pressed, "#plan-button")
    def _plan_pressed(self) -> None:
        self.action_plan()

    @on(Input.Submitted)
    def _form_submitted(self) -> None:
        self.action_plan()

    @on(Input.Changed)
    def _form_changed(self) -> None:
        self._head()

    def action_plan(self) -> None:
        if self.state in ("planning", "executing"):
            self.notify(f"busy: {self.state}", severity="warning")
            return
        config = self.query_one("#deploy-config", Input).value.strip()
        stage = self.query_one("#deploy-stage", Input).value.strip()
        if not config:
            self.notify("enter the path of a stacktape.yml", severity="warning")
            self.query_one("#deploy-config", Input).focus()
            return
        old = self.plan
        self.plan = None
        self.state = "planning"
        self.query_one("#diff", DataTable).clear()
        self.query_one("#deploy-body", ContentSwitcher).current = "diff"
        self.query_one(PhaseStrip).set_phase("Prepare")
        self._summary(Text(" validating and compiling…", style="dim"))
        self.refresh_bindings()
        self.run_plan(config, stage or "dev", old)

    @work(thread=True, exit_on_error=False, group="deploy", exclusive=False)
    def run_plan(self, config: str, stage: str, old: DeployPlan | None) -> None:
        backend = self.backend
        try:
            if old is not None and old.plan is not None:
                backend.discard(old)
            prepared = backend.prepare(config, stage)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Prepare", problem_text(exc)))
            return
        try:
            self.post_message(Phase("Change set", note="creating the change set…"))
            if self.auto and backend.local:
                made = backend.create_placeholder_secrets(prepared)
                if made:
                    notify(self.app, f"created placeholder secrets in the local AWS: {', '.join(made)}",
                           title="deploy")
            plan = backend.plan(prepared)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Change set", problem_text(exc)))
            return
        self.post_message(PlanReady(plan))

    def on_phase(self, message: Phase) -> None:
        self.query_one(PhaseStrip).set_phase(message.phase, message.state)
        if message.note:
            self._summary(Text(f" {message.note}", style="dim"))

    def on_failed(self, message: Failed) -> None:
        self.state = "failed"
        self.query_one(PhaseStrip).set_phase(message.phase, "failed")
        text = Text(f" {message.phase} failed: ", style="bold red")
        text.append(message.text, style="red")
        self._summary(text)
        self.notify(message.text, severity="error", title=f"{message.phase} failed", timeout=10)
        self.refresh_bindings()

    def on_plan_ready(self, message: PlanReady) -> None:
        dp = message.plan
        self.plan = dp
        self.owner = owners(stp_metadata(dp.prepared.template))
        self._head()
        strip = self.query_one(PhaseStrip)
        if dp.plan is None:
            self.state = "done"
            strip.set_phase("Done", "done")
            self._summary(Text(f" {dp.up_to_date}", style="bold green"))
            self.query_one("#diff", DataTable).focus()
            self.refresh_bindings()
            return
        self.state = "review"
        strip.set_phase("Review")
        self.show_diff(dp)
        self.query_one("#diff", DataTable).focus()
        self.refresh_bindings()
        if self.auto:
            self.execute()

    def show_diff(self, dp: DeployPlan) -> None:
        table = self.query_one("#diff", DataTable)
        table.clear()
        for i, r in enumerate(dp.rows):
            style = ACTION_STYLE.get(r.action, "")
            repl = Text(r.replacement, style="bold red" if r.replaces else ("yellow" if r.replacement else ""))
            lid = Text(r.logical_id, style="bold red" if r.replaces else "")
            table.add_row(Text(f"{r.sign} {ACTION_WORD.get(r.action, r.action.lower())}", style=style), r.owner, lid,
                          Text(r.type, style="dim"), repl, Text(", ".join(r.properties), style="dim"), key=str(i))
        s = diff_summary(dp.rows)
        text = Text(" ")
        text.append(f"{s['add']} to add", style="green")
        text.append(", ")
        text.append(f"{s['modify']} to modify", style="yellow")
        if s["replace"]:
            text.append(f" ({s['replace']} replaced: a new physical resource, the old one is deleted)",
                        style="bold red")
        text.append(", ")
        text.append(f"{s['remove']} to remove", style="red")
        kind = "create" if dp.plan.change_type == "CREATE" else "update"
        text.append(f"  · change set {dp.plan.change_set} ({kind})", style="dim")
        if not self.auto and not self.read_only:
            text.append("  · a: apply  c: discard", style="bold")
        self._summary(text)

    # ------------------------------------------------------------------ apply

    def action_apply(self) -> None:
        if self.state != "review" or self.plan is None or self.plan.plan is None:
            self.notify("nothing to apply: plan first (p)", severity="warning")
            return
        from stp_tui.screens.dialogs import ConfirmScreen

        dp = self.plan
        ctx = self.app.context
        s = diff_summary(dp.rows)
        message = Text()
        message.append("Deploy to stack ")
        message.append(dp.stack, style="bold")
        message.append(" (stage ")
        message.append(dp.prepared.stage, style="bold")
        message.append(") in region ")
        message.append(ctx.region, style="bold")
        message.append(f" of {ctx.target}?\n\n")
        message.append(f"{s['add']} to add, {s['modify']} to modify, {s['remove']} to remove")
        if s["replace"]:
            message.append(f"; {s['replace']} replaced", style="bold red")

        def answered(yes: bool | None) -> None:
            if yes:
                self.execute()

        self.app.push_screen(ConfirmScreen("Deploy these changes?", message, yes="Deploy",
                                           danger=bool(s["remove"] or s["replace"])), answered)

    def execute(self) -> None:
        self.state = "executing"
        self.rows = {}
        self.events = []
        self.started_at = self.backend.now()
        self.query_one("#progress", DataTable).clear()
        self.query_one("#deploy-body", ContentSwitcher).current = "progress"
        self.query_one(PhaseStrip).set_phase("Execute")
        self._summary(Text(" executing the change set…", style="yellow"))
        self.refresh_bindings()
        self.run_execute(self.plan)

    @work(thread=True, exit_on_error=False, group="deploy-run", exclusive=True)
    def run_execute(self, dp: DeployPlan) -> None:
        backend = self.backend
        try:
            marker = backend.execute(dp)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Execute", problem_text(exc)))
            return
        retry = Retry(self.app, f"following {dp.stack}")
        stack_id = dp.plan.stack_id
        name = dp.stack
        idle = 0
        interval = 0.2 if backend.local else 2.0
        try:
            while True:
                events = retry.call(backend.events_since, stack_id, marker)
                if events:
                    idle = 0
                    marker = events[-1].get("EventId", marker)
                    self.post_message(StackEvents(events))
                    if any(settled(e, name) for e in events):
                        break
                else:
                    idle += 1
                    if idle % 5 == 0:
                        status, _ = retry.call(backend.stack_status, stack_id)
                        if is_terminal(status):
                            last = retry.call(backend.events_since, stack_id, marker)
                            if last:
                                self.post_message(StackEvents(last))
                            break
                sleep(interval)
            status, reason = retry.call(backend.stack_status, stack_id)
        except Cancelled:
            return
        self.post_message(Finished(status, reason))

    def on_stack_events(self, message: StackEvents) -> None:
        table = self.query_one("#progress", DataTable)
        now = self.backend.now()
        for e in message.events:
            self.events.append(e)
            lid = e.get("LogicalResourceId", "")
            status = e.get("ResourceStatus", "")
            if e.get("ResourceType") == STACK_TYPE and is_stack_event(e, self.plan.stack if self.plan else ""):
                self._summary(Text(f" stack {status}", style=status_style(status)))
                continue
            ts = e.get("Timestamp")
            row = self.rows.get(lid)
            if row is None:
                row = self.rows[lid] = {"start": None, "end": None, "status": "", "reason": "",
                                        "type": e.get("ResourceType", "")}
                table.add_row(self.owner.get(lid, "-"), lid, Text(row["type"], style="dim"), Text("-" * 18, style="dim"),
                          "", "", key=lid)
            if status.endswith("_IN_PROGRESS") and row["start"] is None:
                row["start"] = ts
                row["end"] = None
            elif not status.endswith("_IN_PROGRESS"):
                row["end"] = ts
            row["status"] = status
            reason = e.get("ResourceStatusReason") or ""
            if reason and reason not in ("Resource creation Initiated", "User Initiated"):
                row["reason"] = reason
            table.update_cell(lid, "status", Text(status, style=status_style(status)), update_width=True)
            table.update_cell(lid, "time", self._elapsed(row, now), update_width=True)
            table.update_cell(lid, "reason", Text(row["reason"][:120], style="red" if status.endswith("_FAILED")
                                                  else "dim"), update_width=True)
        if table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)

    def _elapsed(self, row: dict, now: datetime) -> str:
        start = row["start"]
        if start is None:
            return ""
        end = row["end"] or now
        try:
            return duration((end - start).total_seconds())
        except TypeError:
            return ""

    def _tick(self) -> None:
        if self.state != "executing":
            return
        table = self.query_one("#progress", DataTable)
        now = self.backend.now()
        for lid, row in self.rows.items():
            if row["end"] is None and row["start"] is not None:
                table.update_cell(lid, "time", self._elapsed(row, now))

    def on_finished(self, message: Finished) -> None:
        self.final_status = message.status
        ok = message.status in OK
        self.state = "done" if ok else "failed"
        strip = self.query_one(PhaseStrip)
        strip.set_phase("Done", "done" if ok else "failed")
        took = (self.backend.now() - self.started_at).total_seconds() if self.started_at else None
        counts = {"done": sum(1 for r in self.rows.values() if r["status"].endswith("_COMPLETE")),
                  "failed": sum(1 for r in self.rows.values() if r["status"].endswith("_FAILED"))}
        text = Text(" ")
        if ok:
            text.append(f"deploy finished: {message.status}", style="bold green")
            text.append(f" in {duration(took)}" if took is not None else "")
            text.append(f" · {len(self.rows)} resources", style="dim")
        else:
            text.append(f"deploy failed: the stack is {message.status}", style="bold red")
            cause = self._root_cause()
            if cause is not None:
                text.append(f"\n root cause: {self.owner.get(cause.get('LogicalResourceId', ''), '-')} › "
                            f"{cause.get('LogicalResourceId')} ({cause.get('ResourceType')}): ", style="red")
                text.append(cause.get("ResourceStatusReason") or "no reason given", style="red")
            text.append(f"\n {rollback_words(message.status)}", style="dim")
            text.append(f" · {counts['failed']} failed", style="red")
        self._summary(text)
        self.notify(f"{self.plan.stack if self.plan else 'stack'}: {message.status}",
                    severity="information" if ok else "error", title="deploy")
        self.refresh_bindings()
        self.app.deploy_finished(self.plan.stack if self.plan else "", message.status)

    def _root_cause(self) -> dict | None:
        fails = [e for e in self.events if e.get("ResourceStatus", "").endswith("_FAILED")]
        for e in fails:
            if e.get("ResourceType") != STACK_TYPE and "cancel" not in (e.get("ResourceStatusReason") or "").lower():
                return e
        return fails[0] if fails else None

    # ------------------------------------------------------------------ cancel

    def action_cancel(self) -> None:
        from stp_tui.screens.dialogs import ConfirmScreen

        if self.state == "review" and self.plan is not None:
            def discard(yes: bool | None) -> None:
                if yes:
                    self._discard()

            self.app.push_screen(ConfirmScreen("Discard the change set?",
                                               f"The change set of {self.plan.stack} is deleted; nothing changes.",
                                               yes="Discard"), discard)
            return
        if self.state == "executing" and self.plan is not None:
            dp = self.plan
            words = ("CloudFormation rolls the update back" if dp.plan.change_type == "UPDATE"
                     else "the half-created stack is deleted")

            def cancel(yes: bool | None) -> None:
                if yes:
                    self.run_cancel(dp.plan.stack_id)

            self.app.push_screen(ConfirmScreen("Cancel the deployment?",
                                               f"Cancel the deployment of {dp.stack} (stage {dp.prepared.stage}) in"
                                               f" {self.app.context.region}? {words}.", yes="Cancel deployment",
                                               no="Keep going", danger=True), cancel)
            return
        self.notify("nothing to cancel", severity="warning")

    @work(thread=True, exit_on_error=False, group="deploy-cancel")
    def run_cancel(self, stack_id: str) -> None:
        try:
            said = self.backend.cancel(stack_id)
        except Exception as exc:  # noqa: BLE001
            notify(self.app, problem_text(exc), severity="error", title="cancel")
            return
        notify(self.app, said, title="cancel", severity="warning")

    def _discard(self) -> None:
        dp = self.plan
        self.plan = None
        self.state = "idle"
        self.query_one("#diff", DataTable).clear()
        self.query_one(PhaseStrip).reset()
        self._summary(Text(" change set discarded; nothing was changed", style="dim"))
        self.refresh_bindings()
        if dp is not None:
            self.app.discard_plan(dp)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = super().check_action(action, parameters)
        if allowed is False:
            return False
        if action == "apply":  # shown dimmed while there is nothing to apply or cancel
            return True if self.state == "review" else None
        if action == "cancel":
            return True if self.state in ("review", "executing") else None
        return True

    def action_back(self) -> None:
        if self.state == "review" and self.plan is not None:
            dp = self.plan
            self.plan = None
            self.app.discard_plan(dp)
            self.notify("the change set under review was discarded", title="deploy")
        super().action_back()

    def palette_commands(self):
        cmds = [("Plan", "validate, compile and create a change set (p)", self.action_plan)]
        if self.state == "review":
            cmds.append(("Apply the change set", "after a confirmation (a)", self.action_apply))
        if self.state in ("review", "executing"):
            cmds.append(("Cancel", "discard the change set, or cancel the running deployment (c)", self.action_cancel))
        return cmds

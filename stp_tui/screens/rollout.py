"""Rollout: a workload's gradual deployment — strategy, traffic old vs new, next shift, hooks, rollback.

Data from core.aws.dashboard.rollout_state (core.aws.rollouts when that module exists, else what ECS and
the load balancer report; the screen says which). Rolling back is guarded: only while a deployment runs,
never in --read-only, and only after typing the resource's name.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static

from core.aws.dashboard import RolloutState, StackView
from stp_tui.backend import problem_text
from stp_tui.format import age, clock, status_style
from stp_tui.screens.base import StpScreen
from stp_tui.widgets.traffic_bar import TrafficBar
from stp_tui.workers import Cancelled, Retry, notify, sleep

_STATE_MARK = {"done": ("●", "green"), "active": ("◉", "bold yellow"), "pending": ("○", "dim"),
               "failed": ("✖", "bold red"), "skipped": ("–", "dim")}


class RolloutLoaded(Message):
    def __init__(self, state: RolloutState | None, error: str = "") -> None:
        super().__init__()
        self.state = state
        self.error = error


class RolloutScreen(StpScreen):
    TITLE_TEXT = "Rollout"
    HELP = ("The deployment of a workload: its strategy (canary, linear, blue/green or rolling), the traffic split"
            " between the old and the new revision, when traffic shifts next, and the lifecycle stages with the"
            " hook functions that run at them. b rolls an in-progress deployment back (after typing the"
            " resource's name).")
    MUTATING = frozenset({"rollback"})
    BINDINGS = [Binding("b", "rollback", "Rollback")]

    def __init__(self, stack: str, resource: str, view: StackView | None = None) -> None:
        super().__init__()
        self.stack = stack
        self.resource = resource
        self.view = view
        self.state: RolloutState | None = None
        self.loaded = False

    @property
    def crumbs(self) -> list[str]:
        return ["Stacks", self.stack, f"rollout {self.resource}"]

    def compose(self) -> ComposeResult:
        yield self.header()
        with VerticalScroll(id="rollout-body"):
            yield Static(Text(f" {self.resource}: reading the deployment…", style="dim"), id="rollout-head")
            yield Static(Text(" traffic", style="bold"), classes="section-title")
            yield TrafficBar(id="traffic")
            yield Static("", id="rollout-next")
            yield Static(Text(" lifecycle", style="bold"), classes="section-title")
            yield Static("", id="rollout-hooks")
            yield Static("", id="rollout-notes")
        yield Footer()

    def on_mount(self) -> None:
        self.poll()

    @work(thread=True, exit_on_error=False, group="rollout", exclusive=True)
    def poll(self) -> None:
        backend = self.backend
        retry = Retry(self.app, f"rollout of {self.resource}")
        view = self.view
        n = 0
        try:
            while True:
                if self.loaded and not self.is_current:  # hidden under another screen: no calls
                    sleep(0.25)
                    continue
                if view is None or n % 10 == 9:
                    view = retry.call(backend.stack_view, self.stack)
                    if view is None:
                        self.post_message(RolloutLoaded(None, f"stack {self.stack} does not exist"))
                        return
                try:
                    state = backend.rollout(view, self.resource)
                except Cancelled:
                    raise
                except Exception as exc:  # noqa: BLE001 - not a workload with rollouts: say so, stop polling
                    from core.aws.session import AwsProblem

                    if isinstance(exc, AwsProblem):
                        self.post_message(RolloutLoaded(None, str(exc)))
                        if "has no rollouts" in str(exc) or "has no resource" in str(exc):
                            return
                        sleep(backend.poll_interval * 2)
                        continue
                    raise
                self.post_message(RolloutLoaded(state))
                n += 1
                sleep(backend.poll_interval)
        except Cancelled:
            return

    def on_rollout_loaded(self, message: RolloutLoaded) -> None:
        self.loaded = True
        head = self.query_one("#rollout-head", Static)
        if message.state is None:
            head.update(Text(f" {message.error}", style="bold red"))
            return
        before = self.state.can_rollback if self.state is not None else None
        st = self.state = message.state
        now = self.backend.now()
        text = Text(" ")
        text.append(st.resource, style="bold")
        text.append("  strategy ", style="dim")
        text.append(st.strategy.replace("_", "/").lower() if st.strategy != "ROLLING" else "rolling",
                    style="bold magenta")
        text.append(f" ({st.describe})", style="dim")
        text.append("\n ")
        text.append("stage ", style="dim")
        text.append(st.stage or "-", style="bold")
        text.append("  status ", style="dim")
        text.append(st.status, style=status_style(st.status))
        if st.lifecycle_stage:
            text.append("  at ", style="dim")
            text.append(st.lifecycle_stage, style="yellow")
        if st.started:
            text.append(f"  started {clock(st.started)} ({age(st.started, now)} ago)", style="dim")
        if st.deployment_id:
            text.append(f"\n deployment {st.deployment_id.rsplit('/', 1)[-1]}", style="dim")
        head.update(text)
        self.query_one(TrafficBar).set_split(st.old_percent, st.new_percent, st.old_label, st.new_label)
        nxt = Text(" ")
        if st.next_shift_at is not None:
            left = (st.next_shift_at - now).total_seconds()
            nxt.append("next shift ", style="dim")
            nxt.append(f"at {clock(st.next_shift_at)}", style="bold")
            if left > 0:
                nxt.append(f" (in {int(left // 60)}m {int(left % 60):02d}s)")
            if st.next_shift_to is not None:
                nxt.append(f" → {st.next_shift_to:g}% new", style="green")
        elif st.in_progress:
            nxt.append("traffic shifts when the current stage completes", style="dim")
        else:
            nxt.append("no deployment in progress", style="dim")
            if st.bake_minutes:
                nxt.append(f" · the old revision is kept {st.bake_minutes} min after a shift for instant rollback",
                           style="dim")
        self.query_one("#rollout-next", Static).update(nxt)
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()
        for step in st.hooks:
            mark, style = _STATE_MARK.get(step.state, ("?", ""))
            hook = Text(f"hook {step.hook}", style="cyan") if step.hook else Text("")
            table.add_row(Text(f" {mark}", style=style), Text(step.stage, style=style if step.state != "done" else ""),
                          hook)
        self.query_one("#rollout-hooks", Static).update(table)
        notes = Text()
        for n in st.notes:
            notes.append(f" ⓘ {n}\n", style="dim italic")
        if st.can_rollback and not self.read_only:
            notes.append(" b: roll back (asks you to type the resource's name)", style="bold red")
        self.query_one("#rollout-notes", Static).update(notes)
        if st.can_rollback != before:
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if super().check_action(action, parameters) is False:
            return False
        if action == "rollback":
            return bool(self.state and self.state.can_rollback) or None
        return True

    def action_rollback(self) -> None:
        st = self.state
        if st is None or not st.can_rollback:
            self.notify("no deployment in progress to roll back", severity="warning")
            return
        from stp_tui.screens.dialogs import ConfirmScreen

        message = Text()
        message.append("Roll back the deployment of ")
        message.append(st.resource, style="bold")
        message.append(f" in stack {self.stack} (stage {st.stage}, region {self.app.context.region})?\n")
        message.append(f"Traffic moves back to the old revision ({st.old_percent:g}% now).", style="dim")

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_rollback(st)

        self.app.push_screen(ConfirmScreen("Roll back?", message, yes="Roll back", danger=True,
                                           type_to_confirm=st.resource), answered)

    @work(thread=True, exit_on_error=False, group="rollback")
    def run_rollback(self, st: RolloutState) -> None:
        try:
            said = self.backend.rollback(st)
        except Exception as exc:  # noqa: BLE001
            notify(self.app, problem_text(exc), severity="error", title="rollback")
            return
        notify(self.app, said, severity="warning", title="rollback")

    def palette_commands(self):
        if self.state and self.state.can_rollback and not self.read_only:
            return [("Roll back the deployment", "after typing the resource's name (b)", self.action_rollback)]
        return []

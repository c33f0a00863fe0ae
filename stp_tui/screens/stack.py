"""Stack: config resources → AWS resources → ECS tasks → containers, with a detail pane and the template."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static, Tree

from core.aws.dashboard import StackView, TaskRow
from stp_tui.format import age, short_id, stamp, status_style
from stp_tui.screens.base import StpScreen
from stp_tui.widgets.resource_tree import NodeRef, ResourceTree
from stp_tui.workers import Cancelled, Retry, sleep


class StackLoaded(Message):
    def __init__(self, view: StackView | None, tasks: dict[str, list[TaskRow]]) -> None:
        super().__init__()
        self.view = view
        self.tasks = tasks


class StackScreen(StpScreen):
    TITLE_TEXT = "Stack"
    HELP = ("The stack's config resources, each with the AWS resources it consists of; an ECS service lists its"
            " tasks and their containers. d shows the details of the selected node (properties, outputs, status"
            " reasons), y its compiled template, l the live logs of a workload or container, r the rollout of a"
            " workload.")
    BINDINGS = [
        Binding("d", "detail", "Detail"),
        Binding("y", "template", "Template"),
        Binding("l", "logs", "Logs"),
        Binding("r", "rollout", "Rollout"),
        Binding("D", "app.deploy", "Deploy"),
        Binding("e", "expand_all", "Expand all", show=False),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.stack_name = name
        self.view: StackView | None = None
        self.tasks: dict[str, list[TaskRow]] = {}
        self.loaded = False

    @property
    def crumbs(self) -> list[str]:
        return ["Stacks", self.stack_name]

    def compose(self) -> ComposeResult:
        yield self.header()
        yield Static(Text(f" {self.stack_name}  loading…", style="dim"), id="stack-summary")
        with Horizontal(id="stack-body"):
            tree = ResourceTree(id="tree")
            tree.root.set_label(self.stack_name)
            yield tree
            with VerticalScroll(id="detail", classes="hidden"):
                yield Static("", id="detail-content")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(ResourceTree)
        tree.loading = True
        tree.focus()
        self.poll()

    # ------------------------------------------------------------------ data

    @work(thread=True, exit_on_error=False, group="stack", exclusive=True)
    def poll(self) -> None:
        backend = self.backend
        retry = Retry(self.app, f"reading stack {self.stack_name}")
        try:
            while True:
                if self.loaded and not self.is_current:  # hidden under another screen: no calls
                    sleep(0.25)
                    continue
                view = retry.call(backend.stack_view, self.stack_name)
                tasks: dict[str, list[TaskRow]] = {}
                if view is not None:
                    for g in view.groups:
                        if g.services():
                            tasks[g.name] = retry.call(backend.service_tasks, view, g)
                self.post_message(StackLoaded(view, tasks))
                sleep(backend.poll_interval)
        except Cancelled:
            return

    def on_stack_loaded(self, message: StackLoaded) -> None:
        tree = self.query_one(ResourceTree)
        tree.loading = False
        self.loaded = True
        self.view = message.view
        self.tasks = message.tasks
        summary = self.query_one("#stack-summary", Static)
        if message.view is None:
            summary.update(Text(f" stack {self.stack_name} does not exist (any more)", style="bold red"))
            return
        now = self.backend.now()
        view = message.view
        text = Text()
        text.append(f" {view.name}", style="bold")
        text.append("  ")
        text.append(view.status, style=status_style(view.status))
        text.append(f"  {len(view.groups)} resources", style="dim")
        when = view.updated or view.created
        text.append(f"  last updated {stamp(when)} ({age(when, now)} ago)", style="dim")
        if view.reason:
            text.append(f"  {view.reason}", style="red" if "FAIL" in view.status else "dim")
        summary.update(text)
        tree.show(view, message.tasks, now)
        self._show_detail()

    # ------------------------------------------------------------------ detail pane

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        self._show_detail()

    def action_detail(self) -> None:
        pane = self.query_one("#detail")
        pane.toggle_class("hidden")
        self._show_detail()

    def action_expand_all(self) -> None:
        self.query_one(ResourceTree).root.expand_all()

    def _show_detail(self) -> None:
        pane = self.query_one("#detail")
        if pane.has_class("hidden") or self.view is None:
            return
        ref = self.query_one(ResourceTree).selected_ref
        self.query_one("#detail-content", Static).update(detail_of(self.view, ref, self.backend.now()))

    # ------------------------------------------------------------------ actions

    def _ref(self) -> NodeRef | None:
        return self.query_one(ResourceTree).selected_ref

    def action_template(self) -> None:
        from stp_tui.screens.dialogs import TextScreen

        if self.view is None:
            return
        ref = self._ref()
        if ref is None or ref.kind == "stack":
            body, title = self.view.template, f"template of {self.view.name}"
        elif ref.kind == "group" and ref.group is not None:
            body, title = self.view.resource_template(ref.group.name), f"compiled template of {ref.group.name}"
        elif ref.child is not None:
            body, title = self.view.resource_template(ref.child.logical_id), f"compiled template of {ref.child.logical_id}"
        else:
            return
        if not body:
            self.notify("no template for this node (it is not in the deployed template)", severity="warning")
            return
        self.app.push_screen(TextScreen(title, body))

    def action_logs(self) -> None:
        ref = self._ref()
        if ref is None or ref.group is None:
            self.notify("select a workload, a task or a container to see its logs", severity="warning")
            return
        group = ref.group
        if not group.has_logs:
            self.notify(f"'{group.name}' ({group.type}) writes no logs stp knows of", severity="warning")
            return
        container = ref.container if ref.kind == "container" else None
        task = ref.task.task_id if ref.task is not None and ref.kind in ("task", "container") else None
        if container is not None and group.containers and container not in group.containers:
            container = None
        from stp_tui.screens.logs import LogsScreen

        self.app.push_screen(LogsScreen(self.stack_name, group.name, container=container, task=task,
                                        containers=group.containers))

    def action_rollout(self) -> None:
        ref = self._ref()
        if ref is None or ref.group is None or self.view is None:
            self.notify("select a workload to see its rollout", severity="warning")
            return
        group = ref.group
        if not group.services():
            self.notify(f"'{group.name}' ({group.type}) is not an ECS service: it has no rollouts", severity="warning")
            return
        from stp_tui.screens.rollout import RolloutScreen

        self.app.push_screen(RolloutScreen(self.stack_name, group.name, view=self.view))

    def palette_commands(self):
        cmds = [("Toggle the detail pane", "properties, outputs, status reasons (d)", self.action_detail),
                ("Show the compiled template", "of the selected resource (y)", self.action_template),
                ("Logs of the selected workload", "live, merged across tasks and containers (l)", self.action_logs),
                ("Rollout of the selected workload", "strategy, traffic split, hooks (r)", self.action_rollout),
                ("Expand everything", "all resources, tasks and containers (e)", self.action_expand_all)]
        if self.view is not None:
            from stp_tui.screens.logs import LogsScreen

            for g in self.view.groups:
                if g.has_logs:
                    cmds.append((f"Logs of {g.name}", g.type,
                                 lambda g=g: self.app.push_screen(LogsScreen(self.stack_name, g.name,
                                                                             containers=g.containers))))
        return cmds


def _kv(rows: list[tuple[str, object]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for k, v in rows:
        if v in (None, "", [], {}):
            continue
        table.add_row(k, v if isinstance(v, Text) else Text(str(v)))
    return table


def _status(value: str) -> Text:
    return Text(value or "-", style=status_style(value))


def detail_of(view: StackView, ref: NodeRef | None, now: datetime):
    """What the detail pane shows for a node."""
    parts: list = []
    if ref is None or ref.kind == "stack":
        parts.append(Text(view.name, style="bold underline"))
        parts.append(_kv([("status", _status(view.status)), ("reason", view.reason), ("region", view.region),
                          ("project", view.project), ("stage", view.stage), ("created", stamp(view.created)),
                          ("updated", stamp(view.updated)), ("stack id", view.stack_id)]))
        if view.stack_outputs:
            parts.append(Text("\noutputs", style="bold"))
            parts.append(_kv(list(view.stack_outputs.items())))
        if view.parameters:
            parts.append(Text("\nparameters", style="bold"))
            parts.append(_kv([(k, short_id(v, 60)) for k, v in view.parameters.items()]))
        return Group(*parts)
    g = ref.group
    if ref.kind == "group" and g is not None:
        parts.append(Text(g.name, style="bold underline"))
        rows: list[tuple[str, object]] = [("type", g.type), ("status", _status(g.status)),
                                          ("AWS resources", str(len(g.children)))]
        strategy = view.strategy(g)
        if strategy:
            rows.append(("deployment", strategy.lower()))
        if g.containers:
            rows.append(("logs", ", ".join(g.containers)))
        parts.append(_kv(rows))
        if g.outputs:
            parts.append(Text("\noutputs", style="bold"))
            parts.append(_kv(list(g.outputs.items())))
        failing = [c for c in g.children if c.reason and ("FAILED" in c.status or "ROLLBACK" in c.status)]
        if failing:
            parts.append(Text("\nstatus reasons", style="bold red"))
            parts.append(_kv([(c.logical_id, Text(c.reason, style="red")) for c in failing]))
        return Group(*parts)
    if ref.kind == "aws" and ref.child is not None:
        c = ref.child
        parts.append(Text(c.logical_id, style="bold underline"))
        parts.append(_kv([("type", c.type), ("status", _status(c.status)), ("reason", c.reason),
                          ("physical id", c.physical_id), ("updated", stamp(c.updated)),
                          ("owner", g.name if g else "")]))
        props = ((view.template.get("Resources") or {}).get(c.logical_id) or {}).get("Properties") or {}
        if props:
            parts.append(Text("\nproperties", style="bold"))
            parts.append(_kv([(k, _short(v)) for k, v in props.items()]))
        return Group(*parts)
    if ref.kind == "task" and ref.task is not None:
        t = ref.task
        parts.append(Text(f"task {t.task_id}", style="bold underline"))
        parts.append(_kv([("status", _status(t.status)), ("desired", t.desired), ("health", t.health),
                          ("revision", t.revision), ("started", f"{stamp(t.started)} ({age(t.started, now)} ago)"
                                                     if t.started else ""),
                          ("stopped reason", Text(t.stopped_reason, style="red") if t.stopped_reason else ""),
                          ("arn", t.arn)]))
        return Group(*parts)
    if ref.kind == "container":
        cr = ref.container_row
        parts.append(Text(f"container {ref.container}", style="bold underline"))
        if cr is not None:
            parts.append(_kv([("status", _status(cr.status)), ("health", cr.health),
                              ("exit code", "" if cr.exit_code is None else str(cr.exit_code)),
                              ("reason", Text(cr.reason, style="red") if cr.reason else ""), ("image", cr.image),
                              ("task", ref.task.task_id if ref.task else "")]))
        else:
            parts.append(Text("no running task reports this container", style="dim"))
        parts.append(Text("\nl: its logs", style="dim"))
        return Group(*parts)
    return Text("")


def _short(value) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= 160 else text[:157] + "…"

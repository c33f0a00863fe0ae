"""Stacks: every stack of the target in a live table (name, status, stage, last updated, age)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Static

from core.aws.dashboard import StackRow
from stp_tui.format import age, stamp, status_text
from stp_tui.screens.base import StpScreen
from stp_tui.workers import Cancelled, Retry, sleep

COLUMNS = [("NAME", "name"), ("STATUS", "status"), ("STAGE", "stage"), ("LAST UPDATED", "updated"), ("AGE", "age"),
           ("REASON", "reason")]


class StacksLoaded(Message):
    def __init__(self, rows: list[StackRow]) -> None:
        super().__init__()
        self.rows = rows


class StacksScreen(StpScreen):
    TITLE_TEXT = "Stacks"
    HELP = ("Every CloudFormation stack of the target, refreshed live. Enter opens a stack (its resources, tasks,"
            " logs, rollouts). / filters by name, status or stage. With --stage only that stage's stacks are shown"
            " (a shows all).")
    BINDINGS = [
        Binding("enter", "open", "Open"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("a", "all_stages", "All stages"),
        Binding("D", "app.deploy", "Deploy"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[StackRow] = []
        self.filter_text = ""
        self.all_stages = False
        self.loaded = False
        self._keys: list[str] = []

    @property
    def crumbs(self) -> list[str]:
        return ["Stacks"]

    def compose(self) -> ComposeResult:
        yield self.header()
        yield Static("", id="stacks-title")
        table = DataTable(id="stacks", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="stacks-empty")
        yield Input(placeholder="filter stacks (name, status, stage) — enter keeps it, escape clears", id="stacks-filter",
                    classes="hidden")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        table.loading = True
        self._show_title()
        self.poll()

    # ------------------------------------------------------------------ data

    @work(thread=True, exit_on_error=False, group="stacks", exclusive=True)
    def poll(self) -> None:
        retry = Retry(self.app, "listing stacks")
        backend = self.backend
        try:
            while True:
                if self.loaded and not self.is_current:  # hidden under another screen: no calls
                    sleep(0.25)
                    continue
                rows = retry.call(backend.list_stacks)
                self.post_message(StacksLoaded(rows))
                sleep(backend.poll_interval)
        except Cancelled:
            return

    def on_stacks_loaded(self, message: StacksLoaded) -> None:
        first = not self.loaded
        self.loaded = True
        self.rows = message.rows
        table = self.query_one(DataTable)
        table.loading = False
        self.render_rows()
        if first:
            self.app.stacks_loaded(self.rows)

    def stage(self) -> str:
        return "" if self.all_stages else (getattr(self.app, "stage", "") or "")

    def visible_rows(self) -> list[StackRow]:
        stage = self.stage()
        needle = self.filter_text.lower()
        out = []
        for r in self.rows:
            if stage and r.stage != stage and not r.name.endswith(f"-{stage}"):
                continue
            if needle and needle not in f"{r.name} {r.status} {r.stage}".lower():
                continue
            out.append(r)
        return out

    def render_rows(self) -> None:
        table = self.query_one(DataTable)
        now = self.backend.now()
        rows = self.visible_rows()
        keys = [r.name for r in rows]
        cells = {r.name: (Text(r.name, style="bold"), status_text(r.status), r.stage or "-", stamp(r.last_changed),
                          age(r.created, now), Text(r.reason[:80], style="dim")) for r in rows}
        if keys == self._keys:
            for key in keys:
                for (label, col), value in zip(COLUMNS, cells[key]):
                    table.update_cell(key, col, value)
        else:
            cursor_key = self._keys[table.cursor_row] if self._keys and 0 <= table.cursor_row < len(self._keys) else None
            table.clear()
            for key in keys:
                table.add_row(*cells[key], key=key)
            self._keys = keys
            if cursor_key in keys:
                table.move_cursor(row=keys.index(cursor_key), animate=False)
        self._show_title()
        empty = self.query_one("#stacks-empty", Static)
        if not rows:
            if self.rows and (self.filter_text or self.stage()):
                empty.update(Text(f"no stack matches{' ' + repr(self.filter_text) if self.filter_text else ''}"
                                  f"{' in stage ' + self.stage() if self.stage() else ''} (a: all stages)", style="dim"))
            else:
                hint = "" if self.read_only else " — press D to deploy a config"
                empty.update(Text(f"no stacks in {self.app.context.target} ({self.app.context.region}){hint}",
                                  style="dim"))
            empty.display = True
        else:
            empty.display = False

    def _show_title(self) -> None:
        shown = len(self.visible_rows())
        total = len(self.rows)
        text = Text()
        text.append(" Stacks", style="bold")
        text.append(f"  {shown}/{total}" if shown != total else f"  {total}", style="dim")
        if self.stage():
            text.append(f"  stage {self.stage()}", style="cyan")
        if self.filter_text:
            text.append(f"  filter /{self.filter_text}", style="yellow")
        self.query_one("#stacks-title", Static).update(text)

    # ------------------------------------------------------------------ actions

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not self._keys or not (0 <= table.cursor_row < len(self._keys)):
            return None
        return self._keys[table.cursor_row]

    def action_open(self) -> None:
        name = self.selected()
        if name:
            from stp_tui.screens.stack import StackScreen

            self.app.push_screen(StackScreen(name))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_filter(self) -> None:
        box = self.query_one("#stacks-filter", Input)
        box.remove_class("hidden")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#stacks-filter", Input)
        if self.filter_text or not box.has_class("hidden"):
            box.value = ""
            self.filter_text = ""
            box.add_class("hidden")
            self.query_one(DataTable).focus()
            self.render_rows()

    def action_all_stages(self) -> None:
        self.all_stages = not self.all_stages
        self.render_rows()

    @on(Input.Changed, "#stacks-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.render_rows()

    @on(Input.Submitted, "#stacks-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not self.filter_text:
            event.input.add_class("hidden")
        self.query_one(DataTable).focus()

    def palette_commands(self):
        cmds = [("Open the selected stack", "its resources, tasks and containers", self.action_open),
                ("Filter stacks", "by name, status or stage (/)", self.action_filter),
                ("Show all stages" if not self.all_stages else "Show only the chosen stage",
                 "toggle the --stage filter (a)", self.action_all_stages)]
        for r in self.rows[:50]:
            cmds.append((f"Open stack {r.name}", f"{r.status}", lambda n=r.name: self._open(n)))
        return cmds

    def _open(self, name: str) -> None:
        from stp_tui.screens.stack import StackScreen

        self.app.push_screen(StackScreen(name))

    def action_back(self) -> None:
        self.action_clear_filter()

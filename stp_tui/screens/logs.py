"""Logs: live, merged across the tasks and containers of a workload, with search, filter and level chips.

A worker reads the history of the chosen window, then polls for new events; each batch arrives as one
message, is formatted off the event loop, and is written with ``Log.write_lines`` (the view is capped
at ``max_lines``; so is the buffer behind it). Scrolling up pauses following: new lines wait (``+N new``)
until the view is back at the end (``G``).
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Checkbox, Footer, Input, Static

from stp_tui.screens.base import StpScreen
from stp_tui.widgets.chips import Chip
from stp_tui.widgets.log_view import TIME_WIDTH, LogRecord, LogView, format_line, record
from stp_tui.workers import Cancelled, Retry, sleep

PRESETS = {"tail": ("tail", 3_600_000), "1m": ("last 1m", 60_000), "5m": ("last 5m", 300_000),
           "15m": ("last 15m", 900_000), "1h": ("last 1h", 3_600_000)}
TAIL_LINES = 500
BATCH_SECONDS = 0.05  # at most 20 batches a second: the screen paints between them
DEFAULT_MAX_LINES = 20_000


@dataclass
class FilterSpec:
    pattern: str = ""
    regex: bool = False
    case: bool = False
    invert: bool = False

    def matcher(self):
        """A predicate over a line, None for no filter; raises re.error for a bad regex."""
        if not self.pattern:
            return None
        rx = re.compile(self.pattern if self.regex else re.escape(self.pattern), 0 if self.case else re.I)
        if self.invert:
            return lambda s: rx.search(s) is None
        return lambda s: rx.search(s) is not None

    def describe(self) -> str:
        if not self.pattern:
            return ""
        flags = ("r" if self.regex else "") + ("c" if self.case else "") + ("!" if self.invert else "")
        return f"filter {'!' if self.invert else ''}/{self.pattern}/{flags.replace('!', '')}"


class SourcesFound(Message):
    def __init__(self, generation: int, containers: list[str]) -> None:
        super().__init__()
        self.generation = generation
        self.containers = containers


class LogBatch(Message):
    def __init__(self, generation: int, records: list[LogRecord], reset: bool = False) -> None:
        super().__init__()
        self.generation = generation
        self.records = records
        self.reset = reset


def to_records(events, containers: list[str]) -> list[LogRecord]:
    """core.aws.logs events (ts, ingestion, source index, stream, message, id) → formatted records."""
    out = []
    for e in events:
        idx = e[2]
        container = containers[idx] if 0 <= idx < len(containers) else "?"
        out.append(record(e[0], container, e[3], e[4]))
    return out


class LogsScreen(StpScreen):
    TITLE_TEXT = "Logs"
    HELP = ("Live logs of a workload, merged in time order across its tasks and containers; each line starts with"
            " its time (UTC) and container/task. Scrolling up pauses following (new lines are counted as +N new);"
            " G (or scrolling to the end) follows again. JSON lines are shown as level + message.")
    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "next_match", "Next", show=False),
        Binding("N", "prev_match", "Prev", show=False),
        Binding("f", "filter", "Filter"),
        Binding("e", "level('ERROR')", "Errors"),
        Binding("w", "level('WARN')", "Warns"),
        Binding("c", "containers", "Sources"),
        Binding("0", "preset('tail')", "Time", key_display="0-4"),
        Binding("1", "preset('1m')", "Last 1m", show=False),
        Binding("2", "preset('5m')", "Last 5m", show=False),
        Binding("3", "preset('15m')", "Last 15m", show=False),
        Binding("4", "preset('1h')", "Last 1h", show=False),
        Binding("t", "time_range", "Range"),
        Binding("s", "save", "Save"),
        Binding("G,end", "follow", "Follow", key_display="G"),
        Binding("g,home", "top", "Top", show=False),
        Binding("alt+r", "toggle_flag('regex')", "Regex", show=False),
        Binding("alt+c", "toggle_flag('case')", "Case", show=False),
        Binding("alt+i", "toggle_flag('invert')", "Invert", show=False),
    ]
    EXTRA_KEYS = [("n / N", "next / previous search match"), ("1 2 3 4", "last 1m, 5m, 15m, 1h (0: tail)"),
                  ("g / G", "top / follow the newest line"), ("alt+r alt+c alt+i", "filter: regex, case, invert")]

    def __init__(self, stack: str, resource: str, *, container: str | None = None, task: str | None = None,
                 containers: list[str] | None = None, preset: str = "tail") -> None:
        super().__init__()
        self.stack = stack
        self.resource = resource
        self.only_container = container
        self.only_task = task
        self.known_containers: list[str] = list(containers or [])
        self.hidden_containers: set[str] = set()
        self.hidden_tasks: set[str] = set()
        self.tasks_seen: dict[str, str] = {}  # task → container
        self.preset = preset
        self.range: tuple[int, int | None] | None = None  # an absolute window (`t`); None: the preset
        self.generation = 0
        self.max_lines = DEFAULT_MAX_LINES
        self.records: deque[LogRecord] = deque()
        self.pending: deque[str] = deque()
        self.new_count = 0
        self.width = 8
        self.counts = {"ERROR": 0, "WARN": 0}
        self.levels: set[str] = set()
        self.filter = FilterSpec()
        self._match = None
        self.search_rx: re.Pattern | None = None
        self._search_text = ""
        self.saved_path: Path | None = None
        self.match_info = ""
        self.received = 0
        self.loaded = False
        self._painted = threading.Event()
        self._painted.set()

    @property
    def crumbs(self) -> list[str]:
        what = self.resource + (f" › {self.only_container}" if self.only_container else "")
        return ["Stacks", self.stack, f"logs {what}"]

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield self.header()
        with Horizontal(id="log-toolbar"):
            yield Horizontal(id="log-containers")
            yield Chip("ERROR", key="e", style="bold red", id="chip-error")
            yield Chip("WARN", key="w", style="bold yellow", id="chip-warn")
        yield Static("", id="log-status")
        yield LogView(self.max_lines, id="log")
        yield Input(placeholder="search (enter: find, n/N: next/previous, escape: close)", id="search-bar",
                    classes="hidden")
        with Horizontal(id="filter-bar", classes="hidden"):
            yield Input(placeholder="filter lines (enter applies, empty clears)", id="filter-input")
            yield Checkbox("regex", id="filter-regex")
            yield Checkbox("case", id="filter-case")
            yield Checkbox("invert", id="filter-invert")
        yield Footer()

    def on_mount(self) -> None:
        self.max_lines = getattr(self.app, "max_lines", DEFAULT_MAX_LINES) or DEFAULT_MAX_LINES
        self.records = deque(maxlen=self.max_lines)
        self.pending = deque(maxlen=self.max_lines)
        log = self.query_one(LogView)
        log.max_lines = self.max_lines
        for c in self.known_containers:
            log.highlighter.color_of(c)
        self._sync_container_chips()
        log.focus()
        self._update_status()
        self.start()

    @property
    def logview(self) -> LogView:
        return self.query_one(LogView)

    # ------------------------------------------------------------------ data

    def start(self) -> None:
        self.generation += 1
        self.loaded = False
        self.follow(self.generation, self.preset)

    @work(thread=True, exit_on_error=False, group="logs", exclusive=True)
    def follow(self, generation: int, preset: str) -> None:
        """History, then new events: each delivered once, in batches the UI can paint between.

        A batch is posted only once the previous one was painted (``_painted``), at most every
        BATCH_SECONDS; what arrives meanwhile is merged into the next batch (and, beyond the cap,
        dropped from its oldest end: the view would drop those lines anyway)."""
        backend = self.backend
        retry = Retry(self.app, f"logs of {self.resource}")
        lo, hi = backend.log_interval
        painted = self._painted
        try:
            window = self.range
            start, end = window if window else (backend.now_ms() - PRESETS[preset][1], None)
            tail = retry.call(backend.log_tail, self.stack, self.resource, None, start, end)
            containers = [s.container for s in tail.sources]
            self.post_message(SourcesFound(generation, containers))
            history = retry.call(tail.history, TAIL_LINES if preset == "tail" and not window else self.max_lines)
            painted.clear()
            self.post_message(LogBatch(generation, to_records(history, containers), reset=True))
            if end is not None:
                return  # a closed range: nothing more will arrive
            waiting: list[LogRecord] = []
            last = time.monotonic()
            delay = lo
            while True:
                if not waiting:
                    sleep(delay)
                fresh = retry.call(tail.poll)
                if fresh:
                    waiting.extend(to_records(fresh, containers))
                    if len(waiting) > self.max_lines:
                        del waiting[:len(waiting) - self.max_lines]
                    delay = lo
                else:
                    delay = min(hi, max(delay, 0.05) * 1.5)
                if waiting:
                    if painted.is_set() and time.monotonic() - last >= BATCH_SECONDS:
                        painted.clear()
                        last = time.monotonic()
                        self.post_message(LogBatch(generation, waiting))
                        waiting = []
                    else:
                        sleep(0.005)
        except Cancelled:
            return

    def on_sources_found(self, message: SourcesFound) -> None:
        if message.generation != self.generation:
            return
        for c in message.containers:
            if c not in self.known_containers:
                self.known_containers.append(c)
        if self.only_container:
            self.hidden_containers = {c for c in self.known_containers if c != self.only_container}
            self.only_container = None
        for c in self.known_containers:
            self.logview.highlighter.color_of(c)
        self._sync_container_chips()

    def on_log_batch(self, message: LogBatch) -> None:
        if message.generation == self.generation:
            self.ingest(message.records, reset=message.reset)
        self.call_after_refresh(self._painted.set)  # the next batch once this one is on the screen

    def ingest(self, recs: list[LogRecord], reset: bool = False) -> None:
        """Add records: counted, kept (capped), and written if visible; while paused they wait."""
        log = self.logview
        if reset:
            self.records.clear()
            self.pending.clear()
            self.new_count = 0
            self.counts = {"ERROR": 0, "WARN": 0}
            self.received = 0
            log.clear()
            log.set_current(None)
            self.loaded = True
        if not recs:
            self._update_status()
            return
        self.records.extend(recs)
        self.received += len(recs)
        counts = self.counts
        widest = self.width
        new_container = False
        for r in recs:
            if r.level in counts:
                counts[r.level] += 1
            if len(r.label) > widest:
                widest = len(r.label)
            if r.task and r.task not in self.tasks_seen:
                self.tasks_seen[r.task] = r.container
                if self.only_task and r.task != self.only_task:
                    self.hidden_tasks.add(r.task)
            if r.container not in self.known_containers:
                self.known_containers.append(r.container)
                new_container = True
        if new_container:
            self._sync_container_chips()
        if widest > self.width:
            self.width = widest
            if not reset and len(self.records) <= 5000:
                self.rebuild()
                self._update_chip_counts()
                return
        shows = self.shows
        width = self.width
        lines = [format_line(r, width) for r in recs if shows(r)]
        if lines:
            if reset or log.is_vertical_scroll_end:
                if self.pending:
                    lines = list(self.pending) + lines
                    self.pending.clear()
                    self.new_count = 0
                log.write_lines(lines)
            else:
                self.pending.extend(lines)
                self.new_count += len(lines)
        self._update_chip_counts()
        self._update_status()

    def shows(self, r: LogRecord) -> bool:
        if r.container in self.hidden_containers:
            return False
        if r.task and r.task in self.hidden_tasks:
            return False
        if self.levels and r.level not in self.levels:
            return False
        if self._match is not None and not self._match(f"{r.label} {r.text}"):
            return False
        return True

    def visible_lines(self) -> list[str]:
        width = self.width
        return [format_line(r, width) for r in self.records if self.shows(r)]

    def rebuild(self) -> None:
        """Write the buffer again (after a filter, toggle or level change)."""
        log = self.logview
        lines = self.visible_lines()
        self.pending.clear()
        self.new_count = 0
        log.clear()
        log.set_current(None)
        log.write_lines(lines[-self.max_lines:], scroll_end=True)
        log.scroll_end(animate=False, immediate=True)
        self._update_status()

    def on_log_view_reached_end(self, message: LogView.ReachedEnd) -> None:
        if self.pending:
            lines = list(self.pending)
            self.pending.clear()
            self.new_count = 0
            self.logview.write_lines(lines, scroll_end=True)
        if self.search_rx is None:
            self.logview.set_current(None)
        self._update_status()

    # ------------------------------------------------------------------ status

    @property
    def following(self) -> bool:
        return not self.pending and self.logview.is_vertical_scroll_end

    def _update_status(self) -> None:
        text = Text(" ")
        if self.pending:
            text.append("⏸ paused", style="bold yellow")
            text.append(f"  +{self.new_count} new", style="bold")
            text.append(" (G to follow)", style="dim")
        elif not self.loaded:
            text.append("… loading", style="dim")
        elif self.range is not None and self.range[1] is not None:
            text.append("■ range", style="bold cyan")
        else:
            text.append("● following", style="bold green")
        text.append(f"  {self._window_label()}", style="cyan")
        shown = self.logview.line_count if self.is_mounted else 0
        text.append(f"  {shown:,} lines", style="dim")
        if len(self.records) >= self.max_lines:
            text.append(f" (capped at {self.max_lines:,})", style="dim")
        if self.filter.pattern:
            text.append(f"  {self.filter.describe()}", style="magenta")
        if self.levels:
            text.append(f"  only {'+'.join(sorted(self.levels))}", style="red")
        hidden = len(self.hidden_containers) + len(self.hidden_tasks)
        if hidden:
            text.append(f"  {hidden} source{'s' if hidden != 1 else ''} hidden (c)", style="yellow")
        if self.search_rx is not None:
            text.append(f"  search '{self._search_text}' {self.match_info}", style="black on yellow")
        self.query_one("#log-status", Static).update(text)

    def _update_chip_counts(self) -> None:
        self.query_one("#chip-error", Chip).count = self.counts["ERROR"]
        self.query_one("#chip-warn", Chip).count = self.counts["WARN"]

    def _sync_container_chips(self) -> None:
        box = self.query_one("#log-containers", Horizontal)
        existing = {c.label for c in box.query(Chip)}
        for c in self.known_containers:
            if c not in existing:
                color = self.logview.highlighter.color_of(c)
                box.mount(Chip(c, active=c not in self.hidden_containers, style=color, classes="container-chip"))
        for chip in box.query(Chip):
            chip.active = chip.label not in self.hidden_containers

    # ------------------------------------------------------------------ chips, containers, presets

    @on(Chip.Toggled)
    def _chip_toggled(self, event: Chip.Toggled) -> None:
        chip = event.chip
        if chip.id == "chip-error":
            self._set_level("ERROR", chip.active)
        elif chip.id == "chip-warn":
            self._set_level("WARN", chip.active)
        else:
            if chip.active:
                self.hidden_containers.discard(chip.label)
            else:
                self.hidden_containers.add(chip.label)
            self.rebuild()

    def _set_level(self, level: str, on_: bool) -> None:
        if on_:
            self.levels.add(level)
        else:
            self.levels.discard(level)
        self.query_one("#chip-error", Chip).active = "ERROR" in self.levels
        self.query_one("#chip-warn", Chip).active = "WARN" in self.levels
        self.rebuild()

    def action_level(self, level: str) -> None:
        self._set_level(level, level not in self.levels)

    def action_containers(self) -> None:
        from stp_tui.screens.dialogs import PickScreen

        items = [(f"container {c}", f"c:{c}") for c in self.known_containers]
        items += [(f"task {t}  ({c})", f"t:{t}") for t, c in sorted(self.tasks_seen.items())]
        if not items:
            self.notify("no containers or tasks seen yet", severity="warning")
            return
        selected = {f"c:{c}" for c in self.known_containers if c not in self.hidden_containers}
        selected |= {f"t:{t}" for t in self.tasks_seen if t not in self.hidden_tasks}

        def picked(result: list[str] | None) -> None:
            if result is None:
                return
            chosen = set(result)
            self.hidden_containers = {c for c in self.known_containers if f"c:{c}" not in chosen}
            self.hidden_tasks = {t for t in self.tasks_seen if f"t:{t}" not in chosen}
            self._sync_container_chips()
            self.rebuild()

        self.app.push_screen(PickScreen("Show logs of", items, selected), picked)

    def _window_label(self) -> str:
        if self.range is None:
            return PRESETS[self.preset][0]
        start, end = self.range
        fmt = "%Y-%m-%d %H:%M:%S"
        since = time.strftime(fmt, time.gmtime(start / 1000))
        return f"from {since}" + (f" to {time.strftime(fmt, time.gmtime(end / 1000))} UTC" if end else " UTC")

    def action_time_range(self) -> None:
        """Ask for an absolute window: ``FROM [TO]``, each ``10m``/``2h`` ago, ``now`` or an ISO time."""
        from stp_tui.screens.dialogs import AskScreen

        def chosen(text: str | None) -> None:
            if text:
                self.set_range(text)

        self.app.push_screen(AskScreen(
            "Show logs from … to …", "FROM [TO]: each 10m / 2h / 1d ago, now, or an ISO time such as"
            " 2026-05-01T12:00:00Z. Without TO the view follows new lines.", "1h 30m"), chosen)

    def set_range(self, text: str) -> bool:
        parts = text.split()
        try:
            if not 1 <= len(parts) <= 2:
                raise ValueError("give FROM, or FROM and TO")
            start = self.backend.parse_time(parts[0])
            end = self.backend.parse_time(parts[1]) if len(parts) == 2 else None
            if end is not None and end <= start:
                raise ValueError("TO must come after FROM")
        except Exception as exc:  # noqa: BLE001 - the parser's message is meant for the user
            self.notify(f"cannot use '{text}': {exc}", severity="error")
            return False
        self.range = (start, end)
        self._reload()
        return True

    def action_preset(self, preset: str) -> None:
        if preset not in PRESETS:
            return
        self.range = None
        self.preset = preset
        self._reload()

    def _reload(self) -> None:
        self.logview.clear()
        self.records.clear()
        self.pending.clear()
        self.new_count = 0
        self._update_status()
        self.start()

    def action_follow(self) -> None:
        log = self.logview
        if self.pending:
            lines = list(self.pending)
            self.pending.clear()
            self.new_count = 0
            log.write_lines(lines, scroll_end=True)
        log.set_current(None)
        log.scroll_end(animate=False, immediate=True)
        self._update_status()

    def action_top(self) -> None:
        self.logview.scroll_home(animate=False)
        self._update_status()

    # ------------------------------------------------------------------ search

    def action_search(self) -> None:
        bar = self.query_one("#search-bar", Input)
        bar.remove_class("hidden")
        bar.focus()

    @on(Input.Submitted, "#search-bar")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self.set_search(event.value)
        self.logview.focus()

    def set_search(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.search_rx = None
            self.match_info = ""
            self.logview.set_search(None)
            self.logview.set_current(None)
            self._update_status()
            return
        self._search_text = text
        self.search_rx = re.compile(re.escape(text), re.I)
        self.logview.set_search(self.search_rx)
        self._jump(backwards=True, from_line=self.logview.line_count)

    def _matches(self) -> list[int]:
        rx = self.search_rx
        if rx is None:
            return []
        return [i for i, line in enumerate(self.logview.lines) if rx.search(line, TIME_WIDTH)]

    def _jump(self, backwards: bool, from_line: int | None = None) -> None:
        matches = self._matches()
        log = self.logview
        if not matches:
            self.match_info = "no match"
            log.set_current(None)
            self._update_status()
            return
        here = from_line if from_line is not None else (log.current_line if log.current_line is not None
                                                         else int(log.scroll_y))
        if backwards:
            before = [m for m in matches if m < here]
            target = before[-1] if before else matches[-1]
        else:
            after = [m for m in matches if m > here]
            target = after[0] if after else matches[0]
        log.set_current(target)
        log.scroll_to(y=max(0, target - log.size.height // 2), animate=False, immediate=True)
        self.match_info = f"{matches.index(target) + 1}/{len(matches)}"
        self._update_status()

    def action_next_match(self) -> None:
        if self.search_rx is None:
            self.action_search()
            return
        self._jump(backwards=False)

    def action_prev_match(self) -> None:
        if self.search_rx is None:
            self.action_search()
            return
        self._jump(backwards=True)

    # ------------------------------------------------------------------ filter

    def action_filter(self) -> None:
        bar = self.query_one("#filter-bar")
        bar.remove_class("hidden")
        self.query_one("#filter-input", Input).focus()

    def set_filter(self, spec: FilterSpec) -> None:
        try:
            match = spec.matcher()
        except re.error as exc:
            self.notify(f"not a regular expression: {exc}", severity="error")
            return
        self.filter = spec
        self._match = match
        self.rebuild()

    def _filter_from_bar(self) -> FilterSpec:
        return FilterSpec(self.query_one("#filter-input", Input).value.strip(),
                          self.query_one("#filter-regex", Checkbox).value,
                          self.query_one("#filter-case", Checkbox).value,
                          self.query_one("#filter-invert", Checkbox).value)

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.set_filter(self._filter_from_bar())
        if not self.filter.pattern:
            self.query_one("#filter-bar").add_class("hidden")
        self.logview.focus()

    @on(Checkbox.Changed)
    def _flag_changed(self, event: Checkbox.Changed) -> None:
        if self.filter.pattern or self.query_one("#filter-input", Input).value.strip():
            self.set_filter(self._filter_from_bar())

    def action_toggle_flag(self, flag: str) -> None:
        box = self.query_one(f"#filter-{flag}", Checkbox)
        box.value = not box.value

    # ------------------------------------------------------------------ save, back

    def action_save(self) -> None:
        lines = self.visible_lines()
        when = self.backend.now().strftime("%Y%m%d-%H%M%S")
        folder = Path(getattr(self.app, "save_dir", None) or Path.cwd())
        path = folder / f"stp-logs-{self.stack}-{self.resource}-{when}.log"
        try:
            path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
        except OSError as exc:
            self.notify(f"cannot save to {path}: {exc.strerror}", severity="error")
            return
        self.saved_path = path
        self.notify(f"saved {len(lines):,} lines to {path}", title="logs saved")

    def action_back(self) -> None:
        search = self.query_one("#search-bar", Input)
        bar = self.query_one("#filter-bar")
        if not search.has_class("hidden"):
            search.add_class("hidden")
            if not search.value.strip():
                self.set_search("")
            self.logview.focus()
            return
        if not bar.has_class("hidden"):
            bar.add_class("hidden")
            self.logview.focus()
            return
        if self.search_rx is not None:
            search.value = ""
            self.set_search("")
            return
        super().action_back()

    def palette_commands(self):
        return [
            ("Search the logs", "highlight matches, n/N to move (/)", self.action_search),
            ("Filter lines", "text or regex, case, invert (f)", self.action_filter),
            ("Only errors", "toggle the ERROR chip (e)", lambda: self.action_level("ERROR")),
            ("Only warnings", "toggle the WARN chip (w)", lambda: self.action_level("WARN")),
            ("Pick containers and tasks", "show or hide sources (c)", self.action_containers),
            ("Tail", "the newest lines, then follow (0)", lambda: self.action_preset("tail")),
            ("Last minute", "(1)", lambda: self.action_preset("1m")),
            ("Last 5 minutes", "(2)", lambda: self.action_preset("5m")),
            ("Last 15 minutes", "(3)", lambda: self.action_preset("15m")),
            ("Last hour", "(4)", lambda: self.action_preset("1h")),
            ("Time range…", "an absolute window: from … to … (t)", self.action_time_range),
            ("Save the logs to a file", "the lines shown, to the current folder (s)", self.action_save),
            ("Follow", "jump to the newest line (G)", self.action_follow),
        ]

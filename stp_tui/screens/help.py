"""`?`: the keys of the current screen (what its footer shows and more), plus what the screen is for."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

GLOBAL = [("^p", "command palette (this screen's commands, then everywhere's)"), ("?", "this help"),
          ("D", "deploy a config"), ("^t", "dark / light theme"), ("esc", "back"), ("q / ^q", "quit")]


def key_label(key: str, display: str | None, app) -> str:
    if display:
        return display
    try:
        return app.get_key_display(Binding(key, ""))
    except Exception:  # noqa: BLE001
        return key


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, title: str, about: str, keys: list[tuple[str, str]], read_only: bool,
                 everywhere: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.about = about
        self.keys = keys
        self.read_only = read_only
        self.everywhere = everywhere or []

    @classmethod
    def for_screen(cls, screen) -> "HelpScreen":
        app = screen.app
        seen: set[str] = set()
        keys: list[tuple[str, str]] = []
        from textual.binding import BindingsMap

        from stp_tui.screens.base import StpScreen

        ours: dict[str, list] = {}
        for klass in reversed(type(screen).__mro__):  # the dashboard's own keys, a subclass overriding its base
            if isinstance(klass, type) and issubclass(klass, StpScreen):
                for key, bindings in BindingsMap(klass.__dict__.get("BINDINGS", [])).key_to_bindings.items():
                    ours[key] = bindings
        for key, bindings in ours.items():
            for b in bindings:
                name = b.action.split("(", 1)[0]
                owner = app if name.startswith("app.") else screen
                name = name.removeprefix("app.")
                if not b.description or b.action in seen or owner.check_action(name, ()) is False:
                    continue
                if not b.show and getattr(screen, "EXTRA_KEYS", None):
                    continue  # the screen sums its hidden keys up in EXTRA_KEYS
                seen.add(b.action)
                keys.append((key_label(key, b.key_display, app), b.description))
        for extra_key, extra_desc in getattr(screen, "EXTRA_KEYS", ()):
            keys.append((extra_key, extra_desc))
        shown = {k for k, _ in keys}
        everywhere = [(k, d) for k, d in GLOBAL if k not in shown
                      and not (k == "D" and getattr(app, "read_only", False))]
        title = f"Help · {getattr(screen, 'TITLE_TEXT', type(screen).__name__)}"
        return cls(title, getattr(screen, "HELP", ""), keys, getattr(app, "read_only", False), everywhere)

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True, min_width=10)
        table.add_column()
        for k, d in self.keys:
            table.add_row(k, d)
        if self.everywhere:
            table.add_row("", "")
            table.add_row(Text("everywhere", style="bold"), "")
            for k, d in self.everywhere:
                table.add_row(k, d)
        with Vertical(id="help-dialog", classes="dialog"):
            yield Label(self.title_text, id="dialog-title")
            with VerticalScroll(id="help-body"):
                if self.about:
                    yield Static(Text(self.about), id="help-about")
                yield Static(table, id="help-keys")
                if self.read_only:
                    yield Static(Text("read-only: actions that change AWS are hidden", style="yellow"))
            yield Label("[dim]escape closes[/dim]")

    def action_close(self) -> None:
        self.dismiss(None)

"""The header of every screen: where you are (breadcrumbs) and where commands go (target, region, stage)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class ContextBar(Horizontal):
    """Breadcrumbs on the left; profile or endpoint, region, stage and READ-ONLY on the right."""

    DEFAULT_CSS = """
    ContextBar { dock: top; height: 1; background: $panel; color: $foreground; }
    ContextBar #crumbs { width: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ContextBar #where { width: auto; padding: 0 1; text-wrap: nowrap; }
    """

    def __init__(self, crumbs: list[str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.crumbs = crumbs or []

    def compose(self) -> ComposeResult:
        yield Static(self._crumbs_text(), id="crumbs")
        yield Static("", id="where")

    def on_mount(self) -> None:
        self.watch(self.app, "context", self._show_context, init=True)

    def set_crumbs(self, crumbs: list[str]) -> None:
        self.crumbs = crumbs
        self.query_one("#crumbs", Static).update(self._crumbs_text())

    def _crumbs_text(self) -> Text:
        text = Text()
        text.append(" stp ", style="bold reverse")
        for c in self.crumbs:
            text.append(" › ", style="dim")
            text.append(c, style="bold")
        return text

    def _show_context(self, ctx) -> None:
        if ctx is None:
            return
        text = Text()
        text.append(ctx.target, style="cyan" if ctx.connected else "dim italic")
        text.append(" │ ", style="dim")
        text.append("region ", style="dim")
        text.append(ctx.region)
        text.append(" │ ", style="dim")
        text.append("stage ", style="dim")
        text.append(ctx.stage, style="bold")
        if ctx.read_only:
            text.append(" │ ", style="dim")
            text.append(" READ-ONLY ", style="bold black on yellow")
        self.query_one("#where", Static).update(text)

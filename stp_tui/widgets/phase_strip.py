"""The phases of a deployment as a strip: Prepare ─ Change set ─ Review ─ Execute ─ Done."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

PHASES = ["Prepare", "Change set", "Review", "Execute", "Done"]
_MARK = {"pending": ("○", "dim"), "active": ("◉", "bold yellow"), "done": ("●", "green"), "failed": ("✖", "bold red"),
         "skipped": ("–", "dim")}


class PhaseStrip(Widget):
    DEFAULT_CSS = "PhaseStrip { height: 1; width: 1fr; padding: 0 1; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.states = {p: "pending" for p in PHASES}

    def set_phase(self, phase: str, state: str = "active") -> None:
        """Mark ``phase`` (and every earlier one as done, later ones as pending unless said otherwise)."""
        i = PHASES.index(phase)
        for j, p in enumerate(PHASES):
            if j < i:
                if self.states[p] not in ("skipped", "failed"):
                    self.states[p] = "done"
            elif j == i:
                self.states[p] = state
            else:
                self.states[p] = "pending"
        self.refresh()

    def reset(self) -> None:
        self.states = {p: "pending" for p in PHASES}
        self.refresh()

    def render(self) -> Text:
        text = Text()
        for i, p in enumerate(PHASES):
            mark, style = _MARK[self.states[p]]
            if i:
                text.append(" ── ", style="dim")
            text.append(f"{mark} {p}", style=style)
        return text

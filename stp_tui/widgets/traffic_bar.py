"""Traffic split of a gradual deployment: old revision vs new revision, as a bar with percentages."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class TrafficBar(Widget):
    DEFAULT_CSS = "TrafficBar { height: 1; width: 1fr; }"

    old: reactive[float] = reactive(100.0)
    new: reactive[float] = reactive(0.0)

    def __init__(self, old_label: str = "old", new_label: str = "new", **kwargs):
        super().__init__(**kwargs)
        self.old_label = old_label
        self.new_label = new_label

    def set_split(self, old: float, new: float, old_label: str | None = None, new_label: str | None = None) -> None:
        if old_label:
            self.old_label = old_label
        if new_label:
            self.new_label = new_label
        self.old, self.new = old, new
        self.refresh()

    def render(self) -> Text:
        left = f"{self.old_label} {self.old:5.1f}% "
        right = f" {self.new:5.1f}% {self.new_label}"
        width = max(10, self.size.width - len(left) - len(right))
        total = (self.old + self.new) or 100.0
        new_cells = round(width * self.new / total)
        if self.new > 0 and new_cells == 0:
            new_cells = 1
        old_cells = width - new_cells
        text = Text()
        text.append(left, style="bold blue")
        text.append("█" * old_cells, style="blue")
        text.append("█" * new_cells, style="green")
        text.append(right, style="bold green")
        return text

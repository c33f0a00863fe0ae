"""Small toggle chips (containers, log levels): click or press their key to switch them."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static


class Chip(Static):
    DEFAULT_CSS = """
    Chip { width: auto; height: 1; padding: 0 1; margin: 0 1 0 0; background: $boost; color: $text-muted; }
    Chip.-active { background: $accent 40%; color: $text; text-style: bold; }
    Chip:hover { background: $accent 60%; }
    """

    active: reactive[bool] = reactive(False)
    count: reactive[int | None] = reactive(None, layout=True)

    class Toggled(Message):
        def __init__(self, chip: "Chip") -> None:
            super().__init__()
            self.chip = chip

        @property
        def control(self) -> "Chip":
            return self.chip

    def __init__(self, label: str, key: str = "", active: bool = False, style: str = "", **kwargs):
        super().__init__("", **kwargs)
        self.label = label
        self.key = key
        self.label_style = style
        self.set_reactive(Chip.active, active)
        self.set_class(active, "-active")

    def render(self) -> Text:
        text = Text()
        if self.key:
            text.append(f"{self.key} ", style="dim")
        text.append(self.label, style=self.label_style)
        if self.count is not None:
            text.append(f" {self.count}", style="bold")
        return text

    def watch_active(self, active: bool) -> None:
        self.set_class(active, "-active")

    def on_click(self) -> None:
        self.active = not self.active
        self.post_message(self.Toggled(self))

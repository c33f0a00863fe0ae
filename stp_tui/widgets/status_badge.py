"""A status word in its colour (CloudFormation, ECS and deployment statuses)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from stp_tui.format import status_style


def badge(status: str, dot: bool = True) -> Text:
    style = status_style(status)
    text = Text()
    if dot:
        text.append("● ", style=style)
    text.append(status or "-", style=style)
    return text


class StatusBadge(Static):
    DEFAULT_CSS = "StatusBadge { width: auto; height: 1; }"

    def __init__(self, status: str = "", **kwargs):
        super().__init__(badge(status), **kwargs)
        self.status = status

    def set(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self.update(badge(status))

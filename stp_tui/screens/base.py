"""What every screen shares: the header, key hints, `?` help, palette commands, read-only guarding."""

from __future__ import annotations

from typing import Callable, ClassVar

from textual.binding import Binding
from textual.screen import Screen

from stp_tui.widgets.context_bar import ContextBar


class StpScreen(Screen):
    """A screen of the dashboard.

    ``MUTATING`` names the actions that change AWS: in --read-only mode they are hidden from the footer,
    the help and the palette, and refused.
    """

    HELP: ClassVar[str] = ""
    MUTATING: ClassVar[frozenset[str]] = frozenset()
    BINDINGS = [
        Binding("escape", "back", "Back", show=True),
        Binding("question_mark", "app.help", "Help", key_display="?"),
    ]

    @property
    def crumbs(self) -> list[str]:
        return []

    def header(self) -> ContextBar:
        return ContextBar(self.crumbs)

    @property
    def read_only(self) -> bool:
        return bool(getattr(self.app, "read_only", False))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.MUTATING and self.read_only:
            return False
        return True

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """(title, help, callback) for the command palette, for this screen."""
        return []

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    @property
    def backend(self):
        return self.app.backend

    def allowed(self, action: str) -> bool:
        return self.check_action(action, ()) is not False

"""Modal dialogs: confirm (optionally by typing a name), a read-only text/JSON view, a multi-select picker."""

from __future__ import annotations

import json

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no. With ``type_to_confirm`` the yes button works only once that text is typed."""

    BINDINGS = [
        Binding("escape", "answer(False)", "No"),
        Binding("n", "answer(False)", "No", show=False),
        Binding("y", "answer(True)", "Yes", show=False),
    ]

    def __init__(self, title: str, message: str | Text, *, yes: str = "Yes", no: str = "No", danger: bool = False,
                 type_to_confirm: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.yes = yes
        self.no = no
        self.danger = danger
        self.type_to_confirm = type_to_confirm
        self.AUTO_FOCUS = "#dialog-input" if type_to_confirm else "#yes"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -danger" if self.danger else "dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield Static(self.message, id="dialog-message")
            if self.type_to_confirm:
                yield Label(f"type [b]{self.type_to_confirm}[/b] to confirm", id="dialog-hint")
                yield Input(placeholder=self.type_to_confirm, id="dialog-input")
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.yes} (y)" if not self.type_to_confirm else self.yes,
                             variant="error" if self.danger else "primary", id="yes",
                             disabled=bool(self.type_to_confirm))
                yield Button(f"{self.no} (n)", id="no")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#yes", Button).disabled = event.value.strip() != self.type_to_confirm

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.type_to_confirm:
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        if yes and self.type_to_confirm:
            return  # typing is the confirmation (the y key may be part of the name)
        self.dismiss(yes)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer" and self.type_to_confirm and parameters and parameters[0] is True:
            return False
        return True


class TextScreen(ModalScreen[None]):
    """A read-only view of JSON (syntax-coloured) or text; escape closes."""

    BINDINGS = [Binding("escape,q,y", "close", "Close")]

    def __init__(self, title: str, body: dict | str, *, language: str = "json") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.language = language

    def compose(self) -> ComposeResult:
        text = json.dumps(self.body, indent=2, default=str) if not isinstance(self.body, str) else self.body
        dark = getattr(self.app, "current_theme", None)
        theme = "monokai" if dark is None or dark.dark else "default"
        with Vertical(id="text-dialog", classes="dialog"):
            yield Label(self.title_text, id="dialog-title")
            with VerticalScroll(id="text-body"):
                yield Static(Syntax(text, self.language, theme=theme, line_numbers=True, word_wrap=False,
                                    background_color="default"), id="text-content")
            yield Label("[dim]escape closes[/dim]")

    def action_close(self) -> None:
        self.dismiss(None)


class PickScreen(ModalScreen[list[str] | None]):
    """Pick any number of items (space toggles, enter accepts, escape cancels)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("enter", "accept", "Apply", priority=True),
                Binding("a", "all", "All")]

    def __init__(self, title: str, items: list[tuple[str, str]], selected: set[str]) -> None:
        super().__init__()
        self.title_text = title
        self.items = items
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-dialog", classes="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield SelectionList[str](*[Selection(label, value, value in self.selected) for label, value in self.items],
                                     id="pick")
            yield Label("[dim]space toggles · a all · enter applies · escape cancels[/dim]")

    AUTO_FOCUS = "#pick"

    def action_all(self) -> None:
        self.query_one("#pick", SelectionList).select_all()

    def action_accept(self) -> None:
        self.dismiss(list(self.query_one("#pick", SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)


class AskScreen(ModalScreen[str | None]):
    """One line of text (Enter answers, Escape cancels)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#dialog-input"

    def __init__(self, title: str, message: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield Static(self.message, id="dialog-message")
            yield Input(value=self.value, placeholder=self.placeholder, id="dialog-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)

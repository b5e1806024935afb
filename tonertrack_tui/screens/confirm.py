"""A yes/no question in a modal. Dismisses with True (confirmed) or False.

Focus starts on Cancel, so an Enter pressed out of habit never confirms a destructive
action: Enter presses the focused button, `y` confirms, `n` and Escape cancel.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..keys import bindings

DESTRUCTIVE_WORDS = ("delete", "remove", "discard", "overwrite", "quarantine")


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen #confirm-dialog {
        width: 64;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $warning;
        background: $panel;
        padding: 1 2 0 2;
    }
    ConfirmScreen #question {
        text-style: bold;
    }
    ConfirmScreen #detail {
        color: $text-muted;
        margin-top: 1;
    }
    ConfirmScreen #confirm-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ConfirmScreen #confirm-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS = bindings("confirm")

    def __init__(self, question: str, detail: str = "", confirm_label: str = "OK") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        destructive = self.confirm_label.strip().lower() in DESTRUCTIVE_WORDS
        with Vertical(id="confirm-dialog"):
            # question and detail may carry printer names: never markup
            yield Static(Text(self.question), id="question")
            if self.detail:
                yield Static(Text(self.detail), id="detail")
            with Horizontal(id="confirm-buttons"):
                yield Button(Text(f"{self.confirm_label} (y)"), id="confirm",
                             variant="error" if destructive else "primary")
                yield Button(Text("Cancel (n)"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

"""A yes/no question: ``y``/``enter`` answer True, ``n``/``escape`` answer False.

Title, message and button labels are shown literally (never as markup). The
buttons take no focus, so ``enter`` always means yes, whatever was clicked.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.core.textsafe import clean, clean_line
from tui.widgets.keys import bindings


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True (yes) or False (no)."""

    BINDINGS = bindings("confirm")

    def __init__(self, title: str, message: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.confirm_title = title
        self.message = message
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        yes, no = clean_line(self.yes), clean_line(self.no)
        with Vertical(id="dialog"):
            yield Static(Text(clean_line(self.confirm_title)), id="title", markup=False)
            yield Static(Text(clean(self.message)), id="message", markup=False)
            with Horizontal(id="buttons"):
                yes_button = Button(Content(yes), variant="primary", id="yes")
                no_button = Button(Content(no), id="no")
                for button in (yes_button, no_button):
                    button.can_focus = False  # keys decide, not whichever button has focus
                    yield button
            yield Static(Text(f"y / enter: {yes} · n / esc: {no}"), id="keys", markup=False)

    @on(Button.Pressed, "#yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def _no(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

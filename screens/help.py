"""The key reference: (section, keys, description) rows grouped by section, scrollable.

The app fills it from the action table with the user's keymap
(:func:`tui.app.palette.help_table`): the keys shown are the keys that work.

Closes with ``escape``, ``q`` or ``?``. All text is shown literally.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.widgets._text import literal
from tui.widgets.keys import bindings

HINT = "esc / q / ?: close · ↑ ↓ pgup pgdn: scroll"


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; dismisses with None."""

    BINDINGS = bindings("help")

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = list(rows)

    def sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Rows grouped by section, sections in order of first appearance."""
        grouped: dict[str, list[tuple[str, str]]] = {}
        for section, keys, description in self.rows:
            grouped.setdefault(section, []).append((keys, description))
        return list(grouped.items())

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(Text("Keys"), id="title", markup=False)
            yield Static(Text(HINT), id="keys", markup=False)
            for section, rows in self.sections():
                yield Static(literal(section, wrap=True), classes="section", markup=False)
                for keys, description in rows:
                    with Horizontal(classes="row"):
                        yield Static(literal(keys, wrap=True), classes="keys", markup=False)
                        yield Static(
                            literal(description, wrap=True), classes="description", markup=False
                        )
            if not self.rows:
                yield Static(Text("No keys to show."), classes="description", markup=False)

    def on_mount(self) -> None:
        self.query_one("#dialog", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)

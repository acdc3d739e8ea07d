"""Pick one of several open incidents, or start a new one.

Dismisses with the chosen incident id, ``"new"`` (``n``: start a new
incident) or ``None`` (``q`` / ``escape``). Summaries are shown literally.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.textsafe import clean_line
from tui.widgets.keys import bindings

HEADING = "Several incidents are open — pick one"


class PickerScreen(Screen[str | None]):
    BINDINGS = bindings("picker")

    def __init__(self, incidents: list[tuple[str, str]]) -> None:
        super().__init__()
        self.incidents = list(incidents)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(Text(HEADING), id="heading", markup=False)
            yield OptionList(
                *(Option(Text(clean_line(summary))) for _, summary in self.incidents),
                id="incidents",
                markup=False,
            )
            yield Static(
                Text("↑ ↓: move · enter: open · n: new incident · q / esc: quit"),
                id="keys",
                markup=False,
            )
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one("#incidents", OptionList)
        options.focus()
        if self.incidents:
            options.highlighted = 0

    @on(OptionList.OptionSelected, "#incidents")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.incidents[event.option_index][0])

    def action_new(self) -> None:
        self.dismiss("new")

    def action_quit_picker(self) -> None:
        self.dismiss(None)

"""Every saved version of a draft: who saved it, when, and its text (shown literally).

Dismisses with the chosen version's text (``enter``: restore it into the
editor) or ``None`` (``escape``). Nothing typed in the shared draft vanishes:
a text saved while someone else held the draft is here, marked "kept aside".
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.clock import wall
from tui.core.state import DraftVersion
from tui.core.textsafe import clean, clean_line
from tui.widgets.keys import bindings


class VersionsScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    VersionsScreen { align: center middle; }
    VersionsScreen #versions-list { height: 8; }
    VersionsScreen #versions-text { border: round $primary 50%; padding: 0 1; }
    """
    BINDINGS = bindings("versions")

    def __init__(self, purpose: str, versions: list[DraftVersion], tz: str) -> None:
        super().__init__()
        self.purpose = purpose
        self.versions = list(reversed(versions))  # newest first
        self.tz = tz

    def compose(self) -> ComposeResult:
        with Vertical(id="publish-dialog"):
            title = f"Saved versions of the {self.purpose} draft (newest first)"
            yield Static(Text(clean_line(title), style="bold"), id="publish-title")
            yield OptionList(
                *(Option(self._line(v)) for v in self.versions), id="versions-list", markup=False
            )
            with VerticalScroll(id="publish-scroll"):
                yield Static(Text(""), id="versions-text", markup=False)
            yield Static(
                Text(" \u2191 \u2193 choose \u00b7 enter restore into the editor \u00b7 esc back "),
                id="publish-status",
                markup=False,
            )
        yield Footer()

    def _line(self, v: DraftVersion) -> Text:
        first = next((line for line in v.text.splitlines() if line.strip()), "")
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(f"v{v.number} ", style="bold")
        out.append(f"{wall(v.at, self.tz)} ")
        out.append(clean_line(v.by))
        if v.aside:
            out.append(" kept aside", style="bold reverse")
        out.append(f"  {clean_line(first)[:80]}", style="dim")
        return out

    def on_mount(self) -> None:
        options = self.query_one("#versions-list", OptionList)
        options.focus()
        options.highlighted = 0
        self._show(0)

    def _show(self, index: int) -> None:
        if 0 <= index < len(self.versions):
            text = Text(clean(self.versions[index].text))
            self.query_one("#versions-text", Static).update(text)

    @on(OptionList.OptionHighlighted, "#versions-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show(event.option_index)

    @on(OptionList.OptionSelected, "#versions-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.versions[event.option_index].text)

    def action_close(self) -> None:
        self.dismiss(None)

"""The outbox: every message on its way to a status page -- pending, sent, failed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from screens._host import host
from tui.core.textsafe import clean_line
from tui.widgets.keys import bindings

_MARK = {"pending": "\u2026 PENDING", "sent": "\u2713 SENT", "failed": "\u2717 FAILED"}


class OutboxScreen(ModalScreen[None]):
    BINDINGS = bindings("outbox")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []

    def compose(self) -> ComposeResult:
        with Vertical(id="publish-dialog"):
            yield Static(Text("Outbox", style="bold"), id="publish-title")
            yield OptionList(id="outbox-rows", markup=False)
            yield Static("", id="outbox-detail")
        yield Footer()

    def on_mount(self) -> None:
        host(self).refresh_outbox(self)
        self.set_interval(1.0, lambda: host(self).refresh_outbox(self))

    def show_rows(self, rows: list) -> None:
        if not self.is_attached:
            return  # closed while the rows were read
        listing = self.query_one("#outbox-rows", OptionList)
        keep = listing.highlighted
        self.rows = rows
        options = []
        for r in rows:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{_MARK.get(r.state, r.state.upper()):<10}", style="bold")
            line.append(f" #{r.id} {r.incident_id} {r.purpose} \u2192 {r.destination}")
            line.append(f"  attempts {r.attempts}", style="dim")
            if r.last_error:  # a sent row keeps one only when it may not have arrived
                line.append(f"  {clean_line(r.last_error)[:80]}", style="italic")
            options.append(Option(line, id=str(r.id)))
        if not options:
            options = [Option(Text("Nothing has been queued yet.", style="dim"), disabled=True)]
        listing.set_options(options)
        if rows:
            listing.highlighted = min(keep or 0, len(rows) - 1)
        pending = sum(r.state == "pending" for r in rows)
        failed = sum(r.state == "failed" for r in rows)
        sent = sum(r.state == "sent" for r in rows)
        detail = Text(f" {pending} pending \u00b7 {sent} sent \u00b7 {failed} failed ")
        destinations = host(self).config.destinations
        for dest in destinations:
            detail.append(f" \u00b7 {dest.id} \u2192 {clean_line(dest.base_url)}", style="dim")
        if not destinations:
            detail.append(" \u00b7 no destinations configured (see README)", style="bold")
        self.query_one("#outbox-detail", Static).update(detail)

    def _selected(self):
        listing = self.query_one("#outbox-rows", OptionList)
        if listing.highlighted is None or not self.rows:
            return None
        return self.rows[listing.highlighted]

    def action_retry(self) -> None:
        row = self._selected()
        if row is not None:
            host(self).outbox_action("retry", row.id, self)

    def action_cancel_row(self) -> None:
        row = self._selected()
        if row is not None:
            host(self).outbox_action("cancel", row.id, self)

    def action_close(self) -> None:
        self.dismiss(None)

"""Pane 1: the phase checklist -- phases done / now / next with deadlines, items with owners.

A phase reads DONE only when each item is ticked or skipped; one left behind
with open items reads OPEN. A skipped item shows who skipped it and why; an
item a published message fulfilled shows that message ("by publishing #12").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.core.durations import format_duration
from tui.core.state import IncidentState, phase_views
from tui.widgets._options import OptionPane
from tui.widgets._text import literal, short_time
from tui.widgets.keys import bindings
from tui.widgets.messages import ToggleItem

_STATE_WORDS = {"done": "DONE", "current": "NOW ", "upcoming": "NEXT", "open": "OPEN"}


class PhaseChecklist(OptionPane):
    BINDINGS = bindings("checklist")

    @dataclass
    class SkipRequested(Message):
        """Skip the highlighted item: the dashboard asks for the reason."""

        item_id: str

    def _moving(self, s: IncidentState, now: datetime) -> object:
        """The heads' time words (an item row never depends on the time)."""
        return tuple(_time_words(view, now) for view in phase_views(s, now))

    def _rows(self, s: IncidentState, now: datetime):
        tz = s.book.timezone
        for view in phase_views(s, now):
            head = Text(no_wrap=True, overflow="ellipsis")
            style = "bold reverse" if view.state == "current" else "bold"
            if view.state == "open":
                style = "bold yellow"
            head.append(f"{_STATE_WORDS[view.state]} ", style=style)
            head.append_text(literal(view.phase.title, "bold"))
            if view.state == "open":
                head.append(f" ({len(view.open_items)} open)", style="yellow")
            if view.deadline_at:
                head.append(f"  deadline {short_time(view.deadline_at, tz)}")
                if view.missed:
                    late = (view.met_at or now) - view.deadline_at
                    head.append(f" LATE {format_duration(late)}", style="bold red")
                elif view.met_at:
                    head.append(f" met {short_time(view.met_at, tz)}", style="green")
                else:
                    left = view.deadline_at - now
                    head.append(f" ({format_duration(left)} left)", style="yellow")
            yield Option(head, id=f"phase:{view.phase.id}", disabled=True)
            for item in view.phase.checklist:
                st = s.items.get(item.id)
                done = bool(st and st.done)
                skipped = bool(st and st.skipped and not done)
                row = Text(no_wrap=True, overflow="ellipsis")
                if skipped:
                    row.append(" [-] ", style="bold yellow")
                else:
                    row.append(" [x] " if done else " [ ] ", style="bold green" if done else "bold")
                row.append_text(literal(item.text, "dim" if done or skipped else ""))
                row.append(f"  {item.owner}", style="italic dim")
                if skipped and st:
                    row.append(" \u00b7 ", style="dim")
                    row.append_text(literal(f"skipped by {st.by}: {st.reason}", "yellow"))
                elif done and st and st.by:
                    row.append(" \u00b7 ", style="dim")
                    row.append_text(literal(f"{st.by} {short_time(st.at, tz)}", "dim"))
                    if st.by_event is not None:
                        row.append(f" by publishing #{st.by_event}", style="dim")
                yield Option(row, id=f"item:{item.id}")

    def action_toggle_item(self) -> None:
        option = self.highlighted_option
        if option is not None and option.id and option.id.startswith("item:"):
            self.post_message(ToggleItem(option.id.removeprefix("item:")))

    def action_skip(self) -> None:
        option = self.highlighted_option
        if option is not None and option.id and option.id.startswith("item:"):
            self.post_message(self.SkipRequested(option.id.removeprefix("item:")))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle_item()


def _time_words(view, now: datetime) -> tuple[bool, str]:
    """What of a phase head moves with the time alone: late or not, and by how much."""
    if not view.deadline_at or (view.met_at and not view.missed):
        return (view.missed, "")
    if view.missed:
        return (True, format_duration((view.met_at or now) - view.deadline_at))
    return (False, format_duration(view.deadline_at - now))

"""Pane 5: the timeline -- the event log as sentences: who did what, when."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from tui.core.state import IncidentState
from tui.widgets._text import literal, short_time

SHOWN = 100  # the newest entries on first paint; more arrive live; `warroom log` has all


class Timeline(RichLog):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, highlight=False, wrap=True, min_width=20, **kwargs)
        self._shown = 0  # last event id written
        self._ids: list[int] = []  # the event ids of the lines written (or left out), in order
        self._waiting: IncidentState | None = None  # the newest state, while the pane has no width

    def on_show(self) -> None:
        """Shown again (the compact layout shows one pane at a time): the newest line in
        view. A scroll made while hidden used the size the pane had before (measured:
        after `5` at 80x24 the newest lines sat below the bottom edge)."""
        self.scroll_end(animate=False, immediate=False)

    def on_resize(self, event: Resize) -> None:
        super().on_resize(event)
        if event.size.width and self._waiting is not None:
            if self._shown == 0:
                # the first fill (up to SHOWN wrapped lines) after the first frame: the
                # header and the checklist come first, the log a frame later
                self.call_after_refresh(self._show_waiting)
            else:
                self.show(self._waiting)

    def _show_waiting(self) -> None:
        if self._waiting is not None and self.size.width:
            self.show(self._waiting)

    def show(self, state: IncidentState) -> None:
        if not self.size.width:
            # Not laid out yet, or hidden (the compact layout shows one pane at a time):
            # writing now would render every line twice, before and after the first
            # resize. Keep the newest state and write it when the pane gets a width.
            # (It once re-queued itself after every refresh instead: a hidden timeline
            # at 80x24 spun ~8,700 times a second and made each key press take ~2 s.)
            self._waiting = state
            return
        self._waiting = None
        visible = [t for t in state.timeline if not t.quiet]
        if [t.event_id for t in visible[: len(self._ids)]] != self._ids:
            # a line shown was folded into a newer one (queue +/-, the poller's run of
            # counts per channel, moved to the end): write them afresh
            self.clear()
            self._shown = 0
            self._ids = []
        entries = visible[len(self._ids) :]
        if not entries:
            return
        self._ids.extend(t.event_id for t in entries)
        tz = state.book.timezone
        if self._shown == 0 and len(entries) > SHOWN:
            hidden = len(entries) - SHOWN
            self.write(Text(f"\u2026 {hidden} earlier entries: warroom log", style="dim"))
            entries = entries[-SHOWN:]
        for t in entries:
            line = Text()
            line.append(short_time(t.at, tz) + " ", style="bold")
            line.append_text(literal(t.text))
            line.no_wrap = False
            self.write(line)
        self._shown = entries[-1].event_id

"""Pane 2: the update countdown -- big digits to the next promised update, in words too."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Digits, Static

from tui.core.clock import local, wall
from tui.core.durations import countdown, format_duration
from tui.core.state import IncidentState, due, postmortem_due
from tui.widgets._text import update_if_changed
from tui.widgets.bigdigits import BigDigits

_STATES = {"on track": "-ok", "due soon": "-soon", "LATE": "-late"}


class UpdateCountdown(Vertical):
    """States: ON TRACK / DUE SOON / LATE +mm:ss, each in words and in colour."""

    can_focus = True
    state_word: reactive[str] = reactive("", init=False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._state: IncidentState | None = None
        self.bell_enabled = True
        self._was_late: bool | None = None  # None until the first paint: no bell at start-up

    def compose(self) -> ComposeResult:
        yield Static("", id="countdown-what")
        yield BigDigits("--:--", id="countdown-digits")  # repaints the changed digits only
        yield Static("", id="countdown-when")

    def show(self, state: IncidentState, now: datetime) -> None:
        self._state = state
        self.tick(now)

    def tick(self, now: datetime) -> None:
        s = self._state
        if s is None:
            return
        d = due(s, now)
        what = self.query_one("#countdown-what", Static)
        digits = self.query_one("#countdown-digits", Digits)
        when = self.query_one("#countdown-when", Static)
        tz = s.book.timezone
        wanted = _STATES.get(d.state) if d else None
        for cls in _STATES.values():
            self.set_class(cls == wanted, cls)
        if d is None and not s.closed_at and postmortem_due(s) is not None:
            self._postmortem(s, now, what, digits, when)
            return
        if d is None:
            self._was_late = False
            self.state_word = "CLOSED" if s.closed_at else "RESOLVED" if s.resolved_at else "NONE"
            update_if_changed(what, Text("No update due", style="bold"))
            _digits(digits, "--:--")
            note = "incident closed" if s.closed_at else "no cadence in this phase"
            if s.resolved_at and not s.closed_at:
                note = f"resolved {wall(s.resolved_at, tz)}"
            update_if_changed(when, Text(note))
            return
        acknowledged = any(u.purpose == "ack" for u in s.updates)
        title = "Next update" if acknowledged else "Acknowledge within"
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(title, style="bold")
        line.append(f"  ({d.reason})", style="dim")
        update_if_changed(what, line)
        left = countdown(d.seconds_left)
        _digits(digits, "+" + left if d.overdue else left)
        status = Text(no_wrap=True, overflow="ellipsis")
        word = "LATE +" + left if d.overdue else d.state.upper()
        status.append(f" {word} ", style="bold reverse")
        status.append(f"  by {wall(d.at, tz)}", style="bold")
        update_if_changed(when, status)
        self.state_word = "LATE" if d.overdue else d.state.upper()
        if d.overdue and self._was_late is False and self.bell_enabled:
            self.app.bell()  # once, when it turns late
        self._was_late = d.overdue

    def _postmortem(self, s: IncidentState, now: datetime, what, digits, when) -> None:
        """After the resolution: the post-mortem promise, in days and hours."""
        at = postmortem_due(s)
        assert at is not None
        left = int((at - now).total_seconds())
        late = left < 0
        state = "-late" if late else ("-soon" if left <= 12 * 3600 else "-ok")
        for cls in _STATES.values():
            self.set_class(cls == state, cls)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("Post-mortem due", style="bold")
        line.append(f"  (promised within {format_duration(s.book.postmortem_within)})", style="dim")
        update_if_changed(what, line)
        span = countdown(left)  # 2d 23h, never 71:59 (which reads as minutes:seconds)
        _digits(digits, f"{'+' if late else ''}{span}")
        status = Text(no_wrap=True, overflow="ellipsis")
        word = f"LATE +{span}" if late else f"{span} LEFT"
        status.append(f" {word} ", style="bold reverse")
        local_at = local(at, s.book.timezone)
        status.append(
            f"  by {local_at.strftime('%a %b')} {local_at.day}, {wall(at, s.book.timezone)}"
        )
        update_if_changed(when, status)
        self.state_word = "POST-MORTEM LATE" if late else "POST-MORTEM DUE"
        self._was_late = False


def _digits(widget: Digits, value: str) -> None:
    if widget.value != value:
        widget.update(value)

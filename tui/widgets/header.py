"""The header: incident, severity in words, elapsed time, phase, roles, who is in the room.

When a delivery needs a person (a row failed for good, or has waited longer than
its destination's ``stale_after``), the roles line gives way to it, in words:
`` DELIVERY `` status: failed — 401, check STATUSPAGE_API_KEY · d: send to the others.
"""

from __future__ import annotations

import re
from datetime import datetime

from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.visual import Visual, visualize
from textual.widgets import Static

from tui.core.clock import wall
from tui.core.durations import countdown
from tui.core.state import IncidentState, due
from tui.core.store import Presence
from tui.publish.outbox import Row
from tui.widgets._host import pane_host
from tui.widgets._text import literal, mmss, short_time

MAX_ERROR = 70  # characters of the row's error shown in the header (the outbox has it all)


class IncidentHeader(Static):
    DEFAULT_CSS = """
    IncidentHeader { height: 3; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self._state: IncidentState | None = None
        self._presence: list[Presence] = []
        self._now: datetime | None = None
        self.compact = False  # narrow terminals: the countdown moves up here
        self.me = ""  # who runs this dashboard: approvals waiting for them are shouted
        self.problems: list[Row] = []  # deliveries that need a person, newest first
        self._lines: list[Text] | None = None  # what each line shows now
        self._text = Text()
        self._strips: dict[int, tuple[Text, tuple[int, Style], Strip]] = {}  # per line

    def show(self, state: IncidentState, now: datetime) -> None:
        self._state, self._now = state, now
        self._paint()

    def show_presence(self, presence: list[Presence]) -> None:
        self._presence = presence
        self._paint()

    def show_deliveries(self, problems: list[Row]) -> None:
        """Failed or stuck outbox rows (``outbox.needs_attention``), newest first."""
        self.problems = list(problems)
        self._paint()

    def delivery_line(self) -> Text | None:
        """The header's words for the first delivery problem (None: nothing to say)."""
        if not self.problems or self._now is None:
            return None
        # a failed row first: its error says what to fix (rows queued behind it, or
        # waiting, are counted in "+N more")
        row = next((r for r in self.problems if r.state == "failed"), self.problems[0])
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(" DELIVERY ", style="bold reverse")
        line.append(" ")
        line.append_text(literal(row.destination, "bold"))
        error = (row.last_error or "").strip()
        if row.state == "failed":
            line.append(": failed")
        else:
            waited = int((self._now - row.created_at).total_seconds()) // 60
            line.append(f": waiting {waited} min, {row.attempts} attempt(s)")
        if error:
            line.append(" \u2014 ")
            line.append_text(literal(error[:MAX_ERROR]))
        hint = self._fix_hint(row.destination, error)
        if hint:
            line.append_text(literal(f", {hint}", "bold"))
        more = len(self.problems) - 1
        if more:
            line.append(f" (+{more} more)", style="dim")
        line.append("  d: send to the others \u00b7 o: outbox", style="bold")
        return line

    def _fix_hint(self, dest_id: str, error: str) -> str:
        """For a refused key (401, 403): which setting to check -- its name, never its value."""
        if not re.search(r"\b(401|403)\b", error):
            return ""
        dest = pane_host(self).config.destination(dest_id)
        if dest is None:
            return ""
        named = [dest.api_key_env, dest.api_key_file]
        for env, file in dest.secret_refs.values():
            named += [env, file]
        setting = next((n for n in named if n), None)
        return f"check {setting}" if setting else ""

    def tick(self, now: datetime) -> None:
        self._now = now
        self._paint()

    def _paint(self) -> None:
        s, now = self._state, self._now
        if s is None or now is None:
            return
        book = s.book
        elapsed = int((now - s.detected_at).total_seconds()) if s.detected_at else 0
        phase = s.current_phase()
        line1 = Text(no_wrap=True, overflow="ellipsis")
        line1.append(f" {s.severity_title} ", style="reverse bold")
        line1.append(" ")
        line1.append(s.id, style="bold")
        line1.append(" ")
        line1.append_text(literal(s.title, "bold"))
        if s.closed_at:
            line1.append("  CLOSED", style="bold")
        line1.append(f"   {mmss(elapsed)} since detection", style="")
        line1.append("  phase: ")
        line1.append_text(literal(phase.title if phase else "-", "italic"))
        roles = Text(no_wrap=True, overflow="ellipsis")
        roles.append("Roles ", style="dim")
        for i, role in enumerate(book.roles):
            if i:
                roles.append(" \u00b7 ", style="dim")
            roles.append_text(literal(role.title))
            roles.append(": ")
            holder = s.roles.get(role.id)
            roles.append_text(literal(holder, "bold") if holder else Text("vacant", style="dim"))
        room = Text(no_wrap=True, overflow="ellipsis")
        room.append("In the room ", style="dim")
        if not self._presence:
            room.append("nobody else yet", style="dim")
        for i, p in enumerate(self._presence):
            if i:
                room.append(" \u00b7 ", style="dim")
            room.append_text(literal(p.user, "bold"))
            room.append(f" since {short_time(p.since, book.timezone)}")
            if p.tty:
                room.append_text(literal(f" ({p.tty})", "dim"))
        waiting = [
            r
            for r in s.requests.values()
            if r.status == "pending" and self.me and s.roles.get(r.role) == self.me
        ]
        if waiting:
            room = Text(no_wrap=True, overflow="ellipsis")
            room.append(" AWAITING YOUR APPROVAL ", style="bold reverse")
            room.append_text(literal(f" {waiting[0].by}'s {waiting[0].purpose} message: press v"))
        delivery = self.delivery_line()
        if delivery is not None:
            roles = delivery  # a message not reaching customers outranks the roles line
        lines = [line1, roles, room]
        if self.compact:
            lines.append(self._countdown(s, now))
        self._show_lines(lines)

    def render(self) -> Text:
        return self._text

    def render_line(self, y: int) -> Strip:
        """One line, rendered only when its text (or the width, or the style) changed: the
        other lines' strips are kept (a tick converts one line of Rich text, not three)."""
        lines, width, style = self._lines or [], self.content_size.width, self.visual_style
        if y >= len(lines):
            return Strip.blank(width, style.rich_style)
        line = lines[y]
        cached = self._strips.get(y)
        if cached is not None and cached[0] is line and cached[1] == (width, style):
            return cached[2]
        strips = Visual.to_strips(self, visualize(self, line, markup=False), width, 1, style)
        strip = strips[0] if strips else Strip.blank(width, style.rich_style)
        self._strips[y] = (line, (width, style), strip)
        return strip

    def _show_lines(self, lines: list[Text]) -> None:
        """Repaint only the lines whose text changed: a tick moves the elapsed time, one
        line of three (issue 13: the screen sends that line, not the whole header)."""
        old, self._lines = self._lines, lines
        if old == lines:
            return
        self._text = Text("\n", no_wrap=True, overflow="ellipsis").join(lines)
        if old is None or len(old) != len(lines) or not self.is_mounted:
            self.refresh()
            return
        width = self.content_size.width
        self.refresh(
            *(
                Region(0, y, width, 1)
                for y, (a, b) in enumerate(zip(old, lines, strict=True))
                if a != b
            )
        )

    @staticmethod
    def _countdown(s: IncidentState, now: datetime) -> Text:
        d = due(s, now)
        line = Text(no_wrap=True, overflow="ellipsis")
        if d is None:
            line.append(" NO UPDATE DUE ", style="bold reverse")
            return line
        if d.overdue:
            word = f"LATE +{countdown(d.seconds_left)}"
        else:
            word = f"{d.state.upper()} {countdown(d.seconds_left)}"
        line.append(f" {word} ", style="bold reverse")
        line.append(f" next update by {wall(d.at, s.book.timezone)}", style="bold")
        line.append(f"  ({d.reason})", style="dim")
        return line

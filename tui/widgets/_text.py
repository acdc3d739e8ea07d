"""Small helpers shared by the pane widgets: literal text and time formats."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from tui.clock import hhmm
from tui.textsafe import clean_line


def literal(text: str, style: str = "") -> Text:
    """User, file or HTTP text as a Rich Text: escapes stripped, never read as markup."""
    return Text(clean_line(text), style=style, no_wrap=True, overflow="ellipsis")


def mmss(seconds: int) -> str:
    """``12:34``, ``1:02:03`` -- the countdown's digits."""
    seconds = abs(int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def short_time(at: datetime | None, tz: str) -> str:
    return hhmm(at, tz) if at else "--:--"


def update_if_changed(widget, content: Text, *, layout: bool = False) -> None:
    """Repaint a Static only when its content changed.

    ``layout=False`` (the default here) is for widgets whose size the stylesheet
    fixes (one-line titles, the header): a new text then costs a repaint of that
    widget, not a layout of the whole screen -- the header ticks every second.
    """
    if getattr(widget, "_warroom_last", None) == content:
        return
    widget._warroom_last = content
    widget.update(content, layout=layout)

"""Small helpers shared by the pane widgets: literal text, safe editors, time formats.

Text from data reaches the screen through :func:`tui.core.textsafe.safe` on every
path: Rich ``Text`` via :func:`literal` (the one helper, for panes and dialogs),
editors via :class:`SafeTextArea` and :class:`SafeInput` (screens and widgets
use these, never Textual's own; a test scans for raw uses), and -- whatever a
future path forgets -- the terminal guard, which strips control characters from
every rendered line before it is written (:func:`guard_terminal`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.document._document import EditResult
from textual.document._edit import Edit
from textual.strip import Strip
from textual.widgets import Input, Static, TextArea

from tui.core.clock import hhmm
from tui.core.textsafe import _UNSAFE, clean, clean_line, safe


def literal(text: str, style: str = "", *, wrap: bool = False, lines: bool = False) -> Text:
    """User, file or HTTP text as a Rich Text: escapes stripped, never read as markup.

    The one way data becomes text on screen (panes and dialogs alike). By
    default one line, cut with an ellipsis at the widget's edge (a pane's row);
    ``wrap=True`` lets the line wrap (a dialog's sentence); ``lines=True`` keeps
    the text's own line breaks too (a paragraph, a preview).
    """
    if lines:
        return Text(clean(text), style=style)
    if wrap:
        return Text(clean_line(text), style=style)
    return Text(clean_line(text), style=style, no_wrap=True, overflow="ellipsis")


class SafeTextArea(TextArea):
    """A TextArea that only ever holds safe text: constructor, load_text, every edit (paste)."""

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(safe(text), **kwargs)

    def load_text(self, text: str) -> None:
        super().load_text(safe(text))

    def edit(self, edit: Edit) -> EditResult:
        edit.text = safe(edit.text)
        return super().edit(edit)


class SafeInput(Input):
    """An Input whose value is always one safe line, however it is set (init, paste, code)."""

    def validate_value(self, value: str) -> str:
        return safe(value, one_line=True)

    def validate_placeholder(self, value: str) -> str:
        return safe(value, one_line=True)


def _safe_segments(segments: Iterable[Segment]) -> Iterator[Segment]:
    for segment in segments:
        text = segment.text
        if _UNSAFE.search(text):
            # the width was measured for the text as it was: what is dropped had no cells
            for zero_width in "\t\n\r\u2028\u2029":
                text = text.replace(zero_width, "")
            yield segment._replace(text=safe(text))
        else:
            yield segment


def guard_terminal() -> None:
    """Strip control characters from every line Textual writes to the terminal.

    Textual writes each screen line through ``Strip.render``; styles become
    escape sequences there, the text itself must carry none. Idempotent.
    """
    render = Strip.render
    if getattr(render, "_warroom_guard", False):
        return

    def guarded(self: Strip, console: Console) -> str:
        if self._render_cache is None and any(_UNSAFE.search(s.text) for s in self._segments):
            self._segments = list(_safe_segments(self._segments))
        return render(self, console)

    guarded._warroom_guard = True  # type: ignore[attr-defined]
    Strip.render = guarded  # type: ignore[method-assign]


def mmss(seconds: int) -> str:
    """``12:34``, ``1:02:03`` -- the countdown's digits."""
    seconds = abs(int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def short_time(at: datetime | None, tz: str) -> str:
    return hhmm(at, tz) if at else "--:--"


def update_if_changed(widget: Static, content: Text, *, layout: bool = False) -> None:
    """Repaint a Static only when its content changed.

    ``layout=False`` (the default here) is for widgets whose size the stylesheet
    fixes (one-line titles, the header): a new text then costs a repaint of that
    widget, not a layout of the whole screen -- the header ticks every second.
    """
    if _SHOWN.get(widget) == content:
        return
    _SHOWN[widget] = content
    widget.update(content, layout=layout)


_SHOWN: WeakKeyDictionary[Static, Text] = WeakKeyDictionary()  # what each Static shows now

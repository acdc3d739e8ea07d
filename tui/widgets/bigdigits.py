"""Big digits that repaint only the glyphs that changed (issue 13: idle CPU).

Textual's :class:`~textual.widgets.Digits` re-renders the whole widget through Rich
(``Align`` around the digits, the full pane width, three lines) on every new value;
the countdown gets a new value every second. Here a new value of the same width marks
only the changed glyphs' columns dirty (:meth:`Widget.refresh` with regions), and the
lines are built straight from Textual's 3x3 font: the screen sends a few cells a second.
The cells are the ones :class:`Digits` shows (same font, same centring, same style).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.renderables.digits import DIGITS, DIGITS3X3, DIGITS3X3_BOLD
from textual.renderables.digits import Digits as DigitsRenderable
from textual.strip import Strip
from textual.widgets import Digits

_REPLACEMENTS = DigitsRenderable.REPLACEMENTS
_OFFSET = Style(meta={"offset": (0, 0)})


def glyphs(value: str, bold: bool) -> list[tuple[str, str, str]]:
    """Each character's three rows (3 cells wide, or 1 for a character the font lacks)."""
    font = DIGITS3X3_BOLD if bold else DIGITS3X3
    out: list[tuple[str, str, str]] = []
    for character in value.translate(_REPLACEMENTS):
        at = DIGITS.find(character)
        if at < 0:
            out.append((" ", " ", character))
        else:
            at *= 3
            out.append((font[at].ljust(3), font[at + 1].ljust(3), font[at + 2].ljust(3)))
    return out


def changed_spans(old: str, new: str) -> list[tuple[int, int]]:
    """Cell spans (start, width) of the glyphs that differ; None-free, same-width values only."""
    spans: list[tuple[int, int]] = []
    x = 0
    for a, b in zip(old, new, strict=True):
        width = 3 if b in DIGITS else 1
        if a != b:
            if spans and spans[-1][0] + spans[-1][1] == x:
                spans[-1] = (spans[-1][0], spans[-1][1] + width)
            else:
                spans.append((x, width))
        x += width
    return spans


class BigDigits(Digits):
    """A :class:`Digits` whose update repaints the changed glyphs only."""

    def __init__(self, value: str = "", **kwargs) -> None:
        super().__init__(value, **kwargs)
        self._rows: tuple[str, bool, Style, list[str]] | None = None  # value, bold, style, rows

    def update(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("value must be a str")
        old = self._value
        if value == old:
            return
        width = DigitsRenderable.get_width
        if len(value) != len(old) or width(value) != width(old) or not self.is_mounted:
            super().update(value)  # another width: Textual's path (a layout, the whole widget)
            return
        self._value = value
        left = self._left(width(value))
        height = self.content_size.height
        self.refresh(*(Region(left + x, 0, w, height) for x, w in changed_spans(old, value)))

    def _left(self, digits_width: int) -> int:
        """Where the digits start: centred as ``Align`` centres (``text-align`` of the CSS)."""
        align = self.styles.text_align
        space = max(0, self.content_size.width - digits_width)
        if align in ("center", "justify"):
            return space // 2
        if align in ("right", "end"):
            return space
        return 0

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        style = self.rich_style
        rows = self._lines(style)
        if y >= len(rows) or width <= 0:
            return Strip.blank(width, style)
        row = rows[y][:width]
        left = min(self._left(len(row)), width - len(row))
        right = width - left - len(row)
        # three segments, as Align yields them (the same cells, the same SVG snapshots)
        segments = [Segment(" " * left, style)] if left else []
        segments.append(Segment(row, style + _OFFSET))  # (the meta Digits gives its glyphs)
        if right:
            segments.append(Segment(" " * right, style))
        return Strip(segments, width)

    def _lines(self, style: Style) -> list[str]:
        cached = self._rows
        bold = bool(style.bold)
        if cached is not None and cached[0] == self._value and cached[1:3] == (bold, style):
            return cached[3]
        parts = glyphs(self._value, bold)
        rows = ["".join(p[i] for p in parts) for i in range(3)]
        self._rows = (self._value, bold, style, rows)
        return rows

"""Terminal cell widths, so the offers tables line up whatever the customers' names hold.

:func:`cell_width` measures one character the way terminals and Textual do, from the
standard library's Unicode tables: East Asian wide and fullwidth characters take two
cells; combining marks, format characters (zero-width joiners, direction marks), control
characters, Hangul vowel and final jamo and emoji skin-tone modifiers take none; every
other character takes one. In a text, a character joined by a zero-width joiner takes none
(a family emoji is one picture, two cells). :func:`fit` cuts (with "…") and pads a text to an
exact width. Python's own Unicode table decides what is wide: symbols that later Unicode
versions made wide, and emoji made wide by a variation selector, count one cell here.

Pure standard library: the CLI path, which prints these tables, stays light.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import lru_cache

_ZWJ = "\u200d"

_ZERO_CATEGORIES = frozenset({"Mn", "Me", "Mc", "Cf", "Cc", "Zl", "Zp"})
# format characters that print as one cell (soft hyphen, Arabic number signs and the like)
_ONE_CELL_FORMAT = frozenset(
    "\u00ad\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd"
)
_ZERO_RANGES = (
    (0x1160, 0x11FF),  # Hangul medial vowels and final consonants: part of a syllable
    (0xD7B0, 0xD7FF),  # Hangul Jamo Extended-B: likewise
    (0x1F3FB, 0x1F3FF),  # emoji skin-tone modifiers: part of the emoji before them
    (0x3164, 0x3164),  # Hangul filler
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
)


@lru_cache(maxsize=4096)
def cell_width(char: str) -> int:
    """Terminal cells ``char`` takes: 0, 1 or 2 (see the module docstring)."""
    code = ord(char)
    if any(low <= code <= high for low, high in _ZERO_RANGES):
        return 0
    if unicodedata.category(char) in _ZERO_CATEGORIES and char not in _ONE_CELL_FORMAT:
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _widths(text: str) -> Iterator[tuple[str, int]]:
    """Each character of ``text`` with the cells it takes there (joined ones take none)."""
    joined = False
    for char in text:
        yield char, 0 if joined else cell_width(char)
        joined = char == _ZWJ and not joined


def cells(text: str) -> int:
    """Terminal cells ``text`` takes."""
    if text.isascii() and text.isprintable():
        return len(text)
    return sum(size for _, size in _widths(text))


def _cut_and_pad(text: str, width: int) -> str:
    """The longest start of ``text`` that fits in ``width`` cells, padded to exactly
    ``width`` with spaces (a wide character that would straddle the edge is left out)."""
    kept: list[str] = []
    used = 0
    for char, size in _widths(text):
        if used + size > width:
            break
        kept.append(char)
        used += size
    return "".join(kept) + " " * (width - used)


def fit(text: str, width: int) -> str:
    """``text`` cut (with "…") and padded to exactly ``width`` terminal cells: a CJK
    character takes two cells, a combining accent none, so table columns line up whatever the
    names hold."""
    width = max(width, 0)
    if cells(text) > width:
        return _cut_and_pad(_cut_and_pad(text, max(width - 1, 0)).rstrip() + "…", width)
    return _cut_and_pad(text, width)

"""Text from users, files and HTTP answers, made safe to put on a terminal.

:func:`safe` is the one text-safety function (``clean``/``clean_line`` are its
two forms). Escape sequences (CSI, OSC, DCS, tmux ``ESC k`` names, ...) are
removed whole (an unterminated string ends at the line end); every other
control character (C0, DEL, C1) and bidi override is dropped, tabs become
spaces, lone surrogates U+FFFD. The result is plain text: the dashboard shows
it through Rich ``Text`` (never as markup) and safe editors, and the CLI
prints it as is.
"""

from __future__ import annotations

import re

# ESC [ ... final | ESC ] ... (BEL | ESC \) | ESC P/X/^/_ ... ST | ESC + one char
# and the 8-bit forms (CSI 0x9b, OSC 0x9d, DCS 0x90, ...).
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?                              # CSI
  | (?:\x1b[\]PX^_k]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?  # OSC/DCS/..
  | \x1b[ -/]*[0-~]?                                               # other ESC sequences
    """,
    re.VERBOSE,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# bidi embeddings/overrides/isolates reorder what is shown ("Trojan Source"): dropped
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# a lone surrogate cannot be encoded for the terminal: shown as U+FFFD
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# anything that makes safe() change a text (used to skip work on already-safe text)
_UNSAFE = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def safe(text: str, *, one_line: bool = False) -> str:
    """THE text-safety function: every path from data to a terminal goes through it.

    Escape sequences (CSI, OSC, DCS, ...) are removed whole, other C0/DEL/C1
    controls and bidi overrides are dropped, tabs become four spaces, lone
    surrogates become U+FFFD; newlines are kept (``one_line``: they become spaces).
    Idempotent: ``safe(safe(t)) == safe(t)``.
    """
    if not isinstance(text, str):
        text = str(text)
    if one_line:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
        text = text.replace("\u2028", " ").replace("\u2029", " ")
    if not _UNSAFE.search(text):
        return text
    text = _ESCAPES.sub("", text)
    text = text.replace("\r\n", "\n").replace("\t", "    ")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = _BIDI.sub("", _CONTROLS.sub("", text))
    return _SURROGATES.sub("\ufffd", text)


def clean(text: str) -> str:
    """Keep newlines; drop escape sequences and control characters; tabs -> spaces."""
    return safe(text)


def clean_line(text: str) -> str:
    """One line: like :func:`clean`, with newlines turned into spaces."""
    return safe(text, one_line=True)

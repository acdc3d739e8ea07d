"""Text from users, files and HTTP answers, made safe to put on a terminal.

Escape sequences (CSI, OSC, DCS, ...) are removed whole; every other control
character (C0, DEL, C1) is dropped, tabs become spaces. The result is plain
text: the dashboard shows it through Rich ``Text`` (never as markup), and the
CLI prints it as is.
"""

from __future__ import annotations

import re

# ESC [ ... final | ESC ] ... (BEL | ESC \) | ESC P/X/^/_ ... ST | ESC + one char
# and the 8-bit forms (CSI 0x9b, OSC 0x9d, DCS 0x90, ...).
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?                              # CSI
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # OSC/DCS/...
  | \x1b[ -/]*[0-~]?                                               # other ESC sequences
    """,
    re.VERBOSE,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Keep newlines; drop escape sequences and control characters; tabs -> spaces."""
    text = _ESCAPES.sub("", text)
    text = text.replace("\r\n", "\n").replace("\t", "    ")
    return _CONTROLS.sub("", text)


def clean_line(text: str) -> str:
    """One line: like :func:`clean`, with newlines turned into spaces."""
    return clean(text.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))


def write_atomic(path, text: str) -> None:
    """Write a file whole or not at all (a temp file beside it, then a rename).

    Raises OSError; the temp file is removed on failure.
    """
    from pathlib import Path

    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise

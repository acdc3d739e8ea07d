"""Reading a YAML file or bytes into the node tree: the checks made before parsing.

Size is checked before anything else (``MAX_BYTES``); :func:`read_file` reads at most
``MAX_BYTES + 1`` bytes and refuses anything that is not a regular file (so a FIFO
cannot block it). The bytes must be UTF-8 (a leading BOM is stripped), and characters
YAML forbids are reported at their position before parsing. Whatever goes wrong,
only :class:`YamlLoadError` leaves :func:`load_bytes`.
"""

from __future__ import annotations

import os
import re

from tui.core.files import ReadRefused, read_bounded
from tui.core.yamlsafe.builder import build
from tui.core.yamlsafe.nodes import Node, Problem, YamlLoadError, position, printable

MAX_BYTES = 1_000_000

# Characters YAML 1.1 (and PyYAML / libyaml's readers) reject.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def _too_large(filename: str, size: int) -> YamlLoadError:
    shown = f"{size / 1e6:.1f} MB" if size >= 1_050_000 else f"{size:,} bytes"
    return YamlLoadError(
        [Problem(filename, 1, 1, f"file is too large ({shown}; a playbook may be at most 1 MB)")]
    )


def load_bytes(data: bytes, filename: str) -> Node:
    """Load one YAML document from ``data``; raise :class:`YamlLoadError` on any problem."""
    try:
        name = filename if isinstance(filename, str) else os.fsdecode(filename)
    except Exception:
        name = repr(filename)
    name = printable(name)
    try:
        return _load(data, name)
    except YamlLoadError:
        raise
    except RecursionError:
        problem = Problem(name, 1, 1, "the file is nested too deeply to be loaded")
    except MemoryError:
        problem = Problem(name, 1, 1, "out of memory while loading the file")
    except Exception as exc:  # never let anything else escape
        detail = printable(" ".join(f"{type(exc).__name__}: {exc}".split()))[:200]
        problem = Problem(name, 1, 1, f"internal error while loading the file ({detail})")
    raise YamlLoadError([problem])


def _load(data: bytes, name: str) -> Node:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    elif not isinstance(data, bytes):
        data = bytes(data)
    if len(data) > MAX_BYTES:
        raise _too_large(name, len(data))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", "replace")
        line, col = position(prefix, len(prefix))
        msg = f"not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        raise YamlLoadError([Problem(name, line, col, msg)]) from None
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        line, col = position(text, bad.start())
        msg = f"unacceptable character #x{ord(bad.group()):04x}: control characters are not allowed"
        raise YamlLoadError([Problem(name, line, col, msg)])
    return build(name, text)


def read_file(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    """Read ``path`` (a regular file, at most ``MAX_BYTES`` + 1 bytes).

    Returns the bytes and the file name made printable for messages; raises
    YamlLoadError for anything unreadable, not a regular file, or too large.
    """
    try:
        return read_bounded(path, MAX_BYTES)  # the one size-limited reader (tui.core.files)
    except ReadRefused as refused:
        if refused.kind == "too large":
            raise _too_large(refused.name, refused.size) from None
        problem = Problem(refused.name, 1, 1, f"cannot read file: {refused.reason}")
        raise YamlLoadError([problem]) from None


def load_file(path: str | os.PathLike[str]) -> Node:
    """Read ``path`` with :func:`read_file` and load it with :func:`load_bytes`."""
    data, name = read_file(path)
    return load_bytes(data, name)

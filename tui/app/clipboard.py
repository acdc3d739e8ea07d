"""Copying a canned reply: tmux's paste buffer inside tmux, OSC 52 outside, else a file.

Inside tmux (``$TMUX`` set) the reply goes straight into tmux's paste buffer with
``tmux -S <socket from $TMUX> load-buffer -w -`` (:func:`to_tmux`): the unnamed buffer
``prefix ]`` pastes, whatever the server's ``set-clipboard`` (its default, ``external``,
drops the OSC 52 a program sends); ``-w`` (tmux 3.2 and later) has tmux pass it on to
the outer terminal's clipboard, where that terminal allows it.

Outside tmux, OSC 52 (``ESC ] 52 ; c ; <base64> BEL``) asks the terminal to put the text
on the clipboard; it travels through SSH untouched. :func:`blocker` says why it cannot
work here (``TERM=dumb``, no terminal), or None when, as far as can be told, it can.

:func:`place` decides (off the UI thread: it may run tmux). Where nothing can take the
reply -- tmux refused it, OSC 52 cannot work -- it is written to a 0600 file in the
user's state directory (:func:`write_reply`, through the atomic writer) and the words
name that file and why. Nothing here imports Textual: the dashboard writes OSC 52
through ``App.copy_to_clipboard``, ``warroom reply --copy`` through :func:`write_tty`.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TMUX_ASK_WITHIN = 2.0  # seconds: a tmux that does not answer is taken as "cannot"
TMUX_PASTE = "tmux's paste buffer (prefix ] to paste)"
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_VERSION = re.compile(r"(\d+)\.(\d+)")


@dataclass(frozen=True)
class Placed:
    """Where a reply went: ``how`` "tmux" (the paste buffer), "osc52" (the caller still
    writes the sequence) or "file"; ``where`` in words ("tmux's paste buffer (prefix ]
    to paste) and the terminal clipboard"); ``why`` a file was written instead; ``path``."""

    how: str
    where: str
    why: str = ""
    path: str = ""


def osc52(text: str) -> str:
    """The escape sequence that puts ``text`` on the terminal's clipboard."""
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;c;{data}\a"


def tmux_socket(tmux: str) -> str:
    """The server's socket from ``$TMUX`` (``socket,pid,session``)."""
    return tmux.rsplit(",", 2)[0] if tmux.count(",") >= 2 else tmux


def tmux_version() -> tuple[int, int] | None:
    """``tmux -V`` as (major, minor); None when it does not say one (``tmux master``)."""
    try:
        done = subprocess.run(
            ["tmux", "-V"], capture_output=True, text=True, timeout=TMUX_ASK_WITHIN, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = _VERSION.search(done.stdout)
    return (int(found[1]), int(found[2])) if found else None


def onward(version: tuple[int, int] | None) -> bool:
    """Whether this tmux passes a loaded buffer on to the terminal (``load-buffer -w``,
    tmux 3.2 and later; a version it does not say is taken as new)."""
    return version is None or version >= (3, 2)


def to_tmux(text: str, tmux: str, version: tuple[int, int] | None = None) -> str | None:
    """``text`` into the paste buffer of the tmux server ``$TMUX`` names (and, with tmux
    3.2 or later, on to the outer terminal's clipboard). None when tmux took it, else
    why not, in one line."""
    socket = tmux_socket(tmux)
    if not socket:
        return "$TMUX names no tmux socket"
    try:
        done = subprocess.run(
            ["tmux", "-S", socket, "load-buffer", *(["-w"] if onward(version) else []), "-"],
            input=text.encode("utf-8"),
            env={**os.environ, "TMUX": tmux},  # the client it passes it on to: this pane's
            capture_output=True,
            timeout=TMUX_ASK_WITHIN,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"tmux did not answer within {TMUX_ASK_WITHIN:g} s"
    except OSError as exc:
        return f"tmux could not be run ({exc.strerror or exc})"
    if done.returncode != 0:
        from tui.core.textsafe import clean_line

        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        what = clean_line(said[0])[:200] if said else f"exit {done.returncode}"
        return f"tmux refused it ({what})"
    return None


def tmux_words(version: tuple[int, int] | None) -> str:
    """Where :func:`to_tmux` put the text, in words."""
    if version is None or onward(version):
        return f"{TMUX_PASTE} and the terminal clipboard"
    return f"{TMUX_PASTE}; tmux {version[0]}.{version[1]} cannot pass it on to the terminal"


def blocker(env: Mapping[str, str] | None = None) -> str | None:
    """Why OSC 52 cannot reach a clipboard from here, or None when it can (outside tmux:
    inside, :func:`place` uses tmux's paste buffer)."""
    env = os.environ if env is None else env
    term = env.get("TERM", "")
    if term in ("", "dumb"):
        return f"TERM={term or '(unset)'}: this terminal takes no OSC 52"
    return None


def place(
    incident_id: str, channel_id: str, text: str, env: Mapping[str, str] | None = None
) -> Placed:
    """Copy a reply where it can go from here: tmux's paste buffer inside tmux (without
    the trailing newline: pasted into a chat box it must not send itself), else OSC 52
    (the caller writes it), else the file (the text whole)."""
    env = os.environ if env is None else env
    tmux = env.get("TMUX")
    if tmux:
        version = tmux_version()
        why = to_tmux(text.rstrip("\n"), tmux, version)
        if why is None:
            return Placed("tmux", tmux_words(version))
    else:
        why = blocker(env)
        if why is None:
            return Placed("osc52", "the terminal clipboard (OSC 52)")
    path = str(write_reply(incident_id, channel_id, text))
    return Placed("file", path, why, path)


def replies_dir() -> Path:
    """Where replies that could not be copied are written: the user's own state directory."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("warroom", appauthor=False)) / "replies"


def write_reply(incident_id: str, channel_id: str, text: str) -> Path:
    """The reply in ``reply-<incident>-<channel>.txt`` (0600, written whole); its path."""
    from tui.core.files import write_atomic

    folder = replies_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"reply-{_NAME_UNSAFE.sub('_', incident_id)}-{_NAME_UNSAFE.sub('_', channel_id)}.txt"
    target = folder / name
    write_atomic(target, text)
    return target


def write_tty(text: str, tty: str = "/dev/tty") -> None:
    """OSC 52 straight to the controlling terminal (``warroom reply --copy``); OSError if
    there is none."""
    fd = os.open(tty, os.O_WRONLY | os.O_NOCTTY)
    try:
        data = memoryview(osc52(text).encode("ascii"))
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)

"""Copying a canned reply: OSC 52 where it can work, a private file where it cannot.

OSC 52 (``ESC ] 52 ; c ; <base64> BEL``) asks the terminal to put text on the
clipboard; it travels through SSH untouched. Inside tmux it reaches tmux's buffers
(and, from there, the outer terminal) only with the server option ``set-clipboard
on``: with ``external`` (tmux's default) or ``off`` tmux drops what a program sends.

:func:`blocker` says why OSC 52 cannot work here (``TERM=dumb``; tmux, asked on
``$TMUX``'s own socket, with ``set-clipboard`` other than ``on``; no terminal at all),
or None when, as far as can be told, it can. Where it cannot, the reply is written to
a 0600 file in the user's state directory (:func:`write_reply`, through the atomic
writer) and the notification names that file. Nothing here imports Textual: the
dashboard writes OSC 52 through ``App.copy_to_clipboard``, ``warroom reply --copy``
through :func:`write_tty`.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

TMUX_ASK_WITHIN = 2.0  # seconds: a tmux that does not answer is taken as "cannot"
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def osc52(text: str) -> str:
    """The escape sequence that puts ``text`` on the terminal's clipboard."""
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;c;{data}\a"


def tmux_set_clipboard(tmux: str) -> str | None:
    """tmux's ``set-clipboard`` on the server ``$TMUX`` names (None: tmux did not say)."""
    socket = tmux.rsplit(",", 2)[0] if tmux.count(",") >= 2 else tmux
    if not socket:
        return None
    try:
        done = subprocess.run(
            ["tmux", "-S", socket, "show-options", "-sv", "set-clipboard"],
            capture_output=True,
            text=True,
            timeout=TMUX_ASK_WITHIN,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def blocker(env: Mapping[str, str] | None = None) -> str | None:
    """Why OSC 52 cannot reach a clipboard from here, or None when it can."""
    env = os.environ if env is None else env
    term = env.get("TERM", "")
    if term in ("", "dumb"):
        return f"TERM={term or '(unset)'}: this terminal takes no OSC 52"
    tmux = env.get("TMUX")
    if tmux:
        value = tmux_set_clipboard(tmux)
        if value is None:
            return "inside tmux, but tmux did not say its set-clipboard"
        if value != "on":
            return (
                f"tmux has set-clipboard {value}: it drops OSC 52 from programs "
                "(tmux set -s set-clipboard on)"
            )
    return None


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

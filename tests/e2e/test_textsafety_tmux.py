"""Text from data never acts on the terminal: watched from tmux while the real dashboard shows it.

Hostile text (OSC 0 title, OSC 52 clipboard write, CSI clear screen / leave alternate screen)
is put into the incident through the real `warroom` CLI and the real database: a post-mortem
part, the shared draft, a note, the title. The real dashboard runs in tmux on a private socket
with ``set-clipboard on``, ``allow-rename on`` and ``set-titles on``: had any of it reached the
terminal, the pane title, the window name or a tmux paste buffer would change. The text itself
must still be visible (without its escapes). tmux is required (installed by .ci/run).
"""

from __future__ import annotations

import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import MAJOR, require_tool, warroom_exe
from tui import commands
from tui.core.clock import FrozenClock
from tui.core.store import Store

ESC = "\x1b"
BEL = "\x07"
# each piece would act on a terminal that received it raw
HOSTILE = (
    f"{ESC}]0;PWNED-TITLE{BEL}"  # OSC 0: window/pane title
    f"{ESC}]52;c;UE1DTElQCg=={BEL}"  # OSC 52: write the clipboard
    f"{ESC}]2;PWNED-TITLE2{ESC}\\"  # OSC 2 ended by ST
    f"{ESC}kPWNED-NAME{ESC}\\"  # tmux: rename the window
    f"{ESC}[2J{ESC}[?1049l"  # clear, leave the alternate screen
    f"\x9d0;PWNED-C1{BEL}"  # 8-bit OSC
    "\u202e"  # right-to-left override
)
TIMEOUT = 30.0


class PrivateTmux:
    """A tmux server of our own (-L), killed in teardown with everything it started."""

    def __init__(self, tmp_path: Path) -> None:
        require_tool("tmux", package="tmux")  # skips naming the install command; fails under CI
        self.socket = f"warroom-test-{uuid.uuid4().hex[:12]}"
        conf = tmp_path / "tmux.conf"
        conf.write_text(
            "set -g set-clipboard on\n"
            "set -g allow-rename on\n"
            "set -g set-titles on\n"
            "set -g remain-on-exit on\n"
            "set -g history-limit 0\n"
        )
        self.conf = conf

    def tmux(self, *args: str, check: bool = True) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", str(self.conf), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=TIMEOUT,
        ).stdout

    def start(self, command: str) -> None:
        # the pane waits for a line before it runs the app: first we name it
        self.tmux(
            "new-session", "-d", "-s", "w", "-n", "win-before", "-x", "120", "-y", "40",
            f"read go; exec {command}",
        )  # fmt: skip
        self.tmux("select-pane", "-t", "w", "-T", "title-before")
        self.tmux("send-keys", "-t", "w", "Enter")

    def display(self, fmt: str) -> str:
        return self.tmux("display", "-p", "-t", "w", fmt).strip()

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "w")

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            assert self.display("#{pane_dead}") != "1", f"warroom ended:\n{screen}"
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "w", *keys)

    def buffers(self) -> str:
        return self.tmux("list-buffers", check=False)

    def close(self) -> None:
        pid = self.tmux("display", "-p", "-t", "w", "#{pane_pid}", check=False).strip()
        self.tmux("kill-server", check=False)
        if pid.isdigit():  # the app (exec'd in the pane) gets SIGHUP; make sure it is gone
            deadline = time.monotonic() + TIMEOUT
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            if Path(f"/proc/{pid}").exists():
                subprocess.run(["kill", "-9", pid], check=False)


@pytest.fixture
def tmux(tmp_path):
    t = PrivateTmux(tmp_path)
    try:
        yield t
    finally:
        t.close()


def assert_terminal_untouched(t: PrivateTmux) -> None:
    assert t.display("#{pane_title}") == "title-before"
    assert t.display("#{window_name}") == "win-before"
    assert t.buffers() == "", "a tmux paste buffer was written (OSC 52 reached the terminal)"
    assert t.display("#{alternate_on}") == "1", "the app was thrown out of the alternate screen"


def test_hostile_text_in_every_editor_never_reaches_the_terminal(cli, tmux):
    incident = cli.ok(
        "start", "-p", str(MAJOR), "--title", f"TITLE-START {HOSTILE} TITLE-END", "--json"
    ).json()["id"]
    cli.ok("note", f"NOTE-START {HOSTILE} NOTE-END")
    cli.ok("postmortem", "edit", "summary", "--text", f"SUMMARY-START {HOSTILE} SUMMARY-END")
    cli.ok("postmortem", "edit", "trigger", "--text", f"line one\nTRIGGER-START {HOSTILE}\tEND")
    # the shared draft, as another dashboard's autosave leaves it in the database
    with Store(cli.db) as store:
        commands.save_draft(
            store,
            FrozenClock(datetime.fromisoformat(cli.now)),
            "bob",
            incident,
            "ack",
            f"DRAFT-START {HOSTILE} DRAFT-END\nWe are investigating.",
        )

    env = f"WARROOM_DB={cli.db} WARROOM_AS=erin WARROOM_NO_BELL=1 TERM=xterm-256color"
    tmux.start(f"env {env} {warroom_exe()}")
    screen = tmux.wait_for("DRAFT-START")  # the main screen: the draft in its editor
    assert "DRAFT-END" in screen.split("DRAFT-START", 1)[1]
    assert "TITLE-START" in tmux.wait_for("TITLE-END")
    assert "NOTE-START" in tmux.wait_for("NOTE-END")
    assert_terminal_untouched(tmux)

    tmux.keys("r")  # the post-mortem screen: four editors and the preview
    screen = tmux.wait_for("SUMMARY-END")
    assert "SUMMARY-START" in screen and "TRIGGER-START" in screen
    assert "PWNED" not in screen
    assert_terminal_untouched(tmux)

    # the editors hold the safe text; nothing was saved behind the user's back
    with Store(cli.db) as store:
        state = store.state(incident)
    assert state.postmortem.summary.startswith("SUMMARY-START \x1b]0;"), "opening is not editing"
    tmux.keys("Escape")
    tmux.wait_for("DRAFT-START")
    assert_terminal_untouched(tmux)

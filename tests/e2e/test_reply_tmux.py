"""Copying a reply end to end: the real dashboard (and `warroom reply --copy`) in a
private tmux server, the reply read back from tmux's own paste buffer.

Inside tmux the reply goes into tmux's paste buffer (``load-buffer -w``) whatever the
server's ``set-clipboard`` -- ``external`` (tmux's default, which drops a program's
OSC 52), ``off`` or ``on`` -- so `show-buffer` holds exactly what ``prefix ]`` pastes.
Where tmux cannot take it (``$TMUX`` names a dead server) the dashboard says so and
names the 0600 file it wrote instead. Each test's tmux server is private (``-L``,
``-f /dev/null``) and killed in teardown with everything it ran.
"""

from __future__ import annotations

import os
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import MAJOR, warroom_exe
from tests.e2e.test_e2e_tmux import Tmux
from tests.tmux_server import TmuxServer, warroom_command
from tui import commands
from tui.core.clock import SystemClock
from tui.core.playbook import load_playbook
from tui.core.store import Store

TITLE = "Logins [bold]fail[/bold]"  # markup in a title: shown as typed
TICKETS = "Thank you for getting in touch"


@pytest.fixture
def room(tmp_path) -> tuple[Path, Path]:
    """An incident whose acknowledgement went out (by hand), promising 30 minutes on."""
    db = tmp_path / "war.db"
    clock = SystemClock()
    with Store(db) as store:
        commands.start(store, clock, "maria", load_playbook(MAJOR), TITLE, {})
        promised = clock.now() + timedelta(minutes=30)
        commands.record_published(store, clock, "maria", "INC-1", "ack", promised)
    return db, tmp_path / "state"


def open_dashboard(db: Path, state: Path, clipboard: str, **env: str) -> Tmux:
    t = Tmux(db, 120, 40, actor="sam", extra_env={"XDG_STATE_HOME": str(state), **env})
    t.tmux("set-option", "-s", "set-clipboard", clipboard)
    t.wait_for("Channel queues")
    return t


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(db))
    return subprocess.run(
        [warroom_exe(), *args], env=env, capture_output=True, text=True, check=True, timeout=30
    )


def buffer(t: Tmux, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(
            [t.server.exe, "-L", t.server.socket, "show-buffer"], capture_output=True, text=True
        )
        if out.returncode == 0 and out.stdout:
            return out.stdout
        assert time.monotonic() < deadline, f"no tmux buffer; screen:\n{t.screen()}"
        time.sleep(0.05)


@pytest.mark.parametrize("clipboard", ["external", "off", "on"])  # external: tmux's default
def test_c_then_y_puts_the_reply_in_the_tmux_buffer(room, clipboard):
    db, state = room
    t = open_dashboard(db, state, clipboard)
    try:
        t.keys("3")
        t.wait_for("c Reply")  # the queues pane has the focus (its footer)
        t.keys("c")
        screen = t.wait_for("Canned reply \u2014 Support tickets")
        assert "tone: Empathetic, managing expectations." in screen
        assert "based on the acknowledgement #2" in screen
        assert "Logins [bold]fail[/bold]" in screen  # literally, not bold
        t.keys("y")
        said = t.wait_for("Copied the Support tickets reply to tmux's paste buffer")
        assert "(prefix ] to paste) and the terminal clipboard" in said.replace("\u2502", "")
        text = buffer(t)
        assert text == cli(db, "reply", "tickets").stdout.rstrip("\n")  # exactly the reply
        assert TICKETS in text and "Logins [bold]fail[/bold]" in text
        assert "https://status.acme.example" in text
        assert not text.endswith("\n")  # pasted into a chat box, it must not send itself
        assert not state.exists()  # no file
        # every dashboard knows: the pane, and the log
        t.wait_for("reply copied")
        assert (
            "sam copied the support tickets canned reply (from message #2)" in cli(db, "log").stdout
        )
        # a newer update from another process: the copy is OUTDATED
        cli(db, "--as", "bob", "posted", "update", "--next", "45m")
        t.wait_for("OUTDATED")
    finally:
        t.close()


def test_the_open_reply_turns_outdated_and_y_takes_the_new_one(room):
    db, state = room
    t = open_dashboard(db, state, "on")
    try:
        t.keys("3")
        t.wait_for("c Reply")  # the queues pane has the focus (its footer)
        t.keys("c")
        t.wait_for("Canned reply \u2014 Support tickets")
        cli(db, "--as", "bob", "posted", "update", "--next", "45m")
        t.wait_for("OUTDATED: a newer update was published")
        t.keys("y")
        t.wait_for("this is the new reply")
        assert "based on update #" in t.screen()
        t.wait_gone("OUTDATED: a newer update was published")
        t.keys("y")
        text = buffer(t)
        newest = cli(db, "reply", "tickets").stdout
        assert text == newest.rstrip("\n")  # the new reply, not the one first shown
    finally:
        t.close()


def test_where_tmux_cannot_take_it_it_says_so_and_writes_the_file(room, tmp_path):
    db, state = room
    t = open_dashboard(db, state, "external", TMUX=f"{tmp_path}/gone/tmux-sock,1,0")
    try:
        t.keys("3")
        t.wait_for("c Reply")  # the queues pane has the focus (its footer)
        t.keys("c")
        t.wait_for("Canned reply \u2014 Support tickets")
        t.keys("y")
        screen = t.wait_for("Cannot copy here")
        assert "tmux refused it" in screen
        target = state / "warroom" / "replies" / "reply-INC-1-tickets.txt"
        assert "reply-INC-1-tickets.txt" in screen.replace("\n", "").replace("\u2502", "")
        deadline = time.monotonic() + 10
        while not target.exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert TICKETS in target.read_text()
        assert oct(target.stat().st_mode & 0o777) == "0o600"
        no_buffer = subprocess.run(
            [t.server.exe, "-L", t.server.socket, "show-buffer"], capture_output=True, text=True
        )
        assert no_buffer.returncode != 0  # nothing reached tmux
    finally:
        t.close()


@pytest.mark.parametrize("clipboard", ["external", "off", "on"])
def test_warroom_reply_copy_inside_tmux(room, clipboard):
    db, state = room
    server = TmuxServer()
    try:
        server.keep_alive()
        server.run("set-option", "-s", "set-clipboard", clipboard)
        env = {"XDG_STATE_HOME": str(state), "TERM": "tmux-256color"}
        server.new_window("keep", [*warroom_command(db, "sam", env), "reply", "chat", "--copy"])
        deadline = time.monotonic() + 20
        while True:
            out = server.run("show-buffer", check=False)
            if out:
                break
            assert time.monotonic() < deadline, "no tmux buffer"
            time.sleep(0.05)
        assert out == cli(db, "reply", "chat").stdout.rstrip("\n")  # exactly the reply
        assert out.startswith("Hi there, thanks for your patience.")
        assert "Logins [bold]fail[/bold]" in out and not out.endswith("\n")
        assert "sam copied the live chat canned reply (from message #2)" in cli(db, "log").stdout
        # what it said, on the pane (stderr; tmux's "Pane is dead" pushes a line into history)
        said = ""
        while "copied to tmux's paste buffer (prefix ] to paste)" not in said:
            assert time.monotonic() < deadline, said
            time.sleep(0.05)
            said = server.run("capture-pane", "-p", "-S", "-20", "-t", "keep:1")
        assert not state.exists()  # no file
    finally:
        server.close()

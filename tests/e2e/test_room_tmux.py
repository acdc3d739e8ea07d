"""End to end: `warroom tmux --attach` opens the room, as a person sees it.

Two private tmux servers: the *room* (``-L warroom-test-…``, made by `warroom
tmux` itself) and an *outer* one whose pane is the person's terminal, running
`warroom tmux -L ROOM --attach`. Teardown kills both and waits for every pane
process (the dashboard included) to end. Environments are built from nothing
(``env -i``): the caller's WARROOM_* variables and tmux config play no part.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.cli.test_tmux_cli import Room
from tests.conftest import warroom_exe
from tests.tmux_server import TmuxServer
from tui.cli.demo import seed_demo
from tui.core.clock import SystemClock
from tui.core.store import Store


def clean_env(room: Room, **extra: str) -> list[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(room.tmp),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "WARROOM_DB": str(room.db),
        "WARROOM_AS": "erin",
        **extra,
    }
    return ["env", "-i", *(f"{k}={v}" for k, v in env.items())]


class Person:
    """A terminal (a pane of the outer server) that ran `warroom tmux --attach`."""

    def __init__(self, room: Room, width: int = 120, height: int = 40):
        self.room = room
        self.outer = TmuxServer()
        command = [*clean_env(room), warroom_exe(), "tmux", "-L", room.socket, "--attach"]
        self.outer.new_session("me", command, width, height)

    def screen(self) -> str:
        return self.outer.run("capture-pane", "-p", "-t", "=me:")

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def status_line(self) -> str:
        return self.screen().rstrip("\n").splitlines()[-1]

    def close(self) -> None:
        self.outer.close()


@pytest.fixture
def room(tmp_path):
    r = Room(tmp_path)
    yield r
    r.close()


def wait_until(check, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def seed(db: Path, due_in: timedelta) -> None:
    """The demo incident, its next update due in ``due_in`` by the real clock."""
    # seed_demo(now) promises the next update 3 minutes after its `now`
    with Store(db) as store:
        seed_demo(store, SystemClock().now() - timedelta(minutes=3) + due_in)


def test_attach_opens_the_room_status_line_shell_and_the_bell_reaches_the_shell(room):
    seed(room.db, timedelta(seconds=45))
    # this tmux server's own config silences bells (as some people's ~/.tmux.conf
    # does); messages stay 4 s, long enough to be read back
    room.tmux("new-session", "-d", "-s", "mine")
    for option, value in (("bell-action", "none"), ("visual-bell", "off")):
        room.tmux("set-option", "-g", option, value)
    room.tmux("set-option", "-g", "display-time", "4000")
    person = Person(room)
    try:
        # the dashboard, in the room's first window, on this database
        screen = person.wait_for("Phase checklist")
        assert "API and dashboard unavailable" in screen
        assert "LATE" not in screen  # the bell rings when it turns late, not at start
        # the status line runs `warroom status --oneline` on it (every 5 s)
        wait_until(lambda: "INC-1 MAJOR" in person.status_line(), person.screen(), 30)
        assert "0:dashboard" in person.status_line() and "1:shell" in person.status_line()
        # the shell window: WARROOM_DB is set, so plain commands reach the room's database
        room.tmux("select-window", "-t", "=warroom:=shell")
        room.tmux(
            "send-keys",
            "-t",
            "=warroom:=shell",
            "-l",
            f'echo "db=$WARROOM_DB"; echo "line=$({warroom_exe()} status --oneline)"\n',
        )
        person.wait_for(f"db={room.db}")
        person.wait_for("line=INC-1 MAJOR diagnose")
        # the update turns late while this person looks at the shell: the dashboard
        # rings, and tmux marks its window (the `!` flag in everyone's status line)
        wait_until(
            lambda: "Bell in window 0" in person.status_line(),
            "the dashboard's bell never reached the person in the shell window",
            timeout=120,
        )
        # visual-bell both: "Bell in window 0" on the status line for a moment, and
        # the window keeps its `!` until someone looks at it
        wait_until(
            lambda: "0:dashboard!" in person.status_line(), "no bell flag on the status line", 15
        )
        # one client, in the room
        assert room.tmux("list-clients", "-F", "#{client_session}").split() == ["warroom"]
        assert room.tmux("show-options", "-gv", "bell-action").strip() == "none"  # theirs
    finally:
        room.close()  # the room first: the person's attach then ends
        person.close()


def test_attach_from_inside_tmux_switches_the_client(room):
    seed(room.db, timedelta(minutes=20))
    room.ok()  # the room exists; this person is in another session of that server
    room.tmux("new-session", "-d", "-s", "other", "-x", "100", "-y", "30")
    outer = TmuxServer()
    try:
        attach = [*clean_env(room), "tmux", "-L", room.socket, "attach", "-t", "=other"]
        outer.new_session("me", attach, 100, 30)
        wait_until(
            lambda: room.tmux("list-clients", "-F", "#{client_session}").split() == ["other"],
            "the client never attached",
        )
        # inside tmux now: `warroom tmux --attach` from the other session's shell
        room.tmux(
            "send-keys",
            "-t",
            "=other:",
            "-l",
            f"{warroom_exe()} tmux -L {room.socket} --attach\n",
        )
        wait_until(
            lambda: room.tmux("list-clients", "-F", "#{client_session}").split() == ["warroom"],
            "the client was not switched to the room",
        )
        assert room.sessions() == ["other", "warroom"]
        assert room.windows() == ["dashboard", "shell"]
    finally:
        room.close()
        outer.close()


def test_make_demo_fills_the_queues_by_itself(tmp_path):
    """`warroom demo` (what `make demo` runs): its own queue source, its config's
    `channels:`, the dashboard's poller -- the queue pane fills and keeps moving."""
    import json
    import subprocess

    demo = TmuxServer()
    try:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "TMPDIR": str(tmp_path),  # the demo's folder (and database) land here
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "WARROOM_NO_BELL": "1",
        }
        command = ["env", "-i", *(f"{k}={v}" for k, v in env.items()), warroom_exe(), "demo"]
        demo.new_session("demo", command, 140, 45)

        def screen() -> str:
            return demo.run("capture-pane", "-p", "-t", "=demo:")

        wait_until(lambda: "JSON source: polled" in screen(), screen(), 60)
        (db,) = tmp_path.glob("warroom-demo-*/demo.db")
        config = db.parent / "config.yaml"
        assert "source: json" in config.read_text()

        def chat() -> int | None:
            out = subprocess.run(
                [warroom_exe(), "--db", str(db), "status", "--json"],
                capture_output=True,
                text=True,
                env={**env, "HOME": str(tmp_path)},
                timeout=30,
                check=True,
            ).stdout
            return json.loads(out)["channels"]["chat"]["depth"]

        wait_until(lambda: chat() is not None, "the poller never counted live chat", 60)
        first = chat()
        wait_until(lambda: chat() != first, "live chat's count never moved", 90)
        log = subprocess.run(
            [warroom_exe(), "--db", str(db), "log"],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=True,
        ).stdout
        assert "queue-poller counted" in log
    finally:
        demo.close()

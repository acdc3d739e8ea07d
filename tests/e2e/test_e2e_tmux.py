"""End to end: the real `warroom` in tmux, keys sent, the screen read back.

Each test has a private tmux server (its own socket) that teardown kills, and
every process started in it must be gone 5 s later. Without tmux the tests
skip naming the install command (``make test`` installs it where it can);
under CI=true they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import warroom_exe
from tests.tmux_server import TmuxServer, warroom_command
from tui.cli.demo import DEMO_TITLE, seed_demo
from tui.core.clock import SystemClock
from tui.core.store import Store


class Tmux:
    """One dashboard in a private tmux server (its own socket), killed in ``close()``."""

    def __init__(
        self, db: Path, width: int, height: int, actor: str = "erin", extra_env: dict | None = None
    ):
        self.server = TmuxServer()
        self.name = "wr"
        self.db = db
        self.pid = self.server.new_session(
            self.name, warroom_command(db, actor, extra_env), width, height
        )

    def tmux(self, *args: str, check: bool = True) -> str:
        return self.server.run(*args, check=check)

    def keys(self, *keys: str, literal_first: bool = False) -> None:
        if literal_first:
            self.tmux("send-keys", "-t", self.name, "-l", keys[0])
            keys = keys[1:]
        if keys:
            self.tmux("send-keys", "-t", self.name, *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def wait_gone(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text in self.screen():
            assert time.monotonic() < deadline, f"{text!r} never went away"
            time.sleep(0.05)

    def dead(self) -> bool:
        out = self.tmux("display", "-p", "-t", self.name, "#{pane_dead}", check=False)
        return out.strip() == "1"

    def close(self) -> None:
        self.server.close()


def type_into_draft(t: Tmux, text: str) -> None:
    """Focus the draft (4), start editing (enter), type; the text must show on screen."""
    t.keys("4")
    t.wait_for("\u23ce Edit")  # the footer: the draft has the focus (enter edits)
    t.keys("Enter")
    t.wait_for("EDITING")
    t.keys(text, literal_first=True)
    t.wait_for(text[:30])


@pytest.fixture
def seeded(tmp_path) -> Path:
    db = tmp_path / "war.db"
    with Store(db) as store:
        seed_demo(store, SystemClock().now())
    return db


def status(db: Path) -> dict:
    env = {**os.environ, "WARROOM_DB": str(db)}
    out = subprocess.run(
        [warroom_exe(), "status", "--json"], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_dashboard_in_tmux(seeded, size):
    t = Tmux(seeded, *size)
    try:
        screen = t.wait_for("Phase checklist")
        assert DEMO_TITLE[:30] in screen
        assert "MAJOR" in screen and "DUE SOON" in screen  # state in words, not colour only
        assert "erin" in t.wait_for("In the room")  # our own heartbeat
        # tick "Brief leadership": 6 rows below the first item
        t.keys(*["Down"] * 5, "Space")
        deadline = time.monotonic() + 10
        while not next(i for i in status(seeded)["checklist"] if i["id"] == "brief-leadership")[
            "done"
        ]:
            assert time.monotonic() < deadline, t.screen()
            time.sleep(0.1)
        item = next(i for i in status(seeded)["checklist"] if i["id"] == "brief-leadership")
        assert item["by"] == "erin"
        # a change from elsewhere shows up on screen
        subprocess.run(
            [warroom_exe(), "--as", "frank", "note", "vendor confirmed"],
            env={**os.environ, "WARROOM_DB": str(seeded)},
            check=True,
            capture_output=True,
        )
        t.keys("5")
        t.wait_for("frank noted: vendor confirmed")
        t.keys("?")
        t.wait_for("Tick or untick the highlighted item")
        t.keys("Escape")
        t.wait_gone("Tick or untick the highlighted item")  # ESC then q at once reads as alt+q
        t.keys("q")
        deadline = time.monotonic() + 10
        while not t.dead():
            assert time.monotonic() < deadline, "warroom did not exit on q"
            time.sleep(0.1)
    finally:
        t.close()


def test_resize_between_layouts(seeded):
    # a shell that exported a stale COLUMNS/LINES must not pin the dashboard's size
    t = Tmux(seeded, 120, 40, extra_env={"COLUMNS": "120", "LINES": "40"})
    try:
        t.wait_for("2 Update countdown")
        t.tmux("resize-window", "-t", t.name, "-x", "80", "-y", "24")
        screen = t.wait_for("next update by")  # the countdown moved into the header
        assert "2 Update countdown" not in screen
        t.tmux("resize-window", "-t", t.name, "-x", "120", "-y", "40")
        t.wait_for("2 Update countdown")
    finally:
        t.close()


def test_hangup_exits_and_keeps_what_was_typed(seeded):
    """The SSH terminal goes away (SIGHUP): warroom saves the draft and exits, never spins."""
    import signal

    t = Tmux(seeded, 120, 40)
    try:
        t.wait_for("Phase checklist")
        t.wait_for("BLANKS TO FILL")  # the template is in the editor
        type_into_draft(t, "Typed just before the line dropped. ")
        os.kill(t.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while not t.dead():
            assert time.monotonic() < deadline, "warroom kept running after SIGHUP"
            time.sleep(0.1)
    finally:
        t.close()
    draft = status(seeded)["drafts"]["update"]["text"]
    assert "Typed just before the line dropped. " in draft


def test_quitting_while_the_status_page_hangs_is_prompt(seeded, tmp_path):
    """A delivery stuck on a dead status page never holds the war room hostage."""
    import socket

    from tui import commands
    from tui.core.config import load_config

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts (in the kernel) and never answers
    port = listener.getsockname()[1]
    config = tmp_path / "config.yaml"
    config.write_text(
        "destinations:\n  - id: dead\n    type: statuspage\n"
        f"    base_url: http://127.0.0.1:{port}/v1\n    page_id: p\n"
        "    api_key_env: DEAD_KEY\n    timeout: 60\n"
    )
    os.environ["DEAD_KEY"] = "k"
    with Store(seeded) as store:
        commands.publish(
            store,
            SystemClock(),
            "erin",
            "INC-1",
            "update",
            "We know the cause and we're sorry. We'll post our next update by 11:55 PM.",
            load_config(config),
            accept_warnings=True,
        )
    t = Tmux(seeded, 120, 40, extra_env={"WARROOM_CONFIG": str(config), "DEAD_KEY": "k"})
    try:
        t.wait_for("Phase checklist")
        time.sleep(1.0)  # the delivery thread is now inside its request
        t.keys("q")
        deadline = time.monotonic() + 8  # the request's own timeout is 60 s
        while not t.dead():
            assert time.monotonic() < deadline, "quitting waited for the hanging request"
            time.sleep(0.1)
    finally:
        t.close()
        listener.close()
        os.environ.pop("DEAD_KEY", None)

"""End to end: two real `warroom` dashboards on one database in a private tmux server.

dev edits the shared draft; maria sees "dev is editing", her pane keys stay
keys, and she takes the draft over. dev's screen says so, and dev's words are
in the event log (saved as a version), whatever the timing of his autosave.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.tmux_server import TmuxServer, warroom_command
from tui.cli.demo import seed_demo
from tui.core.clock import SystemClock
from tui.core.store import Store


class Room:
    """Two dashboards (sessions "dev" and "maria") in one private tmux server."""

    def __init__(self, db: Path) -> None:
        self.server = TmuxServer()
        for actor in ("dev", "maria"):
            self.server.new_session(actor, warroom_command(db, actor), 120, 40)

    def keys(self, who: str, *keys: str, literal: bool = False) -> None:
        self.server.run("send-keys", "-t", who, *(["-l"] if literal else []), *keys)

    def screen(self, who: str) -> str:
        return self.server.run("capture-pane", "-p", "-t", who)

    def wait_for(self, who: str, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen(who)
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared for {who}; screen:\n{self.screen(who)}")

    def wait_gone(self, who: str, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text in self.screen(who):
            assert time.monotonic() < deadline, f"{text!r} never went away for {who}"
            time.sleep(0.05)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def room(tmp_path):
    db = tmp_path / "war.db"
    with Store(db) as store:
        seed_demo(store, SystemClock().now())
    r = Room(db)
    r.db = db
    try:
        yield r
    finally:
        r.close()


def test_two_dashboards_one_editor_and_a_take_over_that_keeps_the_holders_words(room):
    words = "Dev typed these words."
    room.wait_for("dev", "BLANKS TO FILL")
    room.wait_for("maria", "BLANKS TO FILL")
    room.keys("dev", "4")
    room.wait_for("dev", "\u23ce Edit")  # the footer: the draft has the focus, for reading
    room.keys("dev", "Enter")
    room.wait_for("dev", "EDITING \u2014 esc to leave")
    room.keys("dev", words, literal=True)
    room.wait_for("dev", words)

    room.wait_for("maria", "dev is editing")
    room.keys("maria", "4")
    room.wait_for("maria", "\u23ce Edit")
    room.keys("maria", "5")  # a pane key while reading: the timeline, not a "5" in the draft
    room.wait_gone("maria", "\u23ce Edit")  # the footer: the timeline has the focus
    room.keys("maria", "4")
    room.wait_for("maria", "\u23ce Edit")
    room.keys("maria", "Enter")
    room.wait_for("maria", "Take over")
    room.keys("maria", "y")
    room.wait_for("maria", "EDITING \u2014 esc to leave")

    room.wait_for("dev", "maria took over the draft")
    room.wait_for("dev", "maria is editing")
    with Store(room.db) as store:
        saved = [e for e in store.events("INC-1") if e.kind == "draft.saved"]
        held = [e for e in store.events("INC-1") if e.kind == "draft.held"]
    assert any(e.actor == "dev" and words in e.data["text"] for e in saved)
    assert not any(e.data["text"].startswith("5") for e in saved)
    assert [(e.actor, e.data["from"]) for e in held] == [("dev", None), ("maria", "dev")]
    # maria edits on top of dev's words
    room.wait_for("maria", words)

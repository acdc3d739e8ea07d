"""README promises about the dashboard that had no test that fails when they break (issue 15).

- ``NO_COLOR``: the real dashboard in tmux writes no colour at all (``capture-pane -e``).
- The bell: a dashboard rings once when the update turns late; ``--no-bell`` and
  ``WARROOM_NO_BELL`` keep it quiet (the pane's raw output, read with ``pipe-pane``).
- 80x24: exactly one pane is shown at a time, and the pane keys switch it.
- The palette: the entry chosen runs the action it names (its effect is asserted).
- Warnings need a second key: the first ``y`` publishes nothing, ``w`` then ``y`` does.
- Presence: a dashboard that left drops out of another's "In the room"; one that died
  without a word drops out once its heartbeat is older than the TTL (the room's clock
  is moved, not waited for).

The tmux tests run the real ``warroom`` on a private tmux server (tests/tmux_server.py).
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

from screens.publish import PublishScreen
from tests.conftest import MAJOR, warroom_exe
from tests.dashboard_helpers import DUE_SOON, dashboard, make_app, seeded_db, wait_for
from tests.tmux_server import TmuxServer
from tests.tui import test_publish_flow
from tui import commands
from tui.cli.demo import seed_demo
from tui.core.clock import FrozenClock, SystemClock
from tui.core.playbook import load_playbook
from tui.core.store import PRESENCE_TTL, Store
from tui.publish import outbox
from tui.publish.checks.lint import lint
from tui.widgets.countdown import UpdateCountdown
from tui.widgets.draft import DraftEditor
from tui.widgets.header import IncidentHeader

PANES = ("checklist", "countdown", "queues", "draft", "timeline")
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")  # a title or clipboard string


def colour_codes(screen: str) -> list[str]:
    """The SGR parameters in ``screen`` that set a colour (16, 256 or true colour)."""
    found = []
    for m in SGR.finditer(screen):
        for p in re.split("[;:]", m.group(1)):
            if p.isdigit() and (30 <= int(p) <= 38 or 40 <= int(p) <= 48 or 90 <= int(p) <= 107):
                found.append(p)
    return found


def bells(raw: bytes) -> int:
    """BEL characters the program wrote, outside OSC strings (which may end with BEL)."""
    return OSC.sub("", raw.decode("utf-8", "replace")).count("\x07")


# ------------------------------------------------------------------ the real dashboard in tmux
class Panes:
    """Dashboards in one private tmux server, each pane's raw output teed to a file."""

    def __init__(self, tmp_path: Path, db: Path) -> None:
        self.server = TmuxServer()
        self.server.keep_alive()
        self.tmp, self.db = tmp_path, db

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        pairs = {"WARROOM_DB": str(self.db), "WARROOM_AS": name, "TERM": "xterm-256color"}
        pairs.update(env or {})
        command = ["env", *(f"{k}={v}" for k, v in pairs.items()), warroom_exe(), *args]
        self.server.new_session(name, command, 120, 40)
        self.server.run("pipe-pane", "-o", "-t", name, f"cat >> {self.tmp / name}.out")

    def screen(self, name: str, *, escapes: bool = False) -> str:
        return self.server.run("capture-pane", "-p", *(["-e"] if escapes else []), "-t", name)

    def raw(self, name: str) -> bytes:
        path = self.tmp / f"{name}.out"
        return path.read_bytes() if path.exists() else b""

    def wait_for(self, name: str, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen(name):
            assert time.monotonic() < deadline, f"{text!r} never shown:\n{self.screen(name)}"
            time.sleep(0.1)


@pytest.fixture
def live(tmp_path):
    """The demo incident on the real clock: its next update is due in 3 minutes."""
    db = tmp_path / "war.db"
    with Store(db) as store:
        seed_demo(store, SystemClock().now())
    panes = Panes(tmp_path, db)
    yield panes
    panes.server.close()


def test_no_color_writes_no_colour(live):
    live.start("colour")
    live.start("plain", env={"NO_COLOR": "1"})
    for name in ("colour", "plain"):
        live.wait_for(name, "DUE SOON")
    assert colour_codes(live.screen("colour", escapes=True)), "the control shows colours"
    # NO_COLOR: bold and reverse stay (they carry meaning), colour never appears,
    # not even as shades of grey
    plain = live.screen("plain", escapes=True)
    assert colour_codes(plain) == [], sorted(set(colour_codes(plain)))
    assert re.search(r"\x1b\[[0-9;]*7[;m]", plain), "reverse video still marks what matters"


def test_the_bell_rings_when_late_unless_told_not_to(live):
    live.start("ring")
    live.start("flag", "dashboard", "--no-bell")
    live.start("quiet", env={"WARROOM_NO_BELL": "1"})
    everyone = ("ring", "flag", "quiet")
    for name in everyone:
        live.wait_for(name, "DUE SOON")  # painted, and on time: no bell at start-up
    # the update turns late 2 s from now (a message promised the next one that soon)
    with Store(live.db) as store:
        clock = SystemClock()
        at = clock.now() + timedelta(seconds=2)
        commands.record_published(store, clock, "dev", "INC-1", "update", at)
    for name in everyone:
        live.wait_for(name, "LATE +")
    deadline = time.monotonic() + 30
    while not bells(live.raw("ring")):
        assert time.monotonic() < deadline, "no bell when the update turned late"
        time.sleep(0.1)
    time.sleep(0.5)  # let every pane's tee catch up (the bell went out with the LATE paint)
    assert bells(live.raw("ring")) == 1  # once, when it turns late
    for name in ("flag", "quiet"):
        raw = live.raw(name)
        assert raw, f"{name}: nothing teed from the pane"
        assert bells(raw) == 0, f"{name} rang the bell"


# ------------------------------------------------------------------ under Pilot
async def test_80x24_shows_one_pane_at_a_time_and_the_pane_keys_switch_it(tmp_path):
    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await dashboard(pilot)

        def shown() -> list[str]:
            return [n for n in PANES if screen.query_one(f"#{n}").region.area > 0]

        assert shown() == ["checklist"]
        for key, name in (("2", "countdown"), ("3", "queues"), ("4", "draft"), ("5", "timeline")):
            await pilot.press(key)
            await wait_for(lambda name=name: shown() == [name], pilot)
            pane = screen.query_one(f"#{name}").region
            assert pane.right <= 80 and pane.bottom <= 24  # whole, on the screen
        await pilot.press("1")
        await wait_for(lambda: shown() == ["checklist"], pilot)
    # wide enough, every pane at once
    (tmp_path / "wide").mkdir()
    app = make_app(seeded_db(tmp_path / "wide"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        assert [n for n in PANES if screen.query_one(f"#{n}").region.area > 0] == list(PANES)


async def palette_run(pilot, words: str) -> None:
    """ctrl+p, the words, enter: as a user works the palette."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(lambda: isinstance(app.screen, CommandPalette), pilot)
    await pilot.press(*words)
    commands_list = app.screen.query_one(CommandList)
    await wait_for(lambda: commands_list.option_count > 0, pilot)
    await pilot.press("enter")
    await wait_for(lambda: not isinstance(app.screen, CommandPalette), pilot)


async def test_the_palette_entry_runs_the_action_it_names(tmp_path):
    app = make_app(seeded_db(tmp_path), bell=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        countdown = screen.query_one(UpdateCountdown)
        assert countdown.bell_enabled
        await palette_run(pilot, "terminal bell")
        await wait_for(lambda: not countdown.bell_enabled, pilot)  # it toggled the bell
        await palette_run(pilot, "timeline")
        await wait_for(lambda: screen.active == "timeline", pilot)  # it moved to the pane
        assert screen.query_one("#timeline").has_focus


# ------------------------------------------------------------------ warnings: a second key
# no blank, no error; jargon and a missing apology are warnings (checked below, not assumed)
WARNED = (
    "Logins are failing for most customers. We are failing over the primary DB cluster "
    "to the replica. We'll post our next update by 2:30 PM EST."
)


page = test_publish_flow.page  # the fixture: a real local status page over loopback


async def test_warnings_need_the_second_key(tmp_path, page):
    db = seeded_db(tmp_path)
    findings = lint(WARNED, "update", "statuspage", load_playbook(MAJOR), page.config)
    assert findings and all(f.severity == "warning" for f in findings), findings
    with Store(db) as store:  # the draft, saved: it is in the editor when the dashboard opens
        commands.save_draft(store, FrozenClock(DUE_SOON), "alice", "INC-1", "update", WARNED)
    app = make_app(db, config=page.config)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: "failing over" in editor.text_area.text, pilot)
        published = len(screen.state.updates)
        await pilot.press("p")
        await wait_for(lambda: isinstance(app.screen, PublishScreen), pilot)
        confirm = app.screen
        assert confirm.warnings and not confirm.errors
        await pilot.press("y")  # the first key: it says w first, and publishes nothing
        await pilot.pause(0.3)
        assert app.screen is confirm
        with Store(db) as store:
            assert len(store.state("INC-1").updates) == published
        await pilot.press("w", "y")
        await wait_for(lambda: len(screen.state.updates) == published + 1, pilot)
    with Store(db) as store:
        assert store.state("INC-1").updates[-1].purpose == "update"
        (row,) = outbox.rows(store)  # the one message, queued once
    assert "failing over the primary DB cluster" in row.payload["body"]


# ------------------------------------------------------------------ presence
async def test_a_dashboard_that_left_drops_out_of_the_room(tmp_path):
    db = seeded_db(tmp_path)
    alice, bob = make_app(db, actor="alice"), make_app(db, actor="bob")
    async with alice.run_test(size=(120, 40)) as pa:
        header = (await dashboard(pa)).query_one(IncidentHeader)

        def room() -> str:
            text = str(header.render())
            return text[text.find("In the room") :]

        async with bob.run_test(size=(120, 40)) as pb:
            await dashboard(pb)
            await wait_for(lambda: "bob" in room(), pa)
        # bob quit: his dashboard left the room on its way out
        await wait_for(lambda: "bob" not in room(), pa)

        # carol's dashboard died without a word: her last heartbeat stays in the database
        clock = alice.room.clock
        with Store(db) as store:
            store.heartbeat("carol-session", "INC-1", "carol", "pts/9", clock.now())
        await wait_for(lambda: "carol" in room(), pa)
        assert isinstance(clock, FrozenClock)
        clock.advance(timedelta(seconds=PRESENCE_TTL + 1))  # the room's time, not a wait
        await wait_for(lambda: "carol" not in room(), pa)

"""Queue inflow (the sum of rises in depth) and swamped_at: the fold and the real commands."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import MAJOR, warroom_exe
from tui import commands
from tui.core import state as ev
from tui.core.clock import FrozenClock
from tui.core.playbook import load_playbook
from tui.core.state import Event, Projector
from tui.core.state.incident import INFLOW_KEPT, ChannelState
from tui.core.store import Store

BOOK = load_playbook(MAJOR)
T0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def resolver(sha: str, source: str):
    return BOOK


def started() -> Event:
    return Event(
        1,
        "INC-1",
        T0,
        "alice",
        ev.STARTED,
        {"title": "API down", "playbook_sha": BOOK.sha256, "metrics": {"users_affected_pct": 12}},
    )


def counts(*depths: tuple[float, int], channel: str = "chat", first_id: int = 2) -> list[Event]:
    return [
        Event(first_id + i, "INC-1", at(m), "sam", ev.QUEUE, {"channel": channel, "depth": d})
        for i, (m, d) in enumerate(depths)
    ]


# ------------------------------------------------------------------ the fold
def test_inflow_is_the_sum_of_rises_and_a_fall_adds_nothing():
    s = Projector("INC-1", resolver).apply_all(
        [started(), *counts((1, 30), (2, 35), (3, 20), (4, 26), (5, 26))]
    )
    chat = s.channels["chat"]
    # the first count is the backlog; then +5, a fall of 15 (answered), +6, no change
    assert chat.depth == 26
    assert chat.arrived == 11
    assert [r for _, r in chat.rises] == [5, 6]
    assert chat.inflow(at(5)) == 11


def test_since_update_starts_again_when_an_update_is_published():
    events = [started(), *counts((1, 10), (2, 14))]
    events.append(Event(4, "INC-1", at(3), "dev", ev.PUBLISHED, {"purpose": "ack"}))
    events += counts((4, 12), (5, 19), first_id=5)
    s = Projector("INC-1", resolver).apply_all(events)
    chat = s.channels["chat"]
    assert chat.arrived == 7  # only the +7 after the acknowledgement; not the +4 before
    assert chat.inflow(at(5)) == 11  # the 10-minute figure does not care about updates
    assert chat.trend() == 19 - 14


def test_the_ten_minute_window_moves_with_now():
    s = Projector("INC-1", resolver).apply_all(
        [started(), *counts((0, 0), (1, 4), (8, 10), (12, 13))]
    )
    chat = s.channels["chat"]  # rises: +4 at 1m, +6 at 8m, +3 at 12m
    assert chat.inflow(at(10.5)) == 4 + 6
    assert chat.inflow(at(11)) == 6  # the window is (now - 10m, now]: the +4 has left it
    assert chat.inflow(at(12)) == 6 + 3
    assert chat.inflow(at(17.9)) == 6 + 3
    assert chat.inflow(at(18)) == 3
    assert chat.inflow(at(22.5)) == 0
    assert chat.inflow(at(5)) == 4  # a count after now is not in it yet
    assert chat.arrived == 13  # no update published: since the first count


def test_the_rises_kept_are_bounded_to_the_last_hour():
    ch = ChannelState()
    ch.count(10, T0)
    for minute in range(1, 24 * 60, 2):  # a day of +1 then -1, a rise every two minutes
        ch.count(11, at(minute))
        ch.count(10, at(minute + 1))
    assert ch.arrived == len(range(1, 24 * 60, 2))  # each +1 counted since the first count
    assert len(ch.rises) <= INFLOW_KEPT / timedelta(minutes=2) + 1
    assert all(t >= at(24 * 60 - 1) - INFLOW_KEPT for t, _ in ch.rises)
    assert ch.inflow(at(24 * 60), timedelta(hours=5)) == len(ch.rises)  # never past the hour


def test_a_snapshot_keeps_its_own_rises():
    p = Projector("INC-1", resolver)
    p.apply_all([started(), *counts((1, 1), (2, 5))])
    snap = p.state.snapshot()
    p.apply_all(counts((3, 9), first_id=4))
    assert snap.channels["chat"].arrived == 4 and len(snap.channels["chat"].rises) == 1
    assert p.state.channels["chat"].arrived == 8


# ------------------------------------------------------------------ swamped_at, the commands
def auto_book(tmp_path: Path) -> Path:
    text = MAJOR.read_text(encoding="utf-8")
    assert text.count("swamped_mode: propose") == 1
    path = tmp_path / "auto.yaml"
    path.write_text(text.replace("swamped_mode: propose", "swamped_mode: auto"), encoding="utf-8")
    return path


def started_store(tmp_path: Path, playbook: Path) -> tuple[Path, FrozenClock]:
    path = tmp_path / "w.db"
    clock = FrozenClock(T0)
    with Store(path) as store:
        commands.start(store, clock, "alice", load_playbook(playbook), "Chat down", {})
    return path, clock


def action_events(store: Store) -> list[Event]:
    return [e for e in store.events("INC-1") if e.kind == ev.ACTION]


def test_auto_turns_the_action_on_in_the_crossing_count_and_never_off(tmp_path):
    path, clock = started_store(tmp_path, auto_book(tmp_path))
    with Store(path) as store:
        commands.set_queue(store, clock, "sam", "INC-1", "chat", 39)
        assert action_events(store) == []
        out = commands.set_queue(store, clock, "sam", "INC-1", "chat", 41)
        assert "swamped_at 40" in out.message
        (on,) = action_events(store)
        assert on.id == out.event_id + 1 and on.actor == "sam" and on.at == clock.now()
        assert on.data["on"] is True and on.data["action"] == "swamped-notice"
        s = store.state("INC-1")
        assert s.channels["chat"].actions["swamped-notice"] is True
        assert s.timeline[-1].text.startswith("\u201cSet a clear")
        assert "was turned on by swamped_at 40 (sam counted 41 waiting)" in s.timeline[-1].text
        # someone turns it off while it is still swamped: the next count leaves it off
        commands.set_action(store, clock, "lead", "INC-1", "chat", "swamped-notice", False)
        commands.set_queue(store, clock, "sam", "INC-1", "chat", 60)
        assert len(action_events(store)) == 2
        # below, then over again: a new crossing turns it on again
        commands.set_queue(store, clock, "sam", "INC-1", "chat", 12)
        assert len(action_events(store)) == 2  # never off by itself
        commands.set_queue(store, clock, "bot", "INC-1", "chat", 40)
        events = action_events(store)
        assert len(events) == 3 and events[-1].actor == "bot" and events[-1].data["on"] is True


def test_propose_mode_writes_only_the_count(tmp_path):
    path, clock = started_store(tmp_path, MAJOR)
    with Store(path) as store:
        commands.set_queue(store, clock, "sam", "INC-1", "chat", 80)
        assert action_events(store) == []
        assert store.state("INC-1").channels["chat"].actions["swamped-notice"] is False


def test_two_writers_crossing_at_once_turn_it_on_once(tmp_path):
    """Two processes count the same queue over swamped_at at the same moment."""
    path, _ = started_store(tmp_path, auto_book(tmp_path))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(path), WARROOM_NOW="2026-11-27T19:05:00+00:00")
    procs = [
        subprocess.Popen(
            [warroom_exe(), "--as", who, "queue", "chat", str(depth)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who, depth in (("sam", 45), ("kim", 52))
    ]
    try:
        results = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in procs] == [0, 0], results
    with Store(path) as store:
        counted = [e for e in store.events("INC-1") if e.kind == ev.QUEUE]
        (on,) = action_events(store)
        assert len(counted) == 2
        assert on.id == counted[0].id + 1  # in the transaction of the count that crossed
        assert on.actor == counted[0].actor
        assert store.state("INC-1").channels["chat"].actions["swamped-notice"] is True


def test_two_people_turning_the_proposed_action_on_write_it_once(tmp_path):
    """``w`` on two dashboards: set_action(on=True) twice is one event, never a toggle off."""
    path, clock = started_store(tmp_path, MAJOR)
    with Store(path) as a, Store(path) as b:
        commands.set_queue(a, clock, "sam", "INC-1", "chat", 45)
        first = commands.set_action(a, clock, "lead", "INC-1", "chat", "swamped-notice", True)
        second = commands.set_action(b, clock, "kim", "INC-1", "chat", "swamped-notice", True)
        assert first.event_id is not None and second.event_id is None
        assert len(action_events(b)) == 1


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (
            ("swamped_action: swamped-notice", "swamped_action: swamped-notise"),
            "swamped_action: swamped-notise",
            "swamped_action 'swamped-notise' is not one of its actions",
        ),
        (("swamped_at: 40", "swamped_at: 0"), "swamped_at: 0", "swamped_at must be a whole"),
        (("swamped_at: 40", "swamped_at: -3"), "swamped_at: -3", "swamped_at must be a whole"),
        (("swamped_at: 40", "swamped_at: lots"), "swamped_at: lots", "swamped_at must be a whole"),
        (
            ("swamped_mode: propose", "swamped_mode: always"),
            "swamped_mode: always",
            "swamped_mode must be one of: propose, auto",
        ),
        (
            ("    swamped_action: swamped-notice\n", ""),
            "swamped_at: 40",
            "swamped_at needs swamped_action",
        ),
    ],
)
def test_playbook_swamped_errors_name_file_line_col(tmp_path, edit, where, message):
    from tui.core.playbook import PlaybookError

    text = MAJOR.read_text(encoding="utf-8")
    assert text.count(edit[0]) == 1
    bad = text.replace(*edit)
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    line_no = next(i for i, line in enumerate(bad.splitlines(), 1) if where in line)
    col = bad.splitlines()[line_no - 1].index(where.split(": ")[1]) + 1
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    assert f"{path}:{line_no}:{col}: " in str(info.value)
    assert message in str(info.value)

"""The poller's counts on the timeline: one line per channel per run, first → last.

The queue poller writes a ``channel.counts`` event on every change (in the demo ~18 a
minute over three channels); each used to be a timeline line. Now its counts fold per
channel into one line per run ("queue-poller counted 47 waiting in live chat (12 → 47 in
31 counts since 2:02 PM EST)"), replaced while the run lasts; a run ends at a published
message, when a person counts that channel, or 10 minutes after its first count. A
person's counts keep their own fold. The event log, the channel and the post-mortem's
peaks see every count, and a dashboard that follows the events one by one (the Store's
own incremental fold, the timeline pane's incremental writes) shows the same lines as a
fresh replay.

Real parts: a SQLite file, the shipped playbook, the commands the poller calls
(``set_queue(..., unless_same=True)``), the real Timeline widget in a Textual app.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from tests.conftest import MAJOR
from tui import commands
from tui.amends.postmortem.timeline import history
from tui.core.clock import FrozenClock
from tui.core.playbook import load_playbook
from tui.core.state import QUEUE, Projector
from tui.core.state.checkpoint import dump, restore
from tui.core.state.projection import AUTO_RUN_FOR, AUTOMATIC_COUNTERS
from tui.core.store import Store
from tui.queues import poller
from tui.widgets.timeline import Timeline

T0 = datetime(2026, 11, 30, 19, 2, tzinfo=UTC)  # 2:02 PM EST
POLLER = poller.ACTOR
CHANNELS = ("tickets", "chat", "social")
TITLES = {"tickets": "Support tickets", "chat": "Live chat", "social": "Social media DMs"}
LINE = re.compile(
    r"^queue-poller counted (\d+) waiting in (.+?)"
    r"(?: \((\d+) \u2192 (\d+) in (\d+) counts since [^)]*\))?, the oldest for "
)


def test_the_poller_actor_is_the_one_the_fold_knows():
    assert POLLER in AUTOMATIC_COUNTERS


def open_room(tmp_path) -> tuple[Store, FrozenClock]:
    clock = FrozenClock(T0)
    store = Store(tmp_path / "w.db")
    commands.start(store, clock, "maria", load_playbook(MAJOR), "Logins fail", {})
    return store, clock


def poll_counts(store, clock, n: int, *, step=timedelta(seconds=4), seed=7, follow=None):
    """``n`` changed counts over the three channels, as the poller writes them; the
    depths by channel, in order. ``follow(state)`` sees the state after each write."""
    rng = random.Random(seed)
    depth = {c: 10 for c in CHANNELS}
    seen: dict[str, list[int]] = {c: [] for c in CHANNELS}
    for _ in range(n):
        clock.advance(step)
        channel = rng.choice(CHANNELS)
        depth[channel] = max(1, depth[channel] + rng.choice((-3, -1, 2, 4, 6)))
        oldest = clock.now() - timedelta(minutes=3)
        out = commands.set_queue(
            store, clock, POLLER, "INC-1", channel, depth[channel], oldest, unless_same=True
        )
        if out.event_id is not None:
            seen[channel].append(depth[channel])
        if follow is not None:
            follow(store.state("INC-1"))
    return seen


def queue_lines(state) -> list[str]:
    return [t.text for t in state.timeline if t.kind == QUEUE]


def runs(lines: list[str]) -> list[tuple[str, int, int, int]]:
    """(title, first, last, counts) of each line; a plain line is a run of one."""
    out = []
    for text in lines:
        m = LINE.match(text)
        assert m, text
        if m[3] is None:
            out.append((m[2], int(m[1]), int(m[1]), 1))
        else:
            assert m[4] == m[1]
            out.append((m[2], int(m[3]), int(m[4]), int(m[5])))
    return out


def test_200_poller_counts_over_three_channels_are_a_handful_of_lines(tmp_path):
    store, clock = open_room(tmp_path)
    try:
        seen = poll_counts(store, clock, 200)  # 200 × 4 s: 13 minutes and 20 seconds
        state = store.state("INC-1")
        total = sum(len(v) for v in seen.values())
        assert total > 150  # (a count equal to the last one writes nothing)
        logged = [e for e in store.events("INC-1") if e.kind == QUEUE]
        assert len(logged) == total  # the log keeps every count
        lines = queue_lines(state)
        assert 3 <= len(lines) <= 6, lines  # two runs a channel at most (10 minutes each)
        found = runs(lines)
        assert sum(n for *_, n in found) == total
        for c in CHANNELS:  # each channel's runs, in order, cover its counts first → last
            mine = [r for r in found if r[0].lower() == TITLES[c].lower()]
            at = 0
            for _, first, last, n in mine:
                assert (first, last) == (seen[c][at], seen[c][at + n - 1])
                at += n
            assert at == len(seen[c])
        # each line says the run's start in the customers' zone; the newest stays last
        assert "counts since 2:02 PM EST" in lines[0]
        assert state.timeline[-1].event_id == state.last_event_id
        assert state.channels["chat"].depth == seen["chat"][-1]
    finally:
        store.close()


def test_a_run_lasts_ten_minutes_and_a_message_or_a_person_ends_it(tmp_path):
    store, clock = open_room(tmp_path)
    try:
        for depth in (12, 20, 47):
            clock.advance(timedelta(seconds=10))
            commands.set_queue(store, clock, POLLER, "INC-1", "chat", depth, unless_same=True)
        assert queue_lines(store.state("INC-1")) == [
            "queue-poller counted 47 waiting in live chat "
            "(12 \u2192 47 in 3 counts since 2:02 PM EST)"
        ]
        # a person counts the same channel: the run ends; their count is their own line
        clock.advance(timedelta(seconds=10))
        commands.set_queue(store, clock, "sam", "INC-1", "chat", 50)
        clock.advance(timedelta(seconds=10))
        commands.set_queue(store, clock, POLLER, "INC-1", "chat", 52, unless_same=True)
        clock.advance(timedelta(seconds=10))
        commands.set_queue(store, clock, POLLER, "INC-1", "chat", 40, unless_same=True)
        assert queue_lines(store.state("INC-1"))[1:] == [
            "sam counted 50 waiting in live chat",
            "queue-poller counted 40 waiting in live chat (52 \u2192 40 in 2 counts since 2:02 PM"
            " EST)",
        ]
        # a published message ends every run
        commands.record_published(store, clock, "maria", "INC-1", "ack", None)
        clock.advance(timedelta(seconds=10))
        commands.set_queue(store, clock, POLLER, "INC-1", "chat", 41, unless_same=True)
        assert (
            queue_lines(store.state("INC-1"))[-1] == "queue-poller counted 41 waiting in live chat"
        )
        # ten minutes after its first count, the next count starts a new line
        for depth in (42, 60, 43):
            clock.advance(AUTO_RUN_FOR / 2)
            commands.set_queue(store, clock, POLLER, "INC-1", "chat", depth, unless_same=True)
        assert queue_lines(store.state("INC-1"))[-2:] == [
            "queue-poller counted 60 waiting in live chat (41 \u2192 60 in 3 counts since 2:03 PM"
            " EST)",
            "queue-poller counted 43 waiting in live chat",
        ]
    finally:
        store.close()


def test_a_persons_counts_keep_their_own_fold(tmp_path):
    store, clock = open_room(tmp_path)
    try:
        for depth in (40, 41, 47):
            clock.advance(timedelta(seconds=5))
            commands.set_queue(store, clock, "sam", "INC-1", "tickets", depth)
        assert queue_lines(store.state("INC-1")) == [
            "sam counted 47 waiting in support tickets (40 \u2192 47)"
        ]
    finally:
        store.close()


def test_the_post_mortem_still_sees_every_depth(tmp_path):
    store, clock = open_room(tmp_path)
    try:
        for depth in (12, 30, 95, 31, 20):  # the peak, folded away from the timeline
            clock.advance(timedelta(seconds=10))
            commands.set_queue(store, clock, POLLER, "INC-1", "chat", depth, unless_same=True)
        state = store.state("INC-1")
        assert queue_lines(state) == [
            "queue-poller counted 20 waiting in live chat "
            "(12 \u2192 20 in 5 counts since 2:02 PM EST, highest 95)"
        ]
        assert history(state, list(store.events("INC-1"))).queue_peaks["chat"] == 95
    finally:
        store.close()


class _Pane(App[None]):
    def compose(self) -> ComposeResult:
        yield Timeline(id="follow")


def _lines(pane: Timeline) -> list[str]:
    return [strip.text.rstrip() for strip in pane.lines]


async def test_a_dashboard_following_the_counts_shows_what_a_fresh_replay_shows(tmp_path):
    store, clock = open_room(tmp_path)
    followed = []
    try:
        poll_counts(store, clock, 60, follow=lambda s: followed.append(s.snapshot()))
        clock.advance(timedelta(seconds=5))
        commands.record_published(store, clock, "maria", "INC-1", "ack", None)
        followed.append(store.state("INC-1").snapshot())
        poll_counts(store, clock, 40, seed=8, follow=lambda s: followed.append(s.snapshot()))
        incremental = [(t.event_id, t.text) for t in store.state("INC-1").timeline]
    finally:
        store.close()
    with Store(tmp_path / "w.db") as fresh_store:
        replay = fresh_store.state("INC-1").snapshot()
    assert [(t.event_id, t.text) for t in replay.timeline] == incremental
    assert len([t for t in replay.timeline if t.kind == QUEUE]) <= 8
    followed[-1] = replay
    # the real pane, given each state in turn (as the dashboard does), shows at every
    # checkpoint what a new pane given that state once shows
    app = _Pane()
    async with app.run_test(size=(120, 200)) as pilot:
        follow = app.query_one("#follow", Timeline)
        await pilot.pause()
        checked = 0
        for n, state in enumerate(followed, start=1):
            follow.show(state)
            if n % 7 and n != len(followed):
                continue
            fresh = Timeline()
            await app.mount(fresh)
            await pilot.pause()
            fresh.show(state)
            await pilot.pause()
            assert _lines(follow) == _lines(fresh), f"after state {n}"
            await fresh.remove()
            checked += 1
        assert checked >= 14


def test_a_checkpoint_in_the_middle_of_runs_restores_them(tmp_path):
    store, clock = open_room(tmp_path)
    try:
        poll_counts(store, clock, 90)
        events = list(store.events("INC-1"))
        whole = Projector("INC-1", store.playbook).apply_all(events)
        for cut in (len(events) // 3, len(events) // 2, len(events) - 2):
            projector = Projector("INC-1", store.playbook)
            projector.apply_all(events[:cut])
            again = restore(dump(projector), "INC-1", store.playbook)
            again.apply_all(events[cut:])
            assert [(t.event_id, t.text) for t in again.state.timeline] == [
                (t.event_id, t.text) for t in whole.timeline
            ]
    finally:
        store.close()

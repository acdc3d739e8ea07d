"""A second of the clock repaints a few cells, not whole widgets (issue 13: idle CPU).

The countdown's digits (:class:`tui.widgets.bigdigits.BigDigits`) mark only the glyphs
that changed dirty, and the header only the line that changed (the elapsed time);
the picture stays the one Textual's ``Digits`` draws (the SVG snapshots hold it too).
Spies wrap ``Widget.refresh`` (the real method runs) and record the regions asked for.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from datetime import timedelta

from rich.style import Style
from textual.geometry import Region
from textual.renderables.digits import Digits as DigitsRenderable
from textual.widget import Widget

from tests.dashboard_helpers import LATE, ON_TRACK, dashboard, make_app, seeded_db, wait_for
from tui import commands
from tui.app.app import WarroomApp
from tui.app.room import Room
from tui.core.clock import FrozenClock
from tui.core.store import Store
from tui.widgets.bigdigits import BigDigits, changed_spans, glyphs
from tui.widgets.checklist import PhaseChecklist
from tui.widgets.header import IncidentHeader
from tui.widgets.queues import ChannelQueues


def font_rows(value: str, bold: bool) -> list[str]:
    """The three rows Textual's own Digits renderable draws for ``value``."""
    segments = DigitsRenderable(value).render(Style(bold=bold))
    text = "".join(s.text for s in segments)
    return text.split("\n")[:3]


def seconds(value: str) -> int:
    minutes, secs = value.lstrip("+").split(":")
    return int(minutes) * 60 + int(secs)


def test_the_glyphs_are_textual_font_and_the_spans_cover_what_changed():
    for value in ("10:40", "+02:07", "2d 23h", "--:--", "5h 12m"):
        for bold in (False, True):
            rows = ["".join(g[i] for g in glyphs(value, bold)) for i in range(3)]
            assert rows == font_rows(value, bold), value
    assert changed_spans("10:40", "10:39") == [(9, 6)]  # both digits after the colon
    assert changed_spans("10:40", "10:41") == [(12, 3)]
    assert changed_spans("10:40", "11:41") == [(3, 3), (12, 3)]
    assert changed_spans("2d 23h", "2d 22h") == [(10, 3)]  # "d", " " and "h" are 1 cell
    assert changed_spans("10:40", "10:40") == []


async def test_a_second_repaints_one_glyph_and_one_header_line(tmp_path, monkeypatch):
    db = seeded_db(tmp_path)
    asked: defaultdict[str, list[tuple[Region, ...]]] = defaultdict(list)
    real_refresh = Widget.refresh

    def refresh(self, *regions, **kwargs):
        asked[type(self).__name__] += [regions]
        return real_refresh(self, *regions, **kwargs)

    ticks: list[int] = []
    real_tick = WarroomApp._tick

    def tick(self):
        ticks.append(1)
        return real_tick(self)

    monkeypatch.setattr(WarroomApp, "_tick", tick)
    app = make_app(db, at=ON_TRACK + timedelta(seconds=20), tick_every=0.01, poll_every=3600)
    clock = app.room.clock
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        digits = screen.query_one("#countdown-digits", BigDigits)
        header = screen.query_one(IncidentHeader)
        await wait_for(lambda: len(ticks) >= 5 and digits.value.count(":") == 1, pilot)
        await pilot.pause()
        before, lines_before = digits.value, str(header.render()).split("\n")
        monkeypatch.setattr(Widget, "refresh", refresh)

        clock.advance(timedelta(seconds=1))
        await wait_for(lambda: digits.value != before, pilot)
        seen = len(ticks)
        await wait_for(lambda: len(ticks) >= seen + 5, pilot)
        await pilot.pause()
        monkeypatch.setattr(Widget, "refresh", real_refresh)
        width = digits.content_size.width

        # the countdown still counts down, and draws the new value in Textual's font
        assert seconds(digits.value) == seconds(before) - 1
        drawn = ["".join(s.text for s in digits.render_line(y)) for y in range(3)]
        assert [row.strip() for row in drawn] == [
            r.strip() for r in font_rows(digits.value, bool(digits.rich_style.bold))
        ]
        assert all(len(row) == width for row in drawn)

        # the digits: only the changed glyphs' columns, never the whole widget
        calls = asked["BigDigits"]
        assert calls and all(regions for regions in calls), calls
        for regions in calls:
            assert sum(r.width for r in regions) <= 6 < width, regions  # one or two glyphs

        # the header: the elapsed time's line only
        lines_after = str(header.render()).split("\n")
        assert lines_after[0] != lines_before[0] and lines_after[1:] == lines_before[1:]
        calls = asked["IncidentHeader"]
        assert calls and all(regions for regions in calls), calls
        assert {(r.y, r.height) for regions in calls for r in regions} == {(0, 1)}


async def test_a_new_width_takes_the_whole_widget_path(tmp_path):
    """From 1:00:00-style values to mm:ss (another width): the full repaint, still right."""
    db = seeded_db(tmp_path)
    app = make_app(db, at=LATE, tick_every=3600, poll_every=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        digits = screen.query_one("#countdown-digits", BigDigits)
        digits.update("2d 23h")
        await pilot.pause()
        drawn = ["".join(s.text for s in digits.render_line(y)).strip() for y in range(3)]
        assert drawn == [r.strip() for r in font_rows("2d 23h", bool(digits.rich_style.bold))]
        digits.update("+02:07")
        await pilot.pause()
        drawn = ["".join(s.text for s in digits.render_line(y)).strip() for y in range(3)]
        assert drawn == [r.strip() for r in font_rows("+02:07", bool(digits.rich_style.bold))]


async def test_lists_are_built_again_only_when_their_time_words_move(tmp_path, monkeypatch):
    """Ticks with the clock still: no row of the checklist or the queues is built; ten
    minutes later the queues' "oldest" words are new on screen (the demo's phase heads
    have no running deadline then: their rows are rightly left alone)."""
    db = seeded_db(tmp_path)
    with Store(db) as store:  # a queue counted 5 minutes ago: its "oldest" moves with time
        at = FrozenClock(ON_TRACK - timedelta(minutes=5))
        commands.set_queue(store, at, "sam", "INC-1", "tickets", 40, at.now())
    built: defaultdict[str, int] = defaultdict(int)
    for cls in (PhaseChecklist, ChannelQueues):
        real = cls._rows

        def rows(self, s, now, _real=real, _name=cls.__name__):
            built[_name] += 1
            return _real(self, s, now)

        monkeypatch.setattr(cls, "_rows", rows)
    ticks: list[int] = []
    real_tick = WarroomApp._tick

    def tick(self):
        ticks.append(1)
        return real_tick(self)

    monkeypatch.setattr(WarroomApp, "_tick", tick)
    app = make_app(db, at=ON_TRACK, tick_every=0.01, poll_every=3600)
    clock = app.room.clock
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        queues = screen.query_one(ChannelQueues)
        await wait_for(lambda: len(ticks) >= 3, pilot)
        await pilot.pause()
        before = [str(o.prompt) for o in queues.options if o.id and o.id.startswith("channel:")]
        assert any("oldest" in row for row in before), before
        built.clear()
        seen = len(ticks)
        await wait_for(lambda: len(ticks) >= seen + 10, pilot)
        assert dict(built) == {}, built  # 10 ticks, the time words unchanged: nothing built

        clock.advance(timedelta(minutes=10))
        await wait_for(lambda: built["ChannelQueues"] >= 1, pilot)
        await pilot.pause()
        after = [str(o.prompt) for o in queues.options if o.id and o.id.startswith("channel:")]
        assert after != before, after
        assert "PhaseChecklist" not in built, built  # its words did not move


async def test_a_change_from_elsewhere_is_seen_without_the_probe_timer(tmp_path, monkeypatch):
    """The doorbell (inotify) wakes the dashboard: with the probe's timer an hour apart
    a note from another connection still shows; at rest no probe runs at all."""
    db = seeded_db(tmp_path)
    probed: list[int] = []
    real_probe = Room.probe

    def probe(self):
        probed.append(1)
        return real_probe(self)

    monkeypatch.setattr(Room, "probe", probe)
    app = make_app(db, at=ON_TRACK, poll_every=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        assert app._doorbell is not None
        # at rest: the start's own writes polled, and the looks after their ring done
        await wait_for(
            lambda: screen.state.last_event_id > 0 and not app._poll_busy and not app._look_again,
            pilot,
        )
        await pilot.pause(0.3)
        quiet = len(probed)
        await pilot.pause(0.5)
        assert len(probed) == quiet, "a probe ran at rest"
        seen = screen.state.last_event_id
        with Store(db) as other:
            commands.add_note(other, FrozenClock(ON_TRACK), "bob", "INC-1", "ring the bell")
        await wait_for(lambda: screen.state.last_event_id > seen, pilot)
    assert app._doorbell is not None and app._doorbell.fd == -1  # closed on the way out


async def test_a_change_through_a_connection_that_stays_open_is_seen(tmp_path):
    """Another dashboard keeps its connection open: the kernel tells of its WAL write
    before SQLite publishes the commit (the shared-memory index has no notice), so the
    ring alone can come too early. Each change is still seen with the backup timer an
    hour away (without the second look after a ring, none is)."""
    db = seeded_db(tmp_path)
    app = make_app(db, at=ON_TRACK, poll_every=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await dashboard(pilot)
        assert app._doorbell is not None
        await wait_for(lambda: screen.state.last_event_id > 0 and not app._poll_busy, pilot)
        with Store(db) as other:  # open for every write, as another dashboard's is
            for i in range(3):
                seen = screen.state.last_event_id
                # from another thread, as another process writes: the ring can come
                # while the write is under way
                await asyncio.to_thread(
                    commands.add_note, other, FrozenClock(ON_TRACK), "bob", "INC-1", f"note {i}"
                )
                await wait_for(lambda seen=seen: screen.state.last_event_id > seen, pilot)


async def test_polls_run_on_one_thread_for_the_apps_life(tmp_path, monkeypatch):
    """Anyone's write makes every dashboard poll: on one long-lived thread, not a new
    thread (and a Textual worker) per poll; it ends with the app."""
    db = seeded_db(tmp_path)
    app = make_app(db, at=ON_TRACK, tick_every=3600, poll_every=3600)
    pollers: set[int] = set()
    real_poll = Room.poll

    def poll(self, **kwargs):
        pollers.add(threading.get_ident())
        return real_poll(self, **kwargs)

    monkeypatch.setattr(Room, "poll", poll)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await dashboard(pilot)
        for i in range(5):  # changes from elsewhere, each seen
            seen = screen.state.last_event_id
            with Store(db) as writer:
                commands.add_note(writer, FrozenClock(ON_TRACK), "bob", "INC-1", f"n{i}")
            await wait_for(lambda s=seen: screen.state.last_event_id > s, pilot)
        threads = [t for t in threading.enumerate() if t.name == "warroom-poll"]
        assert len(threads) == 1 and pollers == {threads[0].ident}, (threads, pollers)
    threads[0].join(5)
    assert not threads[0].is_alive()

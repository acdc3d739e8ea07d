"""The queue pane under Pilot: inflow on the row, SWAMPED and its key, each source in words.

Real SQLite files (the demo incident), the real commands and the real
``queue_sources`` table; the dashboards' clocks are frozen.
"""

from __future__ import annotations

from datetime import timedelta

from tests.dashboard_helpers import LATE, SEED, dashboard, make_app, seeded_db, wait_for
from tui import commands
from tui.core import state as ev
from tui.core.clock import FrozenClock
from tui.core.config import load_config
from tui.core.store import Store
from tui.queues import status
from tui.widgets.queues import ChannelQueues


def events(db, kind=None):
    with Store(db) as store:
        return [e for e in store.events("INC-1") if kind is None or e.kind == kind]


def count(db, minutes_from_seed: float, channel: str, depth: int, actor: str = "sam") -> None:
    with Store(db) as store:
        clock = FrozenClock(SEED + timedelta(minutes=minutes_from_seed))
        commands.set_queue(store, clock, actor, "INC-1", channel, depth)


def prompt(pane: ChannelQueues, option_id: str) -> str:
    return pane.get_option(option_id).prompt.plain


def has_option(pane: ChannelQueues, option_id: str) -> bool:
    return any(o.id == option_id for o in pane.options)


async def test_the_row_shows_inflow_since_the_update_and_in_the_last_ten_minutes(tmp_path):
    db = seeded_db(tmp_path)  # the acknowledgement went out before SEED - 9m
    count(db, -8, "chat", 10)  # the backlog: not inflow
    count(db, -7, "chat", 25)  # +15
    count(db, -2, "chat", 22)  # answered 3: adds nothing
    count(db, -1, "chat", 30)  # +8
    app = make_app(db, at=LATE)  # SEED + 5m07s: the +15 is more than 10 minutes old
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        pane = screen.query_one(ChannelQueues)
        row = prompt(pane, "channel:chat")
        assert row.startswith("Live chat  30 waiting")
        assert "+23 since update \u00b7 +8/10m" in row
        # publishing an update starts "since update" again; the 10-minute figure stays
        with Store(db) as store:
            commands.record_published(
                store, FrozenClock(LATE), "dev", "INC-1", "update", LATE + timedelta(minutes=30)
            )
        await wait_for(lambda: "+0 since update" in prompt(pane, "channel:chat"), pilot)
        assert "+0 since update \u00b7 +8/10m" in prompt(pane, "channel:chat")
        count(db, 5, "chat", 34)
        await wait_for(
            lambda: "+4 since update \u00b7 +12/10m" in prompt(pane, "channel:chat"), pilot
        )


async def test_swamped_is_proposed_and_w_turns_the_action_on(tmp_path):
    db = seeded_db(tmp_path)
    count(db, -5, "chat", 12)
    app = make_app(db, at=SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        pane = screen.query_one(ChannelQueues)
        assert not has_option(pane, "swamped:chat:swamped-notice")  # 12 < 40
        count(db, -1, "chat", 42)
        await wait_for(lambda: has_option(pane, "swamped:chat:swamped-notice"), pilot)
        assert prompt(pane, "swamped:chat:swamped-notice") == (
            "   SWAMPED: 42 \u2265 40 \u2014 press w to turn on: "
            'Set a clear "we\'re swamped" notice'
        )
        assert events(db, ev.ACTION) == []  # propose: nothing written by itself
        await pilot.press("3")
        pane.highlighted = pane.get_option_index("channel:tickets")  # not the swamped one
        await pilot.press("w")
        await wait_for(lambda: screen.state.channels["chat"].actions["swamped-notice"], pilot)
        [on] = events(db, ev.ACTION)
        assert on.actor == "alice" and on.data == {
            "channel": "chat",
            "action": "swamped-notice",
            "on": True,
        }
        await wait_for(lambda: not has_option(pane, "swamped:chat:swamped-notice"), pilot)
        assert prompt(pane, "action:chat:swamped-notice").startswith("   [on ]")
        await pilot.press("w")  # nothing is swamped with its action off any more
        await pilot.pause()
        assert len(events(db, ev.ACTION)) == 1


async def test_the_swamped_key_follows_the_keymap(tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text("keymap:\n  queues.swamped: ctrl+w\n", encoding="utf-8")
    db = seeded_db(tmp_path)
    count(db, -1, "chat", 40)
    app = make_app(db, at=SEED, config=load_config(config_file))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        pane = screen.query_one(ChannelQueues)
        assert "press ctrl+w to turn on" in prompt(pane, "swamped:chat:swamped-notice")
        await pilot.press("3", "w")
        await pilot.pause()
        assert events(db, ev.ACTION) == []  # w is no longer the key
        await pilot.press("ctrl+w")
        await wait_for(lambda: screen.state.channels["chat"].actions["swamped-notice"], pilot)


async def test_two_dashboards_pressing_w_at_once_turn_it_on_once(tmp_path):
    """A toggle would turn it off again for the second one: w asks for on."""
    db = seeded_db(tmp_path)
    count(db, -1, "chat", 55)
    a, b = make_app(db, at=SEED, actor="alice"), make_app(db, at=SEED, actor="bob")
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        sa, sb = await dashboard(pa), await dashboard(pb)
        for pilot, screen in ((pa, sa), (pb, sb)):
            await wait_for(
                lambda s=screen: has_option(
                    s.query_one(ChannelQueues), "swamped:chat:swamped-notice"
                ),
                pilot,
            )
            await pilot.press("3")
        await pa.press("w")
        await pb.press("w")  # bob's pane may not have seen alice's yet
        await wait_for(lambda: sa.state.channels["chat"].actions["swamped-notice"], pa)
        await wait_for(lambda: sb.state.channels["chat"].actions["swamped-notice"], pb)
        await pa.pause(0.5)
        await pb.pause(0.5)
        [on] = events(db, ev.ACTION)
        assert on.data["on"] is True
        assert sa.state.channels["chat"].actions["swamped-notice"] is True


async def test_each_source_says_its_state_under_its_channel(tmp_path):
    db = seeded_db(tmp_path)
    count(db, -1, "tickets", 7)
    with Store(db) as store:
        status.record(store, "tickets", "zendesk", SEED - timedelta(seconds=12), count=7)
    app = make_app(db, at=SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        pane = screen.query_one(ChannelQueues)
        await wait_for(lambda: has_option(pane, "source:tickets"), pilot)
        assert prompt(pane, "source:tickets") == "   Zendesk: polled 12s ago"
        assert not has_option(pane, "source:chat")  # counted by hand: as before
        # another process's poller fails: every dashboard shows it, in red, literally
        with Store(db) as store:
            status.record(
                store,
                "chat",
                "json",
                SEED,
                error="JSON source: 401 \u2014 check CHAT_AUTH \x1b[2J[bold]x[/bold]",
                next_at=SEED + timedelta(minutes=4),
            )
        await wait_for(lambda: has_option(pane, "source:chat"), pilot)
        line = pane.get_option("source:chat").prompt
        assert (
            line.plain == "   JSON source: 401 \u2014 check CHAT_AUTH [bold]x[/bold] (retry in 4m)"
        )
        assert "red" in str(line.style) and "bold" in str(line.style)
        # the next poll of tickets fails too: the line changes in place
        with Store(db) as store:
            status.record(
                store,
                "tickets",
                "zendesk",
                SEED,
                error="Zendesk: 401 \u2014 check ZENDESK_TOKEN",
                next_at=SEED + timedelta(minutes=4),
            )
        await wait_for(lambda: "ZENDESK_TOKEN" in prompt(pane, "source:tickets"), pilot)
        assert prompt(pane, "source:tickets").endswith("(retry in 4m)")


async def test_the_row_is_readable_at_80x24(tmp_path):
    db = seeded_db(tmp_path)
    count(db, -8, "chat", 10)
    count(db, -1, "chat", 42)
    app = make_app(db, at=SEED)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("3")
        await pilot.pause()
        pane = screen.query_one(ChannelQueues)
        lines = [strip.text for strip in pane.render_lines(pane.region.reset_offset)]
        text = "\n".join(lines)
        assert "Live chat  42 waiting \u219132" in text
        assert "SWAMPED: 42 \u2265 40" in text
        assert all(len(line) <= pane.region.width for line in lines)


async def test_counting_a_channel_a_live_source_counts_says_it_will_be_replaced(tmp_path):
    db = seeded_db(tmp_path)
    count(db, -1, "tickets", 7)
    with Store(db) as store:
        status.record(store, "tickets", "zendesk", SEED - timedelta(seconds=12), count=7)
    app = make_app(db, at=SEED)
    said: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        pane = screen.query_one(ChannelQueues)
        await wait_for(lambda: has_option(pane, "source:tickets"), pilot)
        real_notify = app.notify
        app.notify = lambda text, **kw: (said.append(str(text)), real_notify(text, **kw))[1]
        await pilot.press("3")
        pane.highlighted = next(i for i, o in enumerate(pane.options) if o.id == "channel:tickets")
        await pilot.press("plus")
        await wait_for(lambda: any("counted by its queue source" in t for t in said), pilot)
        assert any("tickets is counted by its queue source (Zendesk)" in t for t in said)
        said.clear()
        pane.highlighted = next(i for i, o in enumerate(pane.options) if o.id == "channel:chat")
        await pilot.press("plus")  # counted by hand: nothing to warn about
        await wait_for(
            lambda: any(e.data["channel"] == "chat" for e in events(db, ev.QUEUE)), pilot
        )
        await pilot.pause()
        assert not any("queue source" in t for t in said)

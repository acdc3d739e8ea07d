"""The demo's queue source: counts that move with time, served over real HTTP, read by
the real JSON source and the real poller through the demo's own config.

The source's clock is a FrozenClock moved by the test (the counts are a function
of the time since it started); the CLI half (`warroom watch --once`) runs the
real entry point on a real SQLite file.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import MAJOR, warroom_exe
from tui.cli.demo import DEMO_KEY_ENV, DEMO_SECRET_ENV, add_demo_channels, seed_demo
from tui.cli.demo_queues import CURVES, CYCLE, DemoQueues, counts, level
from tui.core.clock import FrozenClock
from tui.core.config import load_config
from tui.core.playbook import load_playbook
from tui.core.store import Store
from tui.queues.poller import Poller
from tui.queues.sources import fetcher

T0 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


@pytest.fixture
def source():
    clock = FrozenClock(T0)
    queues = DemoQueues(clock)
    yield queues
    queues.stop()


def swamped_at(channel: str) -> int:
    book = load_playbook(MAJOR)
    found = next(c for c in book.channels if c.id == channel).swamped_at
    assert found is not None
    return found


def test_counts_rise_past_swamped_then_fall_and_start_again():
    chat = CURVES["chat"]
    mark = swamped_at("chat")
    assert level(chat, 0) < mark  # calm when the demo opens
    assert max(level(chat, t) for t in range(0, 180, 5)) >= mark  # swamped within 3 minutes
    assert level(chat, 720) < mark  # and calm again
    tickets = [level(CURVES["tickets"], t) for t in range(0, CYCLE, 60)]
    assert tickets[7] > tickets[0] and tickets[7] > tickets[-1]  # up, then down
    assert level(chat, 100) == level(chat, 100 + CYCLE)  # the story starts again
    everything = [level(c, t) for c in CURVES.values() for t in range(0, 2 * CYCLE, 5)]
    assert min(everything) >= 0


def test_nearly_every_poll_sees_a_change():
    """The poller writes only changes: a demo whose numbers sat still would look dead."""
    for curve in CURVES.values():
        seen = [level(curve, t) for t in range(0, CYCLE, 10)]
        changes = sum(a != b for a, b in itertools.pairwise(seen))
        assert changes >= len(seen) // 2


def test_the_answer_has_counts_and_the_oldest_as_utc_times():
    answer = counts(150, T0)
    assert answer["elapsed_seconds"] == 150
    chat = answer["chat"]
    assert chat["waiting"] == level(CURVES["chat"], 150)
    oldest = datetime.fromisoformat(chat["oldest_waiting"].replace("Z", "+00:00"))
    assert oldest == T0 - timedelta(seconds=chat["waiting"] * CURVES["chat"].wait_per)


def test_the_endpoint_moves_with_its_clock(source):
    first = httpx.get(source.url).json()
    source.clock.advance(timedelta(seconds=150))
    later = httpx.get(source.url).json()
    assert first["elapsed_seconds"] == 0 and later["elapsed_seconds"] == 150
    for channel in CURVES:
        assert first[channel]["waiting"] == level(CURVES[channel], 0)
        assert later[channel]["waiting"] == level(CURVES[channel], 150)
    assert later["chat"]["waiting"] > first["chat"]["waiting"]
    assert httpx.get(source.url.replace("/queues", "/other")).status_code == 404


def test_the_demo_config_loads_and_the_json_source_reads_it(source, tmp_path):
    config = load_config(str(add_demo_channels(tmp_path, None, source.url)))
    assert [s.channel for s in config.queue_sources] == ["tickets", "chat", "social"]
    assert {s.source for s in config.queue_sources} == {"json"}
    assert all(s.every == timedelta(seconds=10) for s in config.queue_sources)
    chat = next(s for s in config.queue_sources if s.channel == "chat")
    assert chat.options["url"] == source.url
    source.clock.advance(timedelta(seconds=120))
    with httpx.Client() as client:
        reading = fetcher("json")(chat, client)
    assert reading.count == level(CURVES["chat"], 120)
    assert reading.oldest_since == (
        T0 + timedelta(seconds=120) - timedelta(seconds=reading.count * 12)
    )


def test_the_channels_join_the_pages_destinations(source, tmp_path, monkeypatch):
    """What `warroom demo` writes: the page's destinations and the queue sources, one file."""
    from tui.cli.demo import start_demo_page

    monkeypatch.setenv(DEMO_KEY_ENV, "")  # start_demo_page sets both; restored after
    monkeypatch.setenv(DEMO_SECRET_ENV, "")
    server, page_config = start_demo_page(tmp_path)
    try:
        assert page_config is not None
        config = load_config(str(add_demo_channels(tmp_path, page_config, source.url)))
        assert [d.id for d in config.destinations] == ["status", "webhook-sink"]
        assert len(config.queue_sources) == 3
    finally:
        if server is not None:
            server.stop()


def test_the_poller_fills_the_demo_incident_and_follows_the_source(source, tmp_path):
    db = tmp_path / "demo.db"
    with Store(db) as store:
        incident = seed_demo(store, T0)
    config = load_config(str(add_demo_channels(tmp_path, None, source.url)))
    with Store(db) as store:
        poller = Poller(store, config, FrozenClock(T0))
        try:
            poller.take_lease()
            assert all(p.ok for p in poller.poll_all())
            before = store.state(incident).channels["chat"].depth
            source.clock.advance(timedelta(seconds=150))
            assert all(p.ok for p in poller.poll_all())
            after = store.state(incident).channels
        finally:
            poller.release()
            poller.close()
    assert before == level(CURVES["chat"], 0)
    assert after["chat"].depth == level(CURVES["chat"], 150) >= swamped_at("chat")
    assert after["tickets"].depth == level(CURVES["tickets"], 150)


def test_warroom_watch_once_on_the_demo_config(source, tmp_path):
    """The real entry point: `warroom --config DEMO watch --once`, then `status --json`."""
    db = tmp_path / "demo.db"
    with Store(db) as store:
        seed_demo(store, T0)
    config = add_demo_channels(tmp_path, None, source.url)
    source.clock.advance(timedelta(seconds=150))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(db), WARROOM_NOW="2026-11-30T14:02:30+00:00", WARROOM_AS="t")
    run = subprocess.run(
        [warroom_exe(), "--config", str(config), "watch", "--once"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    status = subprocess.run(
        [warroom_exe(), "status", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    channels = json.loads(status.stdout)["channels"]
    for channel in CURVES:
        assert channels[channel]["depth"] == level(CURVES[channel], 150)

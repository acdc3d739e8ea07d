"""Building dashboards on real SQLite files with a frozen clock, for Pilot and snapshot tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from screens.dashboard import Dashboard
from tui.app.app import WarroomApp
from tui.app.room import Room
from tui.cli.demo import seed_demo
from tui.core.clock import FrozenClock
from tui.core.store import Store

# The demo incident is seeded "40 minutes in" at SEED; its acknowledgement
# promised the next update for SEED + 3m. Its last event is at SEED - 9m.
SEED = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
ON_TRACK = SEED - timedelta(minutes=8)  # 11m left
DUE_SOON = SEED  # 3m left
LATE = SEED + timedelta(minutes=5, seconds=7)  # LATE +2:07


def seeded_db(folder: Path) -> Path:
    path = folder / "incident.db"
    with Store(path) as store:
        seed_demo(store, SEED)
    return path


def make_app(db: Path, at: datetime = DUE_SOON, actor: str = "alice", **kw) -> WarroomApp:
    room = Room(db, FrozenClock(at), actor)
    room.tty = ""  # deterministic "who is in the room"
    kw.setdefault("bell", False)
    return WarroomApp(room, **kw)


async def wait_for(predicate, pilot, timeout: float = 30.0) -> None:
    """Pump the app until predicate() holds (the poller and workers run in threads).

    Generous on purpose: this is not a latency assertion (make bench measures
    those). Two apps under Pilot in one event loop, on a loaded 2-core machine,
    have taken 8 s to see each other's first change; the product in separate
    processes takes ~0.2 s (bench: sync p95 250 ms).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)


async def dashboard(pilot) -> Dashboard:
    await wait_for(lambda: isinstance(pilot.app.screen, Dashboard), pilot)
    await pilot.pause()
    return pilot.app.screen

"""Databases for the benchmark: a big incident (10,000 events) and small demo incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui import commands
from tui.cli.demo import DEMO_TITLE, seed_demo
from tui.core import state as ev
from tui.core.clock import FrozenClock
from tui.core.playbook import load_playbook
from tui.core.resources import shipped_playbooks_dir
from tui.core.store import Store
from tui.core.store.database import CHECKPOINT_EVERY

__all__ = ["BIG_EVENTS", "BIG_TITLE", "DEMO_TITLE", "build_big_db", "build_demo_db"]

BIG_TITLE = "Bench incident"
BIG_EVENTS = 10_000


def build_big_db(path: Path, events: int = BIG_EVENTS) -> tuple[str, int]:
    """The shipped major-outage playbook, started ~3 h ago, then ``events - 1`` more events.

    The events after the start go in two write transactions, with a reader's checkpoint
    between them, CHECKPOINT_EVERY - 1 events before the end (the most a dashboard
    replays on top of one). Returns the incident id and the number of events.
    """
    book = load_playbook(shipped_playbooks_dir() / "saas-major-outage.yaml")
    now = datetime.now(UTC).replace(microsecond=0)
    started = now - timedelta(hours=3)
    clock = FrozenClock(started)
    items = [i.id for i in book.items("full")]
    actors = ["maria", "dev", "sam", "lee"]
    with Store(path) as store:
        incident = commands.start(
            store,
            clock,
            "maria",
            book,
            BIG_TITLE,
            {"users_affected_pct": 40, "core_feature_down": True},
            detected_at=started - timedelta(minutes=2),
        ).incident_id
        done = dict.fromkeys(items, False)
        step = (now - timedelta(seconds=5) - started) / events
        # A real incident's events come in many writes, and its readers leave a checkpoint
        # every CHECKPOINT_EVERY events: here the worst case, one left that many events back
        # (a reader folds it, then the rest arrive).
        cut = max(1, events - CHECKPOINT_EVERY + 1)
        for lo, hi in ((1, cut), (cut, events)):
            with store.write() as w:
                for n in range(lo, hi):
                    at = started + step * n
                    actor = actors[n % len(actors)]
                    if n % 10 == 0:
                        w.append(incident, at, actor, ev.NOTE, {"text": f"bench note {n}"})
                    elif n % 25 == 1:
                        w.append(
                            incident,
                            at,
                            actor,
                            ev.QUEUE,
                            {"channel": "tickets", "depth": n % 400, "oldest_since": None},
                        )
                    else:
                        item = items[n % len(items)]
                        done[item] = not done[item]
                        kind = ev.CHECKED if done[item] else ev.UNCHECKED
                        w.append(incident, at, actor, kind, {"item": item})
            if lo == 1:
                store.state(incident)  # the checkpoint at event `cut`
        count = store.conn.execute(
            "SELECT count(*) FROM events WHERE incident_id = ?", (incident,)
        ).fetchone()[0]
    return incident, count


def build_demo_db(path: Path) -> str:
    """The sample incident of ``warroom demo`` (about 40 minutes in)."""
    with Store(path) as store:
        return seed_demo(store, datetime.now(UTC))

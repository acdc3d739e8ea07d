"""``status --oneline`` folds only the events that can change its line: the same line as
the full fold, at every step of an incident and at every instant."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import MAJOR, T0
from tui.core import report
from tui.core.state import events as ev
from tui.core.store import Store

# The kinds whose handler writes what the line reads (severity, phase, updates,
# detection, resolution, closing, the playbook): never skipped.
READ_BY_THE_LINE = {ev.STARTED, ev.RELOADED, ev.METRICS, ev.ADVANCED, ev.PUBLISHED, ev.CLOSED}


def test_every_kind_is_either_skipped_or_read():
    skipped = set(report.ONELINE_SKIPS)
    assert not skipped & READ_BY_THE_LINE
    assert skipped | READ_BY_THE_LINE == set(ev.KINDS), "a new kind: decide whether it is skipped"


def _lines(db, instants: list[datetime]) -> list[tuple[str, str]]:
    with Store(db) as store:
        pairs = []
        for row in store.incidents(include_closed=True):
            full = store.state(row.id)
            fast = report.oneline_state(store, row.id)
            assert fast.last_event_id <= full.last_event_id
            for now in instants:
                pairs.append((report.oneline_for(full, now), report.oneline_for(fast, now)))
        pairs.append((report.oneline(store, instants[0], None),) * 2)
        return pairs


def test_the_fold_of_the_line_says_what_the_full_fold_says_at_every_step(cli):
    t0 = datetime.fromisoformat(T0)
    minute = timedelta(minutes=1)
    at = iter(t0 + n * minute for n in range(1, 200))

    def step(*args: str) -> None:
        cli.ok(*args, now=next(at).isoformat())

    steps = [
        ("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12"),
        ("check", "war-room"),
        ("note", "looking at the load balancer"),
        ("queue", "tickets", "40", "--oldest", "5m"),
        ("assign", "comms", "bob"),
        ("action", "tickets", "pause-noncritical-auto-replies", "on"),
        ("posted", "ack", "--next", "20m"),
        ("skip", "ack-social", "--reason", "no social account"),
        ("uncheck", "war-room"),
        ("metric", "users_affected_pct=60", "core_feature_down=true"),
        ("phase", "next", "--force"),
        ("posted", "update"),
        ("metric", "users_affected_pct=2", "core_feature_down=false"),
        ("unassign", "comms"),
        ("start", "-p", str(MAJOR), "-t", "Second one", "-m", "users_affected_pct=30"),
        ("phase", "next", "--force", "-i", "INC-1"),
        ("posted", "resolved", "-i", "INC-1"),
        ("close", "-i", "INC-1"),
    ]
    seen = set()
    for args in steps:
        step(*args)
        last = t0 + 200 * minute
        instants = [last + k * timedelta(minutes=7) for k in range(-30, 30, 3)]
        instants += [last + timedelta(days=d) for d in (1, 3, 9)]
        for full, fast in _lines(cli.db, instants):
            assert fast == full
            seen.add(full)
    # the walk went through the line's different words (so the comparison meant something)
    text = " ".join(seen)
    for words in ("update due", "DUE SOON", "update LATE", "post-mortem", "closed", "more)"):
        assert words in text, words

"""Which deliveries need a person (the dashboard header's DELIVERY line and `d`).

A failed row at once; a pending row after its own destination's ``stale_after``;
and a pending row queued behind a failed one of the same incident and
destination at once, since order is kept and it cannot go until a person acts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui.publish import outbox

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def row(
    row_id: int, dest: str, waited: timedelta, state: str = "pending", incident: str = "INC-1"
) -> outbox.Row:
    return outbox.Row(
        row_id, incident, dest, "update", f"k{row_id}", {}, state, 1, NOW, None, False,
        None, None, NOW - waited, None,
    )  # fmt: skip


def test_a_waiting_row_is_named_after_its_own_destinations_stale_after():
    rows = [
        row(1, "patient", timedelta(minutes=15)),  # under its 30m: not yet
        row(2, "eager", timedelta(minutes=15)),  # over the default 10m
        row(3, "patient", timedelta(minutes=31)),
        row(4, "patient", timedelta(minutes=1), state="failed"),  # failed: at once
    ]
    waits = {"patient": timedelta(minutes=30)}
    assert [r.id for r in outbox.needs_attention(rows, NOW, waits)] == [4, 3, 2]
    assert [r.id for r in outbox.needs_attention(rows, NOW)] == [4, 3, 2, 1]


def test_a_row_behind_a_failed_one_needs_a_person_at_once():
    minute = timedelta(minutes=1)
    rows = [
        row(1, "bad", 3 * minute, state="failed"),
        row(2, "good", 3 * minute, state="sent"),
        row(3, "bad", minute),  # queued behind #1: cannot go
        row(4, "good", minute),  # another lane: just waiting
        row(5, "bad", minute, incident="INC-2"),  # another incident: not behind #1
    ]
    assert [r.id for r in outbox.needs_attention(rows, NOW)] == [3, 1]

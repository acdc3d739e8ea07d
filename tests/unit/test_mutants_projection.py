"""The projection's phases and countdown, pinned where mutation testing found them loose.

Each test kills mutants `make mutation` showed surviving in tui/core/state/phases.py and
countdown.py: what a user sees in the phase list (which phase is current, which upcoming, when a
deadline was met or missed) and when the next update is due.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.unit.test_state import BOOK, T0, started
from tui.core import state as ev
from tui.core.playbook.model import Cadence
from tui.core.state import Event, Projector, due, next_update_due, phase_views
from tui.core.state.countdown import Due, cadence_at, postmortem_due

ACK_DEADLINE = BOOK.phases[0].deadline
assert ACK_DEADLINE is not None


def fold(events, book=BOOK):
    return Projector("INC-1", lambda sha, source: book).apply_all(events)


def advanced(n, at, to="diagnose"):
    return Event(n, "INC-1", at, "bob", ev.ADVANCED, {"from": "acknowledge", "to": to})


def published(n, at, purpose="ack"):
    return Event(n, "INC-1", at, "bob", ev.PUBLISHED, {"purpose": purpose})


def test_the_first_phase_is_current_and_the_later_ones_upcoming_with_their_deadlines():
    s = fold([started()])
    views = phase_views(s, T0 + timedelta(minutes=1))
    assert [v.state for v in views] == ["current"] + ["upcoming"] * (len(views) - 1)
    assert views[0].deadline_at == T0 + ACK_DEADLINE
    assert not views[0].missed
    assert all(v.deadline_at is None for v in views[1:] if v.phase.deadline is None)


def test_no_phase_is_current_when_the_state_names_none_of_the_protocol():
    s = fold([started()])
    s.phase = None  # e.g. a reloaded playbook that no longer has the phase
    views = phase_views(s, T0 + timedelta(minutes=1))
    assert [v.state for v in views] == ["upcoming"] * len(views)


def test_a_deadline_met_exactly_on_time_is_not_missed():
    s = fold([started(), published(2, T0 + ACK_DEADLINE)])
    view = phase_views(s, T0 + timedelta(hours=3))[0]
    assert view.met_at == T0 + ACK_DEADLINE and not view.missed
    s = fold([started(), published(2, T0 + ACK_DEADLINE + timedelta(seconds=1))])
    assert phase_views(s, T0 + timedelta(hours=3))[0].missed


def test_leaving_a_phase_does_not_meet_a_deadline_that_asks_for_a_message():
    # left after the deadline without its acknowledgement: missed, never met
    s = fold([started(), advanced(2, T0 + timedelta(minutes=20))])
    view = phase_views(s, T0 + timedelta(hours=1))[0]
    assert view.met_at is None and view.missed
    # acknowledged on time, left later: met when the message went out, not when left
    s = fold(
        [
            started(),
            published(2, T0 + timedelta(minutes=5)),
            advanced(3, T0 + timedelta(minutes=30)),
        ]
    )
    view = phase_views(s, T0 + timedelta(hours=1))[0]
    assert view.met_at == T0 + timedelta(minutes=5) and not view.missed


def test_leaving_a_phase_that_closes_with_no_message_meets_its_deadline():
    book = replace(BOOK, phases=(replace(BOOK.phases[0], closes_with=None), *BOOK.phases[1:]))
    left = T0 + timedelta(minutes=10)
    s = fold([started(), advanced(2, left)], book)
    view = phase_views(s, T0 + timedelta(hours=1))[0]
    assert view.met_at == left and not view.missed
    # not left yet: nothing met it, and past the deadline it is missed
    s = fold([started()], book)
    view = phase_views(s, T0 + timedelta(hours=1))[0]
    assert view.met_at is None and view.missed


# countdown: the cadence in force, the next update, the post-mortem, the countdown's state -----


def cadenced(every: list[int | None], deadlines: bool = True):
    """BOOK with these cadences (minutes, max = 2x) on its phases, in order."""
    phases = []
    for phase, minutes in zip(BOOK.phases, every, strict=False):
        cadence = None
        if minutes is not None:
            cadence = Cadence(timedelta(minutes=minutes), timedelta(minutes=2 * minutes))
        phases.append(
            replace(phase, cadence=cadence, deadline=phase.deadline if deadlines else None)
        )
    return replace(BOOK, phases=tuple(phases))


def test_the_cadence_in_force_is_the_current_phases_else_the_nearest_earlier_one():
    book = cadenced([10, None, 20, None])
    ids = [p.id for p in book.phases]
    s = fold([started()], book)
    expected = {ids[0]: 10, ids[1]: 10, ids[2]: 20, ids[3]: 20, None: 20, "gone": 20}
    for phase, minutes in expected.items():
        s.phase = phase
        cadence = cadence_at(s)
        assert cadence is not None and cadence.every == timedelta(minutes=minutes), phase
    assert cadence_at(fold([started()], cadenced([None] * 4))) is None


def test_the_first_deadline_counts_from_detection_with_its_reason():
    s = fold([started()])
    assert next_update_due(s) == (
        T0 + ACK_DEADLINE,
        f"{BOOK.phases[0].title.lower()} deadline",
    )
    # a protocol with no deadline and nothing published: nothing is due yet
    assert next_update_due(fold([started()], cadenced([30] * 4, deadlines=False))) is None


def test_without_a_promise_the_cadence_counts_from_the_last_update():
    at = T0 + timedelta(minutes=5)
    s = fold([started(), published(2, at)], cadenced([30, 30, 30, 30]))
    assert next_update_due(s) == (at + timedelta(minutes=30), "cadence: every 30m")
    # no cadence in force and no promise: nothing is due
    assert next_update_due(fold([started(), published(2, at)], cadenced([None] * 4))) is None


def test_a_promise_exactly_at_the_cadence_max_stands():
    at = T0 + timedelta(minutes=5)
    book = cadenced([30, 30, 30, 30])  # max 60m
    for promised, expected in (
        (at + timedelta(minutes=60), (at + timedelta(minutes=60), "promised in the last update")),
        (
            at + timedelta(minutes=61),
            (at + timedelta(minutes=60), "cadence: never longer than 1h00m"),
        ),
    ):
        event = Event(
            2,
            "INC-1",
            at,
            "bob",
            ev.PUBLISHED,
            {"purpose": "ack", "promised_next_at": promised.isoformat()},
        )
        assert next_update_due(fold([started(), event], book)) == expected


def test_once_resolved_no_update_is_due_and_the_postmortem_is():
    resolved = T0 + timedelta(minutes=40)
    s = fold(
        [started(), published(2, T0 + timedelta(minutes=5)), published(3, resolved, "resolved")]
    )
    assert next_update_due(s) is None and due(s, resolved) is None
    assert postmortem_due(s) == resolved + BOOK.postmortem_within
    assert postmortem_due(fold([started()])) is None  # not before the resolution
    s = fold(
        [
            started(),
            published(2, resolved, "resolved"),
            published(3, resolved + timedelta(days=1), "postmortem"),
        ]
    )
    assert postmortem_due(s) is None  # published: no longer owed


def test_the_countdown_is_due_soon_up_to_the_second_and_late_only_after():
    s = fold([started()])
    deadline = T0 + ACK_DEADLINE
    reason = f"{BOOK.phases[0].title.lower()} deadline"
    assert due(s, deadline) == Due(deadline, reason, 0, "due soon")
    assert due(s, deadline - BOOK.due_soon).state == "due soon"
    assert due(s, deadline - BOOK.due_soon - timedelta(seconds=1)).state == "on track"
    late = due(s, deadline + timedelta(seconds=1))
    assert late == Due(deadline, reason, -1, "LATE") and late.overdue

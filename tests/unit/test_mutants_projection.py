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
from tui.core.state import Event, Projector, phase_views

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

"""The projection: a pure, incremental fold of the event log; time-dependent views."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MAJOR
from tui.core import state as ev
from tui.core.clock import FrozenClock, parse_when, wall
from tui.core.playbook import load_playbook
from tui.core.state import Event, Projector, due, next_update_due, phase_views

BOOK = load_playbook(MAJOR)
T0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
ITEMS = [i.id for i in BOOK.items("full")]
ROLES = [r.id for r in BOOK.roles]


def resolver(sha: str, source: str):
    assert sha == BOOK.sha256
    return BOOK


def started(at=T0, metrics=None, detected=None) -> Event:
    return Event(
        1,
        "INC-1",
        at,
        "alice",
        ev.STARTED,
        {
            "title": "API down",
            "playbook_sha": BOOK.sha256,
            "metrics": metrics if metrics is not None else {"users_affected_pct": 12},
            "detected_at": (detected or at).isoformat(),
        },
    )


def fold(events):
    return Projector("INC-1", resolver).apply_all(events)


def snapshot(s):
    """Everything observable about a state, as plain data."""
    return (
        s.title,
        s.severity,
        s.protocol,
        s.phase,
        dict(s.metrics),
        {k: (v.done, v.by, v.at, v.skipped, v.reason, v.by_event) for k, v in s.items.items()},
        dict(s.roles),
        list(s.updates),
        dict(s.phase_entered),
        dict(s.phase_left),
        s.closed_at,
        {
            k: (v.depth, v.oldest_since, v.updated_at, v.by, v.baseline, dict(v.actions))
            for k, v in s.channels.items()
        },
        dict(s.drafts),
        [(t.event_id, t.text) for t in s.timeline],
        s.last_event_id,
    )


# random but valid event streams ------------------------------------------------

later_events = st.one_of(
    st.builds(lambda i: (ev.CHECKED, {"item": i}), st.sampled_from(ITEMS)),
    st.builds(lambda i: (ev.UNCHECKED, {"item": i}), st.sampled_from(ITEMS)),
    st.builds(
        lambda i, r: (ev.SKIPPED, {"item": i, "reason": r}),
        st.sampled_from(ITEMS),
        st.sampled_from(["handled in Slack", "forced"]),
    ),
    st.builds(
        lambda r, u: (ev.ASSIGNED, {"role": r, "user": u}),
        st.sampled_from(ROLES),
        st.sampled_from(["alice", "bob", "carol"]),
    ),
    st.builds(lambda r: (ev.RELEASED, {"role": r}), st.sampled_from(ROLES)),
    st.builds(
        lambda pct, down: (
            ev.METRICS,
            {"values": {"users_affected_pct": pct, "core_feature_down": down}},
        ),
        st.integers(0, 100),
        st.booleans(),
    ),
    st.builds(
        lambda purpose, mins: (
            ev.PUBLISHED,
            {
                "purpose": purpose,
                "promised_next_at": (T0 + timedelta(minutes=mins)).isoformat() if mins else None,
            },
        ),
        st.sampled_from(["ack", "update"]),
        st.one_of(st.none(), st.integers(1, 600)),
    ),
    st.builds(lambda t: (ev.NOTE, {"text": t}), st.text(max_size=30)),
    st.builds(
        lambda c, n, m: (
            ev.QUEUE,
            {
                "channel": c,
                "depth": n,
                "oldest_since": (T0 - timedelta(minutes=m)).isoformat() if m else None,
            },
        ),
        st.sampled_from(["tickets", "chat", "social"]),
        st.integers(0, 500),
        st.one_of(st.none(), st.integers(1, 90)),
    ),
    st.builds(
        lambda a, on: (ev.ACTION, {"channel": "chat", "action": a, "on": on}),
        st.sampled_from(["canned-responses", "swamped-notice", "disable-chat"]),
        st.booleans(),
    ),
    st.builds(
        lambda p, t: (ev.DRAFT, {"purpose": p, "text": t}),
        st.sampled_from(["ack", "update"]),
        st.text(max_size=50),
    ),
)


@st.composite
def streams(draw):
    body = draw(st.lists(later_events, max_size=40))
    events = [started()]
    for n, (kind, data) in enumerate(body, start=2):
        events.append(Event(n, "INC-1", T0 + timedelta(minutes=n), "bob", kind, data))
    return events


@settings(max_examples=150, deadline=None)
@given(streams(), st.lists(st.integers(0, 45), max_size=5))
def test_folding_in_one_pass_equals_folding_in_any_split(events, cuts):
    whole = snapshot(fold(events))
    projector = Projector("INC-1", resolver)
    bounds = sorted({0, len(events), *(c for c in cuts if c <= len(events))})
    for lo, hi in itertools.pairwise(bounds):
        projector.apply_all(events[lo:hi])
    assert snapshot(projector.state) == whole
    assert snapshot(projector.state.snapshot()) == whole  # the UI's copy is the same state


@settings(max_examples=50, deadline=None)
@given(streams())
def test_reapplying_events_changes_nothing(events):
    projector = Projector("INC-1", resolver)
    projector.apply_all(events)
    once = snapshot(projector.state)
    projector.apply_all(events)  # a poller that saw them already
    assert snapshot(projector.state) == once


def test_severity_and_protocol_follow_metrics():
    s = fold([started(metrics={"error_rate_pct": 2})])
    assert (s.severity, s.protocol) == ("minor", "light")
    assert [p.id for p in s.phases()] == ["acknowledge", "diagnose", "resolve"]
    s = fold(
        [
            started(metrics={"error_rate_pct": 2}),
            Event(2, "INC-1", T0, "bob", ev.METRICS, {"values": {"users_affected_pct": 30}}),
        ]
    )
    assert (s.severity, s.protocol) == ("major", "full")
    assert "amends" in [p.id for p in s.phases()]
    assert "postmortem-timeline" in s.items
    assert s.timeline[-1].text.endswith("severity MINOR \u2192 MAJOR")


def test_next_update_before_and_after_acknowledgement():
    detected = T0 - timedelta(minutes=5)
    s = fold([started(detected=detected)])
    at, reason = next_update_due(s)
    assert at == detected + timedelta(minutes=15) and "deadline" in reason
    assert due(s, T0).state == "on track"
    assert due(s, detected + timedelta(minutes=11)).state == "due soon"
    late = due(s, detected + timedelta(minutes=16))
    assert late.state == "LATE" and late.overdue and late.seconds_left == -60
    views = phase_views(s, detected + timedelta(minutes=16))
    assert views[0].state == "current" and views[0].missed

    ack_at = T0 + timedelta(minutes=2)
    promise = ack_at + timedelta(minutes=40)
    s = fold(
        [
            started(detected=detected),
            Event(
                2,
                "INC-1",
                ack_at,
                "bob",
                ev.PUBLISHED,
                {"purpose": "ack", "promised_next_at": promise.isoformat()},
            ),
        ]
    )
    assert next_update_due(s) == (promise, "promised in the last update")
    views = phase_views(s, T0 + timedelta(hours=2))
    assert views[0].met_at == ack_at and not views[0].missed
    assert "promising the next update by 2:42 PM EST" in s.timeline[-1].text


def test_phase_advance_and_close():
    events = [
        started(),
        Event(2, "INC-1", T0 + timedelta(minutes=9), "bob", ev.ADVANCED, {"to": "diagnose"}),
        Event(3, "INC-1", T0 + timedelta(minutes=50), "bob", ev.CLOSED, {}),
    ]
    s = fold(events)
    assert s.phase == "diagnose"
    assert s.phase_left["acknowledge"] == T0 + timedelta(minutes=9)
    assert s.closed_at == T0 + timedelta(minutes=50)
    assert next_update_due(s) is None
    # leaving a phase (or closing) does not make its open items done: the phases say OPEN
    views = phase_views(s, T0 + timedelta(hours=1))
    assert all(v.state == "open" and v.open_items for v in views if v.phase.checklist)
    assert "war-room" in views[0].open_items


def test_skips_and_ticks_by_a_message_fold_and_decide_what_done_means():
    at = T0 + timedelta(minutes=5)
    ack = [i.id for i in BOOK.phases[0].checklist]
    events = [started()]
    events.append(Event(2, "INC-1", at, "bob", ev.PUBLISHED, {"purpose": "ack"}))
    events.append(
        Event(3, "INC-1", at, "bob", ev.CHECKED, {"item": ack[1], "by_event": 2, "purpose": "ack"})
    )
    for n, item in enumerate(i for i in ack if i != ack[1]):
        events.append(
            Event(4 + n, "INC-1", at, "dev", ev.SKIPPED, {"item": item, "reason": "in Slack"})
        )
    s = fold(events)
    assert s.items[ack[1]].done and s.items[ack[1]].by_event == 2
    assert all(s.items[i].skipped and s.items[i].reason == "in Slack" for i in ack if i != ack[1])
    assert s.timeline[2].text.endswith("was ticked by publishing the acknowledgement (#2)")
    assert (
        s.timeline[3].text
        == f"dev skipped \u201c{BOOK.phases[0].checklist[0].text}\u201d: in Slack"
    )
    copy = s.snapshot()  # what the UI thread keeps: the skips travel with it
    assert copy.items[ack[0]].skipped and copy.items[ack[0]].reason == "in Slack"
    moved = Event(20, "INC-1", at, "bob", ev.ADVANCED, {"from": "acknowledge", "to": "diagnose"})
    s = fold([*events, moved])
    assert phase_views(s, at)[0].state == "done"  # each item ticked or skipped
    s = fold([*events, Event(19, "INC-1", at, "dev", ev.UNCHECKED, {"item": ack[0]}), moved])
    view = phase_views(s, at)[0]
    assert view.state == "open" and view.open_items == (ack[0],)
    assert "took back the skip" in s.timeline[-2].text


def test_clock_helpers():
    clock = FrozenClock(T0)
    clock.advance(timedelta(minutes=15))
    assert clock.now() == T0 + timedelta(minutes=15)
    assert wall(T0, "America/New_York") == "2:00 PM EST"
    assert wall(datetime(2026, 7, 1, 18, 15, tzinfo=UTC), "America/New_York") == "2:15 PM EDT"
    tz = "America/New_York"
    assert parse_when("30m", T0, tz, future=True) == T0 + timedelta(minutes=30)
    assert parse_when("30m", T0, tz, future=False) == T0 - timedelta(minutes=30)
    assert parse_when("-10m", T0, tz, future=True) == T0 - timedelta(minutes=10)
    assert parse_when("14:15", T0, tz, future=True) == T0 + timedelta(minutes=15)
    assert parse_when("13:45", T0, tz, future=True) == T0 + timedelta(hours=23, minutes=45)
    assert parse_when("13:45", T0, tz, future=False) == T0 - timedelta(minutes=15)
    assert parse_when("2026-11-27T14:15:00-05:00", T0, tz, future=True) == T0 + timedelta(
        minutes=15
    )
    for bad in ("soon", "25:00", "-14:15", "2026-11-27T14:15:00", ""):
        try:
            parse_when(bad, T0, tz, future=True)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_queues_trend_since_the_last_published_update():
    def at(n):
        return T0 + timedelta(minutes=n)

    s = fold(
        [
            started(),
            Event(2, "INC-1", at(1), "sam", ev.QUEUE, {"channel": "tickets", "depth": 40}),
            Event(3, "INC-1", at(2), "dev", ev.PUBLISHED, {"purpose": "ack"}),
            Event(
                4,
                "INC-1",
                at(20),
                "sam",
                ev.QUEUE,
                {"channel": "tickets", "depth": 95, "oldest_since": at(5).isoformat()},
            ),
            Event(
                5,
                "INC-1",
                at(21),
                "sam",
                ev.ACTION,
                {"channel": "chat", "action": "swamped-notice", "on": True},
            ),
            Event(6, "INC-1", at(22), "dev", ev.DRAFT, {"purpose": "update", "text": "We know"}),
        ]
    )
    tickets = s.channels["tickets"]
    assert (tickets.depth, tickets.baseline, tickets.trend()) == (95, 40, 55)
    assert tickets.oldest_since == at(5)
    assert s.channels["chat"].actions == {
        "canned-responses": True,
        "swamped-notice": True,
        "disable-chat": False,
    }
    assert s.drafts["update"].text == "We know" and s.drafts["update"].by == "dev"
    assert s.timeline[-1].quiet and not s.timeline[-2].quiet
    assert "swamped" in s.timeline[-2].text and "live chat" in s.timeline[-2].text
    assert s.next_purpose() == "update"

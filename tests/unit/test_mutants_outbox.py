"""The delivery policy, pinned where mutation testing found it loose.

The per-destination rate limit is a floor *and* a pace: a page allowing one request per
second gets one per second, not one every two (a slower pace would hold every update back).
Real page emulator and proxy (tests/unit/test_delivery.py's rig); the deliverer's clock is
injected, nothing sleeps for real.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import MAJOR
from tests.delivery_helpers import manual_deliverer, paced_gaps
from tests.faulty import Fault, on_method
from tests.unit import test_delivery, test_dest_chat
from tests.unit.test_delivery import Rig, config_text
from tests.unit.test_dest_chat import HookRig, slack_bodies
from tests.unit.test_lease import ManualTime
from tui import commands
from tui.core.clock import FrozenClock
from tui.core.config import Config, Destination
from tui.core.playbook import load_playbook
from tui.core.state import (
    DELIVERY_CANCELLED,
    DELIVERY_FAILED,
    DELIVERY_RETRIED,
    DELIVERY_SENT,
    PUBLISHED,
)
from tui.core.store import Store, StoreError
from tui.publish import outbox
from tui.publish.worker import Attempt, Deliverer, lease_for

rig = test_delivery.rig  # the fixture: a war room, a real page, the faulty proxy
slack = test_dest_chat.slack  # a war room, a strict Slack hook, the faulty proxy
GAP = 0.5  # seconds: rate_per_second = 2


def test_requests_to_one_destination_are_paced_at_the_rate_not_slower(rig: Rig) -> None:
    gaps = paced_gaps(rig, GAP)
    # the injected clock moves only by the deliverer's own waits: each gap is the rate's
    assert all(GAP - 1e-6 <= g <= GAP + 1e-6 for g in gaps), gaps


# the outbox's rows: what needs a person, what a row says, giving up on a failed one ----------

T0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)


def row(id: int, incident: str, dest: str, state: str, created: datetime) -> outbox.Row:
    return outbox.Row(
        id,
        incident,
        dest,
        "update",
        f"k{id}",
        {},
        state,
        1,
        created,
        None,
        False,
        "HTTP 422" if state == "failed" else None,
        None,
        created,
        None,
    )


def test_what_needs_a_person_is_failed_rows_rows_behind_them_and_stale_ones() -> None:
    now = T0 + timedelta(hours=1)
    rows = [
        row(1, "INC-1", "status", "failed", T0),
        row(2, "INC-1", "status", "pending", now),  # behind the failed row: at once
        row(3, "INC-1", "chat", "pending", now),  # another lane, fresh: not yet
        row(4, "INC-2", "status", "pending", now),  # another incident, fresh: not yet
        row(5, "INC-2", "chat", "pending", T0),  # waiting an hour: stale
        row(6, "INC-1", "status", "sent", T0),
    ]
    assert [r.id for r in outbox.needs_attention(rows, now)] == [5, 2, 1]
    # a row queued before the failure is not behind it
    early = [row(1, "INC-1", "status", "pending", now), row(2, "INC-1", "status", "failed", T0)]
    assert [r.id for r in outbox.needs_attention(early, now)] == [2]


def test_a_row_as_json_names_its_key_and_its_next_attempt_only_while_pending() -> None:
    pending = row(7, "INC-1", "status", "pending", T0).as_dict()
    assert pending["key"] == "k7" and pending["next_attempt_at"] is not None
    assert set(pending) == {
        "id",
        "incident",
        "destination",
        "purpose",
        "state",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "provider_ref",
        "key",
    }
    failed = row(8, "INC-1", "status", "failed", T0).as_dict()
    assert failed["next_attempt_at"] is None and failed["last_error"] == "HTTP 422"


def test_a_failed_or_pending_row_can_be_cancelled_and_no_longer_holds_the_message(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "incident.db")
    clock = FrozenClock(T0)
    incident = commands.start(
        store,
        clock,
        "alice",
        load_playbook(MAJOR),
        "Logins fail",
        {"core_feature_down": True},
        force=True,
    ).incident_id
    event = next(iter(store.events(incident))).id
    with store.write() as w:
        first = outbox.enqueue(w, incident, "status", "ack", {"body": "x"}, T0, event)
        second = outbox.enqueue(w, incident, "chat", "ack", {"body": "x"}, T0, event)
    claimed = outbox.claim(store, "one", T0)
    assert claimed is not None and claimed.id == first
    outbox.fail(store, claimed, "one", "HTTP 422", T0)
    assert outbox.holders(store, first) == {"status", "chat"}  # its own destination included
    outbox.cancel(store, first, "bob", T0 + timedelta(minutes=1))  # failed: may be cancelled
    cancelled = outbox.get(store, first)
    assert cancelled is not None and cancelled.state == "cancelled"
    assert outbox.holders(store, first) == {"status", "chat"}
    assert outbox.holders_of_event(store, event) == {"chat"}
    outbox.cancel(store, second, "bob", T0 + timedelta(minutes=2))  # pending: may be cancelled
    assert outbox.holders_of_event(store, event) == set()
    store.close()


def test_the_deliverer_sends_through_the_client_it_is_given(rig: Rig) -> None:
    import httpx

    seen: list[str] = []
    client = httpx.Client(
        follow_redirects=False, event_hooks={"request": [lambda r: seen.append(r.method)]}
    )
    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=100))
    rig.publish(1)
    d = manual_deliverer(rig.store, rig.config, ManualTime(), client=client)
    try:
        attempt = d.deliver_one()
    finally:
        d.close()
    assert attempt is not None and attempt.outcome == "sent"
    assert seen, "the request did not go through the given client"
    assert client.is_closed  # the deliverer closes what it holds


# the deliverer's two late outcomes: a send whose row was taken meanwhile, a chat row completed
# unconfirmed ------------------------------------------------------------------------------


def test_a_send_whose_row_was_taken_meanwhile_still_reports_sent(rig: Rig) -> None:
    """Another deliverer takes the row while its request is in flight: the page has the
    message, so this attempt says "sent" (the outcome `warroom deliver` counts), not an
    unknown outcome, and the row stays with the new owner (not completed twice)."""
    import sqlite3

    def script(method: str, path: str, i: int) -> Fault:
        if method == "POST":  # mid-request: another process holds the lease now
            with sqlite3.connect(rig.tmp / "incident.db", timeout=10) as other:
                other.execute("UPDATE outbox SET lease_owner = 'elsewhere:1:1'")
        return None

    rig.proxy.set_script(script)
    rig.publish(1)
    d = Deliverer(rig.store, rig.config, rig.clock, owner="one")
    try:
        attempt = d.deliver_one()
    finally:
        d.close()
    assert attempt is not None
    assert attempt.outcome == "sent", attempt
    assert "another process had taken the row" in attempt.detail, attempt
    [left] = outbox.rows(rig.store, rig.incident)
    assert left.state == "pending", "completed by neither: the new owner finds it on the page"


def test_a_chat_row_recorded_unconfirmed_keeps_its_note_in_the_outbox(slack: HookRig) -> None:
    """kill -9 mid-attempt on an at-most-once hook: the row is completed without posting,
    and its stored last_error (what `warroom outbox` and the outbox screen show) says it
    may not have arrived and why, not only the attempt's own line."""
    import socket
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(30)
    slack.publish("ack")
    assert outbox.claim(slack.store, f"{socket.gethostname()}:{dead.pid}:1", slack.clock.now())
    d = Deliverer(slack.store, slack.config, slack.clock, owner="two")
    try:
        attempt = d.deliver_one()
    finally:
        d.close()
    assert attempt is not None and attempt.outcome == "sent", attempt
    [row] = slack.rows()
    assert row.state == "sent"
    assert row.last_error == (
        "may not have arrived (its deliverer stopped mid-attempt); not sent again: slack is "
        "at-most-once (a duplicate cannot be taken back); look in the channel and post it by "
        "hand if missing"
    ), row
    assert slack_bodies(slack.hook) == [], "not posted: it may already be in the channel"


# a person's decisions and the deliverer's outcomes, as the timeline and the outbox show them ----


def room(tmp_path: Path) -> tuple[Store, str, int]:
    """A war room on a frozen clock: its store, incident and first event."""
    store = Store(tmp_path / "incident.db")
    incident = commands.start(
        store,
        FrozenClock(T0),
        "alice",
        load_playbook(MAJOR),
        "Logins fail",
        {"core_feature_down": True},
        force=True,
    ).incident_id
    return store, incident, next(iter(store.events(incident))).id


def test_a_decision_a_row_cannot_take_names_its_state_and_the_allowed_ones(
    tmp_path: Path,
) -> None:
    store, incident, event = room(tmp_path)
    try:
        with store.write() as w:
            sent = outbox.enqueue(w, incident, "status", "ack", {"body": "x"}, T0, event)
            pending = outbox.enqueue(w, incident, "chat", "ack", {"body": "x"}, T0, event)
        claimed = outbox.claim(store, "one", T0)
        assert claimed is not None and claimed.id == sent
        assert outbox.complete(store, claimed, "one", "inc-1", T0)
        with pytest.raises(StoreError) as cancelling:
            outbox.cancel(store, sent, "bob", T0)
        assert str(cancelling.value) == f"outbox row {sent} is sent, not failed or pending"
        with pytest.raises(StoreError) as retrying:
            outbox.retry(store, pending, "bob", T0)
        assert str(retrying.value) == f"outbox row {pending} is pending, not failed"
        assert outbox.get(store, sent).state == "sent"  # type: ignore[union-attr]
        assert outbox.get(store, pending).state == "pending"  # type: ignore[union-attr]
    finally:
        store.close()


def test_the_timeline_says_who_sent_failed_retried_and_cancelled_which_row_where(
    tmp_path: Path,
) -> None:
    """Each outcome and each person's decision is an event naming the row, its destination
    and purpose, and who did it: the war room for a delivery, the person for a decision."""
    store, incident, event = room(tmp_path)
    try:
        with store.write() as w:
            first = outbox.enqueue(w, incident, "status", "ack", {"body": "x"}, T0, event)
            second = outbox.enqueue(w, incident, "chat", "update", {"body": "y"}, T0, event)
        row = outbox.claim(store, "one", T0)
        assert row is not None and row.id == first
        outbox.fail(store, row, "one", "HTTP 422", T0)
        outbox.cancel(store, second, "carol", T0 + timedelta(minutes=1))
        outbox.retry(store, first, "bob", T0 + timedelta(minutes=2))
        row = outbox.claim(store, "one", T0 + timedelta(minutes=3))
        assert row is not None and row.id == first
        assert outbox.complete(store, row, "one", "inc-1", T0 + timedelta(minutes=3))
        said = [
            (e.actor, e.kind, e.data)
            for e in store.events(incident)
            if e.kind.startswith("delivery.")
        ]
        assert said == [
            (
                "warroom",
                DELIVERY_FAILED,
                {"outbox_id": first, "destination": "status", "purpose": "ack",
                 "error": "HTTP 422"},
            ),
            (
                "carol",
                DELIVERY_CANCELLED,
                {"outbox_id": second, "destination": "chat", "purpose": "update"},
            ),
            (
                "bob",
                DELIVERY_RETRIED,
                {"outbox_id": first, "destination": "status", "purpose": "ack"},
            ),
            (
                "warroom",
                DELIVERY_SENT,
                {"outbox_id": first, "destination": "status", "purpose": "ack",
                 "provider_ref": "inc-1", "attempts": 2},
            ),
        ]  # fmt: skip
    finally:
        store.close()


def test_a_row_for_a_destination_gone_from_the_config_fails_and_says_so(tmp_path: Path) -> None:
    """The config lost the destination the row was queued for: the row stops (failed,
    shown to a person, an event), it is not retried for ever nor sent elsewhere."""
    store, incident, event = room(tmp_path)
    try:
        with store.write() as w:
            row_id = outbox.enqueue(w, incident, "gone", "ack", {"body": "x"}, T0, event)
        d = Deliverer(store, Config(), FrozenClock(T0), owner="one")
        try:
            attempt = d.deliver_one()
        finally:
            d.close()
        said = "destination 'gone' is not in the config"
        assert attempt == Attempt(row_id, "failed", said)
        row = outbox.get(store, row_id)
        assert row is not None
        assert (row.state, row.attempts, row.last_error) == ("failed", 1, said)
        assert [e.data.get("error") for e in store.events(incident)
                if e.kind == DELIVERY_FAILED] == [said]  # fmt: skip
    finally:
        store.close()


def test_a_deliverer_that_lost_the_row_while_it_waited_says_why_it_did_not_send(
    rig: Rig,
) -> None:
    """The rate limit makes the deliverer wait; meanwhile another one takes the row: this
    one does not send, and its attempt says so (the line `warroom deliver` prints)."""
    import sqlite3

    t = ManualTime()
    taken: list[bool] = []

    def while_waiting(_seconds: float) -> None:
        if not taken:
            with sqlite3.connect(rig.tmp / "incident.db", timeout=10) as other:
                other.execute("UPDATE outbox SET lease_owner = 'elsewhere:1:1'")
            taken.append(True)

    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=0.5))
    rig.publish(2)
    d = Deliverer(
        rig.store, rig.config, t, owner="one", sleep=t.sleeper(while_waiting),
        monotonic=t.monotonic,
    )  # fmt: skip
    try:
        first = d.deliver_one()
        second = d.deliver_one()
    finally:
        d.close()
    assert first is not None and first.outcome == "sent", first
    assert taken, "the second row waited for the rate limit"
    assert second == Attempt(
        rig.rows()[1].id,
        "retry",
        "another deliverer took this row over while this one waited: not sent from here",
    )
    assert rig.page_bodies() == rig.bodies[:1], "the second update was not sent from here"


def test_an_incident_found_on_the_page_gets_the_update_not_a_second_incident(rig: Rig) -> None:
    """The ack's create reached the page but its answer was lost, and a person cancelled
    that row; the update's deliverer then died mid-attempt. The take-over does not know
    the page's incident: it finds it by its key and updates it -- it must not create a
    second incident for the same outage."""
    import socket
    import subprocess
    import sys

    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=100))
    rig.proxy.set_script(on_method("POST", 1, "reset-after"))
    rig.publish(1)
    d = Deliverer(rig.store, rig.config, rig.clock, owner="two")
    try:
        lost = d.deliver_one()
        assert lost is not None and lost.outcome == "retry", lost
        [ack] = rig.rows()
        outbox.cancel(rig.store, ack.id, "bob", rig.clock.now())
        rig.publish(1)
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait(30)
        owner = f"{socket.gethostname()}:{dead.pid}:1"
        assert outbox.claim(rig.store, owner, rig.clock.now()) is not None
        attempt = d.deliver_one()
    finally:
        d.close()
    assert attempt is not None and attempt.outcome == "sent", attempt
    [incident] = rig.page_incidents()
    assert rig.page_bodies() == rig.bodies  # the lost ack's text, then the update
    update = rig.rows()[1]
    assert (update.state, update.provider_ref) == ("sent", incident["id"])
    assert outbox.provider_incident(rig.store, rig.incident, "local") == incident["id"]


# a row read back, a row that does not exist, a lease's edge ------------------------------


def test_a_row_read_back_has_its_key_and_times_and_json_says_them(tmp_path: Path) -> None:
    store, incident, event = room(tmp_path)
    try:
        with store.write() as w:
            row_id = outbox.enqueue(w, incident, "status", "ack", {"body": "x"}, T0, event)
        row = outbox.get(store, row_id)
        assert row is not None
        assert row.key.startswith(f"{outbox.incident_key(store, incident)}-"), row.key
        assert row.payload == {"body": "x"}
        shown = row.as_dict()
        assert shown["created_at"] == "2026-11-27T19:00:00+00:00", shown
        assert shown["next_attempt_at"] == shown["created_at"]
        assert (shown["sent_at"], shown["key"]) == (None, row.key)
    finally:
        store.close()


def test_a_row_that_does_not_exist_is_named_not_a_crash(tmp_path: Path) -> None:
    store, _incident, _event = room(tmp_path)
    try:
        with pytest.raises(StoreError) as info:
            outbox.cancel(store, 999, "bob", T0)
        assert str(info.value) == "no outbox row 999"
        assert outbox.origin_of(store, 999) is None
        assert outbox.holders(store, 999) == set()
    finally:
        store.close()


def test_a_person_may_cancel_a_row_once_its_lease_has_run_out_not_before(tmp_path: Path) -> None:
    store, incident, event = room(tmp_path)
    try:
        with store.write() as w:
            row_id = outbox.enqueue(w, incident, "status", "ack", {"body": "x"}, T0, event)
        lease = timedelta(seconds=30)
        assert outbox.claim(store, "elsewhere:1:1", T0, lease) is not None
        with pytest.raises(StoreError) as info:
            outbox.cancel(store, row_id, "bob", T0 + lease - timedelta(microseconds=1))
        assert "is being delivered right now" in str(info.value)
        outbox.cancel(store, row_id, "bob", T0 + lease)  # the lease ends now: not leased
        assert outbox.get(store, row_id).state == "cancelled"  # type: ignore[union-attr]
    finally:
        store.close()


def test_a_resend_of_a_resend_is_traced_to_the_original_message(tmp_path: Path) -> None:
    """`d` on a resent row: the message's origin is the first publish event, so the
    destinations that already have it are all known (nothing sent twice)."""
    store, incident, first = room(tmp_path)
    try:
        with store.write() as w:
            again = w.append(incident, T0, "bob", PUBLISHED, {"resend_of": first})
            row_a = outbox.enqueue(w, incident, "status", "ack", {"body": "x"}, T0, first)
            row_b = outbox.enqueue(w, incident, "chat", "ack", {"body": "x"}, T0, again)
        assert outbox.origin_of(store, row_b) == first
        assert outbox.origin_of(store, row_a) == first
        assert outbox.holders(store, row_a) == {"status", "chat"}
    finally:
        store.close()


def test_a_lease_covers_the_longest_attempt_the_destination_allows() -> None:
    # five requests, each after its rate-limit gap (1 s) and within four 10 s phases, + 60 s
    dest = Destination("page", "statuspage", "https://x.test", rate_per_second=1, timeout=10)
    assert lease_for(dest) == timedelta(seconds=5 * (1 + 4 * 10) + 60)


def test_a_claim_takes_the_longest_lease_before_its_first_request(rig: Rig) -> None:
    """Between the claim and the first request (a rate-limit wait), the row is already
    leased for the whole attempt, not the 120 s default."""
    t = ManualTime()
    seen: list[float] = []

    def while_waiting(_seconds: float) -> None:
        if not seen:
            [_first, second] = rig.rows()
            until = rig.store.conn.execute(
                "SELECT lease_until FROM outbox WHERE id = ?", (second.id,)
            ).fetchone()[0]
            seen.append((datetime.fromisoformat(until) - claimed[0]).total_seconds())

    claimed: list[datetime] = []
    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=1 / 30))
    rig.publish(2)
    d = Deliverer(
        rig.store, rig.config, t, owner="one", sleep=t.sleeper(while_waiting),
        monotonic=t.monotonic,
    )  # fmt: skip
    try:
        assert d.deliver_one() is not None
        claimed.append(t.now())
        second = d.deliver_one()
    finally:
        d.close()
    assert second is not None and second.outcome == "sent", second
    assert seen == [lease_for(rig.config.destinations[0]).total_seconds()]


def test_a_permanent_error_names_its_row(rig: Rig) -> None:
    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=100))
    rig.proxy.set_script(on_method("POST", 1, "422"))
    rig.publish(1)
    d = manual_deliverer(rig.store, rig.config, ManualTime())
    try:
        attempt = d.deliver_one()
    finally:
        d.close()
    [row] = rig.rows()
    assert row.state == "failed" and row.last_error
    assert attempt == Attempt(row.id, "failed", row.last_error)


def test_the_loop_waits_out_a_locked_database_and_counts_what_it_sent(rig: Rig) -> None:
    """Another process holds the database's write lock: the attempt is reported as a
    database trouble (row 0), the loop waits a second and goes on; `warroom deliver`
    then prints how many went out."""
    import sqlite3

    t = ManualTime()
    slept: list[float] = []
    other = sqlite3.connect(rig.tmp / "incident.db", timeout=10, isolation_level=None)

    def after(seconds: float) -> None:
        slept.append(seconds)
        if other.in_transaction:
            other.execute("ROLLBACK")

    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=100))
    rig.publish(2)
    store = Store(rig.tmp / "incident.db", timeout=0.05)
    other.execute("BEGIN IMMEDIATE")
    reports: list[Attempt] = []
    d = Deliverer(store, rig.config, t, owner="one", sleep=t.sleeper(after), monotonic=t.monotonic)
    try:
        sent = d.run(until_idle=True, report=reports.append)
    finally:
        d.close()
        store.close()
        other.close()
    assert reports[0].row_id == 0 and reports[0].outcome == "retry", reports
    assert reports[0].detail.startswith("database: "), reports[0]
    assert slept[0] == 1.0, slept
    assert [a.outcome for a in reports[1:]] == ["sent", "sent"], reports
    assert sent == 2
    rig.assert_delivered()


def test_a_retry_goes_out_when_it_is_due_not_at_the_next_idle_look(rig: Rig) -> None:
    """Throttled with Retry-After: 1 -- the loop sleeps until the row is due (about a
    second), not the 5 s it waits when nothing at all is queued."""
    t = ManualTime()
    slept: list[float] = []
    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=100))
    rig.proxy.set_script(on_method("POST", 1, "429"))
    rig.publish(1)
    d = Deliverer(
        rig.store, rig.config, t, owner="one", sleep=t.sleeper(slept.append),
        monotonic=t.monotonic,
    )  # fmt: skip
    try:
        assert d.run(until_idle=True, max_wait=5.0) == 1
    finally:
        d.close()
    assert slept and all(0.2 <= s <= 1.01 for s in slept), slept
    rig.assert_delivered()

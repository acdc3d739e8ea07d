"""Our signed webhook through the real worker, against a receiver that verifies everything
the README promises (:mod:`tests.emulators.webhook_sink`: the documented fields and
nothing else, ``Warroom-Timestamp`` within 5 minutes, ``Warroom-Signature`` = HMAC-SHA256
over ``"<timestamp>." + raw body``), behind the fault-injecting proxy (:mod:`tests.faulty`).

At-least-once: after an ambiguous failure the update is sent again and the receiver,
de-duplicating on ``id`` as the README says, holds every update once and in order; a
410 Gone or a refused signature stops the row with words; the README's verification
snippet is run against a real request.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from tests.conftest import ROOT
from tests.emulators.webhook_sink import WebhookSink
from tests.faulty import on_request
from tests.unit.test_dest_chat import (
    INCIDENT,
    HookRig,
    _db_bytes,
    _slices,
    close_rig,
    make_rig,
)
from tui.core.clock import FrozenClock
from tui.core.state import DELIVERY_FAILED, DELIVERY_SENT
from tui.publish import outbox
from tui.publish.destinations import ADAPTERS, adapter_for
from tui.publish.destinations.webhook import WebhookAdapter, event_body
from tui.publish.destinations.webhook import signature as sign
from tui.publish.outbox import Row

SECRET_ENV = "WARROOM_TEST_WEBHOOK_SECRET"
SECRET = "whsec_" + "k3Y9" * 8
# the receiver stored it, then the answer was lost: sent again (the receiver de-duplicates)
RESENT = ("500-after", "hang-after", "reset-after", "close-after")
# nothing reached the receiver, or it did and said 2xx: sent once
ONCE = ("500", "429", "420", "html-after")
EVENTS = ["incident.created", "incident.update", "incident.update", "incident.resolved"]


def webhook_config(rig: HookRig, *, secret: bool = True) -> str:
    return (
        "destinations:\n"
        "  - id: partners\n"
        "    type: webhook\n"
        f"    url: {rig.proxy.url}/hooks/warroom\n"
        + (f"    secret_env: {SECRET_ENV}\n" if secret else "")
        + "    rate_per_second: 100\n"
        "    timeout: 3\n"  # slack on a loaded machine; a hang is held longer
        "    components: [API]\n"
    )


@pytest.fixture
def hook(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    rig = make_rig(tmp_path, monkeypatch, WebhookSink(SECRET), "slack")
    monkeypatch.setenv(SECRET_ENV, SECRET)  # make_rig clears WARROOM_* variables
    rig.use_config(webhook_config(rig))
    try:
        yield rig
    finally:
        close_rig(rig)


def assert_received(rig: HookRig) -> None:
    """The receiver, de-duplicating on id, holds every update once, in order; every row
    is sent with one event and no error."""
    sink: WebhookSink = rig.hook
    updates = sink.updates()
    assert [u["body"] for u in updates] == rig.bodies
    rows = rig.rows()
    assert [u["id"] for u in updates] == [r.key for r in rows]
    assert [r.state for r in rows] == ["sent"] * len(rows), [(r.state, r.last_error) for r in rows]
    assert all(r.last_error is None for r in rows)
    sent = [e.data["outbox_id"] for e in rig.store.events(rig.incident) if e.kind == DELIVERY_SENT]
    assert sorted(sent) == [r.id for r in rows]


def test_an_incident_reaches_the_receiver_signed_and_in_order(hook: HookRig):
    hook.publish_incident()
    hook.drain()

    sink: WebhookSink = hook.hook
    assert_received(hook)
    assert len(sink.deliveries) == 4
    assert [u["event"] for u in sink.deliveries] == EVENTS
    assert [u["purpose"] for u in sink.deliveries] == list(INCIDENT)
    assert sink.deliveries[0]["status"] == "investigating"
    assert sink.deliveries[-1]["status"] == "resolved"
    rows = hook.rows()
    for update, row in zip(sink.deliveries, rows, strict=True):
        assert update["incident"] == {"id": row.payload["incident_key"], "title": "Logins fail"}
        assert update["at"] == row.payload["at"]
        assert update["next_update_at"] == row.payload["next_update_at"]
    assert sink.deliveries[0]["components"] == {"API": "major_outage"}
    assert sink.deliveries[-1]["components"] == {"API": "operational"}
    assert all(s.startswith("v1=") and len(s) == 67 for s in sink.signatures)


def test_a_late_update_keeps_its_publish_time(hook: HookRig):
    """Published two minutes ago, delivered now: ``at`` is the publish time, the signed
    timestamp the sending time."""
    earlier = hook.clock.now() - timedelta(minutes=2)
    hook.clock = FrozenClock(earlier)  # type: ignore[assignment]
    hook.publish("ack")
    hook.drain()

    [update] = hook.hook.deliveries
    [request] = [r for r in hook.hook.seen() if r.status == 204]
    assert update["at"] == earlier.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert int(request.header("warroom-timestamp")) >= int(earlier.timestamp()) + 100


@pytest.mark.parametrize("fault", [*RESENT, *ONCE])
def test_every_fault_ends_with_each_update_once_after_deduplication(hook: HookRig, fault):
    hook.proxy.set_script(on_request(2, fault))
    hook.publish_incident()

    hook.drain()

    assert_received(hook)
    sink: WebhookSink = hook.hook
    expected = 5 if fault in RESENT else 4
    assert len(sink.deliveries) == expected, f"{fault}: {len(sink.deliveries)} deliveries"
    if fault in RESENT:
        ids = [d["id"] for d in sink.deliveries]
        assert ids[1] == ids[2], "the repeat carries the same id"


def test_a_refused_signature_stops_the_row_in_words_then_a_fix_delivers(hook, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "not-the-receivers-secret-" + "x" * 20)
    hook.publish("ack")
    hook.publish("update")
    hook.drain()

    first, second = hook.rows()
    assert first.state == "failed" and second.state == "pending"
    error = first.last_error or ""
    assert "HTTP 401" in error and "secret_env" in error, error
    assert "not-the-receivers" not in error
    assert [
        e.data["outbox_id"] for e in hook.store.events(hook.incident) if e.kind == DELIVERY_FAILED
    ] == [first.id]

    monkeypatch.setenv(SECRET_ENV, SECRET)
    outbox.retry(hook.store, first.id, "alice", hook.clock.now())
    hook.drain()
    assert_received(hook)


def test_410_gone_is_permanent(hook: HookRig):
    hook.hook.gone = True
    hook.publish("ack")
    hook.publish("update")

    attempts = hook.drain()

    first, second = hook.rows()
    assert first.state == "failed" and "410" in (first.last_error or "")
    assert "gone" in (first.last_error or "")
    assert second.state == "pending"
    assert [a.outcome for a in attempts] == ["failed"]
    assert len(hook.proxy.requests()) == 1, "never tried again"


def test_without_a_secret_no_signature_is_sent(tmp_path, monkeypatch):
    rig = make_rig(tmp_path, monkeypatch, WebhookSink(None), "slack")
    try:
        rig.use_config(webhook_config(rig, secret=False))
        rig.publish("ack")
        rig.drain()
        [request] = rig.hook.seen()
        assert request.header("warroom-signature") is None
        assert request.header("warroom-timestamp").isdigit()
        assert_received(rig)
    finally:
        close_rig(rig)


def test_the_secret_is_never_stored(hook: HookRig):
    hook.publish_incident()
    hook.hook.refuse(500, f"echo {SECRET}", times=1)  # a careless receiver repeats it
    hook.drain()

    assert_received(hook)
    hook.store.close()
    data = _db_bytes(hook.store.path)
    assert not [s for s in _slices(SECRET) if s.encode() in data]


def test_a_secret_echoed_in_a_refusal_is_redacted(hook: HookRig):
    hook.hook.refuse(400, f"bad request; your secret is {SECRET}", times=1)
    hook.publish("ack")
    hook.drain()

    [row] = hook.rows()
    assert row.state == "failed" and "400" in (row.last_error or "")
    assert not [s for s in _slices(SECRET) if s in (row.last_error or "")], row.last_error


# ------------------------------------------------------- the README's receiver snippet


def readme_verify():
    text = (ROOT / "README.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify(" in b]
    assert blocks, "the README shows how to verify a warroom webhook"
    code = blocks[0]
    assert len([x for x in code.splitlines() if x.strip()]) <= 8, "six lines or so"
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    return scope["verify"]


def test_the_readme_snippet_verifies_a_real_request_and_refuses_a_forged_one(hook: HookRig):
    verify = readme_verify()
    hook.publish("ack")
    hook.drain()
    [request] = hook.hook.seen()
    stamp = request.header("warroom-timestamp")
    signature = request.header("warroom-signature")

    assert verify(SECRET.encode(), stamp, signature, request.body) is True
    assert verify(SECRET.encode(), stamp, signature, request.body + b" ") is False
    assert verify(b"another secret", stamp, signature, request.body) is False
    old = str(int(stamp) - 301)  # a replay, signed correctly, over 5 minutes late
    assert verify(SECRET.encode(), old, sign(SECRET, old, request.body), request.body) is False


# --------------------------------------------------------------------------- the rest


def test_a_postmortem_row_is_an_incident_postmortem_event():
    row = Row(
        1,
        "INC-1",
        "partners",
        "postmortem",
        "warroom-x-INC-1-abc",
        {
            "kind": "postmortem",
            "name": "Logins fail",
            "status": "resolved",
            "body": "What happened.",
            "components": {},
            "component_names": {},
            "incident_key": "warroom-x-INC-1",
            "purpose": "postmortem",
            "at": "2026-11-30T14:02:00.000Z",
            "next_update_at": None,
            "incident_title": "Logins fail",
        },
        "pending",
        0,
        None,  # type: ignore[arg-type]
        None,
        False,
        None,
        None,
        None,  # type: ignore[arg-type]
        None,
    )
    body = event_body(row)
    assert body["event"] == "incident.postmortem" and body["purpose"] == "postmortem"
    from tests.emulators.webhook_sink import problem

    assert problem(body) is None


def test_check_is_a_connection_check_and_says_so(hook: HookRig):
    hook.use_config(webhook_config(hook).replace(hook.proxy.url, hook.hook.url))  # no proxy
    with httpx.Client() as client:
        text = adapter_for(hook.config.destinations[0]).check(client)
    assert "reachable" in text and "connection check only" in text
    assert hook.hook.seen() == [], "check posts nothing"


def test_the_webhook_is_registered_at_least_once():
    assert ADAPTERS["webhook"] is WebhookAdapter
    assert WebhookAdapter.guarantee == "at-least-once"

"""Instatus: an incident from acknowledgement to resolution reaches a strict local Instatus
EXACTLY ONCE and IN ORDER, whatever fault hits on the way; times are the events' real times;
the key never leaks; errors say what to fix; ``check`` makes one read-only call.

The emulator (:mod:`tests.emulators.instatus`) sits behind the fault-injecting proxy
(:mod:`tests.faulty`); the war room publishes with the real command and delivers with the
real worker (:mod:`tests.unit.report_rig`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.emulators.instatus import InstatusEmulator
from tests.faulty import on_method, on_request
from tests.unit.report_rig import (
    PURPOSES,
    TRANSIENT,
    Rig,
    body,
    close_rig,
    db_bytes,
    make_rig,
    parse,
)
from tui.core.clock import FrozenClock
from tui.core.config import Destination
from tui.publish import retry
from tui.publish.destinations import adapter_for
from tui.publish.destinations.instatus import InstatusAdapter
from tui.publish.retry import DeliveryError

KEY_ENV = "WARROOM_TEST_INSTATUS_KEY"
PAGE = "cl8page0000instatus"
API, DASH = "clapi0000000000000000001", "cldash000000000000000002"


def config_text(base_url: str, *, page: str = PAGE, extra: str = "") -> str:
    return (
        "destinations:\n"
        "  - id: instatus\n"
        "    type: instatus\n"
        f"    base_url: {base_url}\n"
        f"    page_id: {page}\n"
        f"    api_key_env: {KEY_ENV}\n"
        "    rate_per_second: 100\n"
        "    timeout: 3\n"  # slack on a loaded machine; a hang is held longer
        f"    components: {{API: {API}, Dashboard: {DASH}}}\n" + extra
    )


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(retry, "BACKOFF_BASE", 0.05)
    monkeypatch.setattr(retry, "BACKOFF_CAP", 0.5)


@pytest.fixture
def emulator() -> Iterator[InstatusEmulator]:
    emu = InstatusEmulator("ins-" + secrets.token_hex(16), PAGE, {"API": API, "Dashboard": DASH})
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def rig(tmp_path, monkeypatch, emulator) -> Iterator[Rig]:
    r = make_rig(tmp_path, monkeypatch, emulator.key, KEY_ENV, emulator.url, config_text)
    try:
        yield r
    finally:
        close_rig(r)


def assert_delivered(rig: Rig, emulator: InstatusEmulator) -> dict:
    """One incident on Instatus holding every published update once, in order, each at
    its event's time; every row sent. Returns the incident."""
    incidents = emulator.incidents()
    assert len(incidents) == 1, [(i["name"], len(i["updates"])) for i in incidents]
    incident = incidents[0]
    assert [u["message"].strip() for u in incident["updates"]] == rig.bodies
    assert [u["started"] for u in incident["updates"]] == rig.event_times()
    rig.assert_rows_sent(incident["id"])
    return incident


# ------------------------------------------------------------------ the whole incident


def test_an_incident_from_ack_to_resolution_and_its_postmortem(rig: Rig, emulator):
    rig.publish_incident()
    rig.publish("postmortem", "Post-mortem: a bad deploy broke logins. Here is what we change.")

    attempts = rig.drain()

    assert [a.outcome for a in attempts] == ["sent"] * 5
    incident = assert_delivered(rig, emulator)
    assert incident["name"] == "Logins fail"
    assert [u["status"] for u in incident["updates"]] == [
        "INVESTIGATING",
        "IDENTIFIED",
        "IDENTIFIED",
        "RESOLVED",
        "RESOLVED",  # the post-mortem: a final update (Instatus has no post-mortem API)
    ]
    assert incident["status"] == "RESOLVED"
    assert incident["started"] == rig.event_times()[0]
    assert incident["resolved"] == rig.event_times()[4]  # the last RESOLVED update
    assert emulator.component_status(API) == "OPERATIONAL"
    assert emulator.component_status(DASH) == "OPERATIONAL"
    assert all(u["notify"] is True for u in incident["updates"])
    assert emulator.writes == 5


def test_components_are_set_with_each_update(rig: Rig, emulator):
    rig.publish("ack")
    rig.drain()
    assert emulator.component_status(API) == "MAJOROUTAGE"  # a major incident
    assert emulator.component_status(DASH) == "MAJOROUTAGE"
    rig.publish("resolved")
    rig.drain()
    assert emulator.component_status(API) == "OPERATIONAL"
    assert_delivered(rig, emulator)


def test_notify_follows_the_config(rig: Rig, emulator):
    rig.use_config(config_text(rig.proxy.url, extra="    notify_subscribers: false\n"))
    rig.publish_incident(("ack", "update"))
    rig.drain()
    incident = assert_delivered(rig, emulator)
    assert [u["notify"] for u in incident["updates"]] == [False, False]


def test_an_update_that_leaves_the_outbox_late_keeps_its_true_time(rig: Rig, emulator):
    """Published 40 minutes ago (the outbox was stuck): Instatus gets that time, with Z."""
    then = datetime.now(UTC) - timedelta(minutes=40)
    rig.publish("ack", clock=FrozenClock(then))
    rig.publish("update", clock=FrozenClock(then + timedelta(minutes=5)))

    rig.drain()

    incident = assert_delivered(rig, emulator)
    sent = [u["started"] for u in incident["updates"]]
    assert all(s.endswith("Z") for s in sent), sent
    assert [parse(s) for s in sent] == [
        then.replace(microsecond=then.microsecond // 1000 * 1000),
        (then + timedelta(minutes=5)).replace(microsecond=then.microsecond // 1000 * 1000),
    ]
    created = [parse(u["createdAt"]) for u in incident["updates"]]
    assert all(c - parse(s) > timedelta(minutes=30) for c, s in zip(created, sent, strict=True))


def test_the_confirm_screen_shows_instatus_words(rig: Rig):
    """The preview of the planned payloads is in Instatus's words, with the guarantee."""
    from tui.publish.preview import describe

    rig.publish("ack")
    rig.publish("resolved")
    rig.publish("postmortem", "Post-mortem: a bad deploy broke logins. Here is what we change.")
    dest = rig.config.destinations[0]
    ack, resolved, postmortem = (describe(dest, r.payload) for r in rig.rows())
    assert ack.guarantee == "exactly-once"
    assert ack.lines == (
        f"page {PAGE}: status INVESTIGATING",
        "components: API: MAJOROUTAGE; Dashboard: MAJOROUTAGE",
    )
    assert resolved.lines[0].endswith("status RESOLVED")
    assert "OPERATIONAL" in resolved.lines[1] and "MAJOROUTAGE" not in resolved.lines[1]
    assert "final update" in postmortem.lines[0]


# ------------------------------------------------------------------- under faults


@pytest.mark.parametrize("where", ["create", "update"])
@pytest.mark.parametrize("fault", TRANSIENT)
def test_one_fault_still_delivers_exactly_once_in_order(rig: Rig, emulator, fault, where):
    if fault in ("429", "420"):
        rig.proxy.throttle_phase = 0.5
    # the create is the 1st POST; "update": the 3rd POST (the second update)
    rig.proxy.set_script(on_method("POST", 1 if where == "create" else 3, fault))
    rig.publish_incident()

    attempts = rig.drain()

    hits = [s for s in rig.proxy.requests() if s.fault == fault]
    assert len(hits) == 1, rig.proxy.requests()
    assert [a.outcome for a in attempts].count("retry") == 1, attempts
    assert_delivered(rig, emulator)
    assert emulator.writes == len(PURPOSES), "no update was written twice"
    if fault in ("429", "420"):
        after = [s for s in rig.proxy.requests() if s.n > hits[0].n]
        assert after and hits[0].answered is not None
        assert after[0].at - hits[0].answered >= 0.95, "Retry-After: 1 not honoured"


def test_faults_in_a_row_including_the_lookups(rig: Rig, emulator):
    """Committed-then-failed writes, then failures of the look-ups that follow them."""
    rig.proxy.set_script(
        ["500-after", "html", "reset-after", None, None, "hang-after", "500", "html-after"]
    )
    rig.publish_incident()
    rig.publish("postmortem", "Post-mortem: a bad deploy broke logins. Here is what we change.")

    rig.drain()

    assert_delivered(rig, emulator)
    assert emulator.writes == 5


@pytest.mark.parametrize("fault", ["500", "500-after", "reset-after"])
def test_a_repeated_text_is_neither_lost_nor_doubled(rig: Rig, emulator, fault):
    """The same text twice: the second one fails (before or after Instatus committed it).
    Its lookup must tell it from the first copy by its time: never taken for the first
    (lost), never sent twice (doubled)."""
    same = body(2)
    rig.proxy.set_script(on_method("POST", 3, fault))
    rig.publish("ack")
    rig.publish("update", same)
    rig.publish("update", same)

    rig.drain()

    incident = assert_delivered(rig, emulator)
    assert [u["message"] for u in incident["updates"]].count(same) == 2


# ----------------------------------------------------------------- errors and secrets


def test_a_refused_key_stops_the_row_with_words_and_never_leaks(rig: Rig, emulator, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "ins-wrong-" + secrets.token_hex(8))
    rig.publish_incident(("ack", "update"))

    rig.drain()

    first, second = rig.rows()
    assert first.state == "failed" and second.state == "pending"
    error = first.last_error or ""
    assert "HTTP 401" in error and "Invalid or missing API key" in error, error
    assert f"environment variable {KEY_ENV}" in error and "Instatus refused the key" in error
    assert emulator.incidents() == []

    monkeypatch.setenv(KEY_ENV, emulator.key)  # fixed
    from tui.publish import outbox

    outbox.retry(rig.store, first.id, "alice", rig.clock.now())
    rig.drain()
    assert_delivered(rig, emulator)


def test_an_unknown_page_names_page_id(rig: Rig, emulator):
    rig.use_config(config_text(rig.proxy.url, page="clnotmypage"))
    rig.publish("ack")
    rig.drain()
    (row,) = rig.rows()
    assert row.state == "failed"
    assert "HTTP 404" in (row.last_error or "") and "page_id" in (row.last_error or "")


def test_an_echoed_key_is_redacted_and_never_stored(rig: Rig, emulator):
    rig.proxy.set_script(on_request(1, "401-echo"))
    rig.publish("ack")
    rig.drain()
    (row,) = rig.rows()
    assert row.state == "failed"
    assert emulator.key not in (row.last_error or ""), row.last_error
    assert all(s.authorization == f"Bearer {emulator.key}" for s in rig.proxy.requests())
    rig.store.close()
    assert emulator.key.encode() not in db_bytes(rig.store.path)


# ------------------------------------------------------------------------- check


def _dest(base_url: str, page: str = PAGE) -> Destination:
    return Destination(
        id="instatus", type="instatus", base_url=base_url, page_id=page, api_key_env=KEY_ENV
    )


def test_check_makes_one_read_only_call(emulator, monkeypatch):
    monkeypatch.setenv(KEY_ENV, emulator.key)
    adapter = adapter_for(_dest(emulator.url))
    assert isinstance(adapter, InstatusAdapter)
    with httpx.Client() as client:
        text = adapter.check(client)
    assert text.startswith("OK") and PAGE in text
    assert emulator.writes == 0


@pytest.mark.parametrize(
    ("key", "page", "words"),
    [("wrong", PAGE, "refused the key"), (None, "clother", "check page_id")],
)
def test_check_says_what_is_wrong(emulator, monkeypatch, key, page, words):
    monkeypatch.setenv(KEY_ENV, key or emulator.key)
    with httpx.Client() as client, pytest.raises(DeliveryError) as caught:
        InstatusAdapter(_dest(emulator.url, page)).check(client)
    assert words in str(caught.value)
    assert emulator.key not in str(caught.value)


def test_warroom_destinations_check(rig: Rig, emulator):
    """The real CLI: OK with the right key (exit 0), the problem in words with a wrong one
    (exit 1); never the key; nothing written."""
    ok = rig.warroom("destinations", "check")
    assert ok.returncode == 0, (ok.stdout, ok.stderr)
    assert "instatus (instatus): OK" in ok.stdout, ok.stdout
    wrong = "wrong-" + secrets.token_hex(12)
    bad = rig.warroom("destinations", "check", **{KEY_ENV: wrong})
    assert bad.returncode == 1, (bad.stdout, bad.stderr)
    assert "refused the key" in bad.stdout + bad.stderr, (bad.stdout, bad.stderr)
    for text in (ok.stdout, ok.stderr, bad.stdout, bad.stderr):
        assert emulator.key not in text and wrong not in text
    assert emulator.writes == 0


# ------------------------------------------------------------- the emulator is strict


def test_the_emulator_refuses_what_instatus_refuses(emulator):
    base = f"{emulator.url}/v1/{PAGE}"
    auth = {"Authorization": f"Bearer {emulator.key}"}
    good = {
        "name": "x",
        "message": "y",
        "components": [API],
        "statuses": [{"id": API, "status": "MAJOROUTAGE"}],
        "status": "INVESTIGATING",
        "started": "2026-11-27T00:02:00.000Z",
        "notify": False,
    }
    with httpx.Client() as c:
        assert c.post(f"{base}/incidents", json=good).status_code == 401
        assert (
            c.post(
                f"{base}/incidents", json=good, headers={"Authorization": "OAuth " + emulator.key}
            ).status_code
            == 401
        )
        bad = c.post(f"{base}/incidents", json={**good, "impact": "major"}, headers=auth)
        assert bad.status_code == 400 and "impact" in bad.json()["error"]["message"]
        assert (
            c.post(
                f"{base}/incidents", json={**good, "status": "investigating"}, headers=auth
            ).status_code
            == 400
        )
        created = c.post(f"{base}/incidents", json=good, headers=auth)
        assert created.status_code == 200
        ref = created.json()["id"]
        no_statuses = {k: v for k, v in good.items() if k not in ("name", "statuses")}
        r = c.post(f"{base}/incidents/{ref}/incident-updates", json=no_statuses, headers=auth)
        assert r.status_code == 400 and "statuses" in r.json()["error"]["message"]
        zone_less = {**good, "started": "2026-11-27T00:02:00"}
        shifted = c.post(f"{base}/incidents", json=zone_less, headers=auth).json()
        assert shifted["started"] != "2026-11-27T00:02:00.000Z", "a zone-less time is shifted"
    assert emulator.writes == 2

"""Better Stack status reports: an incident from acknowledgement to resolution reaches a
strict local Better Stack EXACTLY ONCE and IN ORDER, whatever fault hits on the way;
``published_at`` is each event's real time; the token never leaks; errors say what to fix;
``check`` makes one read-only call.

The emulator (:mod:`tests.emulators.betterstack`) sits behind the fault-injecting proxy
(:mod:`tests.faulty`); the war room publishes with the real command and delivers with the
real worker (:mod:`tests.unit.report_rig`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.emulators.betterstack import BetterStackEmulator
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
from tui.publish import outbox, retry
from tui.publish.destinations import adapter_for
from tui.publish.destinations.betterstack import BetterStackAdapter
from tui.publish.retry import DeliveryError

KEY_ENV = "WARROOM_TEST_BETTERSTACK_TOKEN"
PAGE = "123456"
API, DASH = "8720238", "8720239"


def config_text(proxy_url: str, *, page: str = PAGE, extra: str = "") -> str:
    return (
        "destinations:\n"
        "  - id: betterstack\n"
        "    type: betterstack\n"
        f"    base_url: {proxy_url}/api/v2\n"
        f"    status_page_id: {page}\n"
        f"    api_key_env: {KEY_ENV}\n"
        "    rate_per_second: 100\n"
        "    timeout: 3\n"  # slack on a loaded machine; a hang is held longer
        f"    components: {{API: '{API}', Dashboard: '{DASH}'}}\n" + extra
    )


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(retry, "BACKOFF_BASE", 0.05)
    monkeypatch.setattr(retry, "BACKOFF_CAP", 0.5)


@pytest.fixture
def emulator() -> Iterator[BetterStackEmulator]:
    emu = BetterStackEmulator("bst-" + secrets.token_hex(16), PAGE, {"API": API, "Dashboard": DASH})
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def rig(tmp_path, monkeypatch, emulator) -> Iterator[Rig]:
    r = make_rig(tmp_path, monkeypatch, emulator.token, KEY_ENV, emulator.url, config_text)
    try:
        yield r
    finally:
        close_rig(r)


def assert_delivered(rig: Rig, emulator: BetterStackEmulator) -> dict:
    """One status report holding every published update once, in order, each published at
    its event's time; every row sent. Returns the report."""
    reports = emulator.reports()
    assert len(reports) == 1, [(r["title"], len(r["updates"])) for r in reports]
    report = reports[0]
    assert [u["message"].strip() for u in report["updates"]] == rig.bodies
    assert [u["published_at"] for u in report["updates"]] == rig.event_times()
    rig.assert_rows_sent(report["id"])
    return report


def statuses(update: dict) -> dict[str, str]:
    return {str(a["status_page_resource_id"]): a["status"] for a in update["affected_resources"]}


# ------------------------------------------------------------------ the whole incident


def test_an_incident_from_ack_to_resolution_and_its_postmortem(rig: Rig, emulator):
    rig.publish_incident()
    rig.publish("postmortem", "Post-mortem: a bad deploy broke logins. Here is what we change.")

    attempts = rig.drain()

    assert [a.outcome for a in attempts] == ["sent"] * 5
    report = assert_delivered(rig, emulator)
    assert report["title"] == "Logins fail" and report["report_type"] == "manual"
    assert [statuses(u) for u in report["updates"]] == [
        {API: "downtime", DASH: "downtime"},  # a major incident
        {API: "downtime", DASH: "downtime"},
        {API: "downtime", DASH: "downtime"},
        {API: "resolved", DASH: "resolved"},  # resolving: every resource resolved
        {API: "resolved", DASH: "resolved"},  # the post-mortem: a final update
    ]
    assert emulator.resource_status(API) == "operational"
    assert all(u["notify_subscribers"] is True for u in report["updates"])
    assert emulator.writes == 5


def test_notify_follows_the_config(rig: Rig, emulator):
    rig.use_config(config_text(rig.proxy.url, extra="    notify_subscribers: false\n"))
    rig.publish_incident(("ack", "update"))
    rig.drain()
    report = assert_delivered(rig, emulator)
    assert [u["notify_subscribers"] for u in report["updates"]] == [False, False]


def test_an_update_that_leaves_the_outbox_late_keeps_its_true_time(rig: Rig, emulator):
    then = datetime.now(UTC) - timedelta(minutes=40)
    rig.publish("ack", clock=FrozenClock(then))
    rig.publish("update", clock=FrozenClock(then + timedelta(minutes=5)))

    rig.drain()

    report = assert_delivered(rig, emulator)
    sent = [u["published_at"] for u in report["updates"]]
    ms = then.microsecond // 1000 * 1000
    assert [parse(s) for s in sent] == [
        then.replace(microsecond=ms),
        (then + timedelta(minutes=5)).replace(microsecond=ms),
    ]
    created = [parse(u["created_at"]) for u in report["updates"]]
    assert all(c - parse(s) > timedelta(minutes=30) for c, s in zip(created, sent, strict=True))


def test_the_confirm_screen_shows_better_stack_words(rig: Rig):
    """The preview of the planned payloads is in Better Stack's words, with the guarantee."""
    from tui.publish.preview import describe

    rig.publish("ack")
    rig.publish("resolved")
    rig.publish("postmortem", "Post-mortem: a bad deploy broke logins. Here is what we change.")
    dest = rig.config.destinations[0]
    ack, resolved, postmortem = (describe(dest, r.payload) for r in rig.rows())
    assert ack.guarantee == "exactly-once"
    assert ack.lines[1] == "resources: API: downtime; Dashboard: downtime"
    assert "no investigating state" in ack.lines[0]
    assert resolved.lines[1] == "resources: API: resolved; Dashboard: resolved"
    assert "final status update" in postmortem.lines[0]


# ------------------------------------------------------------------- under faults


@pytest.mark.parametrize("where", ["create", "update"])
@pytest.mark.parametrize("fault", TRANSIENT)
def test_one_fault_still_delivers_exactly_once_in_order(rig: Rig, emulator, fault, where):
    if fault in ("429", "420"):
        rig.proxy.throttle_phase = 0.5
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
    same = body(2)
    rig.proxy.set_script(on_method("POST", 3, fault))
    rig.publish("ack")
    rig.publish("update", same)
    rig.publish("update", same)

    rig.drain()

    report = assert_delivered(rig, emulator)
    assert [u["message"] for u in report["updates"]].count(same) == 2


def test_the_lookup_reads_past_the_first_page(tmp_path, monkeypatch):
    """Many reports with the same title and many updates, two to a page: the lookup after
    a committed-then-failed write still finds the row (on the last pages)."""
    emu = BetterStackEmulator("bst-" + secrets.token_hex(16), PAGE, {"API": API}, per_page=2)
    emu.start()
    rig = make_rig(tmp_path, monkeypatch, emu.token, KEY_ENV, emu.url, config_text)
    try:
        with httpx.Client() as c:  # older reports with the same title
            for i in range(3):
                r = c.post(
                    f"{emu.api_base}/status-pages/{PAGE}/status-reports",
                    json={"title": "Logins fail", "message": f"old {i}", "affected_resources": []},
                    headers={"Authorization": f"Bearer {emu.token}"},
                )
                assert r.status_code == 201
        rig.use_config(config_text(rig.proxy.url).replace(f", Dashboard: '{DASH}'", ""))
        rig.proxy.set_script(on_method("POST", 1, "500-after"))
        rig.publish("ack")
        rig.drain()
        rig.proxy.set_script(on_method("POST", 3, "reset-after"))
        rig.publish_incident(("update", "update", "update", "resolved"))
        rig.drain()

        reports = emu.reports()
        assert len(reports) == 4
        ours = reports[-1]
        assert [u["message"].strip() for u in ours["updates"]] == rig.bodies
        rig.assert_rows_sent(ours["id"])
        assert emu.writes == 3 + 5
    finally:
        close_rig(rig)
        emu.stop()


# ----------------------------------------------------------------- errors and secrets


def test_a_refused_token_stops_the_row_with_words_and_never_leaks(rig: Rig, emulator, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "bst-wrong-" + secrets.token_hex(8))
    rig.publish_incident(("ack", "update"))

    rig.drain()

    first, second = rig.rows()
    assert first.state == "failed" and second.state == "pending"
    error = first.last_error or ""
    assert "HTTP 401" in error and "refused the token" in error, error
    assert "Invalid Team API token" in error, "the provider's own words are kept"
    assert f"environment variable {KEY_ENV}" in error
    assert emulator.reports() == []

    monkeypatch.setenv(KEY_ENV, emulator.token)
    outbox.retry(rig.store, first.id, "alice", rig.clock.now())
    rig.drain()
    assert_delivered(rig, emulator)


def test_an_unknown_resource_is_refused_with_words(rig: Rig, emulator):
    rig.use_config(config_text(rig.proxy.url).replace(DASH, "999"))
    rig.publish("ack")
    rig.drain()
    (row,) = rig.rows()
    assert row.state == "failed"
    error = row.last_error or ""
    assert "HTTP 422" in error and "resource ids" in error, error
    assert "affected_resources unknown resource '999'" in error, "the provider's own words"
    assert emulator.reports() == []


def test_an_echoed_token_is_redacted_and_never_stored(rig: Rig, emulator):
    rig.proxy.set_script(on_request(1, "401-echo"))
    rig.publish("ack")
    rig.drain()
    (row,) = rig.rows()
    assert row.state == "failed"
    assert emulator.token not in (row.last_error or ""), row.last_error
    assert all(s.authorization == f"Bearer {emulator.token}" for s in rig.proxy.requests())
    rig.store.close()
    assert emulator.token.encode() not in db_bytes(rig.store.path)


# ------------------------------------------------------------------------- check


def _dest(base_url: str, page: str = PAGE) -> Destination:
    return Destination(
        id="betterstack", type="betterstack", base_url=base_url, page_id=page, api_key_env=KEY_ENV
    )


def test_check_makes_one_read_only_call(emulator, monkeypatch):
    monkeypatch.setenv(KEY_ENV, emulator.token)
    adapter = adapter_for(_dest(emulator.api_base))
    assert isinstance(adapter, BetterStackAdapter)
    with httpx.Client() as client:
        text = adapter.check(client)
    assert text.startswith("OK") and PAGE in text and "Acme" in text
    assert emulator.writes == 0


@pytest.mark.parametrize(
    ("token", "page", "words"),
    [("wrong", PAGE, "refused the token"), (None, "999", "check status_page_id")],
)
def test_check_says_what_is_wrong(emulator, monkeypatch, token, page, words):
    monkeypatch.setenv(KEY_ENV, token or emulator.token)
    with httpx.Client() as client, pytest.raises(DeliveryError) as caught:
        BetterStackAdapter(_dest(emulator.api_base, page)).check(client)
    assert words in str(caught.value)
    assert emulator.token not in str(caught.value)


def test_warroom_destinations_check(rig: Rig, emulator):
    """The real CLI: OK with the right key (exit 0), the problem in words with a wrong one
    (exit 1); never the key; nothing written."""
    ok = rig.warroom("destinations", "check")
    assert ok.returncode == 0, (ok.stdout, ok.stderr)
    assert "betterstack (betterstack): OK" in ok.stdout, ok.stdout
    wrong = "wrong-" + secrets.token_hex(12)
    bad = rig.warroom("destinations", "check", **{KEY_ENV: wrong})
    assert bad.returncode == 1, (bad.stdout, bad.stderr)
    assert "refused the token" in bad.stdout + bad.stderr, (bad.stdout, bad.stderr)
    for text in (ok.stdout, ok.stderr, bad.stdout, bad.stderr):
        assert emulator.token not in text and wrong not in text
    assert emulator.writes == 0


# ------------------------------------------------------------- the emulator is strict


def test_the_emulator_refuses_what_better_stack_refuses(emulator):
    base = f"{emulator.api_base}/status-pages/{PAGE}/status-reports"
    auth = {"Authorization": f"Bearer {emulator.token}"}
    good = {
        "title": "x",
        "message": "y",
        "report_type": "manual",
        "affected_resources": [{"status_page_resource_id": API, "status": "downtime"}],
        "notify_subscribers": False,
        "published_at": "2026-11-27T00:02:00.000Z",
    }
    with httpx.Client() as c:
        assert c.post(base, json=good).status_code == 401
        assert (
            c.post(base, json={**good, "status": "investigating"}, headers=auth).status_code == 400
        )
        r = c.post(base, json={k: v for k, v in good.items() if k != "title"}, headers=auth)
        assert r.status_code == 422 and "title" in r.json()["errors"]
        maintenance = [{"status_page_resource_id": API, "status": "maintenance"}]
        r = c.post(base, json={**good, "affected_resources": maintenance}, headers=auth)
        assert r.status_code == 422
        created = c.post(base, json=good, headers=auth)
        assert created.status_code == 201
        ref = created.json()["data"]["id"]
        assert ref.isdigit()
        r = c.post(f"{base}/{ref}/status-updates", json={"message": "z"}, headers=auth)
        assert r.status_code == 422 and "affected_resources" in r.json()["errors"]
    assert emulator.writes == 1

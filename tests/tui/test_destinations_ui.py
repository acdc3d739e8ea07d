"""The dashboard side of many destinations, on real SQLite and real local pages over loopback.

* the confirm screen has one block per destination (type, guarantee, what it
  receives) and ``s`` toggles subscriber notification for the highlighted one:
  the queued payload's ``notify`` and the page's ``deliver_notifications`` follow;
* a destination that failed for good is named on the header, in words, and ``d``
  re-publishes the message to the destinations that have not got it (the failed
  row stays in the outbox);
* a row waiting longer than ``STALE_AFTER`` is named too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from datetime import timedelta

import httpx
import pytest
from textual.widgets import OptionList

from screens.publish import PublishScreen
from tests.dashboard_helpers import DUE_SOON, dashboard, make_app, seeded_db, wait_for
from tui import commands
from tui.core.clock import FrozenClock
from tui.core.config import STALE_AFTER, load_config
from tui.core.store import Store
from tui.localpage.serve import BackgroundServer
from tui.localpage.store import component_id
from tui.publish import outbox
from tui.widgets.draft import DraftEditor
from tui.widgets.header import IncidentHeader

KEY_A = "page-a-key-7d1e0c"
KEY_B = "page-b-key-92ab44"
WRONG = "not-the-key-31f0"
TEXT = (
    "Logins and the API fail for most customers. Our engineers found the cause and are "
    "restoring service. Still affected: API, Dashboard. We will post the next update by 3:30 PM."
)


@pytest.fixture
def pages(tmp_path, monkeypatch):
    a = BackgroundServer(tmp_path / "a.db", api_key=KEY_A).start()
    b = BackgroundServer(tmp_path / "b.db", api_key=KEY_B).start()
    monkeypatch.setenv("PAGE_A_KEY", KEY_A)
    monkeypatch.setenv("PAGE_B_KEY", KEY_B)
    monkeypatch.setenv("WRONG_KEY", WRONG)
    yield a, b
    a.stop()
    b.stop()


def config_for(tmp_path, a, b, *, b_key_env: str = "PAGE_B_KEY"):
    path = tmp_path / "config.yaml"
    path.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        f"    base_url: {a.api_base}\n"
        "    page_id: local\n"
        "    api_key_env: PAGE_A_KEY\n"
        "    rate_per_second: 50\n"
        f"    components: {{API: {component_id('API')}}}\n"
        "  - id: mirror\n"
        "    type: statuspage\n"
        f"    base_url: {b.api_base}\n"
        "    page_id: local\n"
        f"    api_key_env: {b_key_env}\n"
        "    rate_per_second: 50\n"
        "    notify_subscribers: false\n"
    )
    return load_config(path)


def incidents(server, key: str) -> list[dict]:
    r = httpx.get(
        f"{server.api_base}/pages/local/incidents", headers={"Authorization": f"OAuth {key}"}
    )
    r.raise_for_status()
    return r.json()


def with_draft(db) -> str:
    """The update's draft, ready to publish (no blanks), saved as the dashboard finds it."""
    with Store(db) as store:
        incident = store.incidents()[0].id
        commands.save_draft(store, FrozenClock(DUE_SOON), "dev", incident, "update", TEXT)
    return incident


def rows(db) -> list[outbox.Row]:
    with Store(db) as store:
        return outbox.rows(store)


def block_texts(screen: PublishScreen) -> list[str]:
    listing = screen.query_one("#publish-destinations", OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def open_publish(pilot, app) -> PublishScreen:
    editor = (await dashboard(pilot)).query_one(DraftEditor)
    await wait_for(lambda: editor.purpose == "update", pilot)  # after the ack: the update
    await wait_for(lambda: "Logins and the API fail" in editor.text_area.text, pilot)
    await pilot.press("p")
    await wait_for(lambda: isinstance(app.screen, PublishScreen), pilot)
    return app.screen


async def test_confirm_shows_each_destination_and_s_toggles_its_notification(tmp_path, pages):
    a, b = pages
    db = seeded_db(tmp_path)
    with_draft(db)
    app = make_app(db, at=DUE_SOON, config=config_for(tmp_path, a, b))
    async with app.run_test(size=(120, 40)) as pilot:
        publish = await open_publish(pilot, app)
        blocks = block_texts(publish)
        assert len(blocks) == 2
        assert "status (statuspage)" in blocks[0] and "exactly-once" in blocks[0]
        assert "status identified" in blocks[0] and "API: major_outage" in blocks[0]
        assert "subscribers: NOTIFIED" in blocks[0]  # the config's default (true)
        assert "mirror (statuspage)" in blocks[1] and "components: none set" in blocks[1]
        assert "subscribers: not notified" in blocks[1]  # notify_subscribers: false
        await pilot.press("s")  # the highlighted one, the first: off
        await pilot.pause()
        assert "subscribers: not notified" in block_texts(publish)[0]
        listing = publish.query_one("#publish-destinations", OptionList)
        listing.focus()
        await pilot.press("down", "s")  # the second: on
        await pilot.pause()
        assert "subscribers: NOTIFIED" in block_texts(publish)[1]
        assert publish.notify_choice == {"status": False, "mirror": True}
        if publish.warnings:
            await pilot.press("w")
        await pilot.press("y")
        await wait_for(lambda: len(rows(db)) == 2, pilot)
        queued = {r.destination: r.payload["notify"] for r in rows(db)}
        assert queued == {"status": False, "mirror": True}
        await wait_for(lambda: all(r.state == "sent" for r in rows(db)), pilot)
    # what each page was told: the choice, not the config's default
    (on_a,) = incidents(a, KEY_A)
    (on_b,) = incidents(b, KEY_B)
    assert on_a["incident_updates"][0]["deliver_notifications"] is False
    assert on_b["incident_updates"][0]["deliver_notifications"] is True


async def test_header_names_a_failed_destination_and_d_sends_to_the_others(tmp_path, pages):
    a, b = pages
    db = seeded_db(tmp_path)
    config = config_for(tmp_path, a, b, b_key_env="WRONG_KEY")  # mirror: 401, for good
    with Store(db) as store:
        incident = store.incidents()[0].id
        commands.publish(
            store, FrozenClock(DUE_SOON), "dev", incident, "update", TEXT, config,
            destinations=["mirror"], accept_warnings=True,
        )  # fmt: skip
    app = make_app(db, at=DUE_SOON, config=config)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await dashboard(pilot)
        header = screen.query_one(IncidentHeader)
        await wait_for(lambda: [r.state for r in rows(db)] == ["failed"], pilot)
        await wait_for(lambda: "DELIVERY" in str(header.render()), pilot)
        said = str(header.render())
        assert "mirror: failed" in said and "401" in said and "check WRONG_KEY" in said
        assert "d: send to the others" in said
        assert WRONG not in app.export_screenshot() and KEY_B not in app.export_screenshot()
        await pilot.press("d")
        await wait_for(lambda: isinstance(app.screen, PublishScreen), pilot)
        publish = app.screen
        assert "Re-publishing the update message that did not reach mirror" in publish.preview.note
        blocks = block_texts(publish)
        assert len(blocks) == 1 and "status (statuspage)" in blocks[0]
        if publish.warnings:
            await pilot.press("w")
        await pilot.press("y")
        await wait_for(lambda: len(rows(db)) == 2, pilot)
        await wait_for(lambda: rows(db)[1].state == "sent", pilot)
    failed, sent = rows(db)
    assert (failed.destination, failed.state) == ("mirror", "failed")  # still there, visible
    assert (sent.destination, sent.payload["body"]) == ("status", failed.payload["body"])
    (on_a,) = incidents(a, KEY_A)
    assert "Logins and the API fail" in on_a["incident_updates"][0]["body"]
    assert incidents(b, KEY_B) == []


async def test_d_with_nothing_wrong_publishes_nothing(tmp_path, pages):
    a, b = pages
    db = seeded_db(tmp_path)
    app = make_app(db, at=DUE_SOON, config=config_for(tmp_path, a, b), deliver=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("d")
        await pilot.pause(0.5)
        assert app.screen is screen
    assert rows(db) == []


async def test_a_row_waiting_longer_than_stale_after_is_named(tmp_path, pages):
    a, b = pages
    db = seeded_db(tmp_path)
    config = config_for(tmp_path, a, b)
    with Store(db) as store:
        incident = store.incidents()[0].id
        commands.publish(
            store, FrozenClock(DUE_SOON), "dev", incident, "update", TEXT, config,
            destinations=["status"], accept_warnings=True,
        )  # fmt: skip
    later = DUE_SOON + STALE_AFTER + timedelta(minutes=1)
    app = make_app(db, at=later, config=config, deliver=False)  # nobody delivers: it waits
    async with app.run_test(size=(160, 40)) as pilot:
        header = (await dashboard(pilot)).query_one(IncidentHeader)
        await wait_for(lambda: "DELIVERY" in str(header.render()), pilot)
        assert "status: waiting 11 min" in str(header.render())
    # not yet stale: nothing said
    early = make_app(db, at=DUE_SOON + timedelta(minutes=2), config=config, deliver=False)
    async with early.run_test(size=(160, 40)) as pilot:
        header = (await dashboard(pilot)).query_one(IncidentHeader)
        await pilot.pause(2.5)  # the first poll has read the outbox
        assert header.problems == [] and "DELIVERY" not in str(header.render())


# ------------------------------------------------------------ what each type is shown


ALL_TYPES = """\
destinations:
  - {id: status, type: statuspage, page_id: abc123, api_key_env: SP_KEY, components: {API: c1}}
  - {id: ops-chat, type: slack, url_env: SLACK_WEBHOOK_URL}
  - {id: room, type: teams, url_env: TEAMS_URL}
  - {id: partners, type: webhook, url: "https://hooks.partner.example/warroom"}
  - {id: customers, type: email, host: smtp.acme.example, from: "status@acme.example",
     to: ["ops@acme.example", "cto@acme.example"], to_file: CONTACTS}
  - {id: digest, type: email, host: smtp.acme.example, from: "status@acme.example",
     to: ["ops@acme.example"]}
"""


def test_each_type_shows_what_it_receives_literally(tmp_path):
    from datetime import UTC, datetime

    from tui.publish.preview import describe
    from tui.publish.publishing import plan

    path = tmp_path / "config.yaml"
    contacts = tmp_path / "contacts.txt"
    contacts.write_text("a@customer.example\nb@customer.example\n# c@customer.example\n")
    path.write_text(ALL_TYPES.replace("CONTACTS", str(contacts)))
    config = load_config(path)
    db = seeded_db(tmp_path)
    with Store(db) as store:
        state = store.state(store.incidents()[0].id)
    body = "Logins fail for most customers <!channel> \x1b[31m.\nWe are restoring service."
    at = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    shown = {
        p.destination.id: describe(p.destination, p.payload)
        for p in plan(state, config, "update", body, incident_key="k", at=at)
    }
    status = "\n".join(shown["status"].lines)
    assert "status identified" in status and "API: major_outage" in status
    assert shown["status"].guarantee == "exactly-once"
    slack = "\n".join(shown["ops-chat"].lines)
    assert "API and dashboard unavailable for most customers" in slack
    assert "Logins fail for most customers" in slack and "<!channel>" not in slack  # escaped
    assert "Logins fail" in "\n".join(shown["room"].lines)
    assert shown["partners"].lines[0].startswith("JSON, unsigned (no secret_env): incident.update")
    subject, to = shown["customers"].lines[:2]
    assert (
        subject == "subject: [status] API and dashboard unavailable for most customers: Identified"
    )
    assert to.startswith("to: 4 recipients") and "contacts.txt" in to  # 2 + the file's 2
    assert shown["digest"].lines[1] == "to: 1 recipient"
    for s in shown.values():  # every type has an adapter and says its guarantee
        assert s.guarantee in ("exactly-once", "at-least-once", "at-most-once"), s


# ------------------------------------------------------------------- the demo fans out


def test_the_demo_publishes_one_update_to_the_page_and_the_webhook_sink(tmp_path, monkeypatch):
    from tui.cli.demo import DEMO_KEY_ENV, DEMO_SECRET_ENV, start_demo_page
    from tui.core.clock import SystemClock
    from tui.publish.worker import Deliverer

    monkeypatch.setenv(DEMO_KEY_ENV, "restored-after")  # the demo sets both: undone at teardown
    monkeypatch.setenv(DEMO_SECRET_ENV, "restored-after")
    server, config_path = start_demo_page(tmp_path)
    assert server is not None and config_path is not None
    try:
        config = load_config(config_path)
        assert [(d.id, d.type) for d in config.destinations] == [
            ("status", "statuspage"),
            ("webhook-sink", "webhook"),
        ]
        secret = os.environ[DEMO_SECRET_ENV]
        assert secret not in config_path.read_text()  # named, never written
        db = seeded_db(tmp_path)
        with Store(db) as store:
            incident = store.incidents()[0].id
            commands.publish(
                store, SystemClock(), "dev", incident, "update", TEXT, config,
                accept_warnings=True,
            )  # fmt: skip
            deliverer = Deliverer(store, config, SystemClock())
            try:
                deliverer.run(until_idle=True)
            finally:
                deliverer.close()
            assert [(r.destination, r.state) for r in outbox.rows(store)] == [
                ("status", "sent"),
                ("webhook-sink", "sent"),
            ]
        (on_page,) = incidents(server, os.environ[DEMO_KEY_ENV])
        assert "Logins and the API fail" in on_page["incident_updates"][0]["body"]
        (received,) = httpx.get(f"{server.url}/sink/messages").json()
        assert received["body"] == TEXT and received["status"] == "identified"
        assert received["event"] == "incident.update"
        listed = httpx.get(f"{server.url}/sink").text
        assert "Logins and the API fail" in listed and "1 signed message(s)" in listed
        # the sink verifies: unsigned or wrongly signed posts are refused and not listed
        raw = b'{"event": "incident.update", "id": "x", "status": "identified", "body": "fake"}'
        assert httpx.post(f"{server.url}/sink", content=raw).status_code == 401
        stamp = str(int(time.time()))
        forged = hmac.new(b"not-the-secret", stamp.encode() + b"." + raw, hashlib.sha256)
        answer = httpx.post(
            f"{server.url}/sink",
            content=raw,
            headers={"Warroom-Timestamp": stamp, "Warroom-Signature": f"v1={forged.hexdigest()}"},
        )
        assert answer.status_code == 401
        good = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256)
        headers = {"Warroom-Timestamp": stamp, "Warroom-Signature": f"v1={good.hexdigest()}"}
        assert httpx.post(f"{server.url}/sink", content=raw, headers=headers).status_code == 200
        assert httpx.post(f"{server.url}/sink", content=raw, headers=headers).status_code == 200
        listed = httpx.get(f"{server.url}/sink/messages").json()
        assert [m["body"] for m in listed] == ["fake", TEXT]  # newest first
        assert listed[0]["copies"] == 2  # a repeated id is counted, listed once
    finally:
        server.stop()


# ------------------------------------------------- the choice survives the two-person rule


def test_the_notify_choice_waits_with_the_message_for_its_approval(tmp_path, pages):
    from tests.conftest import MAJOR
    from tui.core.playbook import load_playbook

    a, b = pages
    config = config_for(tmp_path, a, b)
    playbook = tmp_path / "book.yaml"
    playbook.write_text(
        MAJOR.read_text().replace("due_soon: 5m", "due_soon: 5m\napproval_role: commander")
    )
    (tmp_path / "templates").symlink_to(MAJOR.parent.parent / "templates")
    db = tmp_path / "w.db"
    clock = FrozenClock(DUE_SOON)
    with Store(db) as store:
        commands.start(store, clock, "maria", load_playbook(playbook), "API down", {})
        commands.assign(store, clock, "maria", "INC-1", "commander", "maria")
        asked = commands.publish(
            store, clock, "dev", "INC-1", "update", TEXT, config,
            accept_warnings=True, notify={"status": False, "mirror": True},
        )  # fmt: skip
        assert "waiting for approval" in asked.message
        assert outbox.rows(store) == []
        commands.decide(store, clock, "maria", "INC-1", None, config, approve=True)
        queued = {r.destination: r.payload["notify"] for r in outbox.rows(store)}
    assert queued == {"status": False, "mirror": True}  # not the config's True / False


def test_a_block_shows_hostile_text_literally(tmp_path):
    from datetime import UTC, datetime

    from screens.publish import PublishPreview
    from tui.publish.publishing import plan

    path = tmp_path / "config.yaml"
    path.write_text(
        "destinations:\n  - {id: room, type: mattermost, url: 'http://127.0.0.1:9/h'}\n"
    )
    db = seeded_db(tmp_path)
    with Store(db) as store:
        state = store.state(store.incidents()[0].id)
    body = "Logins fail\x1b[2J\x1b]0;owned\x07 [b]bold[/b] for most customers."
    at = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    plans = plan(state, load_config(path), "update", body, incident_key="k", at=at)
    shown = PublishScreen(PublishPreview("update", body, [], [], "", "", plans))._block(plans[0])
    assert "\x1b" not in shown.plain and "\x07" not in shown.plain
    assert "[b]bold[/b]" in shown.plain  # markup stays text
    assert "room (mattermost)" in shown.plain and "at-most-once" in shown.plain

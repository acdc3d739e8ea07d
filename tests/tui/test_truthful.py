"""The checklist, the log and the post-mortem say only what happened (issue 8, items 4 and 5).

A phase is done when each of its items is ticked or skipped with a reason;
moving on with open items is refused (or forced, and then recorded item by
item); a published message ticks the items it fulfils and says so; the
post-mortem does not turn a key press into "the problem was fixed"; ``start``
and ``close`` refuse what is most likely a mistake unless told ``--force``.
Everything goes through the real ``warroom`` entry point, a real SQLite file,
the real local status page over HTTP, and real dashboards under Pilot.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import httpx
import pytest

from screens.confirm import ConfirmScreen
from screens.dashboard import Dashboard
from screens.form import FormScreen
from screens.start import StartScreen
from tests.conftest import MAJOR
from tests.dashboard_helpers import dashboard, make_app, seeded_db, wait_for
from tui import commands
from tui.cli.demo import DEMO_TITLE
from tui.core.clock import FrozenClock
from tui.core.store import Store
from tui.localpage.serve import BackgroundServer
from tui.widgets.checklist import PhaseChecklist
from tui.widgets.timeline import Timeline

KEY = "truthful-page-key-8"
ACK_ITEMS = (
    "war-room",
    "ack-status-page",
    "ack-social",
    "tickets-auto-ack",
    "pause-auto-replies",
    "brief-leadership",
)
RESOLUTION = (
    "Service has been fully restored as of 4:47 PM EST, and everything works again. "
    "We're sorry: we know you rely on us. Thank you for your patience. "
    "We will publish a detailed incident report within 72 hours."
)


def start(cli, title: str = "API down", *extra: str, **kw) -> str:
    return cli.ok(
        "start", "-p", str(MAJOR), "-t", title, "-m", "users_affected_pct=12", *extra, **kw
    ).out.strip()


def rows(db, kind: str) -> list[dict]:
    con = sqlite3.connect(db)
    try:
        found = con.execute("SELECT data FROM events WHERE kind = ? ORDER BY id", (kind,))
        return [json.loads(r[0]) for r in found]
    finally:
        con.close()


def items_of(cli) -> dict[str, dict]:
    return {i["id"]: i for i in cli.ok("status", "--json").json()["checklist"]}


# --------------------------------------------------------------------------- phases


def test_phase_next_refuses_open_items_and_names_them(cli):
    start(cli)
    cli.ok("check", "war-room")
    r = cli.fails("phase", "next")
    assert len(r.err.strip().splitlines()) == 1
    assert "5 item(s) of acknowledge still open" in r.err
    named = r.err.split("still open:")[1].split("(")[0]
    assert [i for i in ACK_ITEMS if i in named] == list(ACK_ITEMS[1:])  # not war-room: done
    assert "warroom skip ITEM --reason" in r.err and "--force" in r.err
    assert cli.ok("status", "--json").json()["phase"] == "acknowledge"
    assert rows(cli.db, "phase.advanced") == []  # nothing written


def test_a_skip_carries_its_reason_and_counts_as_finished(cli):
    start(cli)
    for item in ACK_ITEMS[:-1]:
        cli.ok("check", item)
    assert "--reason" in cli.fails("skip", "brief-leadership").err
    assert "the reason must not be empty" in cli.fails("skip", "brief-leadership", "-r", " ").err
    assert "untick it first" in cli.fails("skip", "war-room", "--reason", "x").err
    cli.ok("skip", "brief-leadership", "--reason", "handled in Slack", actor="dev")
    item = items_of(cli)["brief-leadership"]
    assert (item["done"], item["skipped"], item["by"], item["reason"]) == (
        False,
        True,
        "dev",
        "handled in Slack",
    )
    log = cli.ok("log").out
    assert (
        "dev skipped \u201cBrief leadership on impact and the next update time\u201d: "
        "handled in Slack" in log
    )
    text = cli.ok("status").out
    assert "[-] brief-leadership" in text and "skipped by dev" in text
    cli.ok("phase", "next")  # every item ticked or skipped: the phase is over
    status = cli.ok("status", "--json").json()
    phases = {p["id"]: p for p in status["phases"]}
    assert status["phase"] == "diagnose" and phases["acknowledge"]["state"] == "done"
    # taking the skip back reopens the phase: DONE is never shown over an open item
    cli.ok("uncheck", "brief-leadership")
    phases = {p["id"]: p for p in cli.ok("status", "--json").json()["phases"]}
    assert phases["acknowledge"]["state"] == "open"
    assert phases["acknowledge"]["open_items"] == ["brief-leadership"]


def test_force_records_every_open_item_as_skipped_forced(cli):
    start(cli)
    cli.ok("check", "war-room")
    out = cli.ok("phase", "next", "--force").out
    assert "5 open item(s) of acknowledge recorded as skipped: forced" in out
    skipped = rows(cli.db, "checklist.skipped")
    assert [s["item"] for s in skipped] == list(ACK_ITEMS[1:])
    assert all(s["reason"] == "forced" and s["forced"] for s in skipped)
    assert rows(cli.db, "phase.advanced") == [
        {"from": "acknowledge", "to": "diagnose", "forced": True}
    ]
    items = items_of(cli)
    assert items["war-room"]["done"] and not items["war-room"]["skipped"]
    assert all(items[i]["skipped"] and items[i]["reason"] == "forced" for i in ACK_ITEMS[1:])


def test_leaving_a_phase_does_not_meet_its_deadline(cli):
    """The acknowledgement deadline is met by the acknowledgement, not by pressing n."""
    start(cli)
    cli.ok("phase", "next", "--force", now="2026-11-27T19:05:00+00:00")
    status = cli.ok("status", "--json", now="2026-11-27T19:20:00+00:00").json()
    ack = next(p for p in status["phases"] if p["id"] == "acknowledge")
    assert ack["met_at"] is None and ack["missed"] is True  # 15 minutes, and no message
    assert "MISSED" in cli.ok("status", now="2026-11-27T19:20:00+00:00").out


# --------------------------------------------------------------------------- publishing


@pytest.fixture
def page(tmp_path):
    server = BackgroundServer(tmp_path / "page.db", api_key=KEY).start()
    yield server
    server.stop()


def test_the_resolution_ticks_what_it_says_and_leaves_no_phase_behind(cli, page, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        f"    base_url: {page.api_base}\n"
        "    page_id: local\n"
        "    api_key_env: TRUTHFUL_PAGE_KEY\n"
        "    rate_per_second: 50\n"
    )
    env = {"WARROOM_CONFIG": str(config), "TRUTHFUL_PAGE_KEY": KEY}
    now = datetime.now(UTC).isoformat()
    start(cli, now=now)
    cli.ok("phase", "next", "--force", now=now)
    cli.ok("check", "cause-identified", now=now)
    body = tmp_path / "resolved.txt"
    body.write_text(RESOLUTION)
    cli.ok(
        "publish",
        "--template",
        "resolved",
        "--body-file",
        str(body),
        "--yes",
        "--accept-warnings",
        env=env,
        now=now,
    )
    assert "1 sent" in cli.ok("deliver", "--until-idle", env=env, now=now).out
    on_page = httpx.get(
        f"{page.api_base}/pages/local/incidents", headers={"Authorization": f"OAuth {KEY}"}
    ).json()
    assert "Thank you for your patience" in on_page[0]["incident_updates"][0]["body"]

    status = cli.ok("status", "--json", now=now).json()
    published = [u for u in status["updates"] if u["purpose"] == "resolved"]
    assert published and status["resolved_at"] is not None
    # the diagnose phase still has open items: the resolution does not make it DONE
    assert status["phase"] == "diagnose"
    phases = {p["id"]: p for p in status["phases"]}
    assert phases["diagnose"]["state"] == "current"
    assert phases["resolve"]["state"] == "upcoming"
    event_id = next(
        e["id"] for e in json.loads(cli.ok("log", "--json").out) if e["kind"] == "update.published"
    )
    items = {i["id"]: i for i in status["checklist"]}
    for item in ("announce-fix", "thank-customers", "promise-postmortem"):
        assert items[item]["done"] and items[item]["by_event"] == event_id, item
    assert not items["restore-auto-replies"]["done"]  # no message can restore auto-replies
    log = cli.ok("log", now=now).out
    assert (
        f"\u201cThank customers for their patience\u201d was ticked by publishing the "
        f"resolution announcement (#{event_id})" in log
    )
    # the rest is people's work: finish diagnose, then resolve refuses on its one open item
    for item in ("update-promises-next", "social-replies"):
        cli.ok("check", item, now=now)
    cli.ok("skip", "chat-notice", "--reason", "chat stayed quiet", now=now)
    cli.ok("phase", "next", now=now)
    r = cli.fails("phase", "next", now=now)
    assert "1 item(s) of resolve still open: restore-auto-replies" in r.err
    cli.ok("check", "restore-auto-replies", now=now)
    cli.ok("phase", "next", now=now)
    assert cli.ok("status", "--json", now=now).json()["phase"] == "amends"


def test_a_message_recorded_by_hand_ticks_its_items_too(cli):
    start(cli)
    cli.ok("posted", "ack", "--next", "30m")
    item = items_of(cli)["ack-status-page"]
    assert item["done"] and item["by"] == "alice" and item["by_event"] is not None
    assert "by publishing #" in cli.ok("status").out


# --------------------------------------------------------------------------- the post-mortem


def test_the_postmortem_says_only_what_the_events_say(cli):
    start(cli)
    cli.ok("posted", "ack", "--next", "30m")
    cli.ok("check", "war-room")
    cli.ok("skip", "ack-social", "--reason", "handled in Slack", actor="dev")
    cli.ok("phase", "next", "--force")
    for item in ("cause-identified", "update-promises-next", "chat-notice", "social-replies"):
        cli.ok("skip", item, "--reason", "no time")
    # into the phase whose status page status is "resolved": nothing was fixed by this
    cli.ok("phase", "next")
    assert "not resolved: no resolution was published" in cli.fails("close").err
    cli.ok("close", "--force")
    report = json.loads(cli.ok("postmortem", "-i", "INC-1", "--format", "json").out)
    texts = [line["text"] for line in report["timeline"]]
    joined = "\n".join(texts)
    for claim in ("fixed", "restored", "identified the cause", "resolved"):
        assert claim not in joined, claim
    assert (
        "The step \u201cPost the acknowledgement where customers are (Twitter, LinkedIn)\u201d "
        "was skipped by dev: handled in Slack." in texts
    )
    assert (
        "The team moved on to diagnostic and transparent updates with 3 checklist steps not "
        "done: \u201cTurn on the outage auto-acknowledgement for support tickets\u201d, "
        "\u201cPause non-critical auto-replies\u201d and \u201cBrief leadership on impact and "
        "the next update time\u201d (forced)." in texts
    )
    assert "The team moved on to resolution and post-mortem commitment." in texts
    assert texts[-1] == "We closed the incident although no resolution was published (forced)."


# --------------------------------------------------------------------------- start and close


def test_start_refuses_a_second_open_incident_with_the_same_title(cli):
    assert start(cli, "API down") == "INC-1"
    r = cli.fails("start", "-p", str(MAJOR), "-t", "  api   DOWN ", "-m", "users_affected_pct=12")
    assert "INC-1 \u201cAPI down\u201d is already open" in r.err and "--force" in r.err
    assert [i["id"] for i in cli.ok("list", "--all", "--json").json()] == ["INC-1"]
    assert start(cli, "API down", "--force") == "INC-2"
    cli.ok("close", "-i", "INC-1", "--force")
    cli.ok("close", "-i", "INC-2", "--force")
    assert start(cli, "API down") == "INC-3"  # none of that title is open any more


def test_close_refuses_an_unresolved_incident_and_records_a_forced_close(cli):
    start(cli)
    r = cli.fails("close")
    assert "INC-1 is not resolved: no resolution was published" in r.err
    assert "warroom posted resolved" in r.err and "--force" in r.err
    assert cli.ok("list", "--json").json()[0]["closed_at"] is None
    # announced, but the checklist never got past the phases before the resolution
    cli.ok("posted", "resolved")
    r = cli.fails("close")
    assert "the resolution is out but the checklist is still in acknowledge" in r.err
    cli.ok("close", "--force", actor="maria")
    assert rows(cli.db, "incident.closed") == [
        {
            "forced": True,
            "reason": "the resolution is out but the checklist is still in acknowledge (open: "
            "war-room, ack-status-page, ack-social, tickets-auto-ack, pause-auto-replies, "
            "brief-leadership)",
        }
    ]
    assert cli.ok("log", "-i", "1").out.strip().splitlines()[-1].endswith("(forced)")
    assert cli.ok("list", "--json").json() == []


def test_a_resolved_incident_closes_without_force(cli):
    start(cli)
    cli.ok("phase", "next", "--force")
    for item in ("cause-identified", "update-promises-next", "chat-notice", "social-replies"):
        cli.ok("check", item)
    cli.ok("posted", "resolved")  # ticks its three items; auto-replies still paused
    assert cli.ok("status", "--json").json()["phase"] == "resolve"
    cli.ok("close")
    assert rows(cli.db, "incident.closed") == [{}]


# --------------------------------------------------------------------------- the playbook


def test_done_by_is_checked_with_file_and_line(cli, tmp_path):
    text = MAJOR.read_text()
    assert "done_by: publish.ack " in text
    bad = text.replace("done_by: publish.ack ", "done_by: publish.acknowledged ", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    line = (
        bad.splitlines().index(next(x for x in bad.splitlines() if "publish.acknowledged" in x)) + 1
    )
    r = cli.fails("playbook", "check", str(path))
    assert f"{path}:{line}:" in r.err
    assert "done_by must be one of publish.ack, publish.update" in r.err
    assert "'publish.acknowledged'" in r.err
    assert "ok" in cli.ok("playbook", "check", str(MAJOR)).out


# --------------------------------------------------------------------------- the dashboard


def _advanced(db) -> int:
    return len(rows(db, "phase.advanced"))


async def test_dashboard_n_with_open_items_is_refused_with_a_hint(tmp_path):
    db = seeded_db(tmp_path)
    before = _advanced(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        assert screen.state.phase == "diagnose"
        await pilot.press("n")
        await wait_for(
            lambda: any("still open" in str(n.message) for n in app._notifications), pilot
        )
        message = next(str(n.message) for n in app._notifications if "still open" in str(n.message))
        for item in ("update-promises-next", "chat-notice", "social-replies"):
            assert item in message
        assert "skip them with a reason (s)" in message
        assert not isinstance(app.screen, ConfirmScreen)
    assert _advanced(db) == before


async def test_dashboard_s_skips_with_a_reason_then_n_moves_on(tmp_path):
    db = seeded_db(tmp_path)
    with Store(db) as store:  # two of the three open items done elsewhere
        clock = FrozenClock(datetime(2026, 11, 27, 18, 55, tzinfo=UTC))
        commands.set_item(store, clock, "dev", "INC-1", "update-promises-next", True)
        commands.set_item(store, clock, "sam", "INC-1", "social-replies", True)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        checklist = screen.query_one(PhaseChecklist)
        checklist.focus()
        checklist.highlighted = checklist.get_option_index("item:chat-notice")
        await pilot.pause()
        await pilot.press("s")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        await pilot.press("ctrl+s")  # no reason: refused in the form
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        await pilot.press(*"chat stayed quiet", "ctrl+s")
        await wait_for(lambda: screen.state.items["chat-notice"].skipped, pilot)
        row = checklist.get_option("item:chat-notice").prompt.plain
        assert row.startswith(" [-] ") and "skipped by alice: chat stayed quiet" in row
        timeline = screen.query_one(Timeline)

        def timeline_text() -> str:
            return " ".join(
                " ".join("".join(seg.text for seg in strip) for strip in timeline.lines).split()
            )

        await wait_for(lambda: "chat stayed quiet" in timeline_text(), pilot)
        assert "alice skipped" in timeline_text()
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        await pilot.press("y")
        await wait_for(lambda: screen.state.phase == "resolve", pilot)
        head = checklist.get_option("phase:diagnose").prompt.plain
        assert head.startswith("DONE ")
    assert rows(db, "checklist.skipped")[-1] == {
        "item": "chat-notice",
        "reason": "chat stayed quiet",
    }


async def test_dashboard_start_with_the_title_of_an_open_incident_asks_first(tmp_path):
    db = seeded_db(tmp_path)
    values = {"playbook": MAJOR, "title": DEMO_TITLE.upper(), "metrics": {"users_affected_pct": 20}}

    def open_ids() -> list[str]:
        with Store(db) as store:
            return [r.id for r in store.incidents()]

    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        for answer in ("n", "y"):
            app.show_start()
            await wait_for(lambda: isinstance(app.screen, StartScreen) and app.screen.loaded, pilot)
            app.screen.dismiss(values)
            await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
            assert "INC-1" in app.screen.message and "already open" in app.screen.message
            assert open_ids() == ["INC-1"]  # nothing written before the answer
            await pilot.press(answer)
            await wait_for(lambda: isinstance(app.screen, Dashboard), pilot)
        await wait_for(lambda: app.screen.state.id == "INC-2", pilot)
    assert open_ids() == ["INC-1", "INC-2"]  # "n" opened INC-1; "y" started a second one

"""Resolution, post-mortem and recovery offers: by keyboard in the dashboard and headless."""

from __future__ import annotations

import httpx
import pytest

from screens.form import FormScreen
from screens.postmortem import OffersScreen, PostmortemScreen
from screens.publish import PublishScreen
from tests.dashboard_helpers import dashboard, make_app, seeded_db, wait_for
from tui.cli.demo import SAMPLE_CUSTOMERS
from tui.core.config import load_config
from tui.localpage.serve import BackgroundServer
from tui.widgets.countdown import UpdateCountdown
from tui.widgets.draft import DraftEditor

KEY = "amends-page-key-42"


@pytest.fixture
def page(tmp_path, monkeypatch):
    server = BackgroundServer(tmp_path / "page.db", api_key=KEY).start()
    monkeypatch.setenv("AMENDS_PAGE_KEY", KEY)
    (tmp_path / "config.yaml").write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        f"    base_url: {server.api_base}\n"
        "    page_id: local\n"
        "    api_key_env: AMENDS_PAGE_KEY\n"
        "    rate_per_second: 50\n"
    )
    server.config = load_config(tmp_path / "config.yaml")
    yield server
    server.stop()


def incidents(server):
    r = httpx.get(
        f"{server.api_base}/pages/local/incidents", headers={"Authorization": f"OAuth {KEY}"}
    )
    return r.json()


async def publish_current_draft(app, pilot) -> None:
    await pilot.press("p")
    await wait_for(lambda: isinstance(app.screen, PublishScreen), pilot)
    assert not app.screen.errors, [f.message for f in app.screen.errors]
    if app.screen.warnings:
        await pilot.press("w")
    await pilot.press("y")


async def test_from_update_to_resolution_to_published_postmortem_by_keyboard(tmp_path, page):
    db = seeded_db(tmp_path)
    app = make_app(db, config=page.config)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: "[[" in editor.text_area.text, pilot)
        # 1. the due update
        await pilot.press("4", "enter")  # the draft opens for reading: enter edits
        await wait_for(lambda: editor.editing, pilot)
        for answer in ("Logins fail.", "We are moving to the standby database."):
            await pilot.press("ctrl+n", *answer)
        await pilot.press("escape")
        await publish_current_draft(app, pilot)
        await wait_for(lambda: len(screen.state.updates) == 2, pilot)
        # 2. the resolution: ctrl+t switches the draft to it
        await pilot.press("4", "ctrl+t")
        await wait_for(
            lambda: editor.purpose == "resolved" and "[[" in editor.text_area.text, pilot
        )
        await pilot.press("enter")
        await wait_for(lambda: editor.editing, pilot)
        while "[[" in editor.text_area.text:
            await pilot.press("ctrl+n", *"The database ran out of disk space.")
        await pilot.press("escape")
        await publish_current_draft(app, pilot)
        await wait_for(lambda: screen.state.resolved_at is not None, pilot)
        # the resolution ticks what it says (fix, thanks, post-mortem promise), but the
        # diagnose phase still has open items: the checklist stays there, nothing shows DONE
        assert screen.state.phase == "diagnose"
        published = screen.state.updates[-1].event_id
        for item in ("announce-fix", "thank-customers", "promise-postmortem"):
            assert screen.state.items[item].by_event == published, item
        assert not screen.state.items["restore-auto-replies"].done
        countdown = screen.query_one(UpdateCountdown)
        await pilot.pause()
        assert countdown.state_word == "POST-MORTEM DUE"
        # 3. the post-mortem: write the root cause, add an action, publish
        await pilot.press("r")
        await wait_for(lambda: isinstance(app.screen, PostmortemScreen), pilot)
        pm = app.screen
        await pilot.press("tab")  # summary -> root cause
        await pilot.press(*"The disk filled up because a clean-up job was paused.")
        await pilot.press("ctrl+s")
        await wait_for(lambda: "clean-up job" in screen.state.postmortem.root_cause, pilot)
        await pilot.press("ctrl+n")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        await pilot.press(*"Alert at 80% disk", "tab", *"lee", "tab", *"2026-12-04", "ctrl+s")
        await wait_for(lambda: len(screen.state.postmortem.actions) == 1, pilot)
        await wait_for(lambda: isinstance(app.screen, PostmortemScreen), pilot)
        await wait_for(
            lambda: "Alert at 80% disk" in str(pm.query_one("#pm-preview").render()), pilot
        )
        await pilot.press("ctrl+o")
        await wait_for(lambda: isinstance(app.screen, PublishScreen), pilot)
        assert app.screen.preview.purpose == "postmortem"
        if app.screen.warnings:
            await pilot.press("w")
        await pilot.press("y")
        await wait_for(
            lambda: bool(incidents(page)) and incidents(page)[0].get("postmortem_published_at"),
            pilot,
            timeout=20,
        )
        assert countdown.state_word != "POST-MORTEM LATE"
    incident = incidents(page)[0]
    assert incident["status"] == "resolved"
    assert "clean-up job" in incident["postmortem_body"]
    assert "Alert at 80% disk" in incident["postmortem_body"]
    page_html = httpx.get(page.url + "/").text
    assert "clean-up job" in page_html


async def test_offers_screen_from_a_billing_export(tmp_path):
    db = seeded_db(tmp_path)
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(SAMPLE_CUSTOMERS, encoding="utf-8")
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        await pilot.press("f")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        await pilot.press(*str(csv_file))
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, OffersScreen), pilot)
        result = app.screen.result
        assert {c.customer_id for c in result.customers if c.offer == "none"} == {
            "C-1004",
            "C-1008",
        }
        assert set(result.totals) == {"EUR", "JPY", "USD"}
        await pilot.press("w")
        target = tmp_path / "offers-INC-1.csv"
        await wait_for(target.exists, pilot)
        assert target.read_text(encoding="utf-8").startswith("customer_id,name,plan,offer")


async def test_offers_refusal_is_a_notification(tmp_path):
    db = seeded_db(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,name,plan,monthly_amount,currency,affected\nX,Y,gold,1,USD,yes\n")
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        await pilot.press("f")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        await pilot.press(*str(bad), "ctrl+s")
        await wait_for(
            lambda: any("unknown plan 'gold'" in str(n.message) for n in app._notifications), pilot
        )
        assert not isinstance(app.screen, OffersScreen)
    assert not (tmp_path / "offers-INC-1.csv").exists()


def test_offers_cli(cli, tmp_path):
    from tests.conftest import MAJOR

    cli.ok(
        "start",
        "-p",
        str(MAJOR),
        "-t",
        "API down",
        "-m",
        "users_affected_pct=12",
        now="2026-11-27T17:00:00+00:00",
    )
    cli.ok("posted", "resolved", now="2026-11-27T20:00:00+00:00")  # a 3-hour outage
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(SAMPLE_CUSTOMERS, encoding="utf-8")
    data = cli.ok("offers", "--customers", str(csv_file), "--json").json()
    rows = {c["customer_id"]: c for c in data["customers"]}
    assert rows["C-1001"]["offer"] == "credit+consultation"
    assert rows["C-1001"]["credit_pct"] == "10"  # 3 hours: the 1 h step of the policy
    assert rows["C-1001"]["credit_amount"] == "480.00"
    assert rows["C-1005"]["trial_extension_days"] == 3  # 3 h + the 2-day buffer, rounded up
    assert rows["C-1004"]["offer"] == "none"
    assert data["totals"]["JPY"] == "52000"
    out = tmp_path / "offers.csv"
    cli.ok("offers", "--customers", str(csv_file), "--out", str(out))
    assert out.read_text(encoding="utf-8").count("\n") == 9
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer_id,name,plan,monthly_amount,currency,affected\n"
        "A1,Fine,standard,10,USD,yes\n"
        "A2,Broken,standard,-3,USD,yes\n"
    )
    target = tmp_path / "bad-offers.csv"
    r = cli.fails("offers", "--customers", str(bad), "--out", str(target))
    assert f"{bad}:3:" in r.err and not target.exists()
    r = cli.ok("offers", "--customers", str(bad), "--out", str(target), "--skip-bad")
    assert "skipped" in r.err and target.read_text().count("\n") == 2


def test_postmortem_cli_export(cli, tmp_path):
    from tests.conftest import MAJOR

    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    cli.ok("postmortem", "edit", "root-cause", "--text", "The disk <b>filled</b> up.")
    cli.ok("postmortem", "action", "Alert at 80% disk", "--owner", "lee", "--due", "2026-12-04")
    r = cli.fails("postmortem", "action", "x", "--due", "next week")
    assert "YYYY-MM-DD" in r.err
    md = cli.ok("postmortem").out
    assert "## Root cause" in md and "Alert at 80% disk" in md
    html = tmp_path / "pm.html"
    cli.ok("postmortem", "--format", "html", "--out", str(html))
    assert "The disk &lt;b&gt;filled&lt;/b&gt; up." in html.read_text()
    data = cli.ok("postmortem", "--format", "json").json()
    assert data["root_cause"] == "The disk <b>filled</b> up."

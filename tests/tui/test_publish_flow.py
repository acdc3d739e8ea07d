"""Publishing from the dashboard to a real local status page over loopback."""

from __future__ import annotations

import httpx
import pytest

from screens.publish import ApproveScreen, PublishScreen
from tests.dashboard_helpers import DUE_SOON, dashboard, make_app, seeded_db, wait_for
from tui.core.config import load_config
from tui.core.store import Store
from tui.localpage.serve import BackgroundServer
from tui.localpage.store import component_id
from tui.publish import outbox
from tui.widgets.countdown import UpdateCountdown
from tui.widgets.draft import DraftEditor
from tui.widgets.header import IncidentHeader

KEY = "test-page-key-5f1c"


@pytest.fixture
def page(tmp_path, monkeypatch):
    server = BackgroundServer(tmp_path / "page.db", api_key=KEY).start()
    monkeypatch.setenv("TEST_PAGE_KEY", KEY)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        f"    base_url: {server.api_base}\n"
        "    page_id: local\n"
        "    api_key_env: TEST_PAGE_KEY\n"
        "    rate_per_second: 50\n"
        f"    components: {{API: {component_id('API')}}}\n"
    )
    server.config = load_config(config_file)
    yield server
    server.stop()


def page_incidents(server) -> list[dict]:
    r = httpx.get(
        f"{server.api_base}/pages/local/incidents", headers={"Authorization": f"OAuth {KEY}"}
    )
    r.raise_for_status()
    return r.json()


async def fill_blanks(pilot, editor: DraftEditor, *answers: str) -> None:
    await pilot.press("4", "enter")  # the draft opens for reading: enter edits
    await wait_for(lambda: editor.editing, pilot)
    for answer in answers:
        await pilot.press("ctrl+n")
        await pilot.press(*answer)
    await pilot.press("escape")


async def test_fill_publish_and_see_it_on_the_page(tmp_path, page):
    db = seeded_db(tmp_path)
    app = make_app(db, at=DUE_SOON, config=page.config)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: "[[" in editor.text_area.text, pilot)
        # the configured components are filled in for them
        assert "Still affected: API" in editor.text_area.text
        countdown = screen.query_one(UpdateCountdown)
        assert countdown.state_word == "DUE SOON"

        # with blanks left, publishing is blocked
        await pilot.press("p")
        await wait_for(lambda: isinstance(app.screen, PublishScreen), pilot)
        assert app.screen.errors and all(f.rule == "blank" for f in app.screen.errors)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, PublishScreen)  # still there: errors block
        await pilot.press("escape")

        await fill_blanks(pilot, editor, "Logins fail for most customers.", "Failing over now.")
        assert "[[" not in editor.text_area.text
        await pilot.press("p")
        await wait_for(lambda: isinstance(app.screen, PublishScreen), pilot)
        publish = app.screen
        assert not publish.errors
        if publish.warnings:  # jargon like "Failing over" needs the explicit second key
            await pilot.press("y")
            await pilot.pause()
            assert isinstance(app.screen, PublishScreen)
            await pilot.press("w")
        await pilot.press("y")
        await wait_for(lambda: len(screen.state.updates) == 2, pilot)
        await wait_for(lambda: any(d[0] == "sent" for d in screen.state.deliveries.values()), pilot)
        assert countdown.state_word == "ON TRACK"  # the promise moved the countdown
        # the editor starts the next update afresh from the template
        await wait_for(lambda: "[[" in editor.text_area.text, pilot)
        await pilot.press("o")  # the outbox screen: the key is on no screen
        await pilot.pause(0.3)
        assert KEY not in app.export_screenshot()
        await pilot.press("escape")
    incidents = page_incidents(page)
    assert len(incidents) == 1
    bodies = [u["body"] for u in incidents[0]["incident_updates"]]
    assert len(bodies) == 1 and "Logins fail for most customers." in bodies[0]
    assert incidents[0]["status"] == "identified"
    with Store(db) as store:
        assert [r.state for r in outbox.rows(store)] == ["sent"]


async def test_the_editor_resets_when_the_state_after_publishing_comes_late(tmp_path, page):
    """The editor-reset race, made certain with a hook (no sleeps): every state on its
    way to the dashboard is held back while the publish runs, so the editor is told
    "published" while the state it shows still holds the draft. The reset is owed,
    and paid when the state that follows the publish arrives."""
    db = seeded_db(tmp_path)
    app = make_app(db, at=DUE_SOON, config=page.config)
    shown = app.show_state
    held: list = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: "[[" in editor.text_area.text, pilot)
        await fill_blanks(pilot, editor, "Logins fail for most customers.", "Failing over now.")
        await wait_for(lambda: "update" in screen.state.drafts, pilot)  # esc saved it
        await pilot.press("p")
        await wait_for(lambda: isinstance(app.screen, PublishScreen), pilot)
        app.show_state = held.append  # the hook: states wait here
        if app.screen.warnings:
            await pilot.press("w")
        await pilot.press("y")
        await wait_for(lambda: bool(held), pilot)  # published; the editor was told at once
        await wait_for(lambda: not rendering(app), pilot)  # a render against the old state
        await pilot.pause()
        assert "Logins fail for most customers." in editor.text_area.text  # not out yet
        assert "update" in screen.state.drafts
        app.show_state = shown
        for state in held:  # the states arrive, late
            shown(state)
        await wait_for(lambda: "[[" in editor.text_area.text, pilot)
        assert "Logins fail for most customers." not in editor.text_area.text
        assert not editor.dirty  # a fresh start is not unsaved typing


def rendering(app) -> bool:
    return any(w.group == "draft-template" and not w.is_finished for w in app.workers)


async def test_two_person_rule_across_dashboards(tmp_path, page):
    playbook = tmp_path / "book.yaml"
    from tests.conftest import MAJOR

    playbook.write_text(
        MAJOR.read_text().replace("due_soon: 5m", "due_soon: 5m\napproval_role: commander")
    )
    (tmp_path / "templates").symlink_to(MAJOR.parent.parent / "templates")
    from tui import commands
    from tui.core.clock import FrozenClock
    from tui.core.playbook import load_playbook

    db = tmp_path / "w.db"
    with Store(db) as store:
        clock = FrozenClock(DUE_SOON)
        commands.start(
            store, clock, "maria", load_playbook(playbook), "API down", {"users_affected_pct": 9}
        )
        commands.assign(store, clock, "maria", "INC-1", "commander", "maria")
        commands.record_published(store, clock, "dev", "INC-1", "ack", None)
    dev = make_app(db, actor="dev", config=page.config)
    maria = make_app(db, actor="maria", config=page.config)
    async with dev.run_test(size=(120, 40)) as pd, maria.run_test(size=(120, 40)) as pm:
        sd, sm = await dashboard(pd), await dashboard(pm)
        editor = sd.query_one(DraftEditor)
        await wait_for(lambda: "[[" in editor.text_area.text, pd)
        await fill_blanks(pd, editor, "Logins fail.", "We are restarting the login service.")
        await pd.press("p")
        await wait_for(lambda: isinstance(dev.screen, PublishScreen), pd)
        assert "approves" in dev.screen.preview.approval
        if dev.screen.warnings:
            await pd.press("w")
        await pd.press("y")
        await wait_for(lambda: any(r.status == "pending" for r in sd.state.requests.values()), pd)
        assert page_incidents(page) == []  # nothing goes out before the approval
        header = sm.query_one(IncidentHeader)
        await wait_for(lambda: "AWAITING YOUR APPROVAL" in str(header.render()), pm)
        await pm.press("v")
        await wait_for(lambda: isinstance(maria.screen, ApproveScreen), pm)
        await pm.press("y")
        await wait_for(lambda: len(page_incidents(page)) == 1, pm, timeout=15)
        # approved and published: dev's editor starts the next update afresh (the draft
        # stayed in the state until maria approved; the reset waited for it, not dropped)
        await wait_for(lambda: "[[" in editor.text_area.text, pd)
        assert "Logins fail." not in editor.text_area.text
    incident = page_incidents(page)[0]
    assert "Logins fail." in incident["incident_updates"][0]["body"]

"""The shared draft: one editor at a time, nothing typed lost, keys never typed unnoticed.

Real SQLite files, real dashboards under Pilot (two on one database), the
commands on their own, and a real local status page for the time of publishing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import screens.dashboard as dashboard_module
from screens.confirm import ConfirmScreen
from screens.publish import PublishScreen
from screens.versions import VersionsScreen
from tests.dashboard_helpers import DUE_SOON, dashboard, make_app, seeded_db, wait_for
from tui import commands
from tui.core.clock import FrozenClock, wall
from tui.core.store import PRESENCE_TTL, Store
from tui.publish import outbox
from tui.publish.drafting import PUBLISH_TIME
from tui.widgets.draft import DraftEditor


def draft_events(db, kind: str = "draft.saved"):
    with Store(db) as store:
        return [e for e in store.events("INC-1") if e.kind == kind]


def title_of(editor: DraftEditor) -> str:
    return str(editor.query_one("#draft-title").render())


def told(app, words: str) -> bool:
    return any(words in str(n.message) for n in app._notifications)


# -- 3. a pane key never lands in a message unnoticed ---------------------------------


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_the_draft_opens_for_reading_and_enter_starts_editing(tmp_path, size):
    db = seeded_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=size) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: "[[" in editor.text_area.text, pilot)
        body = editor.text_area.text
        await pilot.press("4")
        assert app.focused.id == "draft-text"
        assert not editor.editing and editor.text_area.read_only
        assert "reading" in title_of(editor) and "EDITING" not in title_of(editor)
        await pilot.press("x")  # no key here: said, not typed
        await wait_for(lambda: told(app, "press enter to edit"), pilot)
        assert editor.text_area.text == body
        await pilot.press("5")  # a pane key: the timeline, not a "5" in the message
        assert app.focused.id == "timeline"
        assert screen.query_one("#timeline").has_class("-active")
        assert editor.text_area.text == body
        await pilot.press("4", "enter")
        await wait_for(lambda: editor.editing, pilot)
        assert "EDITING \u2014 esc to leave" in title_of(editor)
        if size == (80, 24):
            assert screen.has_class("-compact") and editor.has_class("-active")
        await pilot.press(*"5 ")  # while editing, digits type digits
        assert editor.text_area.text.startswith("5 ")
        assert app.focused.id == "draft-text"
        await pilot.press("escape")  # leave editing: saved, the draft freed
        assert app.focused.id == "checklist"
        assert not editor.editing and editor.text_area.read_only
        await wait_for(lambda: "update" in screen.state.drafts, pilot)
        assert screen.state.drafts["update"].text.startswith("5 ")
        await wait_for(lambda: screen.state.draft_hold is None, pilot)
    assert [e.kind for e in draft_events(db, "draft.released")] == ["draft.released"]


# -- 1. co-editing: one holder, take-over saves the holder's text ---------------------


async def test_take_over_saves_the_holders_unsaved_text_and_tells_them(tmp_path, monkeypatch):
    # no autosave during the test: only the take-over can save dev's words
    monkeypatch.setattr(dashboard_module, "AUTOSAVE_AFTER", 3600.0)
    db = seeded_db(tmp_path)
    dev, maria = make_app(db, actor="dev"), make_app(db, actor="maria")
    async with dev.run_test(size=(120, 40)) as pd, maria.run_test(size=(120, 40)) as pm:
        sd, sm = await dashboard(pd), await dashboard(pm)
        ed, em = sd.query_one(DraftEditor), sm.query_one(DraftEditor)
        await wait_for(lambda: "[[" in ed.text_area.text, pd)
        await pd.press("4", "enter")
        await wait_for(lambda: sd.state.draft_hold is not None, pd)
        await pd.press(*"Dev typed this. ")  # the cursor is at the top
        assert "unsaved" in title_of(ed)
        dev_text = ed.text_area.text

        # maria sees who is editing; her keys are keys; enter offers the take-over
        await wait_for(lambda: "dev is editing" in title_of(em), pm)
        await pm.press("4", "5")
        assert maria.focused.id == "timeline"
        await pm.press("p")  # publishing dev's half-written text: refused, with the reason
        await wait_for(lambda: told(maria, "dev is editing the draft"), pm)
        await pm.press("4", "enter")
        await wait_for(lambda: isinstance(maria.screen, ConfirmScreen), pm)
        await pm.press("y")
        await wait_for(lambda: em.editing, pm)

        # dev's dashboard saves his words the moment it sees the hold move, and says so
        await wait_for(lambda: told(dev, "maria took over the draft"), pd)
        assert not ed.editing and ed.text_area.read_only
        saved = draft_events(db)
        assert saved and saved[-1].actor == "dev" and saved[-1].data["text"] == dev_text
        await wait_for(lambda: told(dev, "saved as version 1"), pd)
        # maria had typed nothing yet: dev's words are the draft she now edits
        await wait_for(lambda: em.text_area.text == dev_text, pm)
        em.text_area.move_cursor(em.text_area.document.end)
        await pm.press(*" Maria adds this.")
        await pm.press("escape")
        await wait_for(lambda: sm.state.draft_hold is None, pm)
        await wait_for(lambda: "Maria adds this." in sd.state.drafts["update"].text, pd)
        await wait_for(lambda: ed.text_area.text == sd.state.drafts["update"].text, pd)
    final = draft_events(db)[-1]
    assert final.actor == "maria"
    assert final.data["text"].startswith("Dev typed this. ")
    assert "Maria adds this." in final.data["text"]
    held = draft_events(db, "draft.held")
    assert [(e.actor, e.data["from"]) for e in held] == [("dev", None), ("maria", "dev")]


async def test_enter_while_someone_else_holds_is_refused_and_told(tmp_path):
    """Two press enter at once: the log decides; the loser is told, not silently ignored."""
    db = seeded_db(tmp_path)
    # bob's screen does not see alice's hold yet (no poll: no timer, no doorbell)
    bob = make_app(db, actor="bob", poll_every=3600, doorbell=False)
    async with bob.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: "[[" in editor.text_area.text, pilot)
        clock = bob.clock
        with Store(db) as store:  # alice pressed enter a moment earlier, and is present
            store.heartbeat("alice-session", "INC-1", "alice", "", clock.now())
            commands.hold_draft(store, clock, "alice", "INC-1", "alice-session")
        await pilot.press("4", "enter")
        await wait_for(lambda: told(bob, "alice is editing the draft"), pilot)
        assert not editor.editing and editor.text_area.read_only
        assert screen.state.draft_hold.actor == "alice"
    assert [e.actor for e in draft_events(db, "draft.held")] == ["alice"]


async def test_a_late_save_from_the_old_holder_is_kept_and_the_new_holder_is_told(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(dashboard_module, "AUTOSAVE_AFTER", 3600.0)
    db = seeded_db(tmp_path)
    clock = FrozenClock(DUE_SOON)
    with Store(db) as store:  # dev held the draft; his dashboard then went quiet
        commands.hold_draft(store, clock, "dev", "INC-1", "s-dev")
    maria = make_app(db, actor="maria")
    async with maria.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: "dev was editing (gone)" in title_of(editor), pilot)
        await pilot.press("4", "enter")  # dev is gone: no take-over question
        await wait_for(lambda: editor.editing, pilot)
        await wait_for(lambda: screen.state.draft_hold.actor == "maria", pilot)
        await pilot.press(*"Maria's words. ")  # typed, not saved yet
        with Store(db) as store:  # dev's laptop wakes up and saves what it had
            out = commands.save_draft(store, clock, "dev", "INC-1", "update", "Dev's.", "s-dev")
        assert out.message == "draft saved as version 1"  # maria had saved nothing yet
        await wait_for(lambda: told(maria, "dev's text arrived after you started typing"), pilot)
        assert editor.text_area.text.startswith("Maria's words. ")  # her typing stays
        await pilot.press("escape")
        await wait_for(lambda: screen.state.draft_hold is None, pilot)
        versions = screen.state.draft_versions["update"]
    assert [(v.by, v.text[:6]) for v in versions] == [("dev", "Dev's."), ("maria", "Maria'")]
    assert versions[-1].text.startswith("Maria's words. ")


async def test_quitting_while_editing_saves_the_text_and_frees_the_draft(tmp_path, monkeypatch):
    monkeypatch.setattr(dashboard_module, "AUTOSAVE_AFTER", 3600.0)
    db = seeded_db(tmp_path)
    app = make_app(db, actor="dev")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: "[[" in editor.text_area.text, pilot)
        await pilot.press("4", "enter")
        await wait_for(lambda: screen.state.draft_hold is not None, pilot)
        await pilot.press(*"Unsaved at quit. ")
        await pilot.press("ctrl+c")  # q types a q while editing: ctrl+c quits
    assert draft_events(db)[-1].data["text"].startswith("Unsaved at quit. ")
    assert [e.actor for e in draft_events(db, "draft.released")] == ["dev"]


async def test_versions_screen_lists_every_saved_text_and_restores_one(tmp_path):
    db = seeded_db(tmp_path)
    clock = FrozenClock(DUE_SOON)
    with Store(db) as store:
        commands.save_draft(store, clock, "dev", "INC-1", "update", "First words.", "s-dev")
        commands.save_draft(store, clock, "dev", "INC-1", "update", "Second words.", "s-dev")
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: editor.text_area.text == "Second words.", pilot)
        await pilot.press("4", "ctrl+o")
        await wait_for(lambda: isinstance(app.screen, VersionsScreen), pilot)
        shown = app.screen.versions
        assert [v.number for v in shown] == [2, 1]
        await pilot.press("escape", "enter")  # edit, then restore version 1
        await wait_for(lambda: editor.editing, pilot)
        await pilot.press("ctrl+o")
        await wait_for(lambda: isinstance(app.screen, VersionsScreen), pilot)
        await pilot.press("down", "enter")
        await wait_for(lambda: editor.text_area.text == "First words.", pilot)
        await pilot.press("escape")
        await wait_for(lambda: screen.state.drafts["update"].text == "First words.", pilot)
    assert [e.data["text"] for e in draft_events(db)] == [
        "First words.",
        "Second words.",
        "First words.",
    ]


# -- the rule itself, on the commands ---------------------------------------------


def test_a_save_after_the_take_over_is_kept_as_a_version_not_dropped(tmp_path):
    db = seeded_db(tmp_path)
    clock = FrozenClock(DUE_SOON)
    with Store(db) as store:
        store.heartbeat("s-dev", "INC-1", "dev", "", clock.now())
        commands.hold_draft(store, clock, "dev", "INC-1", "s-dev")
        with pytest.raises(commands.CommandError, match="dev is editing the draft"):
            commands.hold_draft(store, clock, "maria", "INC-1", "s-maria")
        commands.hold_draft(store, clock, "maria", "INC-1", "s-maria", take=True)
        commands.save_draft(store, clock, "maria", "INC-1", "update", "Maria's text.", "s-maria")
        late = commands.save_draft(store, clock, "dev", "INC-1", "update", "Dev's late.", "s-dev")
        assert late.event_id is not None  # recorded, never dropped
        assert "maria is editing the draft: your text was kept as version 2" in late.message
        s = store.state("INC-1")
        assert s.drafts["update"].text == "Maria's text."  # the holder's draft stands
        assert [(v.number, v.by, v.aside) for v in s.draft_versions["update"]] == [
            (1, "maria", False),
            (2, "dev", True),
        ]


def test_the_holders_save_right_after_a_take_over_is_what_the_new_holder_edits(tmp_path):
    db = seeded_db(tmp_path)
    clock = FrozenClock(DUE_SOON)
    with Store(db) as store:
        store.heartbeat("s-dev", "INC-1", "dev", "", clock.now())
        commands.hold_draft(store, clock, "dev", "INC-1", "s-dev")
        commands.hold_draft(store, clock, "maria", "INC-1", "s-maria", take=True)
        out = commands.save_draft(store, clock, "dev", "INC-1", "update", "Dev's words.", "s-dev")
        assert out.message == "draft saved as version 1"
        assert store.state("INC-1").drafts["update"].text == "Dev's words."


def test_a_hold_lapses_when_its_dashboard_is_gone(tmp_path):
    db = seeded_db(tmp_path)
    clock = FrozenClock(DUE_SOON)
    with Store(db) as store:
        store.heartbeat("s-dev", "INC-1", "dev", "", clock.now())
        commands.hold_draft(store, clock, "dev", "INC-1", "s-dev")
        clock.advance(timedelta(seconds=PRESENCE_TTL + 1))  # no heartbeat from dev since: gone
        out = commands.hold_draft(store, clock, "maria", "INC-1", "s-maria")
        assert out.message == "you took the draft over from dev"
        assert store.state("INC-1").draft_hold.actor == "maria"


# -- 2. the time in a message is the time it is published -------------------------


async def test_published_time_is_the_time_of_publishing_not_of_drafting(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_PAGE_KEY", "k-not-used")  # nothing is delivered: the queue is read
    db = seeded_db(tmp_path)
    app = make_app(db, at=DUE_SOON, deliver=False, config=_config(tmp_path))
    tz = "America/New_York"
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: "[[" in editor.text_area.text, pilot)
        assert PUBLISH_TIME in editor.text_area.text  # the template leaves the time open
        assert wall(DUE_SOON, tz) not in editor.text_area.text
        await pilot.press("4", "enter")
        await wait_for(lambda: editor.editing, pilot)
        for answer in ("Logins fail for most customers.", "We are restarting the login service."):
            await pilot.press("ctrl+n", *answer)
        await pilot.press("escape")
        app.clock.advance(timedelta(minutes=3, seconds=30))  # 2:03:30 PM EST
        await pilot.press("p")
        await wait_for(lambda: isinstance(app.screen, PublishScreen), pilot)
        publish = app.screen
        body = str(publish.query_one("#publish-body").render())
        assert "2:03 PM EST" in body and PUBLISH_TIME not in body  # the final text, shown
        app.clock.advance(timedelta(minutes=1))  # the minute turns while confirming
        if publish.warnings:
            await pilot.press("w")
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is publish  # never queue a text that was not on the screen
        await wait_for(
            lambda: "2:04 PM EST" in str(publish.query_one("#publish-body").render()), pilot
        )
        await pilot.press("y")
        await wait_for(lambda: len(screen.state.updates) == 2, pilot)
    with Store(db) as store:
        (row,) = outbox.rows(store)
    assert "2:04 PM EST" in row.payload["body"]
    assert "2:00 PM EST" not in row.payload["body"] and PUBLISH_TIME not in row.payload["body"]


def _config(tmp_path):
    from tui.core.config import load_config

    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    base_url: http://127.0.0.1:9/api/v1\n"
        "    page_id: local\n"
        "    api_key_env: TEST_PAGE_KEY\n"
    )
    return load_config(config_file)


def test_a_message_waiting_for_approval_carries_the_time_it_is_approved(tmp_path, monkeypatch):
    from tests.conftest import MAJOR
    from tui.core.playbook import load_playbook

    monkeypatch.setenv("TEST_PAGE_KEY", "k-not-used")
    playbook = tmp_path / "book.yaml"
    playbook.write_text(
        MAJOR.read_text().replace("due_soon: 5m", "due_soon: 5m\napproval_role: commander")
    )
    (tmp_path / "templates").symlink_to(MAJOR.parent.parent / "templates")
    db, clock, config = tmp_path / "w.db", FrozenClock(DUE_SOON), _config(tmp_path)
    body = (
        f"**Update** \u00b7 {PUBLISH_TIME}\n\nLogins fail. We are so sorry. We are restarting "
        "the login service. We'll post our next update by 2:45 PM EST.\n"
    )
    with Store(db) as store:
        book = load_playbook(playbook)
        commands.start(store, clock, "maria", book, "API down", {"users_affected_pct": 9})
        commands.assign(store, clock, "maria", "INC-1", "commander", "maria")
        commands.record_published(store, clock, "dev", "INC-1", "ack", None)
        commands.publish(store, clock, "dev", "INC-1", "update", body, config, accept_warnings=True)
        clock.advance(timedelta(minutes=7))  # approved seven minutes later: 2:07 PM EST
        commands.decide(store, clock, "maria", "INC-1", None, config, approve=True)
        (row,) = outbox.rows(store)
    assert "\u00b7 2:07 PM EST" in row.payload["body"]
    assert PUBLISH_TIME not in row.payload["body"]

"""Pilot tests of the dashboard: every key flow, against a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

from screens.confirm import ConfirmScreen
from screens.dashboard import Dashboard
from screens.form import FormScreen
from screens.help import HelpScreen
from screens.picker import PickerScreen
from screens.start import StartScreen
from tests.conftest import MAJOR, MINOR
from tests.dashboard_helpers import DUE_SOON, SEED, dashboard, make_app, seeded_db, wait_for
from tui import commands
from tui.core.clock import FrozenClock
from tui.core.playbook import load_playbook
from tui.core.store import Store
from tui.widgets.checklist import PhaseChecklist
from tui.widgets.countdown import UpdateCountdown
from tui.widgets.draft import DraftEditor
from tui.widgets.header import IncidentHeader


def events(db, kind=None):
    with Store(db) as store:
        return [e for e in store.events("INC-1") if kind is None or e.kind == kind]


async def highlight(pilot, widget, option_id: str) -> None:
    widget.focus()
    widget.highlighted = widget.get_option_index(option_id)
    await pilot.pause()


async def test_space_ticks_the_highlighted_item_and_writes_one_event(tmp_path):
    db = seeded_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        checklist = screen.query_one(PhaseChecklist)
        assert app.focused is checklist
        await highlight(pilot, checklist, "item:brief-leadership")
        await pilot.press("space")
        await wait_for(lambda: screen.state.items["brief-leadership"].done, pilot)
        prompt = checklist.get_option("item:brief-leadership").prompt.plain
        assert prompt.startswith(" [x] ") and "alice" in prompt
        await pilot.press("x")  # the alias unticks
        await wait_for(lambda: not screen.state.items["brief-leadership"].done, pilot)
    kinds = [(e.kind, e.data.get("item"), e.actor) for e in events(db)[-2:]]
    assert kinds == [
        ("checklist.checked", "brief-leadership", "alice"),
        ("checklist.unchecked", "brief-leadership", "alice"),
    ]


async def test_digits_move_between_panes_and_escape_leaves_the_editor(tmp_path):
    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("3")
        assert app.focused.id == "queues"
        await pilot.press("2")
        assert app.focused.id == "countdown"
        await pilot.press("5")
        assert app.focused.id == "timeline"
        await pilot.press("4")
        assert app.focused.id == "draft-text"
        editor = screen.query_one(DraftEditor)
        await pilot.press("enter")  # the draft opens for reading: enter edits
        await wait_for(lambda: editor.editing, pilot)
        await pilot.press("1")  # typed into the draft, not a pane switch
        assert app.focused.id == "draft-text"
        await pilot.press("escape")
        assert app.focused.id == "checklist"
        assert not screen.has_class("-compact")


async def test_compact_layout_at_80x24_shows_one_pane_and_the_countdown_in_the_header(tmp_path):
    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await dashboard(pilot)
        assert screen.has_class("-compact")
        visible = [p.id for p in screen.query(".pane") if p.display and p.styles.display != "none"]
        assert screen.query_one("#checklist").has_class("-active")
        assert "DUE SOON" in str(screen.query_one(IncidentHeader).render())
        await pilot.press("3")
        assert screen.query_one("#queues").has_class("-active")
        assert not screen.query_one("#checklist").has_class("-active")
        assert app.focused.id == "queues"
        assert visible  # something is shown
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not screen.has_class("-compact")


async def test_help_and_palette_list_the_actions(tmp_path):
    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        await pilot.press("question_mark")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), pilot)
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, Dashboard), pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for word in ("Move to the next phase", "Assign a role", "Edit impact metrics", "Help"):
            assert any(word.lower() in t.lower() for t in titles), (word, titles)


def finish_diagnose(db) -> None:
    """Tick the seeded diagnose phase's open items: `n` refuses while any is open."""
    with Store(db) as store:
        for item in ("update-promises-next", "chat-notice", "social-replies"):
            commands.set_item(store, FrozenClock(DUE_SOON), "dev", "INC-1", item, True)


async def test_palette_command_runs_the_same_action(tmp_path):
    db = seeded_db(tmp_path)
    finish_diagnose(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        command = next(
            c for c in app.get_system_commands(app.screen) if c.title.startswith("Move to the next")
        )
        command.callback()
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        await pilot.press("escape")  # no
        await wait_for(lambda: isinstance(app.screen, Dashboard), pilot)
    assert not events(db, "phase.advanced")[1:]  # only the seeded advance


async def test_next_phase_asks_then_moves(tmp_path):
    db = seeded_db(tmp_path)
    finish_diagnose(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        assert screen.state.phase == "diagnose"
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        await pilot.press("y")
        await wait_for(lambda: screen.state.phase == "resolve", pilot)
        head = screen.query_one(PhaseChecklist).get_option("phase:resolve").prompt.plain
        assert head.startswith("NOW  Resolution")


async def test_recording_an_update_moves_the_countdown(tmp_path):
    db = seeded_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        countdown = screen.query_one(UpdateCountdown)
        assert countdown.state_word == "DUE SOON"
        await pilot.press("u")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        await pilot.press("ctrl+s")  # defaults: an update promising the next in 30m
        await wait_for(lambda: len(screen.state.updates) == 2, pilot)
        assert screen.state.updates[-1].promised_next_at == DUE_SOON + timedelta(minutes=30)
        await pilot.pause()
        assert countdown.state_word == "ON TRACK"


async def test_assign_metrics_and_note_dialogs(tmp_path):
    db = seeded_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("a")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        await pilot.press("ctrl+s")  # first role (commander), the actor: alice
        await wait_for(lambda: screen.state.roles.get("commander") == "alice", pilot)

        await pilot.press("t")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        await pilot.press(*"Vendor [b]DNS[/b] confirmed")
        await pilot.press("enter")
        await wait_for(lambda: screen.state.notes == 3, pilot)
        assert screen.state.timeline[-1].text.endswith("Vendor [b]DNS[/b] confirmed")

        await pilot.press("m")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        form = app.screen
        form._controls["customers_affected"].value = "2000"
        await pilot.press("ctrl+s")
        await wait_for(lambda: screen.state.metrics.get("customers_affected") == 2000, pilot)
    assert [e.kind for e in events(db)[-3:]] == ["role.assigned", "note.added", "metrics.set"]
    assert events(db)[-1].data == {"values": {"customers_affected": 2000}}


async def test_queue_keys(tmp_path):
    db = seeded_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("3")
        queues = screen.query_one("#queues")
        await highlight(pilot, queues, "channel:chat")
        await pilot.press("plus", "plus")
        await wait_for(lambda: (screen.state.channels["chat"].depth or 0) == 2, pilot)
        await pilot.press("minus")
        await wait_for(lambda: screen.state.channels["chat"].depth == 1, pilot)
        await highlight(pilot, queues, "action:chat:swamped-notice")
        await pilot.press("space")
        await wait_for(lambda: screen.state.channels["chat"].actions["swamped-notice"], pilot)
        assert queues.get_option("action:chat:swamped-notice").prompt.plain.startswith("   [on ]")
        await highlight(pilot, queues, "channel:tickets")
        await pilot.press("e")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        app.screen._controls["depth"].value = "140"
        app.screen._controls["oldest"].value = "25m"
        await pilot.press("ctrl+s")
        await wait_for(lambda: screen.state.channels["tickets"].depth == 140, pilot)
        tickets = screen.state.channels["tickets"]
        assert tickets.oldest_since == DUE_SOON - timedelta(minutes=25)
        prompt = queues.get_option("channel:tickets").prompt.plain
        assert "140 waiting" in prompt and "oldest 25m" in prompt


async def test_bad_queue_value_is_refused_in_the_dialog(tmp_path):
    db = seeded_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("3")
        await highlight(pilot, screen.query_one("#queues"), "channel:tickets")
        await pilot.press("e")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        app.screen._controls["depth"].value = "lots"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)  # stays open with the error
        await pilot.press("escape")
    assert not events(db, "channel.counts")


async def test_draft_autosaves_and_is_restored_after_a_crash(tmp_path):
    db = seeded_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        assert editor.purpose == "update"
        assert "[[" in editor.text_area.text  # the template's human blanks
        await pilot.press("4", "enter")
        await wait_for(lambda: editor.editing, pilot)
        editor.text_area.load_text("")
        await pilot.press(*"We found the cause.")
        await wait_for(lambda: "update" in screen.state.drafts, pilot, timeout=15)
        assert screen.state.drafts["update"].text == "We found the cause."
    saves = events(db, "draft.saved")
    assert len(saves) <= 3  # debounced: not one event per keystroke
    # a new dashboard (after a crash or an SSH drop) gets the draft back
    app2 = make_app(db, actor="bob")
    async with app2.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        assert screen.query_one(DraftEditor).text_area.text == "We found the cause."


async def test_unsaved_draft_is_saved_on_exit(tmp_path):
    db = seeded_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("4", "enter")
        await wait_for(lambda: screen.query_one(DraftEditor).editing, pilot)
        await pilot.press(*"half typed")
        await pilot.press("escape", "q")
    assert events(db, "draft.saved")[-1].data["text"].startswith("half typed")


async def test_two_dashboards_on_one_database_see_each_other(tmp_path):
    db = seeded_db(tmp_path)
    a, b = make_app(db, actor="alice"), make_app(db, actor="bob")
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(80, 24)) as pb:
        sa, sb = await dashboard(pa), await dashboard(pb)
        await highlight(pa, sa.query_one(PhaseChecklist), "item:brief-leadership")
        await pa.press("space")
        await wait_for(lambda: sb.state.items["brief-leadership"].done, pb)
        assert sb.state.items["brief-leadership"].by == "alice"
        # both are in the room
        await wait_for(
            lambda: (
                "bob" in str(sa.query_one(IncidentHeader).render())
                and "alice" in str(sb.query_one(IncidentHeader).render())
            ),
            pa,
        )
        # and a CLI change shows up too
        with Store(db) as store:
            commands.add_note(store, FrozenClock(DUE_SOON), "carol", "INC-1", "from the CLI")
        await wait_for(lambda: sa.state.notes == 3 and sb.state.notes == 3, pa)


async def test_same_item_ticked_by_two_dashboards_at_once(tmp_path):
    db = seeded_db(tmp_path)
    a, b = make_app(db, actor="alice"), make_app(db, actor="bob")
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        sa, sb = await dashboard(pa), await dashboard(pb)
        await highlight(pa, sa.query_one(PhaseChecklist), "item:social-replies")
        await highlight(pb, sb.query_one(PhaseChecklist), "item:social-replies")
        await pa.press("space")
        await pb.press("space")
        await wait_for(lambda: len(events(db, "checklist.checked")) >= 7, pa)
        await pa.pause(0.5)
    ticks = [e for e in events(db) if e.data.get("item") == "social-replies"]
    # A key press carries the intent shown on that screen: if bob still saw the
    # item unticked, his press means "tick" and finds it done ("already ticked by
    # alice": no event); if his screen had synced, it means "untick". Either way
    # the events are in order, one per real change, nothing lost or doubled.
    assert ticks[0].kind == "checklist.checked"
    assert len(ticks) in (1, 2)
    if len(ticks) == 2:
        assert ticks[1].kind == "checklist.unchecked" and ticks[1].actor == "bob"
    ids = [e.id for e in events(db)]
    assert ids == sorted(ids) and len(ids) == len(set(ids))


async def test_hostile_title_and_note_are_shown_literally(tmp_path):
    db = tmp_path / "h.db"
    clock = FrozenClock(SEED)
    with Store(db) as store:
        commands.start(
            store,
            clock,
            "alice",
            load_playbook(MAJOR),
            "DB [red]down[/red] [@click=app.quit]x[/] \x1b]0;pwned\x07\x1b[2J",
            {"users_affected_pct": 9},
        )
        commands.add_note(store, clock, "alice", "INC-1", "[bold]not bold[/bold] \x1b[31mred")
    app = make_app(db, at=SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        header = str(screen.query_one(IncidentHeader).render())
        assert "DB [red]down[/red] [@click=app.quit]x[/]" in header
        assert "\x1b" not in header and "pwned" not in header
        svg = app.export_screenshot()
        assert "[red]down[/red]" in svg.replace("&#160;", " ")
        assert "[bold]not bold[/bold]" in svg.replace("&#160;", " ")
        await pilot.click(IncidentHeader)  # a click on "[@click=...]" does nothing
        await pilot.pause()
        assert app.is_running


async def test_bell_rings_once_when_the_update_turns_late(tmp_path):
    app = make_app(seeded_db(tmp_path), bell=True)
    rang = []
    app.bell = lambda: rang.append(1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        countdown = screen.query_one(UpdateCountdown)
        clock = app.clock
        clock.advance(timedelta(minutes=2))
        screen.tick()
        assert countdown.state_word == "DUE SOON" and not rang
        clock.advance(timedelta(minutes=2))
        screen.tick()
        assert countdown.state_word == "LATE" and rang == [1]
        clock.advance(timedelta(seconds=30))
        screen.tick()
        assert rang == [1]  # once, not every second
        await pilot.press("b")  # bell off
        assert countdown.bell_enabled is False


async def test_a_failing_command_is_a_notification_not_a_crash(tmp_path):
    db = seeded_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        with Store(db) as store:
            commands.close(store, FrozenClock(DUE_SOON), "carol", "INC-1", force=True)
        await highlight(pilot, screen.query_one(PhaseChecklist), "item:brief-leadership")
        await pilot.press("space")
        await wait_for(lambda: any("closed" in str(n.message) for n in app._notifications), pilot)
        assert app.is_running


async def test_no_incident_opens_the_start_screen_and_starts_one(tmp_path):
    db = tmp_path / "empty.db"
    app = make_app(db, at=SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: isinstance(app.screen, StartScreen) and app.screen.loaded, pilot)
        app.screen.dismiss(
            {"playbook": MAJOR, "title": "Checkout failing", "metrics": {"users_affected_pct": 20}}
        )
        screen = await dashboard(pilot)
        assert screen.state.title == "Checkout failing" and screen.state.severity == "major"


async def test_a_start_screen_dismissed_before_its_mount_work_runs_is_harmless(tmp_path):
    """Dismissed in the same turn it was pushed: its on_mount and its playbook loading
    run on a screen without widgets (they crashed with NoMatches '#title')."""
    from tui.core.resources import shipped_playbooks

    db = tmp_path / "empty.db"
    app = make_app(db, at=SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: isinstance(app.screen, StartScreen), pilot)
        start = StartScreen(shipped_playbooks())
        results: list = []
        app.push_screen(start, callback=results.append)
        start.dismiss(None)  # before any of its mount work had a chance to run
        await pilot.pause()
        await wait_for(lambda: results == [None] and not start.is_attached, pilot)
        for _ in range(5):  # let the playbook loading finish, if it started
            await pilot.pause(0.05)
        assert isinstance(app.screen, StartScreen) and app.screen is not start
        assert app.return_code is None  # still running, nothing crashed


async def test_several_incidents_open_the_picker(tmp_path):
    db = seeded_db(tmp_path)
    with Store(db) as store:
        commands.start(store, FrozenClock(SEED), "bob", load_playbook(MINOR), "Slow exports", {})
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: isinstance(app.screen, PickerScreen), pilot)
        await pilot.press("down", "enter")
        screen = await dashboard(pilot)
        assert screen.state.id in ("INC-1", "INC-2")


async def test_escape_leaves_the_editor_in_the_compact_layout(tmp_path):
    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("4")
        assert app.focused.id == "draft-text"
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused.id == "checklist"
        assert screen.query_one("#checklist").has_class("-active")
        await pilot.press("o")  # a key again, not a letter in the draft
        from screens.outbox import OutboxScreen

        await wait_for(lambda: isinstance(app.screen, OutboxScreen), pilot)


async def test_a_hidden_timeline_waits_for_a_width_instead_of_spinning(tmp_path):
    """At 80x24 the timeline pane is hidden (width 0). It once re-queued its fill after
    every refresh while hidden: ~8,700 calls a second, each key press ~2 s. Now it keeps
    the newest state, writes it when it is shown, and costs nothing while hidden."""
    from tui.widgets.timeline import Timeline

    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await dashboard(pilot)
        timeline = screen.query_one(Timeline)
        assert timeline.size.width == 0
        calls: list[object] = []
        fill = timeline.show
        timeline.show = lambda state: (calls.append(state), fill(state))  # type: ignore[method-assign]
        for _ in range(20):  # twenty refreshes with nothing new to show
            timeline.refresh()
            await pilot.pause()
        assert len(calls) <= 2, f"the hidden timeline ran {len(calls)} times while idle"
        await pilot.press("5")
        await wait_for(lambda: timeline.size.width > 0 and timeline.lines, pilot)
        text = "\n".join(line.text for line in timeline.lines)
        assert "acknowledgement" in text.lower() or "published" in text.lower(), text

"""What a new user trips on (issue 8, item 18): the real `warroom` script, real files."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MAJOR, ROOT, warroom_exe
from tui.core.config import load_config


def start(cli) -> str:
    r = cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    return r.out.strip()


# ------------------------------------------------------------------ the demo's exit hint


def _bare_env(tmp_path: Path) -> dict[str, str]:
    """A shell where `warroom` is NOT on PATH (the venv is not activated after make demo)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(PATH="/usr/bin:/bin", HOME=str(tmp_path), TMPDIR=str(tmp_path))
    env["WARROOM_NOW"] = "2026-11-27T19:00:00+00:00"
    return env


def _try_lines(out: str) -> list[str]:
    lines = [line.strip() for line in out.splitlines()]
    return [line.removeprefix("Try:").strip() for line in lines if "WARROOM_DB=" in line]


@pytest.mark.parametrize("where", ["elsewhere", "repo"])
def test_demo_hint_is_a_command_that_works_as_shown(tmp_path, where):
    env = _bare_env(tmp_path)
    exe = warroom_exe()
    cwd = tmp_path if where == "elsewhere" else ROOT
    if where == "repo" and not exe.startswith(str(ROOT) + os.sep):
        pytest.skip("the console script is not inside this checkout")
    p = subprocess.run(
        [exe, "demo", "--print"], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )
    assert p.returncode == 0, p.stderr
    hints = _try_lines(p.stdout)
    assert len(hints) == 2, p.stdout
    if where == "repo":
        assert hints[0].split()[1] == os.path.relpath(exe, ROOT)  # .venv/bin/warroom
    # run the hint exactly as printed, in a shell without the venv on PATH
    shown = subprocess.run(
        ["sh", "-c", hints[0]], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )
    assert shown.returncode == 0, (hints[0], shown.stderr)
    assert "INC-1" in shown.stdout and "MAJOR" in shown.stdout
    db = re.search(r"WARROOM_DB=(\S+)", hints[0]).group(1)
    assert Path(db).is_file() and Path(db).is_relative_to(tmp_path)


# ------------------------------------------------------------------ publish --help and the config


def test_publish_help_says_where_the_config_is_and_shows_one_that_works(cli, tmp_path):
    home = tmp_path / "xdg"
    r = cli.ok("publish", "--help", env={"XDG_CONFIG_HOME": str(home)})
    assert "WARROOM_CONFIG" in r.out and "--config" in r.out
    assert str(home / "warroom" / "config.yaml") in r.out
    example = r.out[r.out.index("  destinations:") :]
    example = example[: example.index("\n\n")]
    path = tmp_path / "example.yaml"
    path.write_text(example + "\n", encoding="utf-8")
    config = load_config(path)  # the example is a valid config, as printed
    assert [d.id for d in config.destinations] == ["status"]
    assert config.destinations[0].api_key_env == "STATUSPAGE_API_KEY"
    assert "WARROOM_CONFIG" in cli.ok("deliver", "--help").out


# ------------------------------------------------------------------ global options anywhere


def test_incident_and_global_options_before_or_after_the_command(cli, tmp_path):
    start(cli)
    r = cli.ok("--incident", "1", "check", "war-room")
    assert r.out.startswith("INC-1: ticked war-room")
    cli.ok("-i", "INC-1", "note", "first")
    other = tmp_path / "other.db"
    cli.ok("start", "-p", str(MAJOR), "-t", "elsewhere", "--db", str(other), "--as", "bob")
    log = cli.ok("log", "--incident", "1", "--db", str(other)).out
    assert "bob opened INC-1 “elsewhere”" in log
    log = cli.ok("--db", str(other), "log", "-i", "1").out
    assert "bob opened" in log
    assert "first" in cli.ok("log").out
    twice = cli.fails("--incident", "1", "check", "war-room", "--incident", "2")
    assert "--incident given twice" in twice.err
    wrong = cli.fails("--incident", "1", "start", "-p", str(MAJOR), "-t", "x")
    assert "not about one incident" in wrong.err
    # a parent's --incident survives its sub-command
    cli.ok("postmortem", "--incident", "1", "edit", "summary", "--text", "hello")


def test_empty_options_are_errors_not_defaults(cli):
    start(cli)
    assert "--next is empty" in cli.fails("posted", "update", "--next", "").err
    assert "--oldest is empty" in cli.fails("queue", "tickets", "3", "--oldest", " ").err
    assert "--db is empty" in cli.fails("--db", "", "list").err
    assert "--config is empty" in cli.fails("draft", "--config", "").err


def test_negative_times_are_taken_as_values(cli):
    start(cli)
    # --oldest -10m: argparse used to say "expected one argument"
    r = cli.ok("queue", "tickets", "40", "--oldest", "-10m")
    assert "the oldest for 10m" in cli.ok("log").out, r.out
    late = cli.fails("posted", "update", "--next", "-10m")
    assert "future" in late.err and "expected one argument" not in late.err
    r = cli.ok("start", "-p", str(MAJOR), "-t", "earlier", "--detected-at", "-25m", "--json").json()
    status = cli.ok("status", "--json", "-i", r["id"]).json()
    assert status["detected_at"] == "2026-11-27T13:35:00-05:00"


def test_playbook_typo_gets_a_did_you_mean(cli):
    r = cli.fails("start", "--playbook", "saas-major-outag", "--title", "x")
    assert "did you mean saas-major-outage?" in r.err
    r = cli.fails("playbook", "check", "minor-degradaton")
    assert "did you mean minor-degradation?" in r.err
    r = cli.fails("start", "--playbook", "zzzz", "--title", "x")
    assert "saas-major-outage" in r.err and "did you mean" not in r.err


# ------------------------------------------------------------------ countdowns that read right


def test_countdown_text_is_never_hours_as_minutes():
    from tui.core.durations import countdown

    assert countdown(71 * 3600 + 59 * 60) == "2d 23h"
    assert countdown(24 * 3600) == "1d 0h"
    assert countdown(5 * 3600 + 12 * 60 + 59) == "5h 12m"
    assert countdown(3600) == "1h 0m"
    assert countdown(3599) == "59:59"
    assert countdown(-125) == "02:05"


def _resolved_db(tmp_path: Path) -> Path:
    from datetime import UTC, datetime, timedelta

    from tui import commands
    from tui.core.clock import FrozenClock
    from tui.core.playbook import load_playbook
    from tui.core.store import Store

    db = tmp_path / "incident.db"
    t0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    clock = FrozenClock(t0)
    with Store(db) as store:
        book = load_playbook(MAJOR)
        inc = commands.start(store, clock, "alice", book, "API down", {"users_affected_pct": 12})
        iid = inc.incident_id
        clock.set(t0 + timedelta(minutes=5))
        commands.record_published(store, clock, "alice", iid, "ack", t0 + timedelta(minutes=35))
        clock.set(t0 + timedelta(minutes=60))
        commands.record_published(store, clock, "alice", iid, "resolved", None)
    return db


@pytest.mark.parametrize(
    ("hours_after", "digits", "word"),
    [
        (1, "2d 23h", "2d 23h LEFT"),
        (68.5, "3h 30m", "3h 30m LEFT"),
        (72.25, "+15:00", "LATE +15:00"),
    ],
)
async def test_post_mortem_countdown_shows_days_and_hours(tmp_path, hours_after, digits, word):
    from datetime import UTC, datetime, timedelta

    from textual.widgets import Digits

    from tests.dashboard_helpers import dashboard, make_app
    from tui.widgets.countdown import UpdateCountdown

    resolved = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    app = make_app(_resolved_db(tmp_path), at=resolved + timedelta(hours=hours_after))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        pane = screen.query_one(UpdateCountdown)
        assert pane.state_word.startswith("POST-MORTEM")
        assert pane.query_one("#countdown-digits", Digits).value == digits
        assert word in str(pane.query_one("#countdown-when").render())


def test_oneline_says_days_and_hours_to_the_post_mortem(cli):
    start(cli)
    cli.ok("posted", "ack", "--next", "30m", now="2026-11-27T19:05:00+00:00")
    cli.ok("posted", "resolved", now="2026-11-27T21:47:00+00:00")
    line = cli.ok("status", "--oneline", now="2026-11-27T22:00:00+00:00").out
    assert "(2d 23h)" in line
    line = cli.ok("status", "--oneline", now="2026-11-30T18:00:00+00:00").out
    assert "(3h 47m)" in line


# ------------------------------------------------------------------ queue +/- : one timeline line


def _queue_presses(tmp_path: Path, steps) -> tuple[list[str], int]:
    """(the timeline's queue lines, how many queue events the log kept)."""
    from datetime import UTC, datetime, timedelta

    from tui import commands
    from tui.core.clock import FrozenClock
    from tui.core.playbook import load_playbook
    from tui.core.state import QUEUE
    from tui.core.store import Store

    t0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    clock = FrozenClock(t0)
    with Store(tmp_path / "q.db") as store:
        iid = commands.start(
            store, clock, "alice", load_playbook(MAJOR), "API down", {"users_affected_pct": 12}
        ).incident_id
        for seconds, actor, channel, depth in steps:
            clock.set(t0 + timedelta(seconds=seconds))
            if channel == "note":
                commands.add_note(store, clock, actor, iid, "in between")
            else:
                commands.set_queue(store, clock, actor, iid, channel, depth, None)
        state = store.state(iid)
        kept = [e for e in store.events(iid) if e.kind == QUEUE]
    lines = [t.text for t in state.timeline if "counted" in t.text]
    return lines, len(kept)


def test_queue_presses_fold_into_one_timeline_line(tmp_path):
    steps = [(10 + i * 5, "alice", "tickets", 40 + i) for i in range(8)]  # 40 … 47
    lines, kept = _queue_presses(tmp_path, steps)
    assert lines == ["alice counted 47 waiting in support tickets (40 \u2192 47)"]
    assert kept == 8  # the event log keeps every press


def test_queue_lines_stay_apart_across_people_channels_pauses_and_other_entries(tmp_path):
    steps = [
        (10, "alice", "tickets", 40),
        (15, "alice", "tickets", 41),
        (20, "bob", "tickets", 42),  # someone else
        (25, "bob", "chat", 3),  # another channel
        (200, "bob", "chat", 4),  # minutes later
        (205, "bob", "note", 0),  # a note in between
        (210, "bob", "chat", 5),
    ]
    lines, kept = _queue_presses(tmp_path, steps)
    assert kept == 6
    assert [line.split(" (")[0] for line in lines] == [
        "alice counted 41 waiting in support tickets",
        "bob counted 42 waiting in support tickets",
        "bob counted 3 waiting in live chat",
        "bob counted 4 waiting in live chat",
        "bob counted 5 waiting in live chat",
    ]
    assert lines[0].endswith("(40 \u2192 41)")


def _timeline_text(widget) -> list[str]:
    return ["".join(seg.text for seg in strip).rstrip() for strip in widget.lines]


async def test_queue_pane_e_and_plus_work_before_any_row_is_highlighted(tmp_path):
    from screens.form import FormScreen
    from tests.dashboard_helpers import dashboard, make_app, seeded_db, wait_for
    from tui.widgets.queues import ChannelQueues
    from tui.widgets.timeline import Timeline

    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("3")
        queues = screen.query_one(ChannelQueues)
        assert app.focused is queues
        assert queues.highlighted_option is not None and not queues.highlighted_option.disabled
        await pilot.press("e")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        assert "Support tickets" in str(app.screen.query_one("#title").render())
        await pilot.press("escape")
        await wait_for(lambda: app.screen is screen, pilot)
        for _ in range(3):
            await pilot.press("plus")
        await wait_for(lambda: screen.state.channels["tickets"].depth == 3, pilot)
        timeline = screen.query_one(Timeline)
        await wait_for(lambda: any("(1 \u2192 3)" in t for t in _timeline_text(timeline)), pilot)
        counted = [t for t in _timeline_text(timeline) if "counted" in t]
        assert len(counted) == 1, counted


# ------------------------------------------------------ every action by name, everywhere


def _palette_keys(app, screen) -> list[set[str]]:
    """For each palette command, the keys named in its title's trailing '(…)'."""
    out = []
    for command in app.get_system_commands(screen):
        match = re.search(r"\(([^()]*)\)$", command.title)
        out.append(set(match.group(1).split(" / ")) if match else set())
    return out


def assert_palette_covers_the_footer(app) -> list[str]:
    """Every binding the footer shows on this screen has a palette command naming its key."""
    screen = app.screen
    keys = _palette_keys(app, screen)
    checked = []
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.show or binding.system or active.node is app or not active.enabled:
            continue
        names = {key, binding.key_display or "", app.get_key_display(binding)} - {""}
        assert any(names & k for k in keys), (type(screen).__name__, key, binding.description)
        checked.append(binding.description)
    assert checked, f"{type(screen).__name__}: no visible binding?"
    return checked


def _command(app, startswith: str):
    return next(c for c in app.get_system_commands(app.screen) if c.title.startswith(startswith))


async def test_palette_lists_every_visible_key_on_every_screen(tmp_path, monkeypatch):
    from screens.confirm import ConfirmScreen
    from screens.form import FormScreen
    from screens.help import HelpScreen
    from screens.outbox import OutboxScreen
    from screens.postmortem import OffersScreen, PostmortemScreen
    from tests.dashboard_helpers import dashboard, make_app, seeded_db, wait_for
    from tui.cli.demo import SAMPLE_CUSTOMERS

    monkeypatch.chdir(tmp_path)
    csv = tmp_path / "customers.csv"
    csv.write_text(SAMPLE_CUSTOMERS, encoding="utf-8")
    app = make_app(seeded_db(tmp_path))
    walked = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        for pane in "12345":  # the dashboard with each pane focused (their keys differ)
            await pilot.press(pane)
            await pilot.pause()
            assert_palette_covers_the_footer(app)
            if pane == "4":
                await pilot.press("escape")
        walked.append("Dashboard")
        for key, kind in [
            ("t", FormScreen),
            ("n", ConfirmScreen),
            ("question_mark", HelpScreen),
            ("o", OutboxScreen),
            ("r", PostmortemScreen),
        ]:
            if kind is ConfirmScreen:  # (n asks only when the phase's items are done)
                app.push_screen(ConfirmScreen("Move on?", "The next phase."))
            else:
                await pilot.press("1", key)
            await wait_for(lambda k=kind: isinstance(app.screen, k), pilot)
            assert_palette_covers_the_footer(app)
            walked.append(kind.__name__)
            _command(app, {"t": "Cancel", "n": "No", "r": "Back"}.get(key, "Close")).callback()
            await wait_for(lambda: app.screen is screen, pilot)
        await pilot.press("f")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        await pilot.press(*str(csv), "ctrl+s")
        await wait_for(lambda: isinstance(app.screen, OffersScreen), pilot)
        assert_palette_covers_the_footer(app)
        walked.append("OffersScreen")
    assert len(walked) == 7


async def test_palette_runs_the_focused_panes_and_the_screens_actions(tmp_path, monkeypatch):
    from screens.form import FormScreen
    from screens.postmortem import PostmortemScreen
    from tests.dashboard_helpers import dashboard, make_app, seeded_db, wait_for

    monkeypatch.chdir(tmp_path)
    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("3")
        _command(app, "+1 (+)").callback()  # the queue pane's key, by name
        await wait_for(lambda: screen.state.channels["tickets"].depth == 1, pilot)
        _command(app, "Edit counts").callback()
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        _command(app, "Cancel").callback()
        await wait_for(lambda: app.screen is screen, pilot)
        await pilot.press("r")
        await wait_for(lambda: isinstance(app.screen, PostmortemScreen), pilot)
        # through the real palette UI: ctrl+p, type, enter
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Export md+html")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(lambda: (tmp_path / "postmortem-INC-1.html").is_file(), pilot)
        assert (tmp_path / "postmortem-INC-1.md").read_text(encoding="utf-8").strip()


async def test_ctrl_e_exports_the_post_mortem_while_typing_in_a_field(tmp_path, monkeypatch):
    from textual.widgets import TextArea

    from screens.postmortem import PostmortemScreen
    from tests.dashboard_helpers import dashboard, make_app, seeded_db, wait_for

    monkeypatch.chdir(tmp_path)
    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        await pilot.press("r")
        await wait_for(lambda: isinstance(app.screen, PostmortemScreen), pilot)
        await pilot.pause()
        assert isinstance(app.focused, TextArea)  # the summary field has the focus
        await pilot.press(*"Disk full", "ctrl+e")
        await wait_for(lambda: (tmp_path / "postmortem-INC-1.md").is_file(), pilot)
        await wait_for(lambda: (tmp_path / "postmortem-INC-1.html").is_file(), pilot)
        assert app.focused.text == "Disk full"  # ctrl+e typed nothing into the field


async def test_start_and_picker_screens_have_their_actions_in_the_palette(tmp_path):
    from datetime import UTC, datetime

    from screens.picker import PickerScreen
    from screens.start import StartScreen
    from tests.dashboard_helpers import make_app, wait_for
    from tui import commands
    from tui.core.clock import FrozenClock
    from tui.core.playbook import load_playbook
    from tui.core.store import Store

    empty = tmp_path / "empty.db"
    app = make_app(empty)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: isinstance(app.screen, StartScreen), pilot)
        await pilot.pause()
        assert_palette_covers_the_footer(app)
        _command(app, "Cancel").callback()  # nothing typed: leaves at once
        await wait_for(lambda: not app.is_running or app.return_code is not None, pilot)
    two = tmp_path / "two.db"
    clock = FrozenClock(datetime(2026, 11, 27, 19, 0, tzinfo=UTC))
    with Store(two) as store:
        for title in ("API down", "Billing slow"):
            book = load_playbook(MAJOR)
            commands.start(store, clock, "alice", book, title, {"users_affected_pct": 12})
    app = make_app(two)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: isinstance(app.screen, PickerScreen), pilot)
        await pilot.pause()
        assert_palette_covers_the_footer(app)
        _command(app, "New incident").callback()
        await wait_for(lambda: isinstance(app.screen, StartScreen), pilot)

"""Pilot tests of the dialogs and the start / picker screens: keys in, dismissed values out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import Button, Input, Label, OptionList, Select, Static

from screens.confirm import ConfirmScreen
from screens.form import Field, FormScreen
from screens.help import HelpScreen
from screens.picker import HEADING, PickerScreen
from screens.start import NO_MATCH, StartScreen
from tests.conftest import MAJOR, MINOR

CSS = Path(__file__).resolve().parents[2] / "tui" / "app" / "modals.tcss"
HOSTILE = "[red]x[/red] [@click=app.quit]boom[/]"


class Host(App):
    """A bare app that pushes one screen and records what it dismisses with."""

    CSS_PATH = CSS

    def __init__(self, make: Callable[[], Screen]) -> None:
        super().__init__()
        self.make = make
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.make(), self.results.append)


def text_of(widget) -> str:
    """The plain text a Static/Label/Button shows (markup would have been consumed)."""
    return widget.render().plain


def all_text(screen: Screen) -> str:
    return "\n".join(text_of(w) for w in screen.query("Static, Label"))


# --------------------------------------------------------------------------- FormScreen


def incident_form(**kw) -> FormScreen:
    fields = [
        Field("title", "Title", placeholder="what broke"),
        Field(
            "severity", "Severity", value="major", choices=(("Major", "major"), ("Minor", "minor"))
        ),
        Field("owner", "Owner", value="alice"),
    ]
    return FormScreen("Edit incident", fields, **kw)


async def test_form_enter_moves_then_submits_on_last_field():
    app = Host(incident_form)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.focused is app.screen.query_one("#field-0", Input)  # first field focused
        await pilot.press(*"DB down", "enter")
        assert app.focused is app.screen.query_one("#field-1", Select)
        await pilot.press("tab")
        assert app.focused is app.screen.query_one("#field-2", Input)
        await pilot.press("end", *"-2", "enter")  # the last field: enter submits
        await pilot.pause()
    assert app.results == [{"title": "DB down", "severity": "major", "owner": "alice-2"}]


async def test_form_ctrl_s_submits_from_anywhere():
    app = Host(incident_form)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"x", "ctrl+s")
        await pilot.pause()
    assert app.results == [{"title": "x", "severity": "major", "owner": "alice"}]


async def test_form_validate_error_keeps_it_open_until_fixed():
    seen: list[dict[str, str]] = []

    def validate(values: dict[str, str]) -> str | None:
        seen.append(values)
        return None if values["title"].strip() else "a title is required"

    app = Host(lambda: incident_form(validate=validate))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert isinstance(app.screen, FormScreen)
        error = app.screen.query_one("#error", Static)
        assert error.display and "a title is required" in text_of(error)
        assert text_of(error).startswith("Error:")  # said in words, not only in red
        await pilot.press(*"ok", "ctrl+s")
        await pilot.pause()
    assert len(seen) == 2
    assert app.results == [{"title": "ok", "severity": "major", "owner": "alice"}]


async def test_form_escape_cancels_with_none():
    app = Host(incident_form)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"abc", "escape")
        await pilot.pause()
    assert app.results == [None]


async def test_form_cancel_button_returns_none():
    app = Host(incident_form)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#cancel")
        await pilot.pause()
    assert app.results == [None]


async def test_form_preview_follows_every_change():
    def preview(values: dict[str, str]) -> str:
        return f"Severity: {values['severity'].upper()} ({values['title'] or '?'})"

    app = Host(lambda: incident_form(preview=preview))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = app.screen.query_one("#preview", Static)
        assert text_of(shown) == "Severity: MAJOR (?)"
        await pilot.press(*"api")
        await pilot.pause()
        assert text_of(shown) == "Severity: MAJOR (api)"
        app.screen.query_one("#field-1", Select).value = "minor"
        await pilot.pause()
        assert text_of(shown) == "Severity: MINOR (api)"


async def test_form_password_field_is_masked():
    app = Host(lambda: FormScreen("Token", [Field("token", "API token", password=True)]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        field = app.screen.query_one("#field-0", Input)
        assert field.password
        await pilot.press(*"s3cret", "enter")
        await pilot.pause()
    assert app.results == [{"token": "s3cret"}]


async def test_form_renders_caller_and_user_text_literally():
    def make() -> FormScreen:
        return FormScreen(
            HOSTILE,
            [
                Field("a", HOSTILE, value=HOSTILE, placeholder=HOSTILE),
                Field("b", "[b]choice[/b]", value="v", choices=((HOSTILE, "v"),)),
            ],
            validate=lambda values: HOSTILE,
            preview=lambda values: HOSTILE,
            submit_label="[red]Go[/red]",
            help_text=HOSTILE,
        )

    app = Host(make)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert text_of(screen.query_one("#title", Static)) == HOSTILE
        assert text_of(screen.query_one("#help", Static)) == HOSTILE
        labels = [text_of(label) for label in screen.query(".field-label").results(Label)]
        assert labels == [HOSTILE, "[b]choice[/b]"]
        assert text_of(screen.query_one("#preview", Static)) == HOSTILE
        assert screen.query_one("#submit", Button).label.plain == "[red]Go[/red]"
        assert HOSTILE in all_text(screen)  # the selected choice shows literally too
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []  # validate() answered with an error, shown literally
        assert text_of(screen.query_one("#error", Static)) == f"Error: {HOSTILE}"
        # nothing became a link: no @click action anywhere in the rendered content
        for widget in screen.query("Static, Label"):
            for span in widget.render().spans:
                assert "@click" not in str(span.style)
        svg = app.export_screenshot()
        assert "[red]x[/red]" in svg
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]
    assert app.return_code is None  # the [@click=app.quit] text never quit the app


async def test_form_escape_closes_an_open_select_first():
    app = Host(incident_form)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        select = app.screen.query_one("#field-1", Select)
        select.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert select.expanded
        await pilot.press("escape")
        await pilot.pause()
        assert not select.expanded and app.results == []
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_form_fits_and_scrolls(size: tuple[int, int]):
    fields = [Field(f"f{i}", f"Field {i}", value=str(i)) for i in range(8)]
    app = Host(lambda: FormScreen("Many fields", fields, preview=lambda v: "Preview line"))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        dialog = screen.query_one("#dialog")
        assert dialog.outer_size.width <= 70
        if size[0] == 80:
            assert dialog.outer_size.width >= 70
        whole = screen.region
        for fixed in ("#title", "#preview", "#submit", "#cancel", "#keys"):
            assert whole.contains_region(screen.query_one(fixed).region), fixed
        for _ in range(7):
            await pilot.press("enter")
        await pilot.pause()
        last = screen.query_one("#field-7", Input)
        assert app.focused is last
        assert dialog.region.contains_region(last.region)  # scrolled into view
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [{f"f{i}": str(i) for i in range(8)}]


async def test_form_rejects_duplicate_field_names():
    with pytest.raises(ValueError):
        FormScreen("x", [Field("a", "A"), Field("a", "A again")])


# --------------------------------------------------------------------------- ConfirmScreen


@pytest.mark.parametrize(
    ("key", "expected"),
    [("y", True), ("enter", True), ("n", False), ("escape", False)],
)
async def test_confirm_keys(key: str, expected: bool):
    app = Host(lambda: ConfirmScreen("Close INC-1?", "This closes the incident."))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
    assert app.results == [expected]


async def test_confirm_buttons_and_literal_text():
    app = Host(lambda: ConfirmScreen(HOSTILE, HOSTILE, yes="[b]Do it[/b]", no="[i]Keep[/i]"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert text_of(screen.query_one("#title", Static)) == HOSTILE
        assert text_of(screen.query_one("#message", Static)) == HOSTILE
        assert screen.query_one("#yes", Button).label.plain == "[b]Do it[/b]"
        assert screen.query_one("#no", Button).label.plain == "[i]Keep[/i]"
        await pilot.click("#no")
        await pilot.pause()
    assert app.results == [False]


# --------------------------------------------------------------------------- HelpScreen

HELP_ROWS = [
    ("Checklist", "space / enter", "Tick or untick the highlighted item"),
    ("Global", "?", "This help"),
    ("Checklist", "x", "Tick or untick (alias)"),
    ("Global", "[b]q[/b]", HOSTILE),
]


@pytest.mark.parametrize("key", ["escape", "q", "question_mark"])
async def test_help_closes(key: str):
    app = Host(lambda: HelpScreen(HELP_ROWS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
    assert app.results == [None]


async def test_help_groups_rows_by_section_literally():
    app = Host(lambda: HelpScreen(HELP_ROWS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        sections = [text_of(w) for w in screen.query(".section").results(Static)]
        assert sections == ["Checklist", "Global"]
        keys = [text_of(w) for w in screen.query(".keys").results(Static)]
        assert keys == ["space / enter", "x", "?", "[b]q[/b]"]
        assert HOSTILE in [text_of(w) for w in screen.query(".description").results(Static)]
        assert screen.query_one(".keys").region.width == 18


async def test_help_scrolls_at_80x24():
    rows = [("Section", f"key {i}", f"description {i}") for i in range(60)]
    app = Host(lambda: HelpScreen(rows))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.screen.query_one("#dialog")
        assert dialog.max_scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert dialog.scroll_y > 0
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


# --------------------------------------------------------------------------- PickerScreen

INCIDENTS = [
    ("inc-1", "inc-1  MAJOR  Checkout down  [red]x[/red]"),
    ("inc-2", "inc-2  MINOR  Slow search"),
]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["enter"], "inc-1"),
        (["down", "enter"], "inc-2"),
        (["n"], "new"),
        (["q"], None),
        (["escape"], None),
    ],
)
async def test_picker_keys(keys: list[str], expected: str | None):
    app = Host(lambda: PickerScreen(INCIDENTS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
    assert app.results == [expected]


async def test_picker_shows_heading_and_literal_summaries():
    app = Host(lambda: PickerScreen(INCIDENTS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert text_of(screen.query_one("#heading", Static)) == HEADING
        options = screen.query_one("#incidents", OptionList)
        prompts = [options.get_option_at_index(i).prompt.plain for i in range(2)]
        assert prompts == [summary for _, summary in INCIDENTS]
        assert "[red]x[/red]" in app.export_screenshot()


# --------------------------------------------------------------------------- StartScreen


async def loaded(app: Host, pilot) -> StartScreen:
    """Wait for the playbook worker and for the screen to have built its metric inputs."""
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, StartScreen)
    await app.workers.wait_for_complete()
    for _ in range(50):  # a bounded number of event-loop turns, no clock involved
        if screen.loaded:
            break
        await pilot.pause()
    assert screen.loaded
    return screen


def preview_of(screen: StartScreen) -> str:
    return text_of(screen.query_one("#preview", Static))


async def test_start_major_preview_and_submit():
    app = Host(lambda: StartScreen([MAJOR, MINOR]))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(app, pilot)
        assert screen.book is not None and screen.book.name == "SaaS major outage"
        assert app.focused is screen.query_one("#title", Input)
        await pilot.press(*"Checkout down", "enter")  # enter: on to the first metric
        assert app.focused is screen.query_one("#metric-users_affected_pct", Input)
        await pilot.press(*"12")
        await pilot.pause()
        preview = preview_of(screen)
        assert "MAJOR" in preview
        assert preview.startswith("Severity: MAJOR — protocol full: Immediate acknowledgement → ")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [
        {"playbook": MAJOR, "title": "Checkout down", "metrics": {"users_affected_pct": 12}}
    ]


async def test_start_invalid_metric_shows_error_and_stays():
    app = Host(lambda: StartScreen([MAJOR, MINOR]))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press(*"Checkout down", "enter", *"lots")
        await pilot.pause()
        assert "users_affected_pct" in preview_of(screen)
        assert "must be a number" in preview_of(screen)
        assert "MAJOR" not in preview_of(screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert isinstance(app.screen, StartScreen)
        error = screen.query_one("#error", Static)
        assert error.display and "must be a number" in text_of(error)
        # out of range is refused too, then a fixed value goes through
        await pilot.press(*["backspace"] * 4, *"150")
        await pilot.pause()
        assert "0 to 100" in preview_of(screen)
        await pilot.press(*["backspace"] * 3, *"50", "ctrl+s")
        await pilot.pause()
    assert app.results == [
        {"playbook": MAJOR, "title": "Checkout down", "metrics": {"users_affected_pct": 50}}
    ]


async def test_start_missing_title_does_not_dismiss():
    app = Host(lambda: StartScreen([MAJOR]))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(app, pilot)
        screen.query_one("#metric-users_affected_pct", Input).focus()
        await pilot.press(*"12")
        await pilot.pause()
        assert "MAJOR" in preview_of(screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert "title is required" in text_of(screen.query_one("#error", Static))
        assert app.focused is screen.query_one("#title", Input)  # sent back to the title
        await pilot.press(*"   ", "ctrl+s")  # blanks are no title either
        await pilot.pause()
        assert app.results == []


async def test_start_switching_playbook_rebuilds_metrics_and_keeps_values():
    app = Host(lambda: StartScreen([MAJOR, MINOR]))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press(*"Search slow", "enter", *"3")
        await pilot.pause()
        assert "Severity: MINOR" in preview_of(screen)  # major playbook: 0 < 3 < 5
        assert screen.query("#metric-customers_affected")  # a major-only metric
        screen.query_one("#playbook", Select).value = MINOR
        await pilot.pause()
        await pilot.pause()
        assert screen.book is not None and screen.book.name == "Minor degradation"
        assert not screen.query("#metric-customers_affected")
        assert screen.query_one("#metric-users_affected_pct", Input).value == "3"
        assert "Severity: ELEVATED — protocol standard" in preview_of(screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [
        {"playbook": MINOR, "title": "Search slow", "metrics": {"users_affected_pct": 3}}
    ]


async def test_start_no_matching_level_does_not_dismiss(tmp_path: Path):
    text = MAJOR.read_text(encoding="utf-8")
    strict = text.replace(
        "  - id: watch\n    title: WATCH\n    protocol: light\n    when: always\n", ""
    )
    assert strict != text
    book = tmp_path / "strict.yaml"
    book.write_text(strict, encoding="utf-8")
    app = Host(lambda: StartScreen([book]))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(app, pilot)
        assert screen.book is not None, text_of(screen.query_one("#problems", Static))
        await pilot.press(*"Nothing yet", "ctrl+s")
        await pilot.pause()
        assert preview_of(screen) == NO_MATCH
        assert app.results == []
        assert "no severity level matches" in text_of(screen.query_one("#error", Static))


async def test_start_broken_playbook_shows_first_problem_literally(tmp_path: Path):
    bad = tmp_path / "bad[b]x[@click=app.quit].yaml"
    bad.write_text("warroom_playbook: 1\nname: [unclosed\n", encoding="utf-8")
    app = Host(lambda: StartScreen([bad, MAJOR]))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(app, pilot)
        problems = text_of(screen.query_one("#problems", Static))
        assert problems.startswith("Playbook problem: ")
        assert "bad[b]x[@click=app.quit].yaml:" in problems
        assert len(problems.splitlines()) == 1  # the first problem line only
        # the good playbook is still offered and chosen
        assert screen.book is not None and screen.book.name == "SaaS major outage"


async def test_start_without_usable_playbook_cannot_start(tmp_path: Path):
    app = Host(lambda: StartScreen([tmp_path / "missing.yaml"]))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(app, pilot)
        assert screen.book is None
        assert "No usable playbook" in text_of(screen.query_one("#problems", Static))
        await pilot.press(*"Title", "ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert "choose a playbook" in text_of(screen.query_one("#error", Static)).lower()


async def test_start_q_types_in_inputs_but_cancels_elsewhere():
    app = Host(lambda: StartScreen([MAJOR]))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press(*"qq")
        assert screen.query_one("#title", Input).value == "qq"
        assert app.results == []
        screen.query_one("#playbook", Select).focus()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # "qq" was typed: ask first
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [None]


async def test_start_escape_cancels_at_once_when_nothing_was_typed():
    app = Host(lambda: StartScreen([MAJOR]))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_start_escape_asks_before_throwing_away_what_was_typed():
    app = Host(lambda: StartScreen([MAJOR]))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press(*"API down", "enter", *"12", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Discard" in all_text(app.screen)
        await pilot.press("n")  # keep editing: everything is still there
        await pilot.pause()
        assert app.screen is screen and app.results == []
        assert screen.query_one("#title", Input).value == "API down"
        assert screen.query_one("#metric-users_affected_pct", Input).value == "12"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [None]


async def test_start_title_is_literal_and_cleaned():
    app = Host(lambda: StartScreen([MAJOR]))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(app, pilot)
        await pilot.press(*"[red]x[/red]", "ctrl+s")
        await pilot.pause()
    assert app.results == [{"playbook": MAJOR, "title": "[red]x[/red]", "metrics": {}}]

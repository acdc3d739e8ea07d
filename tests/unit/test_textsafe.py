"""The one text-safety function, the safe editors, the terminal guard, and a scan that keeps it so.

The end-to-end proof (a real terminal watched while hostile data is shown) is
tests/e2e/test_textsafety_tmux.py; these tests pin each piece and make sure a new
screen cannot put data on the terminal around them.
"""

from __future__ import annotations

import re

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.strip import Strip

from tests.conftest import ROOT
from tui.core.textsafe import clean, clean_line, safe
from tui.widgets._text import SafeInput, SafeTextArea, guard_terminal

HOSTILE = [
    "\x1b]0;TITLE\x07",  # OSC 0 (BEL)
    "\x1b]52;c;UE1DTElQCg==\x07",  # OSC 52 clipboard
    "\x1b]2;TITLE\x1b\\",  # OSC 2 (ST)
    "\x1bkNAME\x1b\\",  # screen/tmux window name
    "\x1bP+q544e\x1b\\",  # DCS
    "\x1bPtmux;\x1b\x1b]52;c;QQ==\x07\x1b\\",  # tmux passthrough of a clipboard write
    "\x1b[2J",
    "\x1b[?1049l",
    "\x9b31m",  # 8-bit CSI
    "\x9d0;TITLE\x07",  # 8-bit OSC
    "\x1b(0",  # charset switch
    "\x1bc",  # full reset
    "\x07\x08\x00\x7f\x85",
]


@pytest.mark.parametrize("bad", HOSTILE)
def test_safe_removes_every_terminal_control(bad):
    out = safe(f"before {bad} after")
    assert out == "before  after", repr(out)
    assert re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out) is None
    assert safe(out) == out and safe(f"x{bad}") != f"x{bad}"


def test_safe_keeps_text_and_lines_and_is_idempotent():
    text = "Zahlungen schlagen fehl — 決済 ✓\nline two\twith tab\r\nthree"
    out = safe(text)
    assert out == "Zahlungen schlagen fehl — 決済 ✓\nline two    with tab\nthree"
    assert safe(out) == out
    assert clean(text) == out
    assert clean_line(text) == "Zahlungen schlagen fehl — 決済 ✓ line two    with tab three"
    assert "\n" not in safe("a\u2028b\nc", one_line=True)


def test_an_unterminated_string_ends_at_the_line_end_not_the_text_end():
    assert safe("Hello \x1b]0;oops\nrest of the message") == "Hello \nrest of the message"


def test_bidi_overrides_and_lone_surrogates():
    assert safe("admin\u202e\u2066txt.exe\u2069") == "admintxt.exe"
    assert safe("bad \ud800 half") == "bad \ufffd half"
    safe("bad \ud800 half").encode("utf-8")  # a terminal can take it


def test_terminal_guard_strips_controls_from_rendered_lines():
    guard_terminal()
    guard_terminal()  # twice is once
    console = Console(color_system="truecolor", force_terminal=True)
    hostile = Strip([Segment("x \x1b]0;TITLE\x07y\x1b[2J", Style(bold=True)), Segment(" z")])
    plain = Strip([Segment("x y", Style(bold=True)), Segment(" z")])
    assert hostile.render(console) == plain.render(console)
    assert "\x07" not in hostile.render(console) and "]0;" not in hostile.render(console)


class Editors(App):
    def compose(self):
        yield SafeTextArea("area \x1b]0;T\x07one", id="area")
        yield SafeInput(value="input \x1b]52;c;QQ==\x07one", placeholder="p\x1b[2Jh", id="input")


async def test_safe_editors_hold_only_safe_text_however_it_arrives():
    from textual import events

    app = Editors()
    async with app.run_test() as pilot:
        area = app.query_one("#area", SafeTextArea)
        field = app.query_one("#input", SafeInput)
        assert area.text == "area one"
        assert field.value == "input one" and field.placeholder == "ph"
        area.load_text("load \x1b[?1049l\x1bkN\x1b\\two")
        assert area.text == "load two"
        area.text = "set \x9d0;T\x07three"
        assert area.text == "set three"
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.pause()
        area.post_message(events.Paste(" pasted\x1b]0;T\x07!"))
        await pilot.pause()
        assert "\x1b" not in area.text and area.text.startswith("set three pasted!")
        area.insert("\x07ins")
        assert "\x07" not in area.text and area.text.endswith("ins")
        field.value = "typed \x1b[31mred"
        assert field.value == "typed red"
        field.focus()
        await pilot.pause()
        field.post_message(events.Paste("\x1b]0;T\x07paste\nsecond"))
        await pilot.pause()
        assert "\x1b" not in field.value and "paste" in field.value


# ------------------------------------------------------------------- the structural check

SCANNED = [
    *sorted((ROOT / "screens").glob("*.py")),
    *sorted((ROOT / "tui" / "widgets").glob("*.py")),
    *sorted((ROOT / "tui" / "app").rglob("*.py")),
]
ALLOWED = {ROOT / "tui" / "widgets" / "_text.py"}  # where the safe editors are defined

RAW = [
    # an editor made from Textual's own classes would show stored text raw
    (re.compile(r"(?<![\w.])(TextArea|Input)\("), "use SafeTextArea / SafeInput"),
    (re.compile(r"\bmarkup\s*=\s*True"), "data is never markup"),
    # a Static/Label/update given an f-string parses it as markup and skips safe()
    (re.compile(r"\b(Static|Label|update|write)\(\s*f[\"']"), "wrap in literal()/Text(clean())"),
]


def test_no_screen_or_widget_bypasses_the_safe_editors():
    assert len(SCANNED) > 10
    problems = []
    for path in SCANNED:
        if path in ALLOWED:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            for pattern, fix in RAW:
                if pattern.search(code):
                    problems.append(f"{path.relative_to(ROOT)}:{n}: {fix}: {line.strip()}")
    assert not problems, "\n".join(problems)


def test_the_scan_would_catch_a_raw_editor():
    # the check itself works: each pattern finds what it is meant to find
    samples = ['yield TextArea(text, id="x")', "return Input(value=v)", 'Static(f"{x}")']
    for sample, (pattern, _) in zip(samples, [RAW[0], RAW[0], RAW[2]], strict=True):
        assert pattern.search(sample), sample
    assert not RAW[0][0].search("yield SafeTextArea(t)") and not RAW[0][0].search(
        "TextArea.Changed"
    )


def test_the_app_installs_the_guard_and_cleans_notifications():
    source = (ROOT / "tui" / "app" / "app.py").read_text()
    assert "guard_terminal()" in source
    from tui.app.app import WarroomApp

    assert WarroomApp.notify is not App.notify
    assert "validate_title" in WarroomApp.__dict__ and "validate_sub_title" in WarroomApp.__dict__

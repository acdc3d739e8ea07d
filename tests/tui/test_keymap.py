"""One action table: bindings, ``?`` help and the palette agree, and a user's keymap moves keys.

The table is :mod:`tui.core.actions`; the widgets' and screens' BINDINGS are
made from it; help and palette read it with the keymap of the real config
loader. Pilot drives a real dashboard on a real SQLite file.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import shlex
import subprocess
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.command import CommandList, CommandPalette

import screens
import tui.widgets
from screens.dashboard import Dashboard
from screens.form import FormScreen
from screens.help import HelpScreen
from tests.conftest import warroom_exe
from tests.dashboard_helpers import dashboard, make_app, seeded_db, wait_for
from tui.core.actions import (
    ACTIONS,
    BY_ID,
    DASHBOARD_SCOPES,
    SCOPES,
    clashes,
    help_rows,
    normalize_key,
)
from tui.core.config import ConfigError, load_config


def _our_classes() -> list[type]:
    """Every class in screens/, tui/widgets/ and the app that declares BINDINGS itself."""
    modules = [importlib.import_module("tui.app.app")]
    for package in (screens, tui.widgets):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            modules.append(importlib.import_module(info.name))
    found = []
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "BINDINGS" in cls.__dict__:
                found.append(cls)
    return found


def test_every_binding_is_an_action_of_the_table_and_every_action_is_bound():
    classes = _our_classes()
    assert len(classes) > 12, classes
    bound: set[str] = set()
    for cls in classes:
        for binding in Binding.make_bindings(cls.BINDINGS):
            where = f"{cls.__name__}: {binding.key} -> {binding.action}"
            assert binding.id in BY_ID, f"{where} has no id in the action table"
            action = BY_ID[binding.id]
            assert binding.action == action.run, where
            assert normalize_key(binding.key) in {normalize_key(k) for k in action.keys}, where
            assert binding.description == action.label, where
            bound.add(action.id)
    assert bound == set(BY_ID), f"in the table but bound nowhere: {set(BY_ID) - bound}"
    assert {a.scope for a in ACTIONS} == set(SCOPES)


def test_the_default_keys_never_clash_and_help_lists_every_dashboard_action():
    assert clashes({}) == []
    rows = help_rows({})
    described = {description for _, _, description in rows}
    for action in ACTIONS:
        if action.scope in DASHBOARD_SCOPES:
            assert action.description in described, action.id
    # the key that help used to forget
    assert ("Draft", "ctrl+n", BY_ID["draft.next_blank"].description) in rows


# ---------------------------------------------------------------- the config's keymap


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("keymap", "where", "says"),
    [
        ("  publsh: ctrl+u\n", ":2:3: ", "unknown action 'publsh' in keymap"),
        ("  publish: ctrl+\n", ":2:12: ", "keymap publish: 'ctrl+' is not a key"),
        ("  publish: [p, esc]\n", ":2:16: ", "keymap publish: 'esc' is not a key"),
        ("  note: ctrl+p\n", ":2:9: ", "ctrl+p is already the key of 'palette'"),
        ("  publish: s\n", ":2:12: ", "s is already the key of 'checklist.skip'"),
    ],
)
def test_a_bad_keymap_is_one_located_error(tmp_path, keymap, where, says):
    config = write(tmp_path / "config.yaml", "keymap:\n" + keymap)
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert info.value.keymap
    [line] = str(info.value).splitlines()
    assert line.startswith(str(config) + where) and says in line, line


def test_keys_that_only_share_a_key_across_dialogs_are_fine(tmp_path):
    config = write(
        tmp_path / "config.yaml",
        "keymap:\n  publish: P\n  help: [h, '?']\n  checklist: 9\n  outbox.retry: ctrl+r\n",
    )
    keymap = load_config(config).keymap
    assert keymap == {
        "publish": ("P",),
        "help": ("h", "question_mark"),
        "checklist": ("9",),
        "outbox.retry": ("ctrl+r",),  # ctrl+r is the draft's too, never live at once
    }


def test_the_dashboard_refuses_to_start_on_a_bad_keymap(tmp_path):
    """On a real terminal (a pty, by script(1)): exit 2, the one-line error, no dashboard."""
    config = write(tmp_path / "config.yaml", "keymap:\n  nope: x\n")
    command = shlex.join([warroom_exe(), "--config", str(config)])
    env = {**os.environ, "WARROOM_DB": str(tmp_path / "incident.db"), "TERM": "xterm"}
    p = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    out = p.stdout.replace("\r", "")
    assert p.returncode == 2, out
    assert f"{config}:2:3: unknown action 'nope' in keymap" in out
    assert "Traceback" not in out


# ------------------------------------------------------------------ Pilot: keys that work


def help_keys(app) -> dict[str, str]:
    """description -> keys, as the help screen shows them."""
    from textual.widgets import Static

    screen = app.screen
    keys = [w.render().plain for w in screen.query(".keys").results(Static)]
    texts = [w.render().plain for w in screen.query(".description").results(Static)]
    return dict(zip(texts, keys, strict=True))


async def test_a_remapped_key_works_the_old_one_does_not_and_help_and_palette_say_so(tmp_path):
    config = load_config(write(tmp_path / "config.yaml", "keymap:\n  help: h\n"))
    app = make_app(seeded_db(tmp_path), config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        await pilot.press("question_mark")  # the old key: nothing
        await pilot.pause()
        assert isinstance(app.screen, Dashboard)
        await pilot.press("h")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), pilot)
        shown = help_keys(app)
        assert shown[BY_ID["help"].description] == "h"
        assert shown[BY_ID["draft.next_blank"].description] == "ctrl+n"
        assert len(shown) == len(help_rows({}))  # the table, row for row
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, Dashboard), pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert f"{BY_ID['help'].description} (h)" in titles


async def test_the_palette_lists_the_tables_actions_and_runs_the_one_chosen(tmp_path):
    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        titles = [c.title for c in app.get_system_commands(screen)]
        for action in ACTIONS:
            if action.scope == "dashboard" or action.run.startswith("screen."):
                assert any(t.startswith(action.description + " (") for t in titles), action.id
        await pilot.press("4")  # the draft pane: its keys join the palette
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(screen)]
        assert f"{BY_ID['draft.purpose'].label} (^t)" in titles  # (ctrl+n: while editing)
        # the palette itself, as a user works it: ctrl+p, a few words, enter
        await pilot.press("ctrl+p")
        await wait_for(lambda: isinstance(app.screen, CommandPalette), pilot)
        await pilot.press(*"add a note")
        commands = app.screen.query_one(CommandList)
        await wait_for(lambda: commands.option_count > 0, pilot)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)

"""``?`` help and the command palette, both read from the action table with the user's keymap.

Help lists the dashboard's actions, its panes' and the app's (with the keys the
keymap gave them) beside Textual's own navigation keys. The palette offers, on
the dashboard, every dashboard action and every pane action that acts on the
screen (``screen.x``), whichever pane is focused; then, on any screen, each
other action whose key is live there (the focused pane's, a dialog's), by its
footer label (a binding's description is the table's label). A command runs
the same action the key does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from screens.dashboard import Dashboard
from tui.core.actions import ACTIONS, PANE_SCOPES, help_rows, key_display, keys_of

Keymap = Mapping[str, tuple[str, ...]]


def help_table(keymap: Keymap) -> list[tuple[str, str, str]]:
    """(section, keys, description) rows for :class:`screens.help.HelpScreen`."""
    return help_rows(keymap)


def system_commands(app: App[Any], screen: Screen[Any], keymap: Keymap) -> Iterable[SystemCommand]:
    """The palette's commands for ``screen`` (Textual's own come first, from the app)."""
    seen: set[tuple[int, str]] = set()
    if isinstance(screen, Dashboard):
        for action in ACTIONS:
            on_screen = action.scope == "dashboard" or (
                action.scope in PANE_SCOPES and action.run.startswith("screen.")
            )
            if not on_screen:
                continue
            run = action.run.removeprefix("screen.")
            seen.add((id(screen), action.run))
            seen.add((id(screen), run))
            keys = " / ".join(key_display(k) for k in keys_of(action, keymap))
            yield SystemCommand(
                f"{action.description} ({keys})",
                action.section,
                lambda a=run: app.call_later(screen.run_action, a),
            )
    # the rest: the focused pane's keys, a dialog's, as live on this screen now
    found: dict[tuple[int, str], tuple[Any, Binding, list[str]]] = {}
    for key, active in screen.active_bindings.items():
        binding, node = active.binding, active.node
        if node is app or binding.system or not binding.description:
            continue  # the app's own (quit, palette, keys) come from Textual
        if not (binding.show or binding.id):
            continue  # a text field's cursor keys: not actions (ours all have an id)
        if not active.enabled or (id(node), binding.action) in seen:
            continue
        if binding.action.startswith("screen.") and (id(screen), binding.action) in seen:
            continue
        shown = binding.key_display or app.get_key_display(binding) or key
        entry = found.setdefault((id(node), binding.action), (node, binding, []))
        if shown not in entry[2]:
            entry[2].append(shown)
    for node, binding, shown_keys in found.values():
        yield SystemCommand(
            f"{binding.description} ({' / '.join(shown_keys)})",
            binding.tooltip or f"a key on this screen ({type(node).__name__})",
            lambda n=node, a=binding.action: app.call_later(app.run_action, a, n),
        )

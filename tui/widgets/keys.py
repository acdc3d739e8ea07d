"""Textual bindings, made from the action table: a widget or screen never writes its own.

``BINDINGS = bindings("dashboard")`` gives one :class:`~textual.binding.Binding`
per action of that scope in :data:`tui.core.actions.ACTIONS`, with the action's
id as the binding id -- the name a user's ``keymap:`` remaps it by (Textual's
``App.set_keymap``). Its default keys, footer label and visibility come from
the table, so the footer, ``?`` help and the palette cannot drift apart.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from tui.core.actions import ACTIONS, SCOPES


def bindings(scope: str) -> list[BindingType]:
    """The bindings of every action in ``scope``, in the table's order."""
    if scope not in SCOPES:
        raise ValueError(f"no scope {scope!r} in the action table")
    return [
        Binding(
            ",".join(action.keys),
            action.run,
            action.label,
            show=action.show,
            key_display=action.key_display,
            priority=action.priority,
            id=action.id,
        )
        for action in ACTIONS
        if action.scope == scope
    ]

"""``keymap:`` in the config: action ids to keys, checked against the action table.

An unknown action id, a string that is not a key, or two actions on one key
where both are live is a problem at its place (:mod:`tui.core.actions`).
"""

from __future__ import annotations

from collections.abc import Callable

from tui.core import actions
from tui.core.yamlsafe import Map, Node, Scalar, Seq


def parse_keymap(node: Node | None, err: Callable[[Node, str], None]) -> dict[str, tuple[str, ...]]:
    """``keymap:`` as action id -> keys (normalized), each problem told to ``err`` at its place."""
    if node is None:
        return {}
    if not isinstance(node, Map):
        err(node, "keymap must map an action id to a key or a list of keys (keymap: {publish: P})")
        return {}
    keymap: dict[str, tuple[str, ...]] = {}
    where: dict[str, Node] = {}
    for name, value in node.items:
        action_id = str(name.value)
        if action_id not in actions.BY_ID:
            err(name, f"unknown action {name.text!r} in keymap (the README lists the action ids)")
            continue
        if action_id in keymap:
            err(name, f"action {action_id!r} is in the keymap twice")
            continue
        items = value.items if isinstance(value, Seq) else (value,)
        keys: list[str] = []
        for item in items:
            raw = item.value if isinstance(item, Scalar) else None
            if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 9:
                raw = str(raw)  # keymap: {checklist: 1}
            if not isinstance(raw, str):
                err(item, f"the key for {action_id!r} must be a key name such as ctrl+p")
                continue
            try:
                keys.append(actions.normalize_key(raw))
            except actions.KeyError_ as exc:
                err(item, f"keymap {action_id}: {exc}")
        if not items:
            err(value, f"keymap {action_id}: give at least one key")
        elif len(keys) == len(items):
            keymap[action_id] = tuple(dict.fromkeys(keys))
            where[action_id] = value
    for action_id, key, other in actions.clashes(keymap, changed=keymap):
        err(
            where[action_id],
            f"keymap {action_id}: {key} is already the key of {other!r} where both apply "
            f"(give {other!r} another key too, or choose another)",
        )
    return keymap

"""Every key of the dashboard and its dialogs, in one table: bindings, ``?`` help, the palette.

Each :class:`Action` names its id (what a user writes under ``keymap:`` in the
config), its default key(s), what it does (the help and palette text), where it
applies (a scope: the dashboard, one of its panes, a dialog, or everywhere) and
whether the footer shows it. The widgets' and screens' ``BINDINGS`` are built
from this table (:func:`tui.widgets.keys.bindings`), the help screen and the
command palette read it (:mod:`tui.app.palette`), and a test checks that no
binding exists outside it.

This module is plain data and checks, free of Textual, so the config loader can
refuse a keymap that names an unknown action, a key that does not exist, or two
actions on one key where both are live, with ``FILE:LINE:COL`` like any other
config problem.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

# Where an action applies, and which other scopes are live at the same time
# (a key may not be taken twice across them: the first would hide the second).
SCOPES: Final[dict[str, tuple[str, ...]]] = {
    "global": (),
    "dashboard": ("global",),
    "checklist": ("dashboard", "global"),
    "queues": ("dashboard", "global"),
    "draft": ("dashboard", "global"),
    "picker": ("global",),
    "start": ("global",),
    "form": ("global",),
    "confirm": ("global",),
    "publish": ("global",),
    "approve": ("global",),
    "outbox": ("global",),
    "versions": ("global",),
    "postmortem": ("global",),
    "offers": ("global",),
    "offers-refused": ("global",),
    "help": ("global",),
    "reply": ("global",),
}
# the scopes whose keys the ``?`` help lists: the dashboard's, its panes', the app's
DASHBOARD_SCOPES: Final[tuple[str, ...]] = ("dashboard", "checklist", "queues", "draft", "global")
PANE_SCOPES: Final[tuple[str, ...]] = ("checklist", "queues", "draft")
SECTION_ORDER: Final[tuple[str, ...]] = (
    "Panes",
    "Checklist",
    "Queues",
    "Draft",
    "Publish",
    "Amends",
    "Incident",
    "App",
)


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a key does.

    ``run`` is the Textual action string the binding calls on the widget or
    screen that owns the scope (``screen.x`` runs on the screen). ``label`` is
    the footer's word, ``text`` the help and palette sentence (the label if
    empty). ``key_display`` overrides how the footer writes the first key.
    """

    id: str
    keys: tuple[str, ...]
    run: str
    label: str
    scope: str
    section: str = ""
    text: str = ""
    show: bool = True
    priority: bool = False
    key_display: str | None = None

    @property
    def description(self) -> str:
        return self.text or self.label


def _a(
    id: str,
    keys: str,
    run: str,
    label: str,
    scope: str,
    section: str = "",
    text: str = "",
    *,
    show: bool = True,
    priority: bool = False,
    key_display: str | None = None,
) -> Action:
    return Action(
        id, tuple(keys.split(",")), run, label, scope, section, text, show, priority, key_display
    )


ACTIONS: Final[tuple[Action, ...]] = (
    # everywhere -------------------------------------------------------------------------
    _a("palette", "ctrl+p", "command_palette", "palette", "global", "App",
       "Command palette: every action by name", show=False, priority=True),
    _a("force_quit", "ctrl+c", "quit", "Quit", "global", "App",
       "Quit at once, from any screen", show=False, priority=True),
    # the dashboard ---------------------------------------------------------------------
    _a("checklist", "1", "pane('checklist')", "Checklist", "dashboard", "Panes", "Phase checklist"),
    _a("countdown", "2", "pane('countdown')", "Countdown", "dashboard", "Panes",
       "Update countdown", show=False),
    _a("queues", "3", "pane('queues')", "Queues", "dashboard", "Panes", "Channel queues",
       show=False),
    _a("draft", "4", "pane('draft')", "Draft", "dashboard", "Panes", "Draft editor"),
    _a("timeline", "5", "pane('timeline')", "Timeline", "dashboard", "Panes", "Timeline",
       show=False),
    _a("next_phase", "n", "next_phase", "Next phase", "dashboard", "Incident",
       "Move to the next phase"),
    _a("record_update", "u", "record_update", "Update posted", "dashboard", "Incident",
       "Record a message published by hand"),
    _a("assign", "a", "assign", "Roles", "dashboard", "Incident", "Assign a role"),
    _a("metrics", "m", "metrics", "Metrics", "dashboard", "Incident", "Edit impact metrics"),
    _a("note", "t", "note", "Note", "dashboard", "Incident", "Add a note to the timeline"),
    _a("publish", "p", "publish", "Publish", "dashboard", "Publish",
       "Check and publish the draft to the status page"),
    _a("approve", "v", "approve", "Approve", "dashboard", "Publish",
       "Approve the message waiting for you (two-person rule)", show=False),
    _a("outbox", "o", "outbox", "Outbox", "dashboard", "Publish",
       "Outbox: pending, sent and failed deliveries"),
    _a("republish", "d", "republish", "Send to the others", "dashboard", "Publish",
       "A failed or stuck message: publish it to the destinations that have not got it",
       show=False),
    _a("postmortem", "r", "postmortem", "Post-mortem", "dashboard", "Amends",
       "Post-mortem: write it, export it, publish it", show=False),
    _a("offers", "f", "offers", "Offers", "dashboard", "Amends",
       "Recovery offers from a billing export", show=False),
    _a("bell", "b", "toggle_bell", "Bell", "dashboard", "Incident",
       "Terminal bell on/off for a late update", show=False),
    _a("save_draft", "ctrl+s", "save_draft", "Save draft", "dashboard", "Draft",
       "Save the draft now", show=False),
    _a("leave_editor", "escape", "leave_editor", "Leave editor", "dashboard", "Draft",
       "Leave editing: saved, the draft free for others, keys are keys again", show=False),
    _a("help", "question_mark", "help", "Help", "dashboard", "App", "This help",
       key_display="?"),
    _a("quit", "q", "app.quit", "Quit", "dashboard", "App",
       "Quit (nothing is lost: everything is in the database)"),
    # the dashboard's panes, when focused -----------------------------------------------
    _a("checklist.toggle", "space,x", "toggle_item", "Tick/untick", "checklist", "Checklist",
       "Tick or untick the highlighted item"),
    _a("checklist.skip", "s", "skip", "Skip (reason)", "checklist", "Checklist",
       "Skip the highlighted item, with a reason (n needs each ticked or skipped)"),
    _a("queues.toggle", "space", "toggle_item", "Action on/off", "queues", "Queues",
       "Turn the highlighted action on or off"),
    _a("queues.edit", "e", "edit", "Edit counts", "queues", "Queues", "Edit the channel's counts"),
    _a("queues.more", "plus,equals_sign", "adjust(1)", "+1", "queues", "Queues",
       "One more waiting", key_display="+"),
    _a("queues.less", "minus,underscore", "adjust(-1)", "-1", "queues", "Queues",
       "One fewer waiting", key_display="-"),
    _a("queues.reply", "c", "reply", "Reply", "queues", "Queues",
       "The channel's canned reply: read it, copy it (tmux buffer, OSC 52) or write a file"),
    _a("queues.swamped", "w", "turn_on_swamped", "Swamped: on", "queues", "Queues",
       "Turn on the swamped action of a channel at its playbook's swamped_at (SWAMPED)",
       show=False),  # (the SWAMPED line names the key when it applies)
    _a("draft.edit", "enter", "screen.edit_draft", "Edit", "draft", "Draft",
       "Edit the draft, pane 4: one editor at a time, or take over"),
    _a("draft.versions", "ctrl+o", "screen.draft_versions", "Versions", "draft", "Draft",
       "Every saved version of the draft; enter restores one"),
    _a("draft.purpose", "ctrl+t", "next_purpose", "Other message", "draft", "Draft",
       "Switch to another message (ack, update, resolution\u2026)"),
    _a("draft.next_blank", "ctrl+n", "next_blank", "Next blank", "draft", "Draft",
       "Select the next [[ blank ]] in the draft: typing replaces it"),
    _a("draft.reset", "ctrl+r", "from_template", "Reset from template", "draft", "Draft",
       "Reset the draft from its template"),
    # dialogs ---------------------------------------------------------------------------
    _a("picker.new", "n", "new", "New incident", "picker"),
    _a("picker.quit", "q,escape", "quit_picker", "Quit", "picker"),
    _a("start.submit", "ctrl+s", "submit", "Start", "start"),
    _a("start.cancel", "escape,q", "cancel", "Cancel", "start"),
    _a("form.submit", "ctrl+s", "submit", "Submit", "form"),
    _a("form.cancel", "escape", "cancel", "Cancel", "form"),
    _a("confirm.yes", "y,enter", "answer(True)", "Yes", "confirm"),
    _a("confirm.no", "n,escape", "answer(False)", "No", "confirm"),
    _a("publish.yes", "y", "publish", "Publish", "publish"),
    _a("publish.accept", "w", "accept_warnings", "Accept warnings", "publish"),
    _a("publish.notify", "s", "toggle_notify", "Subscribers on/off", "publish"),
    _a("publish.cancel", "escape,n", "cancel", "Cancel", "publish"),
    _a("approve.yes", "y", "answer(True)", "Approve and publish", "approve"),
    _a("approve.no", "n", "answer(False)", "Send back", "approve"),
    _a("approve.later", "escape", "dismiss_none", "Later", "approve"),
    _a("outbox.retry", "r", "retry", "Retry failed", "outbox"),
    _a("outbox.cancel", "c", "cancel_row", "Cancel row", "outbox"),
    _a("outbox.close", "escape,o,q", "close", "Close", "outbox"),
    _a("versions.close", "escape", "close", "Back", "versions"),
    _a("postmortem.back", "escape", "back", "Back", "postmortem"),
    _a("postmortem.save", "ctrl+s", "save", "Save", "postmortem"),
    _a("postmortem.add_action", "ctrl+n", "add_action", "Add action", "postmortem"),
    # priority: a focused TextArea binds ctrl+e (end of line) and would swallow it
    _a("postmortem.export", "ctrl+e", "export", "Export md+html", "postmortem", priority=True),
    _a("postmortem.publish", "ctrl+o", "publish", "Publish", "postmortem"),
    _a("offers.back", "escape,q", "back", "Back", "offers"),
    _a("offers.write", "w", "write", "Write CSV", "offers"),
    _a("offers-refused.back", "escape,q", "back", "Back", "offers-refused"),
    _a("help.close", "escape,q,question_mark", "close", "Close", "help"),
    _a("reply.copy", "y", "copy", "Copy", "reply"),
    _a("reply.file", "f", "write_file", "Write to a file", "reply"),
    _a("reply.close", "escape,q", "close", "Close", "reply"),
)  # fmt: skip

BY_ID: Final[Mapping[str, Action]] = {a.id: a for a in ACTIONS}

# keys the help lists beside the table's: Textual's own (focus, lists), not remappable
NAVIGATION: Final[tuple[tuple[str, str, str], ...]] = (
    ("Panes", "tab / shift+tab", "Next / previous pane"),
    ("Checklist", "enter", "Tick or untick the highlighted item (as space)"),
    ("Checklist", "\u2191 \u2193", "Move between items"),
    ("Queues", "enter", "Turn the highlighted action on or off (as space)"),
    (
        "Queues",
        "\u2191N +N",
        "\u2191N: the depth since the last update; +N since update, +N/10m: "
        "inflow, the sum of the rises in depth between counts (a fall adds nothing)",
    ),
)

# keys Textual itself keeps on every screen (App.BINDINGS): a keymap may not take them
RESERVED: Final[Mapping[str, str]] = {"ctrl+q": "Textual's quit"}

_MODIFIERS: Final[tuple[str, ...]] = ("ctrl", "alt", "shift", "meta", "super", "hyper")
_NAMED: Final[frozenset[str]] = frozenset(
    [
        *("escape", "enter", "tab", "space", "backspace", "delete", "insert", "home", "end"),
        *("pageup", "pagedown", "up", "down", "left", "right"),
        *(f"f{n}" for n in range(1, 25)),
    ]
)
# Textual's short names for some characters (textual.keys.KEY_NAME_REPLACEMENTS)
_SHORT: Final[Mapping[str, str]] = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}
_SHORT_CHAR: Final[Mapping[str, str]] = {
    "slash": "/",
    "backslash": "\\",
    "at": "@",
    "minus": "-",
    "plus": "+",
    "underscore": "_",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class KeyError_(ValueError):
    """A key string that names no key; the message says why, in plain words."""


def normalize_key(key: str) -> str:
    """The key as Textual names it: ``?`` -> ``question_mark``, ``Ctrl+S`` -> ``ctrl+s``.

    Raises :class:`KeyError_` for anything that is not one key (``ctrl+``,
    ``esc``, ``a,b``, a control character).
    """
    raw = key.strip()
    if not raw:
        raise KeyError_("a key must not be empty")
    if "," in raw and raw != ",":
        raise KeyError_(f"{raw!r} is more than one key: give a list of keys instead")
    if raw == "+":
        mods, base = [], "+"
    elif raw.endswith("++"):
        mods, base = raw[:-2].split("+"), "+"
    else:
        *mods, base = raw.split("+")
    mods = [m.lower() for m in mods]
    for m in mods:
        if m not in _MODIFIERS:
            raise KeyError_(
                f"{raw!r}: {m!r} is not a modifier (modifiers: {', '.join(_MODIFIERS)})"
            )
    if len(set(mods)) != len(mods):
        raise KeyError_(f"{raw!r} names a modifier twice")
    name = _base(raw, base)
    if mods and len(name) == 1:
        name = name.lower()  # Textual names ctrl+S as ctrl+s
    return "+".join([*sorted(mods, key=_MODIFIERS.index), name])


def _base(raw: str, base: str) -> str:
    if len(base) == 1:
        if not base.isprintable() or base.isspace():
            raise KeyError_(f"{raw!r} is not a key (write space, tab, enter\u2026 by name)")
        if base.isalnum():
            return base
        long = unicodedata.name(base, "").lower().replace("-", "_").replace(" ", "_")
        if not long:
            raise KeyError_(f"{raw!r} is not a key")
        return _SHORT.get(long, long)
    name = base.lower()
    if name in _NAMED or name in _SHORT_CHAR:
        return name
    if _NAME.match(name):
        try:
            char = unicodedata.lookup(name.replace("_", " "))
        except KeyError:
            char = ""
        if len(char) == 1 and char.isprintable() and not char.isalnum():
            return name
    raise KeyError_(
        f"{raw!r} is not a key (examples: p, ctrl+p, f5, escape, enter, question_mark, ?)"
    )


def key_display(key: str) -> str:
    """How help and the palette write a key: ``question_mark`` -> ``?``, ``ctrl+s`` as is."""
    *mods, base = key.split("+")
    if base == "escape":
        base = "esc"
    elif base in _SHORT_CHAR:
        base = _SHORT_CHAR[base]
    elif len(base) > 1 and base not in _NAMED:
        with contextlib.suppress(KeyError):
            base = unicodedata.lookup(base.replace("_", " "))
    return "+".join([*mods, base])


def keys_of(action: Action, keymap: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The keys an action answers to: the user's keymap, else its defaults."""
    return keymap.get(action.id) or action.keys


def live_with(scope: str) -> tuple[str, ...]:
    """The scope and every scope live at the same time (a key may be taken once across them)."""
    return (scope, *SCOPES[scope])


def clashes(
    keymap: Mapping[str, tuple[str, ...]], changed: Iterable[str] | None = None
) -> list[tuple[str, str, str]]:
    """(action id, key, the other) for each key taken twice where both actions are live.

    ``changed`` limits the report to clashes that involve those action ids (the
    user's keymap: a clash between two defaults is the table's bug, tested).
    """
    wanted = set(changed) if changed is not None else None
    keyed = [(a, k, normalize_key(k)) for a in ACTIONS for k in keys_of(a, keymap)]
    found: list[tuple[str, str, str]] = []
    for action, key, norm in keyed:
        if wanted is not None and action.id not in wanted:
            continue
        if norm in RESERVED:
            found.append((action.id, key, RESERVED[norm]))
            continue
        for other, _, other_norm in keyed:
            if (
                other_norm == norm
                and other.id != action.id
                and (
                    other.scope in live_with(action.scope) or action.scope in live_with(other.scope)
                )
            ):
                found.append((action.id, key, other.id))
    return found


def help_rows(keymap: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
    """(section, keys, description) for ``?``: the dashboard's keys, its panes', the app's."""
    rows = [
        (a.section, " / ".join(key_display(k) for k in keys_of(a, keymap)), a.description)
        for a in ACTIONS
        if a.scope in DASHBOARD_SCOPES
    ]
    rows += list(NAVIGATION)
    return sorted(rows, key=lambda r: SECTION_ORDER.index(r[0]))


def markdown_reference() -> str:
    """The table as the README prints it (a test keeps the README's copy equal to this)."""
    lines = ["| action id | default keys | where | what it does |", "|---|---|---|---|"]
    for a in ACTIONS:
        keys = " ".join(f"`{key_display(k)}`" for k in a.keys)
        lines.append(f"| `{a.id}` | {keys} | {a.scope} | {a.description} |")
    return "\n".join(lines) + "\n"

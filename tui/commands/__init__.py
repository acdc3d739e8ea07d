"""Every change to an incident, as one function: validate against fresh state, append events.

The CLI and the dashboard both call these, so a key press and a script take
the same path. Each runs inside one ``BEGIN IMMEDIATE`` transaction: the
state it checks is the state it writes on top of. Bad input raises
:class:`CommandError` with one clear line, and nothing is written.

The commands live in modules by what they change; callers import them from
here (``from tui import commands; commands.start(...)``):

- ``incident``   start, set_metrics, add_note, reload_playbook, close (and why
  an incident is not resolved yet)
- ``checklist``  set_item, skip_item, advance_phase, and what a published
  message ticks
- ``roles``      assign
- ``channels``   set_queue, set_action (support channels)
- ``drafts``     save_draft, hold_draft, release_draft (the shared draft)
- ``messages``   publish, decide (two-person rule), record_published
- ``postmortem`` edit_postmortem, set_remedial_action
- ``replies``    record_reply_copied (a channel's canned reply was copied)
- ``base``       Outcome, the text limits and the checks every command makes

Which incident a name means (:func:`resolve_incident`) and :class:`CommandError`
itself live in the core (:mod:`tui.core.lookup`, :mod:`tui.core.errors`), where
the status line's look-up uses them too.
"""

from __future__ import annotations

from tui.commands.base import (
    MAX_DRAFT,
    MAX_NOTE,
    MAX_REASON,
    MAX_TITLE,
    Outcome,
    check_actor,
)
from tui.commands.channels import MAX_QUEUE, set_action, set_queue
from tui.commands.checklist import OpenItems, advance_phase, set_item, skip_item
from tui.commands.drafts import hold_draft, release_draft, save_draft
from tui.commands.incident import (
    DuplicateIncident,
    UnresolvedIncident,
    add_note,
    close,
    parse_metrics,
    reload_playbook,
    set_metrics,
    start,
    unresolved,
)
from tui.commands.messages import decide, publish, record_published
from tui.commands.postmortem import edit_postmortem, set_remedial_action
from tui.commands.replies import record_reply_copied
from tui.commands.roles import assign
from tui.core.errors import CommandError
from tui.core.lookup import resolve_incident

__all__ = [
    "MAX_DRAFT",
    "MAX_NOTE",
    "MAX_QUEUE",
    "MAX_REASON",
    "MAX_TITLE",
    "CommandError",
    "DuplicateIncident",
    "OpenItems",
    "Outcome",
    "UnresolvedIncident",
    "add_note",
    "advance_phase",
    "assign",
    "check_actor",
    "close",
    "decide",
    "edit_postmortem",
    "hold_draft",
    "parse_metrics",
    "publish",
    "record_published",
    "record_reply_copied",
    "release_draft",
    "reload_playbook",
    "resolve_incident",
    "save_draft",
    "set_action",
    "set_item",
    "set_metrics",
    "set_queue",
    "set_remedial_action",
    "skip_item",
    "start",
    "unresolved",
]

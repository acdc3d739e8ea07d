"""The post-mortem's human parts: its written fields and its remedial actions.

The facts (timeline, durations, messages) come from the log; these commands
record only what people must write: the summary, root cause, trigger and why
(:data:`tui.core.state.PM_FIELDS`), and remedial actions -- what, who, due by
when (a date), how far (:data:`tui.core.state.ACTION_STATUSES`). Saving a
field unchanged writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.commands.base import MAX_DRAFT, Outcome, open_state, user_text
from tui.core import state as ev
from tui.core.errors import CommandError
from tui.core.textsafe import clean_line

if TYPE_CHECKING:
    from tui.core.clock import Clock
    from tui.core.state.incident import IncidentState
    from tui.core.store import Store

MAX_ACTION = 500

AFTER_RESOLUTION = {"postmortem": "post-mortem", "amends": "amends message"}
"""Purposes published only once the resolution is (what they say needs the incident over)."""


def not_yet(s: IncidentState, incident_id: str, purpose: str, how: str = "") -> str | None:
    """Why a message of ``purpose`` cannot go out yet (one line naming the phase and what to
    do), or None: a post-mortem or amends message comes after the resolution announcement.
    ``how``: how to publish the resolution where the line is read (the CLI's command)."""
    word = AFTER_RESOLUTION.get(purpose)
    if word is None or s.resolved_at is not None:
        return None
    phase = s.current_phase()
    where = f"the phase \u201c{phase.title}\u201d" if phase else "no phase"
    return (
        f"{incident_id} is not resolved yet (in {where}): publish the resolution first{how}, "
        f"then the {word}; nothing was queued"
    )


def refuse_before_resolution(s: IncidentState, incident_id: str, purpose: str) -> None:
    """Raise :class:`CommandError` with :func:`not_yet`'s line when it has one."""
    why = not_yet(s, incident_id, purpose)
    if why is not None:
        raise CommandError(why)


def edit_postmortem(
    store: Store, clock: Clock, actor: str, incident_id: str, field: str, text: str
) -> Outcome:
    """A part of the post-mortem only people can write (summary, root cause, trigger, why)."""
    if field not in ev.PM_FIELDS:
        raise CommandError(f"unknown post-mortem part {field!r} ({', '.join(ev.PM_FIELDS)})")
    if len(text) > MAX_DRAFT:
        raise CommandError(f"the {field} is too long ({len(text)} characters; at most {MAX_DRAFT})")
    with store.write() as w:
        s = open_state(w, incident_id)
        if getattr(s.postmortem, field) == text:
            return Outcome(incident_id, None, f"{field} unchanged")
        event_id = w.append(
            incident_id, clock.now(), actor, ev.PM_EDITED, {"field": field, "text": text}
        )
    return Outcome(incident_id, event_id, f"post-mortem {field.replace('_', ' ')} saved")


def set_remedial_action(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    action_id: str | None,
    action: str,
    owner: str = "",
    due: str = "",
    status: str = "open",
) -> Outcome:
    """Add (no id) or change a remedial action: what, who, by when, how far."""
    import uuid
    from datetime import date

    action = user_text(action, "the action", MAX_ACTION)
    owner = clean_line(owner).strip()[:64]
    if due:
        try:
            due = date.fromisoformat(due.strip()).isoformat()
        except ValueError:
            raise CommandError(f"due date must be YYYY-MM-DD, got {due!r}") from None
    if status not in ev.ACTION_STATUSES:
        raise CommandError(f"status must be one of: {', '.join(ev.ACTION_STATUSES)}")
    with store.write() as w:
        s = open_state(w, incident_id)
        if action_id is not None and action_id not in s.postmortem.actions:
            raise CommandError(f"no remedial action {action_id!r}")
        data = {
            "id": action_id or uuid.uuid4().hex[:6],
            "action": action,
            "owner": owner,
            "due": due,
            "status": status,
        }
        event_id = w.append(incident_id, clock.now(), actor, ev.PM_ACTION, data)
    return Outcome(incident_id, event_id, f"remedial action {data['id']}: {status}")

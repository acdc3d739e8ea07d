"""The shared draft: autosave it, hold it as its one editor, let it go.

Every save is a numbered version in the log, and no text is ever dropped: a
save from a dashboard that lost the draft to a take-over is kept as a version
*aside* (the message says so). One dashboard holds the draft at a time; a
holder that is present is only displaced by a confirmed take-over, and on
release the holder's unsaved text is saved first.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.commands.base import MAX_DRAFT, Outcome, open_state
from tui.core import state as ev
from tui.core.errors import CommandError
from tui.core.vocabulary import PUBLISH_PURPOSES

if TYPE_CHECKING:
    from tui.core.clock import Clock
    from tui.core.state import IncidentState
    from tui.core.store import Store, Writer


def save_draft(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    purpose: str,
    text: str,
    session: str | None = None,
) -> Outcome:
    """Autosave of the draft editor: an event only when the text changed.

    Every save is a numbered version in the log. A save from a dashboard that
    no longer holds the draft (it was taken over) is never dropped: it is kept
    as a version *aside* and the message says so -- unless the new holder has
    saved nothing yet, then it is the text the take-over starts from.
    """
    _check_draft(purpose, text)
    with store.write() as w:
        s = open_state(w, incident_id)
        return _save_draft(w, s, clock.now(), actor, purpose, text, session)


def _check_draft(purpose: str, text: str) -> None:
    if purpose not in PUBLISH_PURPOSES:
        raise CommandError(f"unknown purpose {purpose!r}")
    if len(text) > MAX_DRAFT:
        raise CommandError(f"the draft is too long ({len(text)} characters; at most {MAX_DRAFT})")


def _save_draft(
    w: Writer,
    s: IncidentState,
    now: datetime,
    actor: str,
    purpose: str,
    text: str,
    session: str | None,
) -> Outcome:
    hold = s.draft_hold
    aside = (
        session is not None
        and hold is not None
        and hold.session != session
        and not (hold.fresh and hold.from_session == session)
    )
    old = s.drafts.get(purpose)
    if old is not None and old.text == text:
        return Outcome(s.id, None, "draft unchanged")
    number = len(s.draft_versions.get(purpose, ())) + 1
    data: dict[str, Any] = {"purpose": purpose, "text": text}
    if session is not None:
        data["session"] = session
    if aside:
        data["aside"] = True
    event_id = w.append(s.id, now, actor, ev.DRAFT, data)
    if aside:
        assert hold is not None
        return Outcome(
            s.id,
            event_id,
            f"{hold.actor} is editing the draft: your text was kept as version {number}",
        )
    return Outcome(s.id, event_id, f"draft saved as version {number}")


def hold_draft(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    session: str,
    *,
    take: bool = False,
) -> Outcome:
    """Become the one editor of the draft.

    Free, already ours, or held by a dashboard that is gone (no heartbeat):
    taken. Held by someone present: refused with their name, unless ``take``
    (the take-over, confirmed by the user); the holder's dashboard then saves
    its unsaved text as a version as soon as it sees the hold moved.
    """
    now = clock.now()
    with store.write() as w:
        s = open_state(w, incident_id)
        hold = s.draft_hold
        if hold is not None and hold.session == session:
            return Outcome(incident_id, None, "you are editing the draft")
        if hold is not None and not take:
            present = {p.session for p in w.store.present(incident_id, now)}
            if hold.session in present:
                raise CommandError(
                    f"{hold.actor} is editing the draft (enter again to take it over)"
                )
        data = {
            "session": session,
            "from": hold.actor if hold else None,
            "from_session": hold.session if hold else None,
        }
        event_id = w.append(incident_id, now, actor, ev.DRAFT_HELD, data)
    if hold is not None:
        return Outcome(incident_id, event_id, f"you took the draft over from {hold.actor}")
    return Outcome(incident_id, event_id, "you are editing the draft")


def release_draft(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    session: str,
    unsaved: tuple[str, str] | None = None,
) -> Outcome:
    """Stop editing: save what is unsaved (a version, never dropped), then free the draft."""
    if unsaved is not None:
        _check_draft(*unsaved)
    now = clock.now()
    with store.write() as w:
        s = open_state(w, incident_id)
        saved = None
        if unsaved is not None:
            saved = _save_draft(w, s, now, actor, unsaved[0], unsaved[1], session)
            s = w.state(incident_id)
        if s.draft_hold is None or s.draft_hold.session != session:
            if saved is not None:
                return saved
            return Outcome(incident_id, None, "you were not editing the draft")
        event_id = w.append(incident_id, now, actor, ev.DRAFT_RELEASED, {"session": session})
    return Outcome(incident_id, event_id, saved.message if saved else "draft left")

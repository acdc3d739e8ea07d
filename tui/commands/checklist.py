"""The checklist: tick, untick and skip items, move to the next phase.

A phase is never left with open items by accident: ``advance_phase`` refuses
(:class:`OpenItems`, naming them) unless forced, and then records each open
item as skipped ("forced") first. A published message ticks the items it
fulfils (``done_by: publish.PURPOSE``) and, once the resolution is out, moves
the checklist on only past phases with nothing open (:func:`after_published`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.commands.base import MAX_REASON, Outcome, open_state, user_text
from tui.core import state as ev
from tui.core.errors import CommandError

if TYPE_CHECKING:
    from tui.core.clock import Clock
    from tui.core.playbook import ChecklistItem
    from tui.core.state import IncidentState
    from tui.core.store import Store, Writer


class OpenItems(CommandError):
    """Moving on from a phase with items neither ticked nor skipped (``force``: skip them)."""

    def __init__(self, message: str, items: list[str]):
        super().__init__(message)
        self.items = items


def _item(s: IncidentState, item_id: str) -> ChecklistItem:
    items = s.book.items(s.protocol or "")
    item = next((i for i in items if i.id == item_id), None)
    if item is None:
        known = ", ".join(i.id for i in items)
        raise CommandError(f"no checklist item {item_id!r} in {s.id} (items: {known})")
    return item


def set_item(
    store: Store, clock: Clock, actor: str, incident_id: str, item_id: str, done: bool
) -> Outcome:
    with store.write() as w:
        s = open_state(w, incident_id)
        item = _item(s, item_id)
        current = s.items.get(item.id)
        if current is not None and current.done == done and not (current.skipped and not done):
            word = "ticked" if done else "not ticked"
            who = f" by {current.by}" if current.by else ""
            return Outcome(incident_id, None, f"{item.id} is already {word}{who}")
        kind = ev.CHECKED if done else ev.UNCHECKED
        event_id = w.append(incident_id, clock.now(), actor, kind, {"item": item.id})
    return Outcome(incident_id, event_id, f"{'ticked' if done else 'unticked'} {item.id}")


def skip_item(
    store: Store, clock: Clock, actor: str, incident_id: str, item_id: str, reason: str
) -> Outcome:
    """Say that an item will not be done, and why (an event; the checklist shows it)."""
    reason = user_text(reason, "the reason", MAX_REASON)
    with store.write() as w:
        s = open_state(w, incident_id)
        item = _item(s, item_id)
        current = s.items.get(item.id)
        if current is not None and current.done:
            raise CommandError(
                f"{item.id} is ticked (by {current.by}); untick it first: warroom uncheck {item.id}"
            )
        if current is not None and current.skipped and current.reason == reason:
            return Outcome(incident_id, None, f"{item.id} is already skipped: {reason}")
        event_id = w.append(
            incident_id, clock.now(), actor, ev.SKIPPED, {"item": item.id, "reason": reason}
        )
    return Outcome(incident_id, event_id, f"skipped {item.id}: {reason}")


def advance_phase(
    store: Store, clock: Clock, actor: str, incident_id: str, *, force: bool = False
) -> Outcome:
    """Move to the next phase once each item of this one is ticked or skipped.

    With open items it refuses (:class:`OpenItems`, naming them) unless
    ``force``: then each open item is recorded as skipped with the reason
    "forced" before the move, so the log says what was left undone.
    """
    now = clock.now()
    with store.write() as w:
        s = open_state(w, incident_id)
        nxt = s.next_phase()
        if nxt is None:
            raise CommandError(
                f"{incident_id} is in its last phase ({s.phase}); close it with: warroom close"
            )
        current = s.current_phase()
        left = [i.id for i in ev.open_items(s, current)] if current else []
        if left and not force:
            raise OpenItems(
                f"{len(left)} item(s) of {s.phase} still open: {', '.join(left)} "
                "(tick them, skip them with: warroom skip ITEM --reason TEXT, "
                "or move on anyway with: warroom phase next --force)",
                left,
            )
        for item_id in left:
            w.append(
                incident_id,
                now,
                actor,
                ev.SKIPPED,
                {"item": item_id, "reason": "forced", "forced": True},
            )
        data: dict[str, Any] = {"from": s.phase, "to": nxt.id}
        if left:
            data["forced"] = True
        event_id = w.append(incident_id, now, actor, ev.ADVANCED, data)
    note = f" ({len(left)} open item(s) of {s.phase} recorded as skipped: forced)"
    return Outcome(incident_id, event_id, f"phase: {nxt.title}" + (note if left else ""))


def after_published(
    w: Writer, incident_id: str, now: datetime, actor: str, purpose: str, event_id: int
) -> None:
    """What a published message does to the checklist.

    The items it fulfils (``done_by: publish.PURPOSE`` in the playbook) are
    ticked by it, each an event naming the message. Then, for the resolution,
    the checklist moves on towards the amends (or post-mortem) phase -- but
    only past phases whose items are all ticked or skipped: a phase is never
    left behind with open items because a message went out.
    """
    s = w.state(incident_id)
    for item in s.book.items(s.protocol or ""):
        st = s.items.get(item.id)
        if item.done_by == purpose and not (st and st.done):
            w.append(
                incident_id,
                now,
                actor,
                ev.CHECKED,
                {"item": item.id, "by_event": event_id, "purpose": purpose},
            )
    if purpose != "resolved":
        return
    s = w.state(incident_id)
    phases = s.phases()
    target = next((p for p in phases if p.closes_with == "amends"), None) or next(
        (p for p in phases if p.closes_with == "postmortem"), None
    )
    ids = [p.id for p in phases]
    if target is None or s.phase not in ids or ids.index(target.id) <= ids.index(s.phase):
        return
    stop = ids.index(s.phase)
    while stop < ids.index(target.id) and not ev.open_items(s, phases[stop]):
        stop += 1
    if stop > ids.index(s.phase):
        w.append(
            incident_id,
            now,
            actor,
            ev.ADVANCED,
            {"from": s.phase, "to": ids[stop], "after": purpose},
        )

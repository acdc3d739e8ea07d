"""The support channels: how many customers wait, and which playbook actions are on.

``set_queue`` records a channel's queue depth and since when its oldest
contact waits (never a future time; an empty queue has no oldest contact).
``set_action`` turns one of the channel's playbook actions on or off; setting
what is already set writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tui.commands.base import Outcome, open_state
from tui.core import state as ev
from tui.core.clock import to_iso
from tui.core.errors import CommandError

if TYPE_CHECKING:
    from tui.core.clock import Clock
    from tui.core.playbook import Channel
    from tui.core.state import IncidentState
    from tui.core.store import Store
    from tui.core.store.writer import Writer

MAX_QUEUE = 1_000_000


def _channel(s: IncidentState, channel_id: str) -> Channel:
    ch = next((c for c in s.book.channels if c.id == channel_id), None)
    if ch is None:
        known = ", ".join(c.id for c in s.book.channels) or "none"
        raise CommandError(f"unknown channel {channel_id!r} (channels: {known})")
    return ch


def set_queue(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    channel_id: str,
    depth: int,
    oldest_since: datetime | None = None,
    *,
    unless_same: bool = False,
) -> Outcome:
    """Queue depth of a support channel, and since when its oldest contact waits.

    ``unless_same`` (the queue poller): write nothing when the channel already
    shows these numbers -- decided inside the write, so two pollers racing for
    one change write it once.
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= MAX_QUEUE:
        raise CommandError(f"queue depth must be a whole number from 0 to {MAX_QUEUE}")
    now = clock.now()
    if oldest_since is not None and oldest_since > now:
        raise CommandError("the oldest contact cannot be waiting since a future time")
    if depth == 0:
        oldest_since = None
    with store.write() as w:
        s = open_state(w, incident_id)
        ch = _channel(s, channel_id)
        if unless_same and (cur := s.channels.get(ch.id)) is not None:
            same_oldest = (cur.oldest_since and to_iso(cur.oldest_since)) == (
                oldest_since and to_iso(oldest_since)
            )
            if cur.depth == depth and same_oldest:
                return Outcome(incident_id, None, f"{ch.title}: {depth} waiting (unchanged)")
        event_id = w.append(
            incident_id,
            now,
            actor,
            ev.QUEUE,
            {
                "channel": ch.id,
                "depth": depth,
                "oldest_since": to_iso(oldest_since) if oldest_since else None,
            },
        )
        swamped = _auto_swamped(w, s, ch, depth, now, actor, incident_id)
    return Outcome(incident_id, event_id, f"{ch.title}: {depth} waiting{swamped}")


def _auto_swamped(
    w: Writer,
    s: IncidentState,
    ch: Channel,
    depth: int,
    now: datetime,
    actor: str,
    incident_id: str,
) -> str:
    """``swamped_mode: auto``: the count that crosses swamped_at turns its action on.

    In the count's own transaction and by its actor, only on the crossing (a count
    that was already over it, after someone turned the action off, leaves it off),
    and never off again by itself.
    """
    if ch.swamped_mode != "auto" or ch.swamped_action is None or not ch.swamped(depth):
        return ""
    before = s.channels.get(ch.id)
    if before is not None and ch.swamped(before.depth):
        return ""  # not a crossing
    action = ch.action(ch.swamped_action)
    if action is None:
        return ""
    current = before.actions.get(action.id, action.default) if before else action.default
    if current:
        return ""
    w.append(
        incident_id,
        now,
        actor,
        ev.ACTION,
        {
            "channel": ch.id,
            "action": action.id,
            "on": True,
            "swamped_at": ch.swamped_at,
            "depth": depth,
        },
    )
    return f"; {depth} \u2265 swamped_at {ch.swamped_at}: turned on {action.id}"


def set_action(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    channel_id: str,
    action_id: str,
    on: bool | None = None,
) -> Outcome:
    """Turn a channel's playbook action on or off (None: toggle)."""
    with store.write() as w:
        s = open_state(w, incident_id)
        ch = _channel(s, channel_id)
        action = next((a for a in ch.actions if a.id == action_id), None)
        if action is None:
            known = ", ".join(a.id for a in ch.actions) or "none"
            raise CommandError(f"channel {ch.id!r} has no action {action_id!r} (actions: {known})")
        current = s.channels[ch.id].actions.get(action.id, action.default)
        want = (not current) if on is None else on
        if want == current:
            return Outcome(incident_id, None, f"{action.id} is already {'on' if want else 'off'}")
        event_id = w.append(
            incident_id,
            clock.now(),
            actor,
            ev.ACTION,
            {"channel": ch.id, "action": action.id, "on": want},
        )
    return Outcome(incident_id, event_id, f"{ch.id}/{action.id}: {'on' if want else 'off'}")

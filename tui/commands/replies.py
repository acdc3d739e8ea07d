"""Canned replies: who took a channel's reply, when, and from which published update.

``record_reply_copied`` writes one ``reply.copied`` event so every dashboard shows
"reply copied 14:05 by sam" beside the channel, and OUTDATED once a newer update is
published (:mod:`tui.queues.replies`). ``based_on`` must be a published message of
this incident (or None when nothing was published yet): a copy can only be of a
reply that could have been rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.commands.base import Outcome, open_state
from tui.commands.channels import _channel
from tui.core import state as ev
from tui.core.errors import CommandError

if TYPE_CHECKING:
    from tui.core.clock import Clock
    from tui.core.store import Store

HOWS = ("osc52", "tmux", "file", "print")  # tmux: its paste buffer (load-buffer)


def record_reply_copied(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    channel_id: str,
    based_on: int | None,
    how: str,
) -> Outcome:
    """A channel's canned reply was copied (OSC 52), written to a file, or printed."""
    if how not in HOWS:
        raise CommandError(f"unknown way of copying {how!r} ({', '.join(HOWS)})")
    if based_on is not None and (isinstance(based_on, bool) or not isinstance(based_on, int)):
        raise CommandError("based_on must be a published message's event id")
    with store.write() as w:
        s = open_state(w, incident_id)
        ch = _channel(s, channel_id)
        if based_on is not None and all(u.event_id != based_on for u in s.updates):
            raise CommandError(f"#{based_on} is not a message published in {incident_id}")
        event_id = w.append(
            incident_id,
            clock.now(),
            actor,
            ev.REPLY_COPIED,
            {"channel": ch.id, "based_on": based_on, "how": how},
        )
    word = {"osc52": "copied", "tmux": "copied", "file": "written to a file", "print": "taken"}[how]
    return Outcome(incident_id, event_id, f"{ch.title}: reply {word}")

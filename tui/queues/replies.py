"""A channel's canned reply: the playbook's ``channel_reply`` template, rendered from the
latest *published* update (never the draft), and whether a newer one made it outdated.

What the reply says comes from what customers were already told: the context is
:func:`tui.publish.drafting.context` plus ``update`` (the published text), ``tone``,
``channel`` and ``next_update_at`` -- the promise *that update made*, not a time
computed now (a reply must never promise more than the status page did).

Before any update is published the reply is rendered anyway (an agent facing fifty
chats needs an answer now): ``next_update_at`` is then when the playbook says the
first word is due, and :attr:`Reply.notice` says the reply knows only the playbook.

A copy is an event (``reply.copied``: channel, based_on, how); :attr:`Reply.outdated`
is true when the last copy of the channel's reply was rendered from an older update
than the latest published one: the text agents are pasting no longer matches the
status page. The text is cleaned (:func:`tui.core.textsafe.clean`): no escape sequence
from a title or a template reaches a screen, a clipboard or a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.core.clock import to_iso, wall
from tui.core.playbook.model import Channel
from tui.core.state import IncidentState, PublishedUpdate, ReplyCopy, next_update_due
from tui.core.textsafe import clean

PURPOSE = "channel_reply"
NOTHING_PUBLISHED = "no update published yet \u2014 the reply says only what the playbook knows"
AFTER_RESOLUTION = "the incident is resolved \u2014 check the reply still fits before sending it"


class ReplyError(Exception):
    """A reply that cannot be rendered: one line (unknown channel, no template, a template
    error naming its file and line)."""


@dataclass(frozen=True, slots=True)
class Reply:
    channel: str
    title: str
    tone: str
    text: str
    based_on: int | None  # the publish event rendered from (None: nothing published yet)
    based_on_at: datetime | None
    based_on_purpose: str | None
    next_update_at: datetime | None
    outdated: bool  # the last copy came from an older update than the latest
    copied: ReplyCopy | None  # the last copy of this channel's reply
    notice: str = ""  # what the reader must know before pasting it ("" when nothing)

    def as_dict(self) -> dict[str, Any]:
        """The ``warroom reply --json`` object (times in ISO 8601, UTC)."""
        c = self.copied
        return {
            "channel": self.channel,
            "tone": self.tone,
            "text": self.text,
            "based_on": self.based_on,
            "based_on_at": to_iso(self.based_on_at) if self.based_on_at else None,
            "outdated": self.outdated,
            "next_update_at": to_iso(self.next_update_at) if self.next_update_at else None,
            "copied_at": to_iso(c.at) if c else None,
            "copied_by": c.by if c else None,
            "notice": self.notice,
        }


def latest(state: IncidentState) -> PublishedUpdate | None:
    """The latest published message: what a reply is rendered from."""
    return state.updates[-1] if state.updates else None


def is_outdated(state: IncidentState, copy: ReplyCopy | None) -> bool:
    """A copy rendered from an older update than the latest published one."""
    last = latest(state)
    return copy is not None and last is not None and copy.based_on != last.event_id


def channel_of(state: IncidentState, channel_id: str) -> Channel:
    """The playbook's channel (the commands' lookup); ReplyError naming the known ones."""
    from tui.commands.channels import _channel
    from tui.core.errors import CommandError

    try:
        return _channel(state, channel_id)
    except CommandError as exc:
        raise ReplyError(str(exc)) from None


def reply(state: IncidentState, channel_id: str, now: datetime) -> Reply:
    """The channel's canned reply as of the latest published update; ReplyError if none."""
    from tui.publish.drafting import DraftError, render

    channel = channel_of(state, channel_id)
    book = state.book
    if channel.id not in book.templates.get(PURPOSE, {}):
        raise ReplyError(
            f"the playbook has no canned reply for {channel.id!r} "
            f"(add it under templates: {PURPOSE}: in {book.source or 'the playbook'})"
        )
    last = latest(state)
    promised = last.promised_next_at if last else None
    notice = ""
    if last is None:
        notice = NOTHING_PUBLISHED
    elif state.resolved_at is not None:
        notice = AFTER_RESOLUTION
    next_at = promised
    if next_at is None:
        found = next_update_due(state)
        next_at = found[0] if found else None
    extra: dict[str, Any] = {
        "update": last.body if last else "",
        "tone": channel.tone,
        "channel": channel.title,
    }
    if next_at is not None:
        extra["next_update_at"] = wall(next_at, book.timezone)
    try:
        text = render(state, PURPOSE, channel.id, now, extra)
    except DraftError as exc:
        raise ReplyError(str(exc)) from None
    copy = state.reply_copies.get(channel.id)
    return Reply(
        channel=channel.id,
        title=channel.title,
        tone=channel.tone,
        text=clean(text),
        based_on=last.event_id if last else None,
        based_on_at=last.at if last else None,
        based_on_purpose=last.purpose if last else None,
        next_update_at=next_at,
        outdated=is_outdated(state, copy),
        copied=copy,
        notice=notice,
    )


def based_on_words(r: Reply, tz: str) -> str:
    """``based on update #12 at 2:05 PM EST`` (or that nothing is published yet)."""
    if r.based_on is None or r.based_on_at is None:
        return "based on no published update"
    what = {"ack": "the acknowledgement"}.get(r.based_on_purpose or "", r.based_on_purpose)
    return f"based on {what} #{r.based_on} at {wall(r.based_on_at, tz)}"


def copy_words(state: IncidentState, channel_id: str) -> tuple[str, bool] | None:
    """The pane's line for the channel's last copy and whether it is OUTDATED, or None."""
    copy = state.reply_copies.get(channel_id)
    if copy is None:
        return None
    from tui.core.clock import hhmm

    return f"reply copied {hhmm(copy.at, state.book.timezone)} by {copy.by}", is_outdated(
        state, copy
    )

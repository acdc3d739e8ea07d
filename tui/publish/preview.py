"""What each destination receives, in words, for the publish confirmation.

Pure functions of a destination's config and the payload :func:`~tui.publish.publishing.plan`
built for it (the very dict the outbox row stores). One :class:`Shown` per destination:
its id, type, delivery guarantee (the adapter class's ``guarantee`` in
:data:`tui.publish.destinations.ADAPTERS`), and a few lines by kind:

* a status page (statuspage, instatus, cachet, openstatus, betterstack): the
  incident status and each component's status, in the payload's words;
* a chat room (slack, mattermost, teams, discord): the text of the message;
* our signed webhook: the event and its fields;
* email: the subject and how many recipients (``+ to_file`` when a file adds more).

An adapter that renders its own text may offer ``preview(dest, payload) ->
list[str]`` on its class: then those lines are shown, so the preview is what
goes out. The screen shows every line literally (``clean_line``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from tui.core.config import Destination

STATUS_PAGES: Final[frozenset[str]] = frozenset(
    {"statuspage", "instatus", "cachet", "openstatus", "betterstack"}
)
CHATS: Final[frozenset[str]] = frozenset({"slack", "mattermost", "teams", "discord"})
# the providers whose API has a subscriber-notification switch per message
SUBSCRIBERS: Final[frozenset[str]] = frozenset({"statuspage", "instatus", "cachet", "betterstack"})
CHAT_PREVIEW_LINES = 4
STATUS_WORDS: Final[Mapping[str, str]] = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}


@dataclass(frozen=True, slots=True)
class Shown:
    """One destination's block on the confirmation screen."""

    dest_id: str
    type: str
    guarantee: str
    lines: tuple[str, ...]


def has_subscribers(dest_type: str) -> bool:
    """Whether a message to this type can notify subscribers (the ``s`` key toggles it)."""
    return dest_type in SUBSCRIBERS


def guarantee_of(dest_type: str) -> str:
    """The adapter's declared delivery guarantee, or words saying there is no adapter."""
    from tui.publish.destinations import ADAPTERS

    adapter = ADAPTERS.get(dest_type)
    if adapter is None:
        return "no adapter: not delivered"
    return str(getattr(adapter, "guarantee", "guarantee not declared"))


def describe(dest: Destination, payload: Mapping[str, Any]) -> Shown:
    """What ``dest`` receives for ``payload``, in a few lines."""
    from tui.publish.destinations import ADAPTERS

    adapter = ADAPTERS.get(dest.type)
    own = getattr(adapter, "preview", None) if adapter is not None else None
    if callable(own):
        lines = tuple(str(line) for line in own(dest, payload))
    else:
        lines = _lines(dest, payload)
    return Shown(dest.id, dest.type, guarantee_of(dest.type), lines)


def _status_word(payload: Mapping[str, Any]) -> str:
    status = str(payload.get("status", ""))
    return STATUS_WORDS.get(status, status)


def _title(payload: Mapping[str, Any]) -> str:
    return str(payload.get("incident_title") or payload.get("name") or "")


def _lines(dest: Destination, payload: Mapping[str, Any]) -> tuple[str, ...]:
    kind = dest.type
    postmortem = payload.get("kind") == "postmortem"
    if kind in STATUS_PAGES:
        where = f"page {dest.page_id}" if dest.page_id else dest.base_url
        first = f"{where}: status {payload.get('status', '')}"
        if postmortem:
            first = f"{where}: the post-mortem"
        comps = payload.get("component_names") or {}
        comp = "; ".join(f"{name}: {status}" for name, status in comps.items())
        return (first, f"components: {comp}" if comp else "components: none set")
    if kind in CHATS:
        head = f"{_title(payload)} \u2014 {_status_word(payload)}"
        if postmortem:
            head = f"{_title(payload)} \u2014 post-mortem"
        body = [line for line in str(payload.get("body", "")).splitlines() if line.strip()]
        shown = body[:CHAT_PREVIEW_LINES]
        more = len(body) - len(shown)
        return (
            f"chat: {head}",
            *(f"  {line}" for line in shown),
            *([f"  (+{more} more lines)"] if more > 0 else []),
        )
    if kind == "webhook":
        event = "incident.postmortem" if postmortem else f"incident.{payload.get('purpose', '')}"
        return (
            f"signed JSON: {event}, status {payload.get('status', '')}",
            f"{len(str(payload.get('body', '')))} characters of text",
        )
    if kind == "email":
        options = getattr(dest, "options", {}) or {}
        to = tuple(options.get("to") or ())
        count = f"{len(to)} recipient{'s' if len(to) != 1 else ''}"
        if options.get("to_file"):
            count += " + to_file"
        word = "Post-mortem" if postmortem else _status_word(payload)
        if payload.get("status") == "resolved" and not postmortem:
            subject = f"[status] Resolved: {_title(payload)}"
        else:
            subject = f"[status] {_title(payload)}: {word}"
        return (f"subject: {subject}", f"to: {count}")
    return (f"status {payload.get('status', '')}",)

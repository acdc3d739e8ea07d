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

Where the adapter module renders the text itself, its renderer is used, so the
preview is what goes out: Slack's and Mattermost's ``text``, the Teams card's
texts, Discord's messages, the email's ``subject_for``, the webhook's event name
(:data:`RENDERERS`; looked up by name, so a provider module may change without
this one). An adapter class may also offer ``preview(dest, payload) -> list[str]``,
which wins. The screen shows every line literally (``clean_line``).
"""

from __future__ import annotations

import importlib
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
# type -> (module in tui.publish.destinations, its function of the payload)
RENDERERS: Final[Mapping[str, tuple[str, str]]] = {
    "slack": ("chat", "slack_message"),
    "mattermost": ("chat", "mattermost_message"),
    "teams": ("chat", "teams_message"),
    "discord": ("discord", "render"),
    "email": ("email", "subject_for"),
}
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


def rendered(dest_type: str, payload: Mapping[str, Any]) -> str | None:
    """The text the provider's module itself renders for ``payload`` (None: no renderer)."""
    where = RENDERERS.get(dest_type)
    if where is None:
        return None
    try:
        module = importlib.import_module(f"tui.publish.destinations.{where[0]}")
        made = getattr(module, where[1])(dict(payload))
    except (ImportError, AttributeError, KeyError, TypeError, ValueError):
        return None
    if isinstance(made, str):
        return made
    if isinstance(made, list):
        return "\n".join(str(part) for part in made)
    if isinstance(made, dict):
        if isinstance(made.get("text"), str):
            return str(made["text"])
        return "\n".join(_card_texts(made))
    return None


def _card_texts(node: Any) -> list[str]:
    """Every text of an Adaptive Card (TextRun/TextBlock ``text``, fact ``title: value``)."""
    out: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("text"), str):
            out.append(node["text"])
        if "title" in node and "value" in node:
            out.append(f"{node['title']}: {node['value']}")
        for value in node.values():
            out += _card_texts(value)
    elif isinstance(node, list):
        for item in node:
            out += _card_texts(item)
    return out


def _chat_where(dest: Destination) -> str:
    """ "chat at https://hooks.slack.com": the hook's scheme and host (no secret: its path
    and query are); "chat" when the URL cannot be read now (the error says why at send)."""
    from tui.core.config import SecretError
    from tui.publish.destinations.redaction import url_origin

    url = (getattr(dest, "options", {}) or {}).get("url")
    if not isinstance(url, str) or not url:
        try:
            url = dest.secret("url")
        except (SecretError, ValueError):  # not readable now: said where it matters, at send
            url = None
    origin = url_origin(url) if url else "?"
    return "chat" if origin == "?" else f"chat at {origin}"


def _chat_lines(text: str, where: str = "chat") -> tuple[str, ...]:
    body = [line for line in text.splitlines() if line.strip()]
    shown = body[:CHAT_PREVIEW_LINES]
    more = len(body) - len(shown)
    return (
        f"{where}:",
        *(f"  {line}" for line in shown),
        *([f"  (+{more} more lines)"] if more > 0 else []),
    )


def _lines(dest: Destination, payload: Mapping[str, Any]) -> tuple[str, ...]:
    kind = dest.type
    own = rendered(kind, payload)
    postmortem = payload.get("kind") == "postmortem"
    if kind in STATUS_PAGES:
        where = f"page {dest.page_id}" if dest.page_id else dest.base_url
        first = f"{where}: status {payload.get('status', '')}"
        if postmortem:
            first = f"{where}: the post-mortem"
        comps = payload.get("component_names") or {}
        comp = "; ".join(f"{name}: {status}" for name, status in comps.items())
        return (first, f"components: {comp}" if comp else "components: none set")
    if kind in CHATS and own is not None:
        return _chat_lines(own, _chat_where(dest))
    if kind in CHATS:
        head = f"{_title(payload)} \u2014 {_status_word(payload)}"
        if postmortem:
            head = f"{_title(payload)} \u2014 post-mortem"
        body = [line for line in str(payload.get("body", "")).splitlines() if line.strip()]
        shown = body[:CHAT_PREVIEW_LINES]
        more = len(body) - len(shown)
        return (
            f"{_chat_where(dest)}: {head}",
            *(f"  {line}" for line in shown),
            *([f"  (+{more} more lines)"] if more > 0 else []),
        )
    if kind == "webhook":
        event = _webhook_event(payload, postmortem)
        env, file = (getattr(dest, "secret_refs", {}) or {}).get("secret", (None, None))
        signed = "signed JSON" if env or file else "JSON, unsigned (no secret_env)"
        return (
            f"{signed}: {event}, status {payload.get('status', '')}",
            f"{len(str(payload.get('body', '')))} characters of text",
        )
    if kind == "email":
        options = getattr(dest, "options", {}) or {}
        to = tuple(options.get("to") or ())
        count = f"{len(to)} recipient{'s' if len(to) != 1 else ''}"
        if options.get("to_file"):
            count += " + to_file"
        word = "Post-mortem" if postmortem else _status_word(payload)
        subject = own or f"[status] {_title(payload)}: {word}"
        return (f"subject: {subject}", f"to: {count}")
    return (f"status {payload.get('status', '')}",)


def _webhook_event(payload: Mapping[str, Any], postmortem: bool) -> str:
    """The webhook's ``event`` name, as its module names it (``EVENTS``)."""
    purpose = "postmortem" if postmortem else str(payload.get("purpose") or "update")
    try:
        module = importlib.import_module("tui.publish.destinations.webhook")
        events = module.EVENTS
        return str(events.get(purpose, "incident.update"))
    except (ImportError, AttributeError):
        return f"incident.{purpose}"

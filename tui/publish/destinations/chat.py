"""Chat rooms: Slack and Mattermost incoming webhooks, Microsoft Teams Workflows webhooks.

Each update becomes one message posted to the hook: the incident's title and status,
the message body as the team wrote it, and a line with the time of the update
(``as of 14:02 UTC``: a message that leaves the outbox late keeps its true time),
the next update promised and the components' states. A post-mortem is posted as a
last message. The hook's URL is a secret (``url_env`` / ``url_file``; a plain
``url:`` only for a local sink): read at send time, never stored or shown
(:mod:`tui.publish.destinations.hooks`).

The body is user text and stays literal:

* **Slack**: ``&``, ``<`` and ``>`` are escaped (``&amp;`` ``&lt;`` ``&gt;``), so a
  ``<!channel>`` or ``<@U123>`` in a draft shows as typed and pings nobody, and a
  ``<https://x|label>`` is not a disguised link. Sent as ``text`` (what
  notifications show) and as ``blocks`` (sections of at most 3,000 characters).
* **Mattermost**: ``@channel``, ``@all`` and ``@here`` get a zero-width space after
  the ``@`` (shown the same, mention no one). ``text`` only, cut to 16,000
  characters.
* **Teams**: an Adaptive Card whose title and body are ``RichTextBlock`` text runs
  (not ``TextBlock``, whose Markdown would turn ``**x**`` or ``[a](b)`` into
  formatting or links); status, as-of time, next update and components as a
  ``FactSet``.

**Guarantee: at-most-once.** A hook answers ``ok`` (Slack, Mattermost) or ``202``
(Teams) and nothing else: no message id, no way to list the channel, edit or delete
a message. So after an *ambiguous* failure (a timeout, a reset or a 5xx after the
request went out) nothing can tell whether the message was posted. We do not post it
again: a duplicate in a customer channel cannot be taken back (a webhook cannot
delete it), it notifies everyone in the channel a second time and reads like a
system that has lost control -- during an outage. A message that may be missing is
the lesser harm here because it is *not silent*: the worker completes the row with
``last_error`` saying "may not have arrived" and why (``warroom outbox``, the outbox
screen), the status page (exactly-once) still holds the update, and a person who
looks at the channel can post it again. Unambiguous failures (no connection, 429
``Retry-After``, a refusal before the hook accepted anything) are retried or stop
the row as for any destination; only the unknowable case is given up.

``check`` opens a TCP + TLS connection to the hook's host and sends nothing: a hook
has no read-only call, so it proves reachability only (it says so).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

from tui.core.config import Destination
from tui.publish.destinations.hooks import Answer, hook_url, post, reachable
from tui.publish.outbox import Row
from tui.publish.retry import DeliveryError

if TYPE_CHECKING:
    import httpx

    from tui.publish.destinations import Guarantee

STATUS_WORDS: Final[Mapping[str, str]] = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
COMPONENT_WORDS: Final[Mapping[str, str]] = {
    "major_outage": "major outage",
    "partial_outage": "partial outage",
    "degraded_performance": "degraded",
    "under_maintenance": "maintenance",
    "operational": "operational",
}
SLACK_SECTION: Final = 3000  # characters of mrkdwn in one section block
SLACK_BLOCKS: Final = 50
SLACK_TEXT: Final = 38_000  # characters of the escaped body in ``text`` (Slack cuts at 40,000)
MATTERMOST_TEXT: Final = 16_000  # a post holds 16,383 characters
TEAMS_BODY: Final = 20_000  # bytes of UTF-8: a card is at most 28 KB; the body is cut before
CUT_NOTE: Final = " … (cut here: the full text is on the status page)"


# ------------------------------------------------------------------ what every message says


def status_word(payload: Mapping[str, Any]) -> str:
    if payload.get("kind") == "postmortem":
        return "Post-mortem"
    status = str(payload.get("status", ""))
    return STATUS_WORDS.get(status, status.capitalize())


def title_of(payload: Mapping[str, Any]) -> str:
    return str(payload.get("incident_title") or payload.get("name") or "Incident")


def clock(iso: object, since: object = None) -> str | None:
    """``14:45 UTC`` (``Nov 30 14:45 UTC`` when on another day than ``since``)."""
    at = _parse(iso)
    if at is None:
        return None
    ref = _parse(since)
    day = "" if ref is None or ref.date() == at.date() else at.strftime("%b %d ")
    return f"{day}{at:%H:%M} UTC"


def _parse(iso: object) -> datetime | None:
    if not isinstance(iso, str) or not iso:
        return None
    try:
        at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def facts(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value): the status, the update's time, the next update, the components."""
    out = [("Status", status_word(payload))]
    if as_of := clock(payload.get("at")):
        out.append(("As of", as_of))
    if payload.get("kind") != "postmortem" and payload.get("status") != "resolved":
        nxt = clock(payload.get("next_update_at"), payload.get("at"))
        if nxt:
            out.append(("Next update", f"by {nxt}"))
    names = payload.get("component_names") or {}
    if isinstance(names, Mapping) and names:
        out.append(
            (
                "Components",
                ", ".join(
                    f"{name}: {COMPONENT_WORDS.get(str(st), str(st))}" for name, st in names.items()
                ),
            )
        )
    return out


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(CUT_NOTE)] + CUT_NOTE


def _cut_bytes(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` bytes of UTF-8 (cut between characters, noted)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(CUT_NOTE.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + CUT_NOTE


# ---------------------------------------------------------------------------- the escapes


def slack_escape(text: str) -> str:
    """Slack's three control characters as entities: nothing in ``text`` can mention,
    link or format as a Slack reference (``<!channel>``, ``<@U1>``, ``<url|label>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MM_MENTION = re.compile(r"@(?=(?:channel|all|here)\b)", re.IGNORECASE)


def mattermost_escape(text: str) -> str:
    """``@channel``/``@all``/``@here`` with a zero-width space after the ``@``: shown the
    same, mentioning no one."""
    return _MM_MENTION.sub("@\u200b", text)


# ------------------------------------------------------------------------------- messages


def slack_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``{"text", "blocks"}``: every piece of user text escaped."""
    title = slack_escape(title_of(payload))
    body = str(payload.get("body", "")).strip()
    line = " · ".join(f"{k}: {slack_escape(v)}" for k, v in facts(payload)[1:])
    head = f"*{title}* — {status_word(payload)}"
    whole = _slack_chunks(body, SLACK_TEXT)
    shown = (whole[0] + CUT_NOTE) if len(whole) > 1 else "".join(whole)
    text = f"{head}\n{shown}" + (f"\n_{line}_" if line else "")
    blocks: list[dict[str, Any]] = [_section(head)]
    for chunk in _slack_chunks(body, SLACK_SECTION):
        blocks.append(_section(chunk))
    if line:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    if len(blocks) > SLACK_BLOCKS:  # only a body of thousands of '&' gets here
        blocks = [*blocks[: SLACK_BLOCKS - 2], _section("… (cut: see the status page)"), blocks[-1]]
    return {"text": text, "blocks": blocks}


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _slack_chunks(body: str, limit: int) -> list[str]:
    """The escaped body in pieces of at most ``limit`` characters, cut between
    characters of the original (never inside an ``&amp;``), at a line end or a space
    when there is one in the second half of the piece."""
    chunks: list[str] = []
    rest = body
    while rest:
        size, n = 0, 0
        while n < len(rest):
            grow = len(slack_escape(rest[n]))
            if size + grow > limit:
                break
            size += grow
            n += 1
        if n < len(rest):
            soft = max(rest.rfind("\n", 0, n), rest.rfind(" ", 0, n))
            if soft > n // 2:
                n = soft + 1
        piece, rest = rest[:n], rest[n:]
        if piece.strip():
            chunks.append(slack_escape(piece.strip()))
    return chunks


def mattermost_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``{"text"}``: Markdown; user text keeps its formatting but mentions no one."""
    title = mattermost_escape(title_of(payload))
    line = " · ".join(f"{k}: {mattermost_escape(v)}" for k, v in facts(payload)[1:])
    head = f"**{title}** — {status_word(payload)}\n\n"
    tail = f"\n\n_{line}_" if line else ""
    room = MATTERMOST_TEXT - len(head) - len(tail)
    body = _cut(mattermost_escape(str(payload.get("body", "")).strip()), room)
    return {"text": head + body + tail}


def teams_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A Workflows webhook message holding one small Adaptive Card (version 1.4)."""
    body = _cut_bytes(str(payload.get("body", "")).strip(), TEAMS_BODY)
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [
            {
                "type": "RichTextBlock",
                "inlines": [
                    {
                        "type": "TextRun",
                        "text": title_of(payload),
                        "weight": "Bolder",
                        "size": "Medium",
                    }
                ],
            },
            {
                "type": "FactSet",
                "facts": [{"title": k, "value": v} for k, v in facts(payload)],
            },
            {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": body}]},
        ],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


# ---------------------------------------------------------------------- what a refusal means

_SLACK_WORDS: Final[Mapping[str, str]] = {
    "no_service": "the hook does not exist (deleted, or a wrong URL): make a new incoming "
    "webhook and put its URL where url_env/url_file points",
    "no_team": "the workspace of this hook is gone: make a new incoming webhook",
    "invalid_token": "the hook's token is not valid: make a new incoming webhook",
    "channel_not_found": "the hook's channel is gone: make a new incoming webhook",
    "channel_is_archived": "the hook's channel is archived: unarchive it or make a new hook",
    "action_prohibited": "an admin has restricted posting to the hook's channel",
    "posting_to_general_channel_denied": "only admins may post to that channel",
    "team_disabled": "the workspace is disabled",
    "invalid_payload": "Slack refused the message's JSON (a warroom bug: please report it)",
    "no_text": "Slack found no text in the message (a warroom bug: please report it)",
    "invalid_blocks": "Slack refused the message's blocks (a warroom bug: please report it)",
    "msg_too_long": "the message is too long for Slack: shorten it",
}


def _slack_words(status: int, said: str) -> str:
    found = re.match(r"[a-z_]+", said.strip())
    code = found.group(0) if found else ""
    explained = _SLACK_WORDS.get(code)
    return f"{code}: {explained}" if explained else said


def _mattermost_words(status: int, said: str) -> str:
    try:
        data = json.loads(said)
    except ValueError:
        data = None
    message = data.get("message") if isinstance(data, dict) else None
    if isinstance(message, str) and message:
        if "Invalid webhook" in message:
            return f"{message}: the hook does not exist; make a new incoming webhook"
        return message
    return said


def _teams_words(status: int, said: str) -> str:
    try:
        data = json.loads(said)
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        text = " ".join(str(p) for p in (code, message) if p)
        if status in (401, 403):
            return f"{text} (the workflow's URL, with its sig=, is not valid: copy it again)"
        if status == 404:
            return f"{text} (the workflow is gone or turned off)"
        return text
    return said


# -------------------------------------------------------------------------------- adapters


class _HookAdapter:
    """One message per row to a chat hook; at-most-once (see the module)."""

    guarantee: ClassVar[Guarantee] = "at-most-once"
    what: ClassVar[str] = "chat webhook"
    ok_text: ClassVar[str | None] = None  # the exact body of a success (None: any)

    def __init__(self, dest: Destination, before: Callable[[], None] | None = None):
        self.dest = dest
        self.before = before

    def message(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def words(self, status: int, said: str) -> str:
        return said

    def send(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """Post the row; the reference is the war room's incident key (a hook has no id)."""
        content = json.dumps(self.message(row.payload), ensure_ascii=False).encode("utf-8")
        answer = post(
            client,
            self.dest,
            hook_url(self.dest),
            content,
            words=self.words,
            before=self.before,
        )
        self._judge(answer)
        return provider_ref or str(row.payload["incident_key"])

    def _judge(self, answer: Answer) -> None:
        garbage = answer.content_type == "text/html" and self.ok_text is None
        if garbage or (self.ok_text is not None and answer.text.strip() != self.ok_text):
            # a 2xx that is not the hook's "ok": a proxy's page, a captive portal... the
            # message may or may not have reached the hook
            shown = answer.text[:60] or "(empty)"
            raise DeliveryError(
                f"HTTP {answer.status} but not the {self.what}'s answer ({shown!r})",
                retryable=True,
                ambiguous=True,
            )

    def find(
        self, client: httpx.Client, row: Row, provider_ref: str | None, already: int = 0
    ) -> tuple[str | None, bool]:
        """A hook cannot be asked: the row counts as there (at-most-once); the worker
        records that it may not have arrived."""
        return provider_ref or str(row.payload["incident_key"]), True

    def check(self, client: httpx.Client) -> str:
        """Reachability of the hook's host (TCP + TLS); nothing is posted."""
        return reachable(self.dest, what=self.what)


class SlackAdapter(_HookAdapter):
    """Slack incoming webhook: ``{"text", "blocks"}``, answered ``ok``."""

    what = "Slack incoming webhook"
    ok_text = "ok"

    def message(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return slack_message(payload)

    def words(self, status: int, said: str) -> str:
        return _slack_words(status, said)


class MattermostAdapter(_HookAdapter):
    """Mattermost incoming webhook (Slack-compatible ``{"text"}``), answered ``ok``."""

    what = "Mattermost incoming webhook"
    ok_text = "ok"

    def message(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return mattermost_message(payload)

    def words(self, status: int, said: str) -> str:
        return _mattermost_words(status, said)


class TeamsAdapter(_HookAdapter):
    """Microsoft Teams Workflows webhook: an Adaptive Card, answered 202 (any 2xx but an
    HTML page, which is a proxy's or a portal's, not the workflow's)."""

    what = "Teams Workflows webhook"

    def message(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return teams_message(payload)

    def words(self, status: int, said: str) -> str:
        return _teams_words(status, said)

"""Strict local chat hooks: Slack and Mattermost incoming webhooks, a Teams Workflows webhook.

Each is a real HTTP server on 127.0.0.1 (:mod:`tests.emulators.hookbase`) whose hook
URL carries a random token, as the real ones do (the token is the credential: a wrong
one is refused the way the provider refuses it). What each accepts:

* :class:`SlackHook` -- ``POST /services/T…/B…/<token>``, ``application/json``: an
  object with ``text`` (required, non-empty, at most 40,000 characters: ``no_text``,
  ``msg_too_long``) and optional ``blocks`` (section, context, divider, header; a
  section's text at most 3,000 characters; at most 50 blocks: ``invalid_blocks``);
  bad JSON, another content type or an unknown top-level field: ``invalid_payload``
  (the real Slack ignores unknown fields: stricter here, to catch our mistakes); a
  wrong token: 404 ``no_service``. Success: 200 ``ok`` (text).
* :class:`MattermostHook` -- ``POST /hooks/<26 characters>``: ``{"text"}`` (or
  attachments), at most 16,383 characters; errors as Mattermost's JSON
  (``{"id": "web.incoming_webhook....", "message": ..., "status_code": 400}``); a wrong
  id: 400 ``Invalid webhook``. Success: 200 ``ok``.
* :class:`TeamsHook` -- ``POST /workflows/<id>/triggers/manual/paths/invoke?api-version=
  2016-06-01&sp=…&sv=1.0&sig=<sig>``: a wrong or missing ``sig`` is 401
  (``DirectApiAuthorizationRequired``), a wrong workflow 404; the body must be
  ``{"type": "message", "attachments": [{"contentType":
  "application/vnd.microsoft.card.adaptive", "content": <AdaptiveCard>}]}`` with a
  valid small card (TextBlock, RichTextBlock/TextRun, FactSet; unknown properties
  refused), at most 28 KB: 400 ``InvalidRequestContent`` / 413 otherwise. Success:
  202, empty.

Each keeps the accepted messages (``messages``) and can say who a message would have
pinged (:meth:`SlackHook.pings`, :meth:`MattermostHook.pings`).
"""

from __future__ import annotations

import json
import re
import secrets
import string
from typing import Any

from tests.emulators.hookbase import HookServer, Reply, Request


def _json_object(req: Request) -> dict[str, Any] | None:
    ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return None
    try:
        data = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _text(status: int, text: str) -> Reply:
    return status, "text/html", text.encode(), {}


# ---------------------------------------------------------------------------------- Slack

_SLACK_KEYS = {
    "text",
    "blocks",
    "attachments",
    "username",
    "icon_emoji",
    "icon_url",
    "channel",
    "mrkdwn",
    "unfurl_links",
    "unfurl_media",
    "thread_ts",
    "parse",
    "link_names",
}
_SLACK_PING = re.compile(r"<(!channel|!here|!everyone|!subteam\^[^>]*|@[UW][A-Z0-9]+)[^>]*>")


class SlackHook(HookServer):
    def __init__(self) -> None:
        super().__init__()
        alnum = string.ascii_uppercase + string.digits
        team = "T" + "".join(secrets.choice(alnum) for _ in range(10))
        bot = "B" + "".join(secrets.choice(alnum) for _ in range(10))
        self.token = "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(24)
        )
        self.path = f"/services/{team}/{bot}/{self.token}"
        self.messages: list[dict[str, Any]] = []

    @property
    def hook_url(self) -> str:
        return self.url + self.path

    def handle(self, req: Request) -> Reply:
        if req.path != self.path:
            return _text(404, "no_service")
        if req.method != "POST":
            return _text(405, "invalid_method")
        data = _json_object(req)
        if data is None or set(data) - _SLACK_KEYS:
            return _text(400, "invalid_payload")
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            return _text(400, "no_text")
        if len(text) > 40_000:
            return _text(400, "msg_too_long")
        if "blocks" in data and not _valid_blocks(data["blocks"]):
            return _text(400, "invalid_blocks")
        self.messages.append(data)
        return _text(200, "ok")

    @staticmethod
    def pings(message: dict[str, Any]) -> list[str]:
        """The mentions Slack would act on in the message's text and mrkdwn blocks."""
        texts = [message.get("text", "")]
        for block in message.get("blocks") or []:
            objs = [block.get("text"), *(block.get("elements") or [])]
            texts += [o["text"] for o in objs if isinstance(o, dict) and o.get("type") == "mrkdwn"]
        return [m.group(1) for t in texts for m in _SLACK_PING.finditer(t)]

    @staticmethod
    def shown(mrkdwn: str) -> str:
        """What a reader sees of escaped text (the three entities decoded)."""
        return mrkdwn.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_object(obj: Any, kinds: tuple[str, ...], limit: int) -> bool:
    return (
        isinstance(obj, dict)
        and set(obj) <= {"type", "text", "emoji", "verbatim"}
        and obj.get("type") in kinds
        and isinstance(obj.get("text"), str)
        and 0 < len(obj["text"]) <= limit
    )


def _valid_blocks(blocks: Any) -> bool:
    if not isinstance(blocks, list) or not 0 < len(blocks) <= 50:
        return False
    for block in blocks:
        if not isinstance(block, dict):
            return False
        kind = block.get("type")
        if kind == "section":
            ok = set(block) <= {"type", "text", "block_id"} and _text_object(
                block.get("text"), ("mrkdwn", "plain_text"), 3000
            )
        elif kind == "context":
            elements = block.get("elements")
            ok = (
                set(block) <= {"type", "elements", "block_id"}
                and isinstance(elements, list)
                and 0 < len(elements) <= 10
                and all(_text_object(e, ("mrkdwn", "plain_text"), 3000) for e in elements)
            )
        elif kind == "header":
            ok = set(block) <= {"type", "text", "block_id"} and _text_object(
                block.get("text"), ("plain_text",), 150
            )
        elif kind == "divider":
            ok = set(block) <= {"type", "block_id"}
        else:
            ok = False
        if not ok:
            return False
    return True


# ----------------------------------------------------------------------------- Mattermost

_MM_KEYS = {
    "text",
    "username",
    "icon_url",
    "icon_emoji",
    "channel",
    "attachments",
    "props",
    "type",
    "priority",
}
_MM_PING = re.compile(r"(?<![\w@])@(channel|all|here)\b", re.IGNORECASE)


def _mm_error(what: str, message: str) -> Reply:
    body = {
        "id": f"web.incoming_webhook.{what}.app_error",
        "message": message,
        "detailed_error": "",
        "request_id": secrets.token_hex(13),
        "status_code": 400,
    }
    return 400, "application/json", json.dumps(body).encode(), {}


class MattermostHook(HookServer):
    def __init__(self) -> None:
        super().__init__()
        self.hook_id = "".join(
            secrets.choice(string.ascii_lowercase + string.digits) for _ in range(26)
        )
        self.path = f"/hooks/{self.hook_id}"
        self.messages: list[dict[str, Any]] = []

    @property
    def hook_url(self) -> str:
        return self.url + self.path

    def handle(self, req: Request) -> Reply:
        if req.method != "POST":
            return 405, "text/plain", b"405 method not allowed", {}
        if req.path != self.path:
            return _mm_error("invalid", "Invalid webhook.")
        data = _json_object(req)
        if data is None or set(data) - _MM_KEYS:
            return _mm_error("parse", "Unable to parse incoming data.")
        text = data.get("text")
        if text is not None and not isinstance(text, str):
            return _mm_error("parse", "Unable to parse incoming data.")
        if not (text or "").strip() and not data.get("attachments"):
            return _mm_error("text", "No text specified.")
        if len(text or "") > 16_383:
            return _mm_error("text.length", "Text too long.")
        self.messages.append(data)
        return 200, "text/plain", b"ok", {}

    @staticmethod
    def pings(message: dict[str, Any]) -> list[str]:
        return [m.group(1).lower() for m in _MM_PING.finditer(message.get("text") or "")]


# ---------------------------------------------------------------------------------- Teams

CARD = "application/vnd.microsoft.card.adaptive"
_CARD_KEYS = {
    "type",
    "$schema",
    "version",
    "body",
    "actions",
    "msteams",
    "fallbackText",
    "speak",
    "lang",
}
_COMMON = {"type", "id", "spacing", "separator", "isVisible", "height"}
_TEXT_STYLE = {"weight", "size", "color", "isSubtle", "fontType"}
_WEIGHTS = {"Default", "Lighter", "Bolder"}
_SIZES = {"Default", "Small", "Medium", "Large", "ExtraLarge"}


def _styled(obj: dict[str, Any]) -> bool:
    return obj.get("weight", "Default") in _WEIGHTS and obj.get("size", "Default") in _SIZES


def _card_problem(card: Any) -> str | None:
    """What is wrong with an Adaptive Card (None: valid for this emulator)."""
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return "content.type must be AdaptiveCard"
    if set(card) - _CARD_KEYS:
        return f"unknown card properties {sorted(set(card) - _CARD_KEYS)}"
    if card.get("version") not in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5"):
        return "content.version must be 1.0 to 1.5"
    body = card.get("body")
    if not isinstance(body, list) or not body:
        return "content.body must be a non-empty list"
    for i, el in enumerate(body):
        where = f"content.body[{i}]"
        if not isinstance(el, dict):
            return f"{where} must be an object"
        kind = el.get("type")
        if kind == "TextBlock":
            allowed = _COMMON | _TEXT_STYLE | {"text", "wrap", "maxLines", "horizontalAlignment"}
            if set(el) - allowed or not isinstance(el.get("text"), str) or not _styled(el):
                return f"{where}: a TextBlock needs text (and known properties only)"
        elif kind == "RichTextBlock":
            inlines = el.get("inlines")
            if set(el) - (_COMMON | {"inlines", "horizontalAlignment"}):
                return f"{where}: unknown RichTextBlock properties"
            if not isinstance(inlines, list) or not inlines:
                return f"{where}: a RichTextBlock needs inlines"
            run_keys = {"type", "text", "italic", "strikethrough", "highlight", "underline"}
            for run in inlines:
                if not (
                    isinstance(run, dict)
                    and run.get("type") == "TextRun"
                    and not set(run) - (run_keys | _TEXT_STYLE)
                    and isinstance(run.get("text"), str)
                    and _styled(run)
                ):
                    return f"{where}: each inline must be a TextRun with text"
        elif kind == "FactSet":
            facts = el.get("facts")
            if set(el) - (_COMMON | {"facts"}) or not isinstance(facts, list) or not facts:
                return f"{where}: a FactSet needs facts"
            for fact in facts:
                if not (
                    isinstance(fact, dict)
                    and set(fact) == {"title", "value"}
                    and all(isinstance(v, str) for v in fact.values())
                ):
                    return f"{where}: each fact is {{title, value}} (text)"
        else:
            return f"{where}: element type {kind!r} is not supported here"
    return None


def _teams_error(status: int, code: str, message: str) -> Reply:
    body = {"error": {"code": code, "message": message}}
    return status, "application/json; charset=utf-8", json.dumps(body).encode(), {}


class TeamsHook(HookServer):
    def __init__(self) -> None:
        super().__init__()
        self.workflow = secrets.token_hex(16)
        self.sig = secrets.token_urlsafe(32)
        self.path = f"/workflows/{self.workflow}/triggers/manual/paths/invoke"
        self.cards: list[dict[str, Any]] = []

    @property
    def hook_url(self) -> str:
        return (
            f"{self.url}{self.path}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun"
            f"&sv=1.0&sig={self.sig}"
        )

    def handle(self, req: Request) -> Reply:
        if req.path != self.path:
            return _teams_error(404, "WorkflowNotFound", "The workflow could not be found.")
        if req.query.get("sig") != [self.sig]:
            return _teams_error(
                401,
                "DirectApiAuthorizationRequired",
                "The request must be authenticated only by Shared Access scheme.",
            )
        if req.method != "POST":
            return _teams_error(405, "MethodNotAllowed", "Only POST is allowed.")
        if len(req.body) > 28 * 1024:
            return _teams_error(413, "RequestEntityTooLarge", "The card is larger than 28 KB.")
        data = _json_object(req)
        if data is None:
            return _teams_error(400, "InvalidRequestContent", "The body is not a JSON object.")
        if set(data) != {"type", "attachments"} or data.get("type") != "message":
            return _teams_error(
                400, "InvalidRequestContent", "Expected {type: message, attachments}."
            )
        attachments = data.get("attachments")
        if not isinstance(attachments, list) or len(attachments) != 1:
            return _teams_error(400, "InvalidRequestContent", "Expected one attachment.")
        att = attachments[0]
        if (
            not isinstance(att, dict)
            or set(att) - {"contentType", "contentUrl", "content"}
            or att.get("contentType") != CARD
        ):
            return _teams_error(400, "InvalidRequestContent", f"contentType must be {CARD}.")
        problem = _card_problem(att.get("content"))
        if problem:
            return _teams_error(400, "InvalidRequestContent", problem)
        self.cards.append(att["content"])
        return 202, "text/plain", b"", {}

    @staticmethod
    def runs(card: dict[str, Any]) -> list[str]:
        """The texts of the card's TextRuns (shown literally: no Markdown)."""
        return [
            run["text"]
            for el in card["body"]
            if el["type"] == "RichTextBlock"
            for run in el["inlines"]
        ]

    @staticmethod
    def markdown(card: dict[str, Any]) -> list[str]:
        """The texts Teams would render as Markdown (TextBlocks and fact values)."""
        out = [el["text"] for el in card["body"] if el["type"] == "TextBlock"]
        for el in card["body"]:
            if el["type"] == "FactSet":
                out += [f["value"] for f in el["facts"]]
        return out

    @staticmethod
    def facts(card: dict[str, Any]) -> dict[str, str]:
        return {
            f["title"]: f["value"]
            for el in card["body"]
            if el["type"] == "FactSet"
            for f in el["facts"]
        }

"""A strict local Discord webhook (execute, get, get message), over real HTTP.

From Discord's developer documentation (Webhook resource: Execute Webhook, Get Webhook
with Token, Get Webhook Message; Rate Limits; JSON error codes):

* the hook is ``/api/webhooks/{webhook.id}/{webhook.token}`` (``/api/v10/...`` too): an
  unknown id -> 404 ``{"message": "Unknown Webhook", "code": 10015}``, a wrong token ->
  401 ``{"message": "Invalid Webhook Token", "code": 50027}``;
* ``POST <hook>`` executes: ``?wait=true`` answers 200 with the message object (its ``id``
  a snowflake STRING), without it 204 and no body; ``content`` over 2,000 characters ->
  400 ``{"message": "Invalid Form Body", "code": 50035, "errors": {"content": {"_errors":
  [{"code": "BASE_TYPE_MAX_LENGTH", ...}]}}}``; neither content nor embeds -> 400
  ``{"message": "Cannot send an empty message", "code": 50006}``; ``allowed_mentions.parse``
  holds only ``roles``, ``users``, ``everyone``;
* ``GET <hook>`` -> the webhook object (it carries the ``token`` back: a careless echo
  the client must never show), ``GET <hook>/messages/{id}`` -> the message or 404
  ``{"message": "Unknown Message", "code": 10008}``;
* 429: ``{"message": "You are being rate limited.", "retry_after": <seconds, float>,
  "global": false}`` (the ``Retry-After`` header is sent only when :meth:`throttle`
  is asked for it, so a test can prove the body's field is what is honoured).

Stricter than Discord on one point: an unknown top-level field is a 400 (Discord ignores
it; a misspelled field of ours would vanish unnoticed).

Faults of the transport (5xx, hang, reset after the commit, garbage) come from
:class:`tests.faulty.FaultyProxy` in front of this server; :meth:`throttle` and
:meth:`echo_next` are Discord's own answers.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from tests.emulators.openstatus import LoopbackServer

DISCORD_EPOCH_MS = 1420070400000
EXECUTE_FIELDS = frozenset(
    {
        "content",
        "username",
        "avatar_url",
        "tts",
        "embeds",
        "allowed_mentions",
        "components",
        "attachments",
        "flags",
        "thread_name",
        "applied_tags",
        "poll",
    }
)


@dataclass
class Message:
    id: str
    content: str
    allowed_mentions: Any
    timestamp: str
    thread_id: str | None = None


class DiscordError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body.get("message"))
        self.status = status
        self.body = body
        self.headers = headers or {}


class DiscordEmulator:
    """One channel with one incoming webhook (``webhook_id``, ``token``)."""

    def __init__(self, *, name: str = "Status", channel_id: str = "1180000000000000001"):
        self.webhook_id = "1180000000000000042"
        self.token = secrets.token_urlsafe(48)
        self.name = name
        self.channel_id = channel_id
        self.messages: list[Message] = []
        self.seen: list[tuple[str, str]] = []  # (method, path without the token)
        self._lock = threading.Lock()
        self._counter = 0
        self._throttle: list[tuple[float, bool] | None] = []  # the next POSTs: 429 or not
        self._echo = 0  # the next POSTs answer 400 quoting the URL they came to
        self._server = LoopbackServer(self._handle)

    # -- lifecycle / control ------------------------------------------------------------
    @property
    def url(self) -> str:
        return self._server.url

    def hook_url(self, base: str | None = None) -> str:
        """The secret URL (``base``: a proxy in front of this server)."""
        return f"{(base or self.url).rstrip('/')}/api/webhooks/{self.webhook_id}/{self.token}"

    def start(self) -> DiscordEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def throttle(
        self, times: int = 1, retry_after: float = 1.5, header: bool = False, after: int = 0
    ) -> None:
        """After ``after`` more POSTs go through, the next ``times`` are rate limited
        (nothing posted)."""
        with self._lock:
            self._throttle += [None] * after + [(retry_after, header)] * times

    def echo_next(self, times: int = 1) -> None:
        """The next ``times`` POSTs answer 400 with a message quoting the hook URL."""
        with self._lock:
            self._echo += times

    def contents(self) -> list[str]:
        with self._lock:
            return [m.content for m in self.messages]

    # -- the API ---------------------------------------------------------------------------
    def _handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        path, _, query = target.partition("?")
        try:
            with self._lock:
                self.seen.append((method, path.replace(self.token, "<token>")))
                return self._route(method, path, parse_qs(query), body, target)
        except DiscordError as exc:
            return exc.status, exc.body, exc.headers

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, target: str
    ) -> tuple[int, Any, dict[str, str]]:
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["api"]:
            raise DiscordError(404, {"message": "404: Not Found", "code": 0})
        parts = parts[1:]
        if parts and parts[0].startswith("v") and parts[0][1:].isdigit():
            parts = parts[1:]
        if len(parts) < 3 or parts[0] != "webhooks":
            raise DiscordError(404, {"message": "404: Not Found", "code": 0})
        hook_id, token, rest = parts[1], parts[2], parts[3:]
        if hook_id != self.webhook_id:
            raise DiscordError(404, {"message": "Unknown Webhook", "code": 10015})
        if not secrets.compare_digest(token, self.token):
            raise DiscordError(401, {"message": "Invalid Webhook Token", "code": 50027})
        if method == "GET" and not rest:
            return 200, self._webhook(), {}
        if method == "GET" and len(rest) == 2 and rest[0] == "messages":
            found = next((m for m in self.messages if m.id == rest[1]), None)
            if found is None:
                raise DiscordError(404, {"message": "Unknown Message", "code": 10008})
            return 200, self._message(found), {}
        if method == "POST" and not rest:
            return self._execute(query, body, target)
        raise DiscordError(405, {"message": "405: Method Not Allowed", "code": 0})

    def _execute(
        self, query: dict[str, list[str]], body: bytes, target: str
    ) -> tuple[int, Any, dict[str, str]]:
        throttled = self._throttle.pop(0) if self._throttle else None
        if throttled is not None:
            retry_after, header = throttled
            raise DiscordError(
                429,
                {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": False,
                },
                {"Retry-After": str(int(retry_after + 0.999))} if header else {},
            )
        if self._echo:
            self._echo -= 1
            raise DiscordError(
                400, {"message": f"Invalid Form Body for POST {target}", "code": 50035}
            )
        try:
            data = json.loads(body or b"null")
        except ValueError:
            raise DiscordError(
                400, {"message": "The request body contains invalid JSON.", "code": 50109}
            ) from None
        if not isinstance(data, dict):
            raise DiscordError(
                400,
                _form_error(
                    "_", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
                ),
            )
        unknown = sorted(set(data) - EXECUTE_FIELDS)
        if unknown:
            raise DiscordError(400, _form_error(unknown[0], "UNKNOWN_FIELD", "Unknown field"))
        content = data.get("content")
        if content is not None and not isinstance(content, str):
            raise DiscordError(
                400, _form_error("content", "BASE_TYPE_STRING", "Could not interpret as string.")
            )
        if content is not None and len(content) > 2000:
            raise DiscordError(
                400,
                _form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."),
            )
        if not (content or "").strip() and not data.get("embeds"):
            raise DiscordError(400, {"message": "Cannot send an empty message", "code": 50006})
        mentions = data.get("allowed_mentions")
        if mentions is not None:
            parse = mentions.get("parse") if isinstance(mentions, dict) else None
            if not isinstance(parse, list) or not set(parse) <= {"roles", "users", "everyone"}:
                raise DiscordError(
                    400,
                    _form_error(
                        "allowed_mentions", "MODEL_TYPE_CONVERT", "Invalid allowed mentions"
                    ),
                )
        thread = query.get("thread_id", [None])[0]
        if thread is not None and not thread.isdigit():
            raise DiscordError(
                400, _form_error("thread_id", "NUMBER_TYPE_COERCE", "Value is not snowflake.")
            )
        message = Message(self._snowflake(), content or "", mentions, _now(), thread)
        self.messages.append(message)
        if query.get("wait", ["false"])[0].lower() != "true":
            return 204, None, {}
        return 200, self._message(message), {}

    def _snowflake(self) -> str:
        self._counter += 1
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (1 << 17) | (self._counter & 0xFFF))

    def _webhook(self) -> dict[str, Any]:
        return {
            "type": 1,
            "id": self.webhook_id,
            "name": self.name,
            "avatar": None,
            "channel_id": self.channel_id,
            "guild_id": "1180000000000000000",
            "application_id": None,
            "token": self.token,
        }

    def _message(self, m: Message) -> dict[str, Any]:
        return {
            "id": m.id,
            "type": 0,
            "content": m.content,
            "channel_id": self.channel_id,
            "author": {"bot": True, "id": self.webhook_id, "username": self.name, "avatar": None},
            "attachments": [],
            "embeds": [],
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": False,
            "timestamp": m.timestamp,
            "edited_timestamp": None,
            "flags": 0,
            "components": [],
            "webhook_id": self.webhook_id,
        }


def _form_error(field: str, code: str, message: str) -> dict[str, Any]:
    return {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {field: {"_errors": [{"code": code, "message": message}]}},
    }


def _now() -> str:
    return datetime.now(UTC).isoformat()

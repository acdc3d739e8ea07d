"""A webhook sink beside the local page: it receives warroom's signed JSON webhook and lists it.

``warroom demo`` publishes to the local status page *and* to this sink (a
destination of ``type: webhook``), so one update is seen reaching two places.
Routes, present only when the page is started with a ``sink_secret``:

* ``POST /sink`` -- one update (the format of :mod:`tui.publish.destinations.webhook`):
  ``Warroom-Timestamp`` and ``Warroom-Signature: v1=<hex HMAC-SHA256(secret,
  "<timestamp>.<raw body>")>`` are verified (constant time, 5 minutes' tolerance)
  before anything is read; 401 otherwise. The body must be a JSON object with
  ``event``, ``id``, ``status`` and ``body`` (400 otherwise). A repeat of an ``id``
  (an at-least-once retry) is counted, not listed twice. 200 ``{"ok": true}``.
* ``GET /sink`` -- the messages received, newest first, as HTML (every text escaped).
* ``GET /sink/messages`` -- the same as JSON (for tests and scripts).

Held in memory, at most :data:`KEEP` messages: a demo's sink, not a store.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

KEEP: Final = 500
TOLERANCE: Final = 300  # seconds a signature's timestamp may be off
REQUIRED: Final = ("event", "id", "status", "body")


@dataclass
class WebhookSink:
    """The messages a sink has received (thread-safe: uvicorn's loop writes, tests read)."""

    secret: bytes
    messages: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, raw: bytes, timestamp: str | None, signature: str | None) -> str:
        """ "" when the request is signed by our secret and fresh; else why not."""
        if not timestamp or not signature:
            return "missing Warroom-Timestamp or Warroom-Signature"
        try:
            sent = int(timestamp)
        except ValueError:
            return "Warroom-Timestamp is not a number"
        if abs(time.time() - sent) > TOLERANCE:
            return "Warroom-Timestamp is more than 5 minutes off"
        expected = hmac.new(self.secret, f"{timestamp}.".encode() + raw, hashlib.sha256)
        given = signature.removeprefix("v1=")
        if not signature.startswith("v1=") or not hmac.compare_digest(expected.hexdigest(), given):
            return "bad signature"
        return ""

    def receive(self, message: dict[str, Any]) -> None:
        with self._lock:
            for kept in self.messages:
                if kept["id"] == message["id"]:
                    kept["copies"] += 1
                    return
            self.messages.insert(0, {**message, "copies": 1, "received_at": time.time()})
            del self.messages[KEEP:]

    def listed(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self.messages]


def sink_routes(sink: WebhookSink) -> list[Route]:
    async def post(request: Request) -> Response:
        raw = await request.body()
        why = sink.verify(
            raw, request.headers.get("warroom-timestamp"), request.headers.get("warroom-signature")
        )
        if why:
            return JSONResponse({"message": why}, status_code=401)
        try:
            message = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            return JSONResponse({"message": "the body is not JSON"}, status_code=400)
        if not isinstance(message, dict):
            return JSONResponse({"message": "the body is not a JSON object"}, status_code=400)
        missing = [k for k in REQUIRED if not isinstance(message.get(k), str)]
        if missing:
            return JSONResponse({"message": f"missing: {', '.join(missing)}"}, status_code=400)
        sink.receive(message)
        return JSONResponse({"ok": True})

    async def page(request: Request) -> Response:
        return HTMLResponse(render(sink.listed()))

    async def listing(request: Request) -> Response:
        return JSONResponse(sink.listed())

    return [
        Route("/sink", post, methods=["POST"]),
        Route("/sink", page, methods=["GET"]),
        Route("/sink/messages", listing, methods=["GET"]),
    ]


def render(messages: list[dict[str, Any]]) -> str:
    """The sink's page: every received message, newest first, all text escaped."""
    e = html.escape
    items = []
    for m in messages:
        title = (
            (m.get("incident") or {}).get("title", "")
            if isinstance(m.get("incident"), dict)
            else ""
        )
        copies = (
            f" <small>(received {m['copies']} times, listed once)</small>"
            if m["copies"] > 1
            else ""
        )
        items.append(
            f"<li><p><b>{e(str(m.get('event', '')))}</b> \u00b7 {e(str(m.get('status', '')))}"
            f" \u00b7 {e(str(title))} \u00b7 {e(str(m.get('at') or ''))}{copies}</p>"
            f"<pre>{e(str(m.get('body', '')))}</pre></li>"
        )
    body = "".join(items) or "<li>Nothing received yet.</li>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='refresh' content='5'><title>Webhook sink</title>"
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}"
        "pre{white-space:pre-wrap;background:#f4f4f4;padding:.5em}</style></head><body>"
        f"<h1>Webhook sink</h1><p>{len(messages)} signed message(s) received, verified "
        "with the demo's secret. <a href='/'>The status page</a></p>"
        f"<ul>{body}</ul></body></html>"
    )

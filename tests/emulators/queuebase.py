"""What the queue-source emulators share: real HTTP on 127.0.0.1 (Starlette under uvicorn
in a thread), every request recorded, and faults on demand.

``fault`` makes every following answer one of:

* ``"429"``: 429 with ``Retry-After: {retry_after}`` (and the provider's error body);
* ``"garbage"``: 200 with an HTML page (not JSON);
* ``"hang"``: no answer until the client gives up (released at once by ``stop()``);
* ``"huge"``: 200 with a JSON body of 2 MiB (more than a source reads);
* ``None``: the provider's real behaviour.

``echo_auth``: a refused request's error text quotes the ``Authorization`` header it
got (a careless server or proxy) -- the client must redact it.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.emulators.instatus import AppThread


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes


class QueueEmulator(AppThread):
    """Subclasses give the routes; handlers start with ``await self.enter(request)``."""

    def __init__(self, app: Any):
        self.fault: str | None = None
        self.retry_after = "17"
        self.echo_auth = False
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._released = False
        super().__init__(app)

    async def enter(self, request: Request) -> Response | None:
        """Record the request; the fault's answer when one is set (None: go on)."""
        body = await request.body()
        with self._lock:
            self.seen.append(
                Seen(
                    request.method,
                    request.url.path,
                    dict(request.query_params),
                    {k.lower(): v for k, v in request.headers.items()},
                    body,
                )
            )
        fault = self.fault
        if fault == "429":
            return JSONResponse(
                self.rate_limited_body(), status_code=429, headers={"Retry-After": self.retry_after}
            )
        if fault == "garbage":
            return Response(
                "<html><body>502 Bad Gateway (upstream)</body></html>",
                status_code=200,
                media_type="text/html",
            )
        if fault == "hang":
            for _ in range(300):  # at most 30 s; stop() releases it at once
                if self._released:
                    break
                await asyncio.sleep(0.1)
            return Response("", status_code=504)
        if fault == "huge":
            return Response(
                b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}',
                media_type="application/json",
            )
        return None

    def refused(self, request: Request, body: dict[str, Any], status: int = 401) -> JSONResponse:
        """The provider's auth refusal; with ``echo_auth``, quoting the header it got."""
        if self.echo_auth:
            body = dict(body)
            body[self.echo_field] = f"bad credentials: {request.headers.get('authorization', '')}"
        return JSONResponse(body, status_code=status)

    echo_field = "message"

    def rate_limited_body(self) -> dict[str, Any]:
        return {"error": "rate limited"}

    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self.seen)

    def stop(self) -> None:
        self._released = True
        super().stop()

"""The ASGI wrapper around the whole page: ``.json`` paths, authentication, headers, 500s.

* A trailing ``.json`` is stripped from every path (``/api/v2/summary.json`` is
  ``/api/v2/summary``), as Statuspage accepts both.
* Every ``/v1`` call needs ``Authorization: OAuth <api_key>``, compared with
  :func:`hmac.compare_digest`; without it the answer is 401 ``{"message": "Could not
  authenticate"}``. The key is never written anywhere.
* Every answer gets ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``;
  ``/v1`` answers also ``Cache-Control: no-store``.
* An exception that escapes is a defect, not the client's doing: one log line (the
  exception's type and where, never the request or its values) and a JSON 500, never a
  traceback.
"""

from __future__ import annotations

import hmac
import logging
from pathlib import Path

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNAUTHORIZED = "Could not authenticate"
_log = logging.getLogger("warroom.page")


class Guard:
    """Strips a trailing ``.json``; authenticates ``/v1``; adds defensive headers."""

    def __init__(self, app: ASGIApp, *, api_key: bytes):
        self.app = app
        self._key = api_key

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, token = value.strip().partition(b" ")
                return scheme.lower() == b"oauth" and hmac.compare_digest(token.strip(), self._key)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.endswith(".json"):
            raw = scope.get("raw_path") or path.encode()
            scope = {**scope, "path": path[:-5], "raw_path": raw[:-5]}
            path = path[:-5]
        api = path == "/v1" or path.startswith("/v1/")

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if api:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        if api and not self._authorized(scope):
            response = JSONResponse({"message": UNAUTHORIZED}, status_code=401)
            await response(scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # A defect, not the client's doing: one line on the log (the exception's type and
            # where, never the request or its values), a JSON 500, and no traceback.
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb else "?"
            _log.error("status page: internal error %s at %s", type(exc).__name__, where)
            if started:
                return  # the answer is under way: the server closes the connection
            response = JSONResponse({"message": "Internal server error"}, status_code=500)
            await response(scope, receive, send_with_headers)

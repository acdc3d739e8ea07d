"""A local JSON queue endpoint for the generic ``json`` source (``GET /queue``).

It answers ``document`` (any JSON value, set by the test) when every header of
``required`` has its exact value and, if ``url_token`` is set, the query has
``token=<url_token>`` (a URL that is itself a secret); else 401 ``{"message":
"unauthorized"}`` (quoting the headers it got with ``echo_auth``). The faults of
:class:`~tests.emulators.queuebase.QueueEmulator` apply.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators.queuebase import QueueEmulator


class JsonQueueEmulator(QueueEmulator):
    def __init__(self, required: dict[str, str] | None = None, url_token: str | None = None):
        self.required = dict(required or {})
        self.url_token = url_token
        self.document: Any = {"data": {"waiting": 0, "oldest_waiting": None}}
        self.unauthorized = "unauthorized"  # the 401's message (a test may put escapes in it)
        super().__init__(Starlette(routes=[Route("/queue", self._queue, methods=["GET"])]))

    def start(self) -> JsonQueueEmulator:
        self.start_serving()
        return self

    async def _queue(self, request: Request) -> Response:
        faulted = await self.enter(request)
        if faulted is not None:
            return faulted
        ok = all(request.headers.get(k) == v for k, v in self.required.items())
        if self.url_token is not None and request.query_params.get("token") != self.url_token:
            ok = False
        if not ok:
            said = self.unauthorized
            if self.echo_auth:
                got = "; ".join(f"{k}={request.headers.get(k, '')}" for k in self.required)
                said += f" (got {got}; url {request.url})"
            return JSONResponse({"message": said}, status_code=401)
        return JSONResponse(self.document)

"""A strict local Zendesk Support search API (the two calls a queue source makes).

* ``GET /api/v2/search/count?query=Q`` (also ``/api/v2/search/count.json``):
  ``{"count": N}``, N the number of matches;
* ``GET /api/v2/search?query=Q&sort_by=&sort_order=&per_page=`` (also ``.json``):
  ``{"results": [...], "count": N, "next_page", "previous_page", "facets"}``, at
  most ``per_page`` (1..100) results, each ticket with ``result_type: "ticket"``
  and ``created_at`` (ISO 8601, ``Z``).

Auth: ``Authorization: Basic base64("{email}/token:{token}")``; anything else is
401 ``{"error": "Couldn't authenticate you"}``. A missing query or an unknown
``sort_by``/``sort_order``/``per_page`` is 400. The query is read as Zendesk does
for the words used here: ``type:ticket``, ``status:X`` / ``status<X`` /
``status>X`` / ``<=`` / ``>=`` over new < open < pending < hold < solved < closed,
``tags:X`` (or ``tag:X``); any other word is free text matched in the subject.
``count_override`` (any JSON value) replaces the count in both answers.
"""

from __future__ import annotations

import base64
import re
import threading
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators.queuebase import QueueEmulator

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
_TERM = re.compile(r"^(type|status|tags?)(<=|>=|:|<|>)(.+)$")
_UNSET = object()


def _compare(r: int, op: str, rank: int) -> bool:
    return {
        ":": r == rank,
        "<": r < rank,
        ">": r > rank,
        "<=": r <= rank,
        ">=": r >= rank,
    }[op]


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ZendeskEmulator(QueueEmulator):
    echo_field = "error"

    def __init__(self, email: str, token: str):
        self.email, self.token = email, token
        self.tickets: list[dict[str, Any]] = []
        self.count_override: Any = _UNSET
        self._tlock = threading.Lock()
        routes = []
        for path in ("/api/v2/search/count", "/api/v2/search/count.json"):
            routes.append(Route(path, self._count, methods=["GET"]))
        for path in ("/api/v2/search", "/api/v2/search.json"):
            routes.append(Route(path, self._search, methods=["GET"]))
        super().__init__(Starlette(routes=routes))

    def start(self) -> ZendeskEmulator:
        self.start_serving()
        return self

    def add(self, status: str, tags: tuple[str, ...], created: datetime, subject: str = "") -> None:
        with self._tlock:
            self.tickets.append(
                {
                    "id": len(self.tickets) + 1,
                    "status": status,
                    "tags": list(tags),
                    "created_at": created,
                    "subject": subject,
                }
            )

    def rate_limited_body(self) -> dict[str, Any]:
        return {
            "error": "APIRateLimitExceeded",
            "description": "Number of allowed API requests per minute exceeded",
        }

    # -- requests -----------------------------------------------------------------
    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    async def _prelude(self, request: Request) -> tuple[Response | None, list[dict[str, Any]]]:
        faulted = await self.enter(request)
        if faulted is not None:
            return faulted, []
        if not self._authorized(request):
            return self.refused(request, {"error": "Couldn't authenticate you"}), []
        query = request.query_params.get("query", "").strip()
        if not query:
            return (
                JSONResponse(
                    {"error": "InvalidSearchParameter", "description": "query is required"},
                    status_code=400,
                ),
                [],
            )
        try:
            return None, self._match(query)
        except ValueError as exc:
            return JSONResponse(
                {"error": "InvalidSearchParameter", "description": str(exc)}, status_code=400
            ), []

    def _match(self, query: str) -> list[dict[str, Any]]:
        with self._tlock:
            found = list(self.tickets)
        for word in query.split():
            m = _TERM.match(word)
            if m is None:
                found = [t for t in found if word.lower() in t["subject"].lower()]
                continue
            field, op, value = m.groups()
            if field == "type":
                found = found if value == "ticket" else []
            elif field.startswith("tag"):
                found = [t for t in found if value in t["tags"]]
            else:
                if value not in STATUSES:
                    raise ValueError(f"unknown status {value!r}")
                rank = STATUSES.index(value)
                found = [t for t in found if _compare(STATUSES.index(t["status"]), op, rank)]
        return found

    def _n(self, found: list[dict[str, Any]]) -> Any:
        return len(found) if self.count_override is _UNSET else self.count_override

    async def _count(self, request: Request) -> Response:
        early, found = await self._prelude(request)
        if early is not None:
            return early
        return JSONResponse({"count": self._n(found)})

    async def _search(self, request: Request) -> Response:
        early, found = await self._prelude(request)
        if early is not None:
            return early
        params = request.query_params
        sort_by = params.get("sort_by", "relevance")
        order = params.get("sort_order", "desc")
        per_page = params.get("per_page", "100")
        if sort_by not in ("relevance", "created_at", "updated_at", "priority", "status"):
            return JSONResponse({"error": "InvalidSearchParameter"}, status_code=400)
        if order not in ("asc", "desc") or not per_page.isdigit() or not 1 <= int(per_page) <= 100:
            return JSONResponse({"error": "InvalidSearchParameter"}, status_code=400)
        if sort_by == "created_at":
            found.sort(key=lambda t: t["created_at"], reverse=order == "desc")
        page = found[: int(per_page)]
        return JSONResponse(
            {
                "results": [
                    {
                        "id": t["id"],
                        "result_type": "ticket",
                        "status": t["status"],
                        "tags": t["tags"],
                        "subject": t["subject"],
                        "created_at": iso(t["created_at"]),
                    }
                    for t in page
                ],
                "facets": None,
                "next_page": None,
                "previous_page": None,
                "count": self._n(found),
            }
        )

"""A strict local Freshdesk filter-tickets search (``GET /api/v2/search/tickets``).

``query`` must be URL-encoded Freshdesk filter syntax INSIDE double quotes, at most
512 characters between them (else 400, ``{"description": "Validation failed",
"errors": [{"field": "query", "message", "code": "invalid_value"}]}``). Read here:
``status:N``, ``priority:N``, ``tag:'x'``, ``created_at:>'YYYY-MM-DD'`` /
``:<``, joined with ``AND`` / ``OR`` (AND binds tighter) and parentheses. The answer
is ``{"total": N, "results": [...]}``, 30 tickets a page (``page`` 1..10), newest
first, each with ``created_at`` (ISO 8601, ``Z``).

Auth: ``Authorization: Basic base64("{api_key}:X")`` (the password is not checked,
as Freshdesk); anything else is 401 ``{"code": "invalid_credentials", "message":
"You have to be logged in to perform this action."}``. ``total_override`` (any
JSON value) replaces ``total``.
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

PER_PAGE = 30
_TOKEN = re.compile(r"\s*(\(|\)|AND\b|OR\b|[a-z_]+:[<>]?(?:'[^']*'|-?\d+|null))")
_UNSET = object()


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invalid(message: str) -> JSONResponse:
    return JSONResponse(
        {
            "description": "Validation failed",
            "errors": [{"field": "query", "message": message, "code": "invalid_value"}],
        },
        status_code=400,
    )


class FreshdeskEmulator(QueueEmulator):
    def __init__(self, api_key: str):
        self.api_key = api_key
        self.tickets: list[dict[str, Any]] = []
        self.total_override: Any = _UNSET
        self._tlock = threading.Lock()
        super().__init__(
            Starlette(routes=[Route("/api/v2/search/tickets", self._search, methods=["GET"])])
        )

    def start(self) -> FreshdeskEmulator:
        self.start_serving()
        return self

    def add(self, status: int, tags: tuple[str, ...], created: datetime, priority: int = 1) -> None:
        with self._tlock:
            self.tickets.append(
                {
                    "id": len(self.tickets) + 1,
                    "status": status,
                    "priority": priority,
                    "tags": list(tags),
                    "created_at": created,
                }
            )

    def rate_limited_body(self) -> dict[str, Any]:
        return {"code": "rate_limit_exceeded", "message": "API rate limit exceeded"}

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user = base64.b64decode(header[6:], validate=True).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.api_key

    async def _search(self, request: Request) -> Response:
        faulted = await self.enter(request)
        if faulted is not None:
            return faulted
        if not self._authorized(request):
            return self.refused(
                request,
                {
                    "code": "invalid_credentials",
                    "message": "You have to be logged in to perform this action.",
                },
            )
        raw = request.query_params.get("query")
        if raw is None:
            return _invalid("It should be a/an String")
        if len(raw) < 2 or not (raw.startswith('"') and raw.endswith('"')):
            return _invalid("Query should be enclosed in double quotes")
        inner = raw[1:-1]
        if len(inner) > 512:
            return _invalid("Query length exceeds 512 characters")
        page = request.query_params.get("page", "1")
        if not page.isdigit() or not 1 <= int(page) <= 10:
            return JSONResponse(
                {
                    "description": "Validation failed",
                    "errors": [
                        {
                            "field": "page",
                            "message": "Must be between 1 and 10",
                            "code": "invalid_value",
                        }
                    ],
                },
                status_code=400,
            )
        try:
            test = _parse(inner)
        except ValueError as exc:
            return _invalid(str(exc))
        with self._tlock:
            found = [t for t in self.tickets if test(t)]
        found.sort(key=lambda t: t["created_at"], reverse=True)
        start = (int(page) - 1) * PER_PAGE
        results = [
            {
                "id": t["id"],
                "status": t["status"],
                "priority": t["priority"],
                "tags": t["tags"],
                "created_at": iso(t["created_at"]),
                "updated_at": iso(t["created_at"]),
            }
            for t in found[start : start + PER_PAGE]
        ]
        total = len(found) if self.total_override is _UNSET else self.total_override
        return JSONResponse({"total": total, "results": results})


def _parse(text: str) -> Any:
    """The filter as a predicate over a ticket; ValueError for what Freshdesk refuses."""
    tokens: list[str] = []
    pos = 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"Invalid query near {text[pos : pos + 20]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    if not tokens:
        raise ValueError("Query is empty")
    at = 0

    def peek() -> str | None:
        return tokens[at] if at < len(tokens) else None

    def take() -> str:
        nonlocal at
        at += 1
        return tokens[at - 1]

    def expr() -> Any:
        left = conj()
        while peek() == "OR":
            take()
            right = conj()
            left = (lambda a, b: lambda t: a(t) or b(t))(left, right)
        return left

    def conj() -> Any:
        left = term()
        while peek() == "AND":
            take()
            right = term()
            left = (lambda a, b: lambda t: a(t) and b(t))(left, right)
        return left

    def term() -> Any:
        tok = take() if peek() is not None else None
        if tok == "(":
            inner = expr()
            if take() != ")":
                raise ValueError("Unbalanced parentheses")
            return inner
        if tok is None or ":" not in tok:
            raise ValueError("Invalid query")
        field, value = tok.split(":", 1)
        op = value[0] if value[:1] in "<>" and value[:1] else ""
        value = value[len(op) :]
        literal: Any = (
            value[1:-1] if value.startswith("'") else (None if value == "null" else int(value))
        )
        if field in ("status", "priority"):
            if not isinstance(literal, int) or op:
                raise ValueError(f"{field} must be a number")
            return lambda t: t[field] == literal
        if field == "tag":
            return lambda t: (literal in t["tags"]) if literal is not None else not t["tags"]
        if field == "created_at":
            if op not in ("<", ">") or not isinstance(literal, str):
                raise ValueError("created_at takes :> or :< and a 'YYYY-MM-DD' date")
            day = datetime.fromisoformat(literal).replace(tzinfo=UTC)
            if op == ">":
                return lambda t: t["created_at"] >= day
            return lambda t: t["created_at"] <= day
        raise ValueError(f"Unknown field {field!r}")

    test = expr()
    if at != len(tokens):
        raise ValueError("Invalid query")
    return test

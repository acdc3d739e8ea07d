"""A strict local Intercom conversation search (``POST /conversations/search``).

Headers: ``Authorization: Bearer <token>`` (else 401, ``{"type": "error.list",
"errors": [{"code": "unauthorized", "message": "Access Token Invalid"}]}``) and an
``Intercom-Version`` it knows (else 400). The body is JSON: ``query`` (required; a
filter ``{field, operator, value}`` or a group ``{operator: AND|OR, value:
[...]}``, at most two levels of groups), ``pagination`` ``{per_page: 1..150}``,
``sort`` ``{field, order: ascending|descending}``; any other key, an unknown field
or operator, a value of the wrong type: 400 ``parameter_invalid``. Fields: ``open``
(boolean), ``state`` (open, closed, snoozed), ``created_at``, ``updated_at``,
``waiting_since`` (Unix seconds), ``tag_ids`` (text). The answer: ``{"type":
"conversation.list", "conversations": [...], "total_count": N, "pages": {...}}``.
``total_override`` (any JSON value) replaces ``total_count``.
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators.queuebase import QueueEmulator

VERSIONS = {f"2.{n}" for n in range(12)} | {"Unstable"}
FIELDS = {
    "open": bool,
    "state": str,
    "created_at": int,
    "updated_at": int,
    "waiting_since": int,
    "tag_ids": str,
}
_UNSET = object()


class Invalid(Exception):
    pass


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "type": "error.list",
            "request_id": "req-emulated",
            "errors": [{"code": code, "message": message}],
        },
        status_code=status,
    )


class IntercomEmulator(QueueEmulator):
    def __init__(self, token: str):
        self.token = token
        self.conversations: list[dict[str, Any]] = []
        self.total_override: Any = _UNSET
        self._clock = threading.Lock()
        super().__init__(
            Starlette(routes=[Route("/conversations/search", self._search, methods=["POST"])])
        )

    def start(self) -> IntercomEmulator:
        self.start_serving()
        return self

    def add(self, state: str, created_at: int, tags: tuple[str, ...] = ()) -> None:
        with self._clock:
            self.conversations.append(
                {
                    "type": "conversation",
                    "id": str(1000 + len(self.conversations)),
                    "state": state,
                    "open": state == "open",
                    "created_at": created_at,
                    "updated_at": created_at,
                    "waiting_since": created_at if state == "open" else None,
                    "tag_ids": list(tags),
                }
            )

    def rate_limited_body(self) -> dict[str, Any]:
        return {
            "type": "error.list",
            "errors": [{"code": "rate_limit_exceeded", "message": "Exceeded rate limit"}],
        }

    async def _search(self, request: Request) -> Response:
        faulted = await self.enter(request)
        if faulted is not None:
            return faulted
        if request.headers.get("authorization") != f"Bearer {self.token}":
            said = "Access Token Invalid"
            if self.echo_auth:
                said += f": {request.headers.get('authorization', '')}"
            return _error(401, "unauthorized", said)
        if request.headers.get("intercom-version") not in VERSIONS:
            return _error(400, "intercom_version_invalid", "Requested version is not valid")
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise Invalid("the body must be an object")
            unknown = set(body) - {"query", "pagination", "sort"}
            if unknown:
                raise Invalid(f"unknown parameter {sorted(unknown)[0]}")
            if "query" not in body:
                raise Invalid("query is required")
            test = _query(body["query"], 0)
            per_page = _per_page(body.get("pagination"))
            key, reverse = _sort(body.get("sort"))
        except (Invalid, ValueError) as exc:
            return _error(400, "parameter_invalid", str(exc))
        with self._clock:
            found = [c for c in self.conversations if test(c)]
        if key is not None:
            found.sort(key=lambda c: c[key] or 0, reverse=reverse)
        total = len(found) if self.total_override is _UNSET else self.total_override
        return JSONResponse(
            {
                "type": "conversation.list",
                "conversations": found[:per_page],
                "total_count": total,
                "pages": {
                    "type": "pages",
                    "page": 1,
                    "per_page": per_page,
                    "total_pages": max(1, math.ceil(len(found) / per_page)),
                },
            }
        )


def _per_page(pagination: Any) -> int:
    if pagination is None:
        return 20
    if not isinstance(pagination, dict) or set(pagination) - {"per_page", "starting_after"}:
        raise Invalid("pagination must be {per_page, starting_after}")
    n = pagination.get("per_page", 20)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 150:
        raise Invalid("per_page must be an integer from 1 to 150")
    return n


def _sort(sort: Any) -> tuple[str | None, bool]:
    if sort is None:
        return None, False
    if not isinstance(sort, dict) or set(sort) != {"field", "order"}:
        raise Invalid("sort must be {field, order}")
    if sort["field"] not in FIELDS or sort["order"] not in ("ascending", "descending"):
        raise Invalid("sort field or order is not valid")
    return sort["field"], sort["order"] == "descending"


def _query(q: Any, depth: int) -> Any:
    if not isinstance(q, dict):
        raise Invalid("query must be an object")
    if "field" not in q:
        if set(q) != {"operator", "value"} or q["operator"] not in ("AND", "OR"):
            raise Invalid("a query group is {operator: AND|OR, value: [...]}")
        if depth >= 2:
            raise Invalid("queries nest at most two levels")
        if not isinstance(q["value"], list) or not 1 <= len(q["value"]) <= 15:
            raise Invalid("a group holds 1 to 15 filters")
        parts = [_query(p, depth + 1) for p in q["value"]]
        if q["operator"] == "AND":
            return lambda c: all(p(c) for p in parts)
        return lambda c: any(p(c) for p in parts)
    if set(q) != {"field", "operator", "value"}:
        raise Invalid("a filter is {field, operator, value}")
    field, op, value = q["field"], q["operator"], q["value"]
    kind = FIELDS.get(field)
    if kind is None:
        raise Invalid(f"{field} is not a searchable field")
    values = value if op in ("IN", "NIN") else [value]
    if not isinstance(values, list) or any(
        not isinstance(v, kind) or (kind is int and isinstance(v, bool)) for v in values
    ):
        raise Invalid(f"the value of {field} must be a {kind.__name__}")

    def has(c: dict[str, Any], v: Any) -> bool:
        got = c[field]
        return v in got if isinstance(got, list) else got == v

    if op == "=":
        return lambda c: has(c, value)
    if op == "!=":
        return lambda c: not has(c, value)
    if op == "IN":
        return lambda c: any(has(c, v) for v in values)
    if op == "NIN":
        return lambda c: not any(has(c, v) for v in values)
    if op in ("<", ">") and kind is int:
        if op == "<":
            return lambda c: c[field] is not None and c[field] < value
        return lambda c: c[field] is not None and c[field] > value
    raise Invalid(f"operator {op} is not valid for {field}")

"""A strict local Better Stack Uptime API v2 (status pages and status reports subset).

What it speaks (``../shared/api/status-pages.md`` section 4): ``Authorization: Bearer
<token>`` (anything else: 401 ``{"errors": "Invalid Team API token..."}``), JSON only,
one status page (another id: 404), JSON:API-style answers (``{"data": {"id": "123",
"type", "attributes"}}``, ids as strings of digits), lists paginated (``pagination``:
first/last/prev/next as absolute URLs with ``?page=N``).

* ``GET /api/v2/status-pages/{id}``;
* ``GET|POST /api/v2/status-pages/{id}/status-reports`` -- create ``{title, message,
  report_type: manual|maintenance, affected_resources, notify_subscribers,
  published_at, starts_at, ends_at}`` (201, with its first status update);
* ``GET /api/v2/status-pages/{id}/status-reports/{report}``;
* ``GET|POST .../status-reports/{report}/status-updates`` -- create ``{message,
  affected_resources, notify_subscribers, published_at}`` (201).

``affected_resources``: ``[{status_page_resource_id, status}]`` with a resource of the
page and ``resolved | degraded | downtime`` (``maintenance`` on a maintenance report);
required on status updates. An unknown field: 400; a missing or invalid one: 422
``{"errors": {"field": ["..."]}}``. State in memory (:meth:`BetterStackEmulator.reports`).
"""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime
from itertools import count
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.emulators.instatus import AppThread, iso

REPORT_FIELDS = frozenset(
    {
        "title",
        "message",
        "report_type",
        "affected_resources",
        "notify_subscribers",
        "published_at",
        "starts_at",
        "ends_at",
    }
)
UPDATE_FIELDS = frozenset({"message", "affected_resources", "notify_subscribers", "published_at"})
STATUSES = frozenset({"resolved", "degraded", "downtime"})


class Refused(Exception):
    def __init__(self, status: int, errors: Any):
        super().__init__(str(errors))
        self.status, self.errors = status, errors


class BetterStackEmulator(AppThread):
    """``BetterStackEmulator(token, "123456", {"API": "8720238"})``: start(), .api_base, stop()."""

    def __init__(self, token: str, page_id: str, resources: dict[str, str], *, per_page: int = 50):
        self.token = token
        self.page_id = page_id
        self.per_page = per_page
        self._lock = threading.Lock()
        self._ids = count(7_100_000)
        self._resources = {
            rid: {"public_name": name, "status": "operational"} for name, rid in resources.items()
        }
        self._reports: list[dict[str, Any]] = []  # oldest first, each with "updates"
        self.writes = 0
        base = "/api/v2/status-pages/{page}"
        super().__init__(
            Starlette(
                routes=[
                    Route(base, self._page, methods=["GET"]),
                    Route(base + "/status-reports", self._reports_list, methods=["GET"]),
                    Route(base + "/status-reports", self._report_create, methods=["POST"]),
                    Route(base + "/status-reports/{report}", self._report_get, methods=["GET"]),
                    Route(
                        base + "/status-reports/{report}/status-updates",
                        self._updates_list,
                        methods=["GET"],
                    ),
                    Route(
                        base + "/status-reports/{report}/status-updates",
                        self._update_create,
                        methods=["POST"],
                    ),
                ]
            )
        )

    def start(self) -> BetterStackEmulator:
        self.start_serving()
        return self

    @property
    def api_base(self) -> str:
        return self.url + "/api/v2"

    # -- what the tests read -----------------------------------------------------------
    def reports(self) -> list[dict[str, Any]]:
        """Every report (attributes + "updates", oldest first), oldest first (copies)."""
        with self._lock:
            return copy.deepcopy(self._reports)

    def resource_status(self, rid: str) -> str:
        with self._lock:
            return str(self._resources[rid]["status"])

    # -- plumbing ----------------------------------------------------------------------
    async def _answer(
        self, request: Request, handler: Any, *, body: bool, status: int = 200
    ) -> JSONResponse:
        try:
            if request.headers.get("authorization") != f"Bearer {self.token}":
                raise Refused(
                    401,
                    "Invalid Team API token. How to find your Team API token: "
                    "https://betterstack.com/docs/uptime/api/getting-started-with-uptime-api",
                )
            if request.path_params["page"] != self.page_id:
                raise Refused(
                    404,
                    f"Resource type StatusPage with id = {request.path_params['page']} "
                    "was not found",
                )
            data = await _json(request) if body else None
            with self._lock:
                return JSONResponse(handler(request, data), status_code=status)
        except Refused as exc:
            return JSONResponse({"errors": exc.errors}, status_code=exc.status)

    def _paginated(self, request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
        raw = request.query_params.get("page", "1")
        page = int(raw) if raw.isdigit() and int(raw) >= 1 else 1
        last = max(1, -(-len(items) // self.per_page))
        url = str(request.url.replace(query=""))

        def at(n: int | None) -> str | None:
            return f"{url}?page={n}" if n is not None else None

        return {
            "data": items[(page - 1) * self.per_page : page * self.per_page],
            "pagination": {
                "first": at(1),
                "last": at(last),
                "prev": at(page - 1 if page > 1 else None),
                "next": at(page + 1 if page < last else None),
            },
        }

    def _report(self, request: Request) -> dict[str, Any]:
        ref = request.path_params["report"]
        found = next((r for r in self._reports if r["id"] == ref), None)
        if found is None:
            raise Refused(404, f"Resource type StatusReport with id = {ref} was not found")
        return found

    # -- the API -----------------------------------------------------------------------
    async def _page(self, request: Request) -> JSONResponse:
        return await self._answer(request, self._do_page, body=False)

    async def _reports_list(self, request: Request) -> JSONResponse:
        return await self._answer(request, self._do_reports, body=False)

    async def _report_get(self, request: Request) -> JSONResponse:
        return await self._answer(request, self._do_report, body=False)

    async def _report_create(self, request: Request) -> JSONResponse:
        return await self._answer(request, self._do_create_report, body=True, status=201)

    async def _updates_list(self, request: Request) -> JSONResponse:
        return await self._answer(request, self._do_updates, body=False)

    async def _update_create(self, request: Request) -> JSONResponse:
        return await self._answer(request, self._do_create_update, body=True, status=201)

    def _do_page(self, request: Request, _: Any) -> Any:
        return {
            "data": {
                "id": self.page_id,
                "type": "status_page",
                "attributes": {
                    "company_name": "Acme",
                    "subdomain": "acme-status",
                    "aggregate_state": _aggregate(self._resources),
                },
            }
        }

    def _do_reports(self, request: Request, _: Any) -> Any:
        return self._paginated(request, [_report_json(r) for r in self._reports])

    def _do_report(self, request: Request, _: Any) -> Any:
        return {"data": _report_json(self._report(request))}

    def _do_updates(self, request: Request, _: Any) -> Any:
        return self._paginated(request, [_update_json(u) for u in self._report(request)["updates"]])

    def _do_create_report(self, request: Request, data: dict[str, Any]) -> Any:
        _fields(data, REPORT_FIELDS, ("title", "message"))
        title = _text(data, "title")
        report_type = data.get("report_type", "manual")
        if report_type not in ("manual", "maintenance"):
            raise Refused(422, {"report_type": ["is not included in the list"]})
        if report_type == "maintenance" and "ends_at" not in data:
            raise Refused(422, {"ends_at": ["can't be blank"]})
        update = self._checked_update(data, report_type, resources_required=False)
        report = {
            "id": str(next(self._ids)),
            "title": title,
            "report_type": report_type,
            "starts_at": update["published_at"],
            "ends_at": None,
            "status_page_id": int(self.page_id),
            "affected_resources": update["affected_resources"],
            "updates": [update],
        }
        update["status_report_id"] = int(report["id"])
        self._apply(update)
        self._reports.append(report)
        self.writes += 1
        return {"data": _report_json(report), "included": [_update_json(update)]}

    def _do_create_update(self, request: Request, data: dict[str, Any]) -> Any:
        report = self._report(request)
        _fields(data, UPDATE_FIELDS, ("message", "affected_resources"))
        update = self._checked_update(data, report["report_type"], resources_required=True)
        update["status_report_id"] = int(report["id"])
        self._apply(update)
        report["updates"].append(update)
        report["affected_resources"] = update["affected_resources"]
        self.writes += 1
        return {"data": _update_json(update)}

    def _checked_update(
        self, data: dict[str, Any], report_type: str, *, resources_required: bool
    ) -> dict[str, Any]:
        message = _text(data, "message")
        allowed = STATUSES | ({"maintenance"} if report_type == "maintenance" else set())
        resources = data.get("affected_resources", [])
        if not isinstance(resources, list) or (
            resources_required and "affected_resources" not in data
        ):
            raise Refused(422, {"affected_resources": ["must be an array"]})
        affected = []
        for item in resources:
            if not isinstance(item, dict) or set(item) != {"status_page_resource_id", "status"}:
                raise Refused(
                    422,
                    {"affected_resources": ["each must be {status_page_resource_id, status}"]},
                )
            rid = item["status_page_resource_id"]
            if (
                isinstance(rid, bool)
                or not isinstance(rid, int | str)
                or str(rid) not in self._resources
            ):
                raise Refused(422, {"affected_resources": [f"unknown resource {rid!r}"]})
            if item["status"] not in allowed:
                raise Refused(422, {"affected_resources": [f"invalid status {item['status']!r}"]})
            affected.append({"status_page_resource_id": int(rid), "status": item["status"]})
        notify = data.get("notify_subscribers", False)
        if not isinstance(notify, bool):
            raise Refused(422, {"notify_subscribers": ["must be true or false"]})
        now = datetime.now(UTC)
        published = _time(data["published_at"]) if "published_at" in data else now
        return {
            "id": str(next(self._ids)),
            "message": message,
            "published_at": iso(published),
            "notify_subscribers": notify,
            "affected_resources": affected,
            "created_at": iso(now),
        }

    def _apply(self, update: dict[str, Any]) -> None:
        for item in update["affected_resources"]:
            word = {"resolved": "operational"}.get(item["status"], item["status"])
            self._resources[str(item["status_page_resource_id"])]["status"] = word


def _report_json(report: dict[str, Any]) -> dict[str, Any]:
    attributes = {k: v for k, v in report.items() if k not in ("id", "updates")}
    return {
        "id": report["id"],
        "type": "status_report",
        "attributes": attributes,
        "relationships": {
            "status_updates": {
                "data": [{"id": u["id"], "type": "status_update"} for u in report["updates"]]
            }
        },
    }


def _update_json(update: dict[str, Any]) -> dict[str, Any]:
    attributes = {k: v for k, v in update.items() if k != "id"}
    return {"id": update["id"], "type": "status_update", "attributes": attributes}


def _aggregate(resources: dict[str, dict[str, Any]]) -> str:
    states = {r["status"] for r in resources.values()}
    for word in ("downtime", "degraded", "maintenance"):
        if word in states:
            return word
    return "operational"


async def _json(request: Request) -> dict[str, Any]:
    if "application/json" not in request.headers.get("content-type", ""):
        raise Refused(400, "The body must be JSON (Content-Type: application/json)")
    try:
        data = await request.json()
    except ValueError:
        raise Refused(400, "The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "The body must be a JSON object")
    return data


def _fields(data: dict[str, Any], allowed: frozenset[str], required: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise Refused(400, f"Unknown parameters: {', '.join(unknown)}")
    missing = {f: ["can't be blank"] for f in required if f not in data}
    if missing:
        raise Refused(422, missing)


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refused(422, {name: ["can't be blank"]})
    return value


def _time(value: Any) -> datetime:
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Refused(422, {"published_at": ["is not a valid time"]}) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at

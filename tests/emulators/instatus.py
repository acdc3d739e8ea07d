"""A strict local Instatus (REST v1 subset), and the thread that serves an emulator.

What it speaks (``../shared/api/status-pages.md`` section 2): ``Authorization: Bearer
<key>`` (anything else: 401), JSON only, one page (another page id: 404), errors as
``{"error": {"code", "message"}}``.

* ``GET /v1/{page}/incidents?page=&per_page=`` (newest first, each with its
  ``updates``; ``per_page`` 1..100) and ``GET /v1/{page}/incidents/{id}``;
* ``POST /v1/{page}/incidents`` ``{name, message, components, statuses, started,
  status, notify}``: creates the incident and its first update (200);
* ``POST /v1/{page}/incidents/{id}/incident-updates`` ``{message, components,
  statuses, started, status, notify}``: ``components`` and ``statuses`` are required
  (as the OpenAPI description says), ``statuses`` only for listed components.

A field it does not know, a missing one, a wrong type, an unknown status word or
component: 400. ``started`` without an offset is read in the server's own zone
(:data:`SERVER_ZONE`), as the real service shifts a zone-less time. Ids are cuid-like
strings. The state is in memory: :meth:`InstatusEmulator.incidents` reads it.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

INCIDENT_STATUSES = frozenset({"INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED"})
COMPONENT_STATUSES = frozenset(
    {
        "OPERATIONAL",
        "UNDERMAINTENANCE",
        "DEGRADEDPERFORMANCE",
        "PARTIALOUTAGE",
        "MINOROUTAGE",
        "MAJOROUTAGE",
    }
)
SERVER_ZONE = timezone(timedelta(hours=2))  # where a zone-less time is read
CREATE_FIELDS = frozenset(
    {"name", "message", "components", "started", "status", "notify", "statuses"}
)
UPDATE_FIELDS = CREATE_FIELDS - {"name"}


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AppThread:
    """An ASGI app under uvicorn in a daemon thread on 127.0.0.1 (a free port)."""

    def __init__(self, app: Any):
        self._app = app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_serving(self) -> None:
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=0,
            http="h11",
            ws="none",
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
        )
        server = uvicorn.Server(config)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self._server, self._sock = server, sock
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None


def _cuid() -> str:
    return "cl" + secrets.token_hex(12)


class InstatusEmulator(AppThread):
    """``InstatusEmulator(key, page_id, {"API": "cl..."})``: start(), .url, stop()."""

    def __init__(self, key: str, page_id: str, components: dict[str, str]):
        self.key = key
        self.page_id = page_id
        self._lock = threading.Lock()
        self._components = {
            cid: {"id": cid, "name": name, "status": "OPERATIONAL"}
            for name, cid in components.items()
        }
        self._incidents: list[dict[str, Any]] = []  # oldest first
        self.writes = 0  # writes that committed
        super().__init__(
            Starlette(
                routes=[
                    Route("/v1/{page}/incidents", self._list, methods=["GET"]),
                    Route("/v1/{page}/incidents", self._create, methods=["POST"]),
                    Route("/v1/{page}/incidents/{incident}", self._get, methods=["GET"]),
                    Route(
                        "/v1/{page}/incidents/{incident}/incident-updates",
                        self._update,
                        methods=["POST"],
                    ),
                ]
            )
        )

    def start(self) -> InstatusEmulator:
        self.start_serving()
        return self

    # -- what the tests read -----------------------------------------------------------
    def incidents(self) -> list[dict[str, Any]]:
        """Every incident, oldest first, with its updates oldest first (copies)."""
        import copy

        with self._lock:
            return copy.deepcopy(self._incidents)

    def component_status(self, cid: str) -> str:
        with self._lock:
            return str(self._components[cid]["status"])

    # -- the API -----------------------------------------------------------------------
    async def _guard(self, request: Request, *, body: bool) -> dict[str, Any] | None:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            raise Refused(401, "unauthorized", "Invalid or missing API key")
        if request.path_params["page"] != self.page_id:
            raise Refused(404, "not_found", "Status page not found")
        if not body:
            return None
        if "application/json" not in request.headers.get("content-type", ""):
            raise Refused(
                400, "invalid_body", "The body must be JSON (Content-Type: application/json)"
            )
        try:
            data = await request.json()
        except ValueError:
            raise Refused(400, "invalid_body", "The body is not valid JSON") from None
        if not isinstance(data, dict):
            raise Refused(400, "invalid_body", "The body must be a JSON object")
        return data

    async def _list(self, request: Request) -> JSONResponse:
        return await self._answer(request, self._do_list, body=False)

    async def _get(self, request: Request) -> JSONResponse:
        return await self._answer(request, self._do_get, body=False)

    async def _create(self, request: Request) -> JSONResponse:
        return await self._answer(request, self._do_create, body=True)

    async def _update(self, request: Request) -> JSONResponse:
        return await self._answer(request, self._do_update, body=True)

    async def _answer(self, request: Request, handler: Any, *, body: bool) -> JSONResponse:
        try:
            data = await self._guard(request, body=body)
            with self._lock:
                return JSONResponse(handler(request, data))
        except Refused as exc:
            return JSONResponse(
                {"error": {"code": exc.code, "message": exc.message}}, status_code=exc.status
            )

    def _do_list(self, request: Request, _: Any) -> Any:
        q = request.query_params
        page, per_page = _int(q.get("page"), 1, 1, 10_000), _int(q.get("per_page"), 50, 1, 100)
        newest = list(reversed(self._incidents))
        return [_shown(i) for i in newest[(page - 1) * per_page : page * per_page]]

    def _incident(self, request: Request) -> dict[str, Any]:
        ref = request.path_params["incident"]
        found = next((i for i in self._incidents if i["id"] == ref), None)
        if found is None:
            raise Refused(404, "not_found", "Incident not found")
        return found

    def _do_get(self, request: Request, _: Any) -> Any:
        return _shown(self._incident(request))

    def _do_create(self, request: Request, data: dict[str, Any]) -> Any:
        _fields(data, CREATE_FIELDS, ("name", "message", "components", "statuses", "status"))
        name = _text(data, "name", 255)
        update = self._checked_update(data)
        incident = {
            "id": _cuid(),
            "name": name,
            "status": update["status"],
            "started": update["started"],
            "resolved": update["started"] if update["status"] == "RESOLVED" else None,
            "updates": [update],
        }
        self._apply(data)
        self._incidents.append(incident)
        self.writes += 1
        return _shown(incident)

    def _do_update(self, request: Request, data: dict[str, Any]) -> Any:
        incident = self._incident(request)
        _fields(data, UPDATE_FIELDS, ("message", "components", "statuses", "status"))
        update = self._checked_update(data)
        self._apply(data)
        incident["updates"].append(update)
        incident["status"] = update["status"]
        if update["status"] == "RESOLVED":
            incident["resolved"] = update["started"]
        self.writes += 1
        return {**update, "incident": incident["id"]}

    def _checked_update(self, data: dict[str, Any]) -> dict[str, Any]:
        message = _text(data, "message", 25_000)
        status = data["status"]
        if status not in INCIDENT_STATUSES:
            raise Refused(
                400, "invalid_status", f"status must be one of {sorted(INCIDENT_STATUSES)}"
            )
        components = data["components"]
        if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
            raise Refused(400, "invalid_components", "components must be a list of component ids")
        unknown = [c for c in components if c not in self._components]
        if unknown:
            raise Refused(400, "invalid_components", f"unknown components: {unknown}")
        statuses = data["statuses"]
        if not isinstance(statuses, list):
            raise Refused(400, "invalid_statuses", "statuses must be a list")
        for item in statuses:
            if not isinstance(item, dict) or set(item) != {"id", "status"}:
                raise Refused(400, "invalid_statuses", "each status must be {id, status}")
            if item["id"] not in components:
                raise Refused(
                    400, "invalid_statuses", f"status for a component not listed: {item['id']}"
                )
            if item["status"] not in COMPONENT_STATUSES:
                raise Refused(
                    400, "invalid_statuses", f"unknown component status {item['status']!r}"
                )
        notify = data.get("notify", False)
        if not isinstance(notify, bool):
            raise Refused(400, "invalid_notify", "notify must be true or false")
        now = datetime.now(UTC)
        started = _time(data["started"]) if "started" in data else now
        return {
            "id": _cuid(),
            "message": message,
            "messageHtml": f"<p>{message}</p>",
            "status": status,
            "notify": notify,
            "started": iso(started),
            "createdAt": iso(now),
        }

    def _apply(self, data: dict[str, Any]) -> None:
        for item in data["statuses"]:
            self._components[item["id"]]["status"] = item["status"]


def _shown(incident: dict[str, Any]) -> dict[str, Any]:
    return {**incident, "updates": list(reversed(incident["updates"]))}  # newest first


def _fields(data: dict[str, Any], allowed: frozenset[str], required: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise Refused(400, "invalid_body", f"unknown fields: {', '.join(unknown)}")
    missing = [f for f in required if f not in data]
    if missing:
        raise Refused(400, "invalid_body", f"missing required fields: {', '.join(missing)}")


def _text(data: dict[str, Any], name: str, cap: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refused(400, "invalid_body", f"{name} must be non-empty text")
    if len(value) > cap:
        raise Refused(400, "invalid_body", f"{name} is longer than {cap} characters")
    return value


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise Refused(400, "invalid_started", "started must be an ISO 8601 time")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(400, "invalid_started", "started must be an ISO 8601 time") from None
    return at.replace(tzinfo=SERVER_ZONE) if at.tzinfo is None else at


def _int(value: str | None, default: int, lo: int, hi: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise Refused(400, "invalid_query", f"must be a number from {lo} to {hi}")
    return int(value)

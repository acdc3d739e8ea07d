"""A strict local openstatus API v1 (the status-report subset warroom speaks), over real HTTP.

Read from the real server's source (openstatusHQ/openstatus, ``apps/server/src/routes/v1``:
``statusReports``, ``statusReportUpdates``, ``pages``, ``libs/middlewares/auth.ts``,
``libs/errors``; the tables in ``packages/db/src/schema/status_reports``):

* every route needs ``x-openstatus-key``: missing -> 401 "Missing 'x-openstatus-key'
  header", wrong -> 401 "Invalid API Key"; errors are ``{code, message, docs, requestId}``;
* ``POST /v1/status_report`` ``{title, status, message, date?, pageId, monitorIds?}`` -> 200
  ``{id, title, status, statusReportUpdateIds, monitorIds, pageId}`` (the first update made
  in the same transaction). The report ``id``, ``pageId``, ``statusReportUpdateIds`` are
  NUMBERS; a ``pageId`` given as a string -> 400 (zod); an unknown page or monitor -> 400;
* ``POST /v1/status_report_update`` ``{statusReportId (number), status, message (min 1),
  date}`` -> 200 ``{id (a STRING: z.coerce.string), status, date, message,
  statusReportId}``; an unknown report -> 404;
* ``GET /v1/status_report`` (all of the workspace), ``GET /v1/status_report/{id}``,
  ``GET /v1/status_report_update/{id}``, ``GET /v1/page/{id}`` -> 200 or 404;
* ``date`` is ``z.coerce.date()`` with a default evaluated ONCE when the server module
  loads: a report sent without ``date`` gets the server's start time (kept here as
  :attr:`OpenstatusEmulator.started`). The table keeps whole SECONDS (drizzle
  ``mode: "timestamp"``), answers carry ``.000Z``;
* a body that is not JSON, a missing field, a wrong type, a status outside
  ``investigating | identified | monitoring | resolved``, an unreadable date -> 400.

``ids_as_text=True`` answers report ids as strings, as status-pages.md §5 says the API
does (the adapter must take either form).

Stricter than upstream on one point: zod strips unknown fields silently; here an unknown
field is a 400 (a misspelled field of ours would otherwise vanish unnoticed).

Faults are injected by :class:`tests.faulty.FaultyProxy` in front of this server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STATUSES = ("investigating", "identified", "monitoring", "resolved")
ERROR_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND"}


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


Handler = Callable[[str, str, dict[str, str], bytes], tuple[int, Any, dict[str, str]]]


class LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) calling ``handle(method, path,
    headers, body) -> (status, json_or_None, extra_headers)``; started in a thread,
    stopped by :meth:`stop` (its socket closed, its handler threads joined); every answer
    says ``Connection: close``."""

    def __init__(self, handle: Handler):
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _do(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, data, extra = outer.handle(self.command, self.path, headers, body)
                raw = b"" if data is None else json.dumps(data).encode()
                self.send_response(status)
                if data is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Connection", "close")  # no handler thread outlives it
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                if raw:
                    self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _do

            def log_message(self, format: str, *args: Any) -> None:
                pass  # never log a request line (it may carry a secret)

        self.handle = handle
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._server.daemon_threads = False
        self._server.block_on_close = True  # server_close() joins the handler threads
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(10)
            self._thread = None
        self._server.server_close()


@dataclass
class Report:
    id: int
    title: str
    status: str
    page_id: int
    monitor_ids: list[int]
    update_ids: list[int] = field(default_factory=list)

    def answer(self, ids_as_text: bool = False) -> dict[str, Any]:
        show = str if ids_as_text else int
        return {
            "id": show(self.id),
            "title": self.title,
            "status": self.status,
            "statusReportUpdateIds": [show(u) for u in self.update_ids],
            "monitorIds": list(self.monitor_ids),
            "pageId": self.page_id,
        }


@dataclass
class Update:
    id: int
    status: str
    date: int  # epoch seconds, as the table keeps it
    message: str
    report_id: int

    def answer(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "status": self.status,
            "date": iso_seconds(self.date),
            "message": self.message,
            "statusReportId": self.report_id,
        }


def iso_seconds(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class OpenstatusEmulator:
    """The openstatus v1 status-report API for one workspace (``key``) with ``pages``
    (id -> title) and ``monitors`` (ids)."""

    def __init__(
        self,
        key: str,
        *,
        pages: dict[int, str] | None = None,
        monitors: tuple[int, ...] = (),
        ids_as_text: bool = False,
    ):
        self.key = key
        self.pages = pages if pages is not None else {1: "Acme status"}
        self.monitors = set(monitors)
        # the docs' form: report ids answered as strings (the current source: numbers)
        self.ids_as_text = ids_as_text
        self.reports: dict[int, Report] = {}
        self.updates: dict[int, Update] = {}
        self.started = int(datetime.now(UTC).timestamp())  # zod's default, fixed at load
        self.seen: list[tuple[str, str]] = []  # (method, path) of every authorised request
        self._lock = threading.Lock()
        self._next_id = 100  # ids as the table gives them (integers, not from 1 here)
        self._server = LoopbackServer(self._handle)

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self._server.url

    @property
    def api_base(self) -> str:
        return self.url + "/v1"

    def start(self) -> OpenstatusEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    # -- what it holds (read by the tests directly) --------------------------------------
    def report_updates(self, report_id: int) -> list[Update]:
        with self._lock:
            return [self.updates[u] for u in self.reports[report_id].update_ids]

    # -- the API ---------------------------------------------------------------------------
    def _handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            key = headers.get("x-openstatus-key")
            if not key:
                raise ApiError(401, "Missing 'x-openstatus-key' header")
            if key != self.key:
                raise ApiError(401, "Invalid API Key")
            with self._lock:
                self.seen.append((method, path))
                return 200, self._route(method, path.split("?", 1)[0], body), {}
        except ApiError as exc:
            code = ERROR_CODES.get(exc.status, "INTERNAL_SERVER_ERROR")
            return (
                exc.status,
                {
                    "code": code,
                    "message": exc.message,
                    "docs": f"https://www.openstatus.dev/docs/api-references/errors/code/{code}",
                    "requestId": "emulator",
                },
                {},
            )

    def _route(self, method: str, path: str, body: bytes) -> Any:
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != "v1":
            raise ApiError(404, "Not Found")
        parts = parts[1:]
        if method == "POST" and parts == ["status_report"]:
            return self._create_report(_json_object(body))
        if method == "POST" and parts == ["status_report_update"]:
            return self._create_update(_json_object(body))
        if method == "GET" and parts == ["status_report"]:
            return [r.answer(self.ids_as_text) for r in self.reports.values()]
        if method == "GET" and len(parts) == 2:
            kind, ident = parts
            if kind == "status_report":
                report = self.reports.get(_int_id(ident))
                if report is None:
                    raise ApiError(404, f"Status Report {ident} not found")
                return report.answer(self.ids_as_text)
            if kind == "status_report_update":
                update = self.updates.get(_int_id(ident))
                if update is None:
                    raise ApiError(404, f"Status Report Update {ident} not found")
                return update.answer()
            if kind == "page":
                title = self.pages.get(_int_id(ident))
                if title is None:
                    raise ApiError(404, f"Page {ident} not found")
                return {"id": int(ident), "title": title, "description": "", "slug": "acme"}
        raise ApiError(404, "Not Found")

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _create_report(self, data: dict[str, Any]) -> dict[str, Any]:
        _fields(
            data, required=("title", "status", "message", "pageId"), optional=("date", "monitorIds")
        )
        title = _string(data, "title")
        status = _status(data)
        message = _string(data, "message")
        page_id = _number(data, "pageId")
        date = _date(data, self.started)
        monitors = data.get("monitorIds") or []
        if not isinstance(monitors, list) or not all(_is_number(m) for m in monitors):
            raise ApiError(400, "monitorIds: Expected array of numbers")
        if monitors and not set(monitors) <= self.monitors:
            raise ApiError(400, f"Some of the monitors {', '.join(map(str, monitors))} not found")
        if page_id not in self.pages:
            raise ApiError(400, f"Page {page_id} not found")
        report = Report(self._new_id(), title, status, page_id, list(monitors))
        update = Update(self._new_id(), status, date, message, report.id)
        report.update_ids.append(update.id)
        self.reports[report.id] = report
        self.updates[update.id] = update
        return report.answer(self.ids_as_text)

    def _create_update(self, data: dict[str, Any]) -> dict[str, Any]:
        _fields(data, required=("statusReportId", "status", "message"), optional=("date",))
        given = data["statusReportId"]
        if self.ids_as_text and isinstance(given, str) and given.isdigit():
            data = {**data, "statusReportId": int(given)}
        report_id = _number(data, "statusReportId")
        status = _status(data)
        message = _string(data, "message")
        if not message:
            raise ApiError(400, "message: Too small: expected string to have >=1 characters")
        date = _date(data, self.started)
        report = self.reports.get(report_id)
        if report is None:
            raise ApiError(404, f"Status Report {report_id} not found")
        update = Update(self._new_id(), status, date, message, report.id)
        report.update_ids.append(update.id)
        report.status = status
        self.updates[update.id] = update
        return update.answer()


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise ApiError(400, "Malformed JSON in request body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid input: expected object")
    return data


def _fields(data: dict[str, Any], *, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    missing = [k for k in required if k not in data]
    if missing:
        raise ApiError(400, f"{missing[0]}: Invalid input: expected a value, received undefined")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise ApiError(400, f"Unrecognized key(s) in object: {', '.join(map(repr, unknown))}")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _number(data: dict[str, Any], name: str) -> int:
    v = data[name]
    if not _is_number(v):
        raise ApiError(400, f"{name}: Invalid input: expected number, received {type(v).__name__}")
    return int(v)


def _string(data: dict[str, Any], name: str) -> str:
    v = data[name]
    if not isinstance(v, str):
        raise ApiError(400, f"{name}: Invalid input: expected string")
    return v


def _status(data: dict[str, Any]) -> str:
    v = data["status"]
    if v not in STATUSES:
        raise ApiError(400, f"status: Invalid option: expected one of {'|'.join(STATUSES)}")
    return str(v)


def _date(data: dict[str, Any], default: int) -> int:
    """z.coerce.date(): a number (ms since the epoch) or a date text; whole seconds kept."""
    if "date" not in data:
        return default
    v = data["date"]
    if _is_number(v):
        return int(v // 1000)
    if isinstance(v, str):
        try:
            at = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            at = None
        if at is not None:
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)  # the server runs in UTC
            return int(at.timestamp() // 1)
    raise ApiError(400, "date: Invalid input: expected date, received Date")


def _int_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return -1

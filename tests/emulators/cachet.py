"""A strict local Cachet (3.x, cachethq/core; or 2.x, cachethq/cachet branch 2.4) for the tests.

Real HTTP on 127.0.0.1 (``http.server`` in a daemon thread); the state lives in memory
and the tests read it directly (:attr:`CachetEmulator.incidents`, ``.components``).
What it copies from the servers' sources (read, not guessed):

3.x (``routes/api.php``, ``IncidentController``, ``IncidentUpdateController``,
``CreateIncidentRequestData``, ``GuardsApiAbilities``, ``MetaFilter``):

* ``Authorization: Bearer <token>``; writes sit behind ``auth:sanctum`` (401
  ``{"message": "Unauthenticated."}``), then the token's abilities are checked
  (``incidents.manage`` to create an incident, ``incident-updates.manage`` to post an
  update, ``components.manage`` to set a component; else 403 ``Invalid ability
  provided.``). Reads need no token; with one, invisible incidents are listed too.
* ``POST /api/incidents``: ``name`` (required, <= 255), ``status`` (integer 0-4: a word
  -> 422), ``message``, ``visible``/``stickied``/``notifications`` (booleans, default
  **false**), ``occurred_at`` (a date), ``components`` ([{id, status 1-6}], ids must
  exist), ``meta`` (key/value). Unknown keys are ignored (``notify`` too: that is the
  2.x name). Strings are trimmed and ``""`` becomes null (Laravel's middleware).
  -> **201** JSON:API ``{"data": {"id": "7", "type": "incidents", "attributes": ...}}``.
* ``POST /api/incidents/{id}/updates`` ``{status, message}`` -> 201; the incident's
  status follows its latest update.
* ``PUT /api/components/{id}`` ``{status}`` -> 200.
* ``GET /api/incidents``: filters ``name`` (partial), ``status``, ``occurs_after``,
  ``occurs_before``, ``occurs_on``, ``meta`` only; includes ``components``,
  ``components.group``, ``updates``, ``user``, ``meta``; sorts ``name``, ``status``,
  ``id``, ``created_at``; anything else -> 400 (spatie/laravel-query-builder).
  ``GET /api/incidents/{id}`` and ``GET /api/incidents/{id}/updates`` likewise.
* ``GET /api/subscribers`` needs a token with ``subscribers.manage``.

2.x (``app/Http/Routes/ApiRoutes.php``, ``IncidentController``,
``CreateIncidentCommand``, ``CreateIncidentUpdateCommand``, ``ApiAuthentication``,
``JsonValidationDisplayer``):

* ``X-Cachet-Token: <token>``; writes and ``GET /subscribers`` need it (401 with
  ``{"errors": [...]}``).
* ``POST /api/v1/incidents`` ``{name, status 0-4, message, visible, component_id,
  component_status 0-4 (together), notify, stickied (required), occurred_at, meta}`` ->
  **200** ``{"data": {...}}``. ``POST /api/v1/incidents/{id}/updates`` ``{status 1-4,
  message, component_id, component_status}`` -> 200. Validation -> 400
  ``{"errors": [{"status": 400, "title": "Bad Request", "detail": "The request was
  invalid.", "meta": {"details": [...]}}]}``.
* ``GET /api/v1/incidents``: every query key but ``sort``, ``order`` and ``per_page``
  becomes a ``WHERE`` when one of them is searchable (``id``, ``name``, ``status``...):
  a key that is no column (``page``, ``q``) then fails in SQL -> an HTML 500 page.
* A body that is not JSON -> an HTML 500 page (as 2.x servers have answered).
* Times are answered without an offset (``2026-11-30 12:00:00``, the server's zone).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ALL_ABILITIES = frozenset(
    {"incidents.manage", "incident-updates.manage", "components.manage", "subscribers.manage"}
)
V3_FILTERS = frozenset({"name", "status", "occurs_after", "occurs_before", "occurs_on", "meta"})
V3_INCLUDES = frozenset({"components", "components.group", "updates", "user", "meta"})
V3_SORTS = frozenset({"name", "status", "id", "created_at"})
V2_SEARCHABLE = frozenset(
    {"id", "user_id", "component_id", "name", "status", "visible", "stickied"}
)
HTML_500 = (
    b"<!DOCTYPE html><html><head><title>Whoops!</title></head>"
    b"<body>Whoops, looks like something went wrong.</body></html>"
)


class _Reply(Exception):
    def __init__(self, status: int, body: Any, content_type: str = "application/json"):
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type


@dataclass
class Update:
    id: int
    status: int
    message: str
    created_at: str
    component_id: int | None = None
    component_status: int | None = None


@dataclass
class Incident:
    id: int
    name: str
    message: str | None
    status: int
    visible: bool
    stickied: bool
    notifications: bool
    occurred_at: str | None
    created_at: str
    components: dict[int, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    updates: list[Update] = field(default_factory=list)


@dataclass
class Seen:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: Any


class CachetEmulator:
    """``CachetEmulator(version=3, tokens={"tok": ALL_ABILITIES}, components={1: 1})``."""

    def __init__(
        self,
        *,
        version: int = 3,
        tokens: dict[str, frozenset[str]] | None = None,
        components: dict[int, int] | None = None,
    ):
        assert version in (2, 3)
        self.version = version
        self.tokens = dict(tokens or {})
        self.components: dict[int, int] = dict(components or {1: 1, 2: 1})
        self.incidents: list[Incident] = []
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self._next_update = 1
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def prefix(self) -> str:
        return "/api" if self.version == 3 else "/api/v1"

    @property
    def api_base(self) -> str:
        return self.url + self.prefix

    def start(self) -> CachetEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # no access log
                pass

            def _any(self) -> None:
                emulator._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="cachet-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._server = None
        self._thread = None

    def __enter__(self) -> CachetEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP --------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        parts = urlsplit(h.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in h.headers.items()}
        body: Any = None
        try:
            if not parts.path.startswith(self.prefix + "/"):
                raise _Reply(404, {"message": "Not Found"})
            route = parts.path[len(self.prefix) :].rstrip("/")
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    if self.version == 2:
                        raise _Reply(500, HTML_500, "text/html") from None
                    raise _Reply(400, {"message": "The JSON body is malformed."}) from None
            with self.lock:
                if self.version == 3:
                    status, answer = self._v3(h.command, route, query, headers, body)
                else:
                    status, answer = self._v2(h.command, route, query, headers, body)
            reply = _Reply(status, answer)
        except _Reply as r:
            reply = r
        # Laravel answers a client that does not ask for JSON with HTML (or a redirect)
        json_reply = reply.content_type == "application/json" and self.version == 3
        if json_reply and reply.status >= 400 and "json" not in headers.get("accept", ""):
            reply = _Reply(reply.status, HTML_500, "text/html")
        with self.lock:
            self.seen.append(Seen(h.command, h.path, reply.status, headers, body))
        data = (
            reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode("utf-8")
        )
        h.send_response(reply.status)
        h.send_header("Content-Type", reply.content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    # -- shared ------------------------------------------------------------------------
    def _incident(self, ident: str) -> Incident:
        for inc in self.incidents:
            if str(inc.id) == ident:
                return inc
        if self.version == 3:
            raise _Reply(404, {"message": "Not Found"})
        raise _Reply(404, _v2_error(404, "Not Found", "The requested resource could not be found."))

    def _new_incident(self, **kw: Any) -> Incident:
        inc = Incident(id=len(self.incidents) + 1, created_at=_now(), **kw)
        self.incidents.append(inc)
        return inc

    def _new_update(self, inc: Incident, status: int, message: str, **kw: Any) -> Update:
        up = Update(id=self._next_update, status=status, message=message, created_at=_now(), **kw)
        self._next_update += 1
        inc.updates.append(up)
        inc.status = status  # the incident's status follows its latest update
        return up

    # -- 3.x ---------------------------------------------------------------------------
    def _v3_token(self, headers: dict[str, str]) -> frozenset[str] | None:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return None
        return self.tokens.get(auth[len("Bearer ") :])

    def _v3_guard(self, abilities: frozenset[str] | None, ability: str) -> None:
        if abilities is None:
            raise _Reply(401, {"message": "Unauthenticated."})
        if ability not in abilities:
            raise _Reply(403, {"message": "Invalid ability provided."})

    def _v3(
        self,
        method: str,
        route: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: Any,
    ) -> tuple[int, Any]:
        abilities = self._v3_token(headers)
        segs = route.strip("/").split("/")
        if method == "GET":
            authed = abilities is not None
            if segs == ["incidents"]:
                return 200, self._v3_index(query, authed)
            if len(segs) == 2 and segs[0] == "incidents":
                inc = self._incident(segs[1])
                if not inc.visible and not authed:
                    raise _Reply(404, {"message": "Not Found"})
                includes = _v3_includes(query)
                return 200, _v3_incident_doc(inc, includes)
            if len(segs) == 3 and segs[0] == "incidents" and segs[2] == "updates":
                inc = self._incident(segs[1])
                if not inc.visible and not authed:
                    raise _Reply(404, {"message": "Not Found"})
                page, per_page = _v3_paging(query)
                ups = inc.updates[(page - 1) * per_page : page * per_page + 1]
                return 200, _v3_page([_v3_update(u, inc) for u in ups], page, per_page)
            if segs == ["subscribers"]:
                self._v3_guard(abilities, "subscribers.manage")
                return 200, _v3_page([], 1, 15)
            if segs == ["ping"]:
                return 200, {"data": "Pong!"}
            raise _Reply(404, {"message": "Not Found"})
        if method == "POST" and segs == ["incidents"]:
            self._v3_guard(abilities, "incidents.manage")
            return 201, self._v3_create(_laravel(body))
        if method == "POST" and len(segs) == 3 and segs[0] == "incidents" and segs[2] == "updates":
            if abilities is None:
                raise _Reply(401, {"message": "Unauthenticated."})
            inc = self._incident(segs[1])
            data = _laravel(body)
            errors: dict[str, list[str]] = {}
            status = data.get("status")
            if status is None:
                errors["status"] = ["The status field is required."]
            elif not _int_in(status, 0, 4):
                errors["status"] = ["The selected status is invalid."]
            if not isinstance(data.get("message"), str):
                errors["message"] = ["The message field is required."]
            _v3_raise(errors)
            self._v3_guard(abilities, "incident-updates.manage")
            up = self._new_update(inc, int(status), data["message"])
            return 201, {"data": _v3_update(up, inc)}
        if method == "PUT" and len(segs) == 2 and segs[0] == "components":
            if abilities is None:
                raise _Reply(401, {"message": "Unauthenticated."})
            cid = int(segs[1]) if segs[1].isdigit() else -1
            if cid not in self.components:
                raise _Reply(404, {"message": "Not Found"})
            data = _laravel(body)
            if "status" in data and not _int_in(data["status"], 1, 6):
                _v3_raise({"status": ["The selected status is invalid."]})
            self._v3_guard(abilities, "components.manage")
            if "status" in data:
                self.components[cid] = int(data["status"])
            return 200, {
                "data": {
                    "id": str(cid),
                    "type": "components",
                    "attributes": {"id": cid, "status": {"value": self.components[cid]}},
                }
            }
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            if abilities is None:
                raise _Reply(401, {"message": "Unauthenticated."})
            raise _Reply(
                405 if segs[0] in ("incidents", "components") else 404,
                {"message": "The route is not supported by this emulator."},
            )
        raise _Reply(405, {"message": "Method Not Allowed"})

    def _v3_create(self, data: dict[str, Any]) -> Any:
        errors: dict[str, list[str]] = {}
        name = data.get("name")
        if not isinstance(name, str):
            errors["name"] = ["The name field is required."]
        elif len(name) > 255:
            errors["name"] = ["The name field must not be greater than 255 characters."]
        status = data.get("status")
        if status is None:
            errors["status"] = ["The status field is required."]
        elif not _int_in(status, 0, 4):
            errors["status"] = ["The selected status is invalid."]
        if not isinstance(data.get("message"), str) and data.get("template") is None:
            errors["message"] = ["The message field is required when template is not present."]
        for flag in ("visible", "stickied", "notifications"):
            if flag in data and not isinstance(data[flag], bool) and data[flag] not in (0, 1):
                errors[flag] = [f"The {flag} field must be true or false."]
        occurred = data.get("occurred_at")
        if occurred is not None and _parse_date(occurred) is None:
            errors["occurred_at"] = ["The occurred at field must be a valid date."]
        comps: dict[int, int] = {}
        raw_comps = data.get("components")
        if raw_comps is not None and not isinstance(raw_comps, list):
            errors["components"] = ["The components field must be an array."]
        for i, comp in enumerate(raw_comps or []):
            cid = comp.get("id") if isinstance(comp, dict) else None
            cst = comp.get("status") if isinstance(comp, dict) else None
            if not isinstance(cid, int) or cid not in self.components:
                errors[f"components.{i}.id"] = [f"The selected components.{i}.id is invalid."]
            elif cid in comps:
                errors[f"components.{i}.id"] = [
                    f"The components.{i}.id field has a duplicate value."
                ]
            if not _int_in(cst, 1, 6):
                errors[f"components.{i}.status"] = [
                    f"The selected components.{i}.status is invalid."
                ]
            if isinstance(cid, int) and _int_in(cst, 1, 6):
                comps[cid] = int(cst)
        meta = data.get("meta")
        if meta is not None and not isinstance(meta, dict):
            errors["meta"] = ["The meta field must be an array."]
        _v3_raise(errors)
        inc = self._new_incident(
            name=name,
            message=data.get("message"),
            status=int(status),
            visible=bool(data.get("visible", False)),
            stickied=bool(data.get("stickied", False)),
            notifications=bool(data.get("notifications", False)),
            occurred_at=occurred,
            components=comps,
            meta=dict(meta or {}),
        )
        # the incident's components take the status they were given
        self.components.update(comps)
        return _v3_incident_doc(inc, set())

    def _v3_index(self, query: list[tuple[str, str]], authed: bool) -> Any:
        filters: dict[str, str] = {}
        meta_filter: dict[str, str] = {}
        for key, value in query:
            if key.startswith("filter["):
                inner = key[len("filter[") :]
                name, _, rest = inner.partition("]")
                if name not in V3_FILTERS:
                    raise _Reply(
                        400,
                        {
                            "message": f"Requested filter(s) `{name}` are not allowed. "
                            f"Allowed filter(s) are `{', '.join(sorted(V3_FILTERS))}`."
                        },
                    )
                if name == "meta":
                    mkey = rest.strip("[]")
                    if mkey:
                        meta_filter[mkey] = value
                else:
                    filters[name] = value
        includes = _v3_includes(query)
        sort = dict(query).get("sort", "-created_at")
        for s in sort.split(","):
            if s.lstrip("-") not in V3_SORTS:
                raise _Reply(
                    400,
                    {
                        "message": f"Requested sort(s) `{s}` is not allowed. "
                        f"Allowed sort(s) are `{', '.join(sorted(V3_SORTS))}`."
                    },
                )
        found = [i for i in self.incidents if i.visible or authed]
        if "name" in filters:
            found = [i for i in found if filters["name"].lower() in i.name.lower()]
        if "status" in filters:
            found = [i for i in found if str(i.status) in filters["status"].split(",")]
        for mkey, mval in meta_filter.items():
            found = [i for i in found if mkey in i.meta and str(i.meta[mkey]) == mval]
        key = sort.split(",")[0]
        attr = key.lstrip("-").replace("created_at", "id")
        found.sort(key=lambda i: getattr(i, attr), reverse=key.startswith("-"))
        page, per_page = _v3_paging(query)
        chunk = found[(page - 1) * per_page : page * per_page + 1]
        doc = _v3_page([_v3_incident_doc(i, includes)["data"] for i in chunk], page, per_page)
        if "updates" in includes:
            doc["included"] = [_v3_update(u, i) for i in chunk[:per_page] for u in i.updates]
        return doc

    # -- 2.x ---------------------------------------------------------------------------
    def _v2_authed(self, headers: dict[str, str]) -> bool:
        token = headers.get("x-cachet-token")
        return token is not None and token in self.tokens

    def _v2(
        self,
        method: str,
        route: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: Any,
    ) -> tuple[int, Any]:
        segs = route.strip("/").split("/")
        authed = self._v2_authed(headers)
        if (method != "GET" or segs == ["subscribers"]) and not authed:
            detail = "Authentication is required and has failed or has not yet been provided."
            raise _Reply(401, _v2_error(401, "Unauthorized", detail))
        if method == "GET":
            if segs == ["incidents"]:
                return 200, self._v2_index(query, authed)
            if len(segs) == 2 and segs[0] == "incidents":
                inc = self._incident(segs[1])
                return 200, {"data": _v2_incident(inc)}
            if len(segs) == 3 and segs[0] == "incidents" and segs[2] == "updates":
                inc = self._incident(segs[1])
                ups = sorted(inc.updates, key=lambda u: u.id, reverse=True)  # newest first
                return 200, _v2_paginate([_v2_update(u, inc) for u in ups], query)
            if segs == ["subscribers"]:
                return 200, _v2_paginate([], query)
            if segs == ["ping"]:
                return 200, {"data": "Pong!"}
            raise _Reply(
                404, _v2_error(404, "Not Found", "The requested resource could not be found.")
            )
        data = body if isinstance(body, dict) else {}
        if method == "POST" and segs == ["incidents"]:
            details = _v2_rules(data, create=True)
            comp = self._v2_component(data, details)
            if details:
                raise _Reply(400, _v2_invalid(details))
            inc = self._new_incident(
                name=data["name"],
                message=data.get("message"),
                status=int(data["status"]),
                visible=bool(data.get("visible", True)),
                stickied=bool(data.get("stickied", False)),
                notifications=bool(data.get("notify", True)),
                occurred_at=data.get("occurred_at"),
                components=dict([comp]) if comp else {},
                meta=dict(data.get("meta") or {}),
            )
            return 200, {"data": _v2_incident(inc)}
        if method == "POST" and len(segs) == 3 and segs[0] == "incidents" and segs[2] == "updates":
            inc = self._incident(segs[1])
            details = _v2_rules(data, create=False)
            comp = self._v2_component(data, details)
            if details:
                raise _Reply(400, _v2_invalid(details))
            up = self._new_update(
                inc,
                int(data["status"]),
                data["message"],
                component_id=comp[0] if comp else None,
                component_status=comp[1] if comp else None,
            )
            if comp:
                inc.components[comp[0]] = comp[1]
            return 200, {"data": _v2_update(up, inc)}
        if method == "PUT" and len(segs) == 2 and segs[0] == "components":
            cid = int(segs[1]) if segs[1].isdigit() else -1
            if cid not in self.components:
                raise _Reply(
                    404, _v2_error(404, "Not Found", "The requested resource could not be found.")
                )
            status = data.get("status")
            if status is not None:
                if not _int_in(status, 0, 4):
                    raise _Reply(400, _v2_invalid(["The status must be between 0 and 4."]))
                self.components[cid] = int(status)
            return 200, {"data": {"id": cid, "status": self.components[cid]}}
        raise _Reply(405, _v2_error(405, "Method Not Allowed", "The method is not allowed."))

    def _v2_component(self, data: dict[str, Any], details: list[str]) -> tuple[int, int] | None:
        cid, cst = data.get("component_id"), data.get("component_status")
        if cid is None and cst is None:
            return None
        if cid is None:
            details.append("The component id field is required when component status is present.")
            return None
        if cst is None:
            details.append("The component status field is required when component id is present.")
            return None
        if not isinstance(cid, int):
            details.append("The component id must be an integer.")
            return None
        if not _int_in(cst, 0, 4):
            details.append("The component status must be between 0 and 4.")
            return None
        if cid not in self.components:
            return None  # `Component::find()` finds nothing: silently no component change
        self.components[cid] = int(cst)
        return cid, int(cst)

    def _v2_index(self, query: list[tuple[str, str]], authed: bool) -> Any:
        search = [(k, v) for k, v in query if k not in ("sort", "order", "per_page")]
        found = [i for i in self.incidents if i.visible or authed]
        if search and {k for k, _ in search} & V2_SEARCHABLE:
            unknown = [k for k, _ in search if k not in V2_SEARCHABLE]
            if unknown:  # `where page = 2`: no such column -> QueryException -> HTML 500
                raise _Reply(500, HTML_500, "text/html")
            for k, v in search:
                found = [i for i in found if str(_v2_column(i, k)) == v]
        sort = dict(query).get("sort")
        if sort:
            desc = dict(query).get("order") == "desc"
            found.sort(key=lambda i: _v2_column(i, sort), reverse=desc)
        return _v2_paginate([_v2_incident(i) for i in found], query)


# -- helpers ---------------------------------------------------------------------------------
def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _laravel(body: Any) -> dict[str, Any]:
    """TrimStrings + ConvertEmptyStringsToNull, on the top level and one level down."""
    if not isinstance(body, dict):
        return {}

    def fix(v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip()
            return v or None
        return v

    return {k: fix(v) for k, v in body.items()}


def _v3_raise(errors: dict[str, list[str]]) -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        more = len(errors) - 1
        message = first + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")
        raise _Reply(422, {"message": message, "errors": errors})


def _v3_includes(query: list[tuple[str, str]]) -> set[str]:
    raw = dict(query).get("include", "")
    includes = {i for i in raw.split(",") if i}
    bad = includes - V3_INCLUDES
    if bad:
        raise _Reply(
            400,
            {
                "message": f"Requested include(s) `{', '.join(sorted(bad))}` are not "
                f"allowed. Allowed include(s) are `{', '.join(sorted(V3_INCLUDES))}`."
            },
        )
    return includes


def _v3_paging(query: list[tuple[str, str]]) -> tuple[int, int]:
    q = dict(query)
    try:
        per_page = max(1, min(100, int(q.get("per_page", "15"))))
        page = max(1, int(q.get("page", "1")))
    except ValueError:
        per_page, page = 15, 1
    return page, per_page


def _v3_page(items: list[Any], page: int, per_page: int) -> dict[str, Any]:
    """simplePaginate: one item more than a page was read to know whether a next exists."""
    more = len(items) > per_page
    return {
        "data": items[:per_page],
        "links": {
            "first": "?page=1",
            "last": None,
            "prev": f"?page={page - 1}" if page > 1 else None,
            "next": f"?page={page + 1}" if more else None,
        },
        "meta": {"current_page": page, "per_page": per_page},
    }


def _v3_incident_doc(inc: Incident, includes: set[str]) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "id": inc.id,
        "guid": f"00000000-0000-4000-8000-{inc.id:012d}",
        "name": inc.name,
        "message": inc.message,
        "visible": inc.visible,
        "stickied": inc.stickied,
        "notifications": inc.notifications,
        "status": {"human": None, "value": inc.status},
        "occurred": {"human": None, "string": inc.occurred_at},
        "created": {"human": None, "string": inc.created_at},
    }
    if "meta" in includes:
        attributes["meta"] = dict(inc.meta)
    data: dict[str, Any] = {
        "id": str(inc.id),
        "type": "incidents",
        "attributes": attributes,
        "relationships": {},
        "links": {},
        "meta": {},
    }
    doc: dict[str, Any] = {"data": data}
    if "updates" in includes:
        data["relationships"]["updates"] = {
            "data": [{"type": "updates", "id": str(u.id)} for u in inc.updates]
        }
        doc["included"] = [_v3_update(u, inc) for u in inc.updates]
    return doc


def _v3_update(up: Update, inc: Incident) -> dict[str, Any]:
    return {
        "id": str(up.id),
        "type": "updates",
        "attributes": {
            "id": up.id,
            "updateable_id": inc.id,
            "updateable_type": "incident",
            "message": up.message,
            "status": {"human": None, "value": up.status},
            "created": {"human": None, "string": up.created_at},
        },
        "relationships": {},
        "links": {},
        "meta": {},
    }


def _v2_error(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"errors": [{"id": "e0", "status": status, "title": title, "detail": detail}]}


def _v2_invalid(details: list[str]) -> dict[str, Any]:
    error = _v2_error(400, "Bad Request", "The request was invalid.")
    error["errors"][0]["meta"] = {"details": details}
    return error


def _v2_rules(data: dict[str, Any], *, create: bool) -> list[str]:
    details: list[str] = []
    if create and not isinstance(data.get("name"), str):
        details.append("The name field is required.")
    status = data.get("status")
    low = 0 if create else 1
    if status is None:
        details.append("The status field is required.")
    elif not _int_in(status, low, 4):
        details.append(f"The status must be between {low} and 4.")
    message = data.get("message")
    if not create and not isinstance(message, str):
        details.append("The message field is required.")
    if create:
        if message is not None and not isinstance(message, str):
            details.append("The message must be a string.")
        if not isinstance(data.get("stickied"), bool):
            details.append("The stickied field is required.")
        for flag in ("visible", "notify"):
            if data.get(flag) is not None and not isinstance(data[flag], bool):
                details.append(f"The {flag} field must be true or false.")
        if data.get("meta") is not None and not isinstance(data["meta"], dict):
            details.append("The meta must be an array.")
    return details


def _v2_column(inc: Incident, key: str) -> Any:
    if key == "visible":
        return int(inc.visible)
    if key == "stickied":
        return int(inc.stickied)
    return getattr(inc, key, "")


def _v2_paginate(items: list[Any], query: list[tuple[str, str]]) -> dict[str, Any]:
    q = dict(query)
    per_page = int(q.get("per_page", "20") or 20)
    page = int(q.get("page", "1") or 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    pages = max(1, -(-len(items) // per_page))
    return {
        "meta": {
            "pagination": {
                "total": len(items),
                "count": len(chunk),
                "per_page": per_page,
                "current_page": page,
                "total_pages": pages,
                "links": {
                    "next_page": f"?page={page + 1}" if page < pages else None,
                    "previous_page": f"?page={page - 1}" if page > 1 else None,
                },
            }
        },
        "data": chunk,
    }


def _v2_incident(inc: Incident) -> dict[str, Any]:
    return {
        "id": inc.id,
        "component_id": next(iter(inc.components), 0),
        "name": inc.name,
        "status": inc.status,
        "visible": int(inc.visible),
        "stickied": inc.stickied,
        "notifications": inc.notifications,
        "message": inc.message,
        "occurred_at": (inc.occurred_at or inc.created_at).replace("T", " ")[:19],
        "created_at": inc.created_at,
        "updated_at": inc.created_at,
        "human_status": ["Scheduled", "Investigating", "Identified", "Watching", "Fixed"][
            inc.status
        ],
        "latest_update_id": inc.updates[-1].id if inc.updates else None,
        "latest_status": inc.status,
        "meta": dict(inc.meta),
        "updates": [_v2_update(u, inc) for u in inc.updates],
    }


def _v2_update(up: Update, inc: Incident) -> dict[str, Any]:
    return {
        "id": up.id,
        "incident_id": inc.id,
        "status": up.status,
        "message": up.message,
        "created_at": up.created_at,
        "updated_at": up.created_at,
        "human_status": ["Scheduled", "Investigating", "Identified", "Watching", "Fixed"][
            up.status
        ],
    }

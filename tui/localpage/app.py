"""The local status page: a Starlette app speaking a subset of Atlassian Statuspage REST v1.

Routes (any path may also end in ``.json``):

* ``/v1/...`` — the publisher's API, every call authenticated by
  ``Authorization: OAuth <api_key>`` (401 ``{"message": "Could not authenticate"}``
  otherwise; a wrong page id is 404):

  - ``GET  /v1/pages`` and ``GET /v1/pages/{page_id}`` — the page
  - ``POST /v1/pages/{page_id}/incidents`` → 201 Incident
  - ``GET  /v1/pages/{page_id}/incidents?q=&limit=&page=`` → [Incident], newest first
  - ``GET  /v1/pages/{page_id}/incidents/unresolved?page=&per_page=`` → [Incident]
  - ``GET | PATCH | PUT /v1/pages/{page_id}/incidents/{incident_id}`` → Incident
  - ``GET | PUT /v1/pages/{page_id}/incidents/{incident_id}/postmortem`` → Postmortem
  - ``PUT  /v1/pages/{page_id}/incidents/{incident_id}/postmortem/publish`` → Postmortem
  - ``GET  /v1/pages/{page_id}/components`` → [Component]
  - ``GET | PATCH | PUT /v1/pages/{page_id}/components/{component_id}`` → Component

  Errors are ``{"message": "..."}``: 400 malformed JSON, text that is not valid Unicode (a
  lone surrogate such as ``"\\ud800"``, bytes that are not UTF-8) or a missing root key, 401,
  404, 413 (plain text, from Starlette) for a body over 1 MB, 422 invalid values, query
  numbers or unknown component id, 503 when the database cannot be used. Nothing is stored
  for a refused request. Any other exception is one log line and a JSON 500, never a
  traceback.

* ``/api/v2/summary.json``, ``/api/v2/status.json``, ``/api/v2/components.json``,
  ``/api/v2/incidents.json``, ``/api/v2/incidents/unresolved.json`` — the public read API
  (no auth, no metadata). As on Statuspage, its timestamps carry the page's local offset.
* ``/`` — the human page (HTML, autoescaped, refreshes every 10 s; update bodies and
  post-mortems in the Markdown subset of :mod:`tui.localpage.markdown`; titled by
  :func:`page_title`; times in the page's zone, ``Nov 26, 2026, 7:02 PM EST``);
  ``/incidents/{id}`` (an incident's ``shortlink``) redirects to its anchor on ``/``.

Overall status (``status.indicator``), kept simple: the worst of the components'
(``major_outage`` → major; ``partial_outage``, ``degraded_performance`` → minor) and of
the unresolved incidents' (impact critical → critical, major → major, anything else →
minor: an open incident is never "All Systems Operational"). Description: none → "All
Systems Operational", minor → "Partial System Outage", major and critical → "Major
System Outage". An incident's ``impact`` is its ``impact_override`` if set, else the worst
component status it ever set (degraded/partial → minor, major_outage → major,
under_maintenance → maintenance).

The API key is compared with :func:`hmac.compare_digest` and never written anywhere.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui.core.textsafe import clean, clean_line
from tui.localpage.markdown import render as render_markdown
from tui.localpage.store import (
    COMPONENT_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    Invalid,
    PageStore,
)

MAX_NAME = 255
MAX_BODY = 25_000
MAX_POSTMORTEM = 200_000
MAX_REQUEST = 1_000_000
MAX_PER_PAGE = 100
RESOLVED_SHOWN = 50

_log = logging.getLogger("warroom.page")
UNAUTHORIZED = "Could not authenticate"
_PAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ID = re.compile(r"[a-z0-9]{1,64}")

LEVELS = ("none", "minor", "major", "critical")
_COMPONENT_LEVEL = {
    "degraded_performance": "minor",
    "partial_outage": "minor",
    "major_outage": "major",
}
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Partial System Outage",
    "major": "Major System Outage",
    "critical": "Major System Outage",
}
STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "operational": "Operational",
    "under_maintenance": "Under maintenance",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
_TIME_KEYS = frozenset(
    {
        "created_at",
        "updated_at",
        "monitoring_at",
        "resolved_at",
        "display_at",
        "started_at",
        "published_at",
        "postmortem_published_at",
    }
)
_PRIVATE_KEYS = frozenset(
    {
        "metadata",
        "impact_override",
        "postmortem_notified_subscribers",
        "postmortem_notified_twitter",
        "postmortem_body_last_updated_at",
        "deliver_notifications",
    }
)
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def page_title(name: str) -> str:
    """The page's title: its name, with "Status" added unless the name already says it
    ("Acme Cloud Status" stays as it is, never "Acme Cloud Status status"; "Acme" becomes
    "Acme Status")."""
    name = " ".join(clean_line(name or "").split()) or "Status"
    return name if "status" in re.findall(r"\w+", name.casefold()) else f"{name} Status"


def wall_time(t: datetime) -> str:
    """``Nov 30, 2026, 7:02 PM EST``: 12-hour clock and the zone's abbreviation, the way
    warroom writes times in customer messages."""
    clock = t.strftime("%I:%M %p").lstrip("0")
    return f"{t.strftime('%b')} {t.day}, {t.year}, {clock} {t.tzname() or ''}".rstrip()


def started_at(incident: Mapping[str, Any]) -> str | None:
    """When the incident began, if the publisher said so: ``metadata.warroom.started_at``
    (ISO 8601 with an offset, not after the incident was posted). Statuspage has no field
    for it; without it the page shows when the incident was first posted."""
    meta = incident.get("metadata")
    ours = meta.get("warroom") if isinstance(meta, Mapping) else None
    value = ours.get("started_at") if isinstance(ours, Mapping) else None
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
        posted = datetime.fromisoformat(str(incident["created_at"]).replace("Z", "+00:00"))
    except (ValueError, KeyError):
        return None
    if t.tzinfo is None or t > posted:
        return None
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def page_status(components: Sequence[Mapping], unresolved: Sequence[Mapping]) -> dict[str, str]:
    """``{"indicator", "description"}`` of the page (see the module docstring)."""
    levels = ["none"]
    levels += [_COMPONENT_LEVEL.get(c["status"], "none") for c in components]
    levels += [i["impact"] if i["impact"] in ("major", "critical") else "minor" for i in unresolved]
    indicator = max(levels, key=LEVELS.index)
    return {"indicator": indicator, "description": DESCRIPTIONS[indicator]}


# -- request validation ---------------------------------------------------------------


async def _payload(request: Request, root: str) -> dict[str, Any]:
    raw = await request.body()

    def no_constants(name: str) -> None:
        raise ValueError(name)

    try:
        data = json.loads(raw, parse_constant=no_constants) if raw.strip() else None
    except (ValueError, RecursionError):
        raise ApiError(400, "The request body is not valid JSON") from None
    _check_unicode(data)
    if not isinstance(data, dict) or root not in data:
        raise ApiError(400, f"The request body must be a JSON object with a {root!r} key")
    if not isinstance(data[root], dict):
        raise ApiError(400, f"{root!r} must be a JSON object")
    return data[root]


def _check_unicode(data: Any) -> None:
    """400 for a string (or key) that is not valid Unicode: JSON can spell a lone surrogate
    (``"\\ud800"``), which no UTF-8 database or response can hold. Iterative: the parser
    already bounds the depth, this walk must not add a recursion limit of its own."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as e:
                bad = item[e.start]
                raise ApiError(
                    400,
                    f"The request body is not valid JSON text: it holds a lone surrogate "
                    f"(\\u{ord(bad):04x}); send UTF-8 text",
                ) from None


def _text(d: Mapping, key: str, where: str, limit: int, *, blank_ok: bool = True) -> str | None:
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise ApiError(422, f"{where}.{key} must be a string")
    if len(v) > limit:
        raise ApiError(422, f"{where}.{key} is too long (maximum {limit} characters)")
    if not blank_ok and not v.strip():
        raise ApiError(422, f"{where}.{key} can't be blank")
    return v


def _choice(d: Mapping, key: str, where: str, choices: Sequence[str]) -> str | None:
    v = d.get(key)
    if v is None:
        return None
    if v not in choices:
        raise ApiError(422, f"{where}.{key} must be one of: {', '.join(choices)}")
    return v


def _bool(d: Mapping, key: str, where: str) -> bool | None:
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, bool):
        raise ApiError(422, f"{where}.{key} must be true or false")
    return v


def _incident_fields(obj: Mapping[str, Any], *, create: bool) -> dict[str, Any]:
    """The fields sent, validated; keys absent (or null) are left out, except that a null
    ``impact_override`` on a PATCH clears it."""
    w = "incident"
    out: dict[str, Any] = {}
    name = _text(obj, "name", w, MAX_NAME, blank_ok=False)
    if name is not None:
        out["name"] = name
    elif create:
        raise ApiError(422, "incident.name can't be blank")
    if (status := _choice(obj, "status", w, INCIDENT_STATUSES)) is not None:
        out["status"] = status
    if (body := _text(obj, "body", w, MAX_BODY)) is not None:
        out["body"] = body
    if "impact_override" in obj:
        out["impact_override"] = _choice(obj, "impact_override", w, IMPACTS)
    ids = obj.get("component_ids")
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ApiError(422, "incident.component_ids must be a list of component ids")
        out["component_ids"] = ids
    comps = obj.get("components")
    if comps is not None:
        if not isinstance(comps, dict):
            raise ApiError(422, "incident.components must be an object {component_id: status}")
        for cid, st in comps.items():
            if st not in COMPONENT_STATUSES:
                raise ApiError(
                    422,
                    f"incident.components[{cid!r}] must be one of: {', '.join(COMPONENT_STATUSES)}",
                )
        out["components"] = comps
    if (deliver := _bool(obj, "deliver_notifications", w)) is not None:
        out["deliver_notifications"] = deliver
    meta = obj.get("metadata")
    if meta is not None:
        if not isinstance(meta, dict) or not all(isinstance(v, dict) for v in meta.values()):
            raise ApiError(
                422, "incident.metadata must be an object whose top-level values are objects"
            )
        out["metadata"] = meta
    return out


def _int_param(request: Request, *names: str, default: int, maximum: int | None = None) -> int:
    for name in names:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            continue
        # ASCII digits only: int() would also take "1_000", " 7 " and other scripts' digits
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise ApiError(422, f"{name} must be a positive integer")
        value = int(raw)
        if value < 1:
            raise ApiError(422, f"{name} must be a positive integer")
        return min(value, maximum) if maximum else value
    return default


# -- the ASGI wrapper: ".json", auth, headers ----------------------------------------------


class _Guard:
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


# -- the app -------------------------------------------------------------------------------


def create_app(
    db_path: str | os.PathLike,
    *,
    api_key: str,
    page_id: str = "local",
    page_name: str = "Status",
    components: Sequence[str] = ("API", "Dashboard", "Integrations"),
    time_zone: str = "UTC",
) -> Starlette:
    """The status-page app on the SQLite file ``db_path`` (created and seeded if new)."""
    if not api_key or not isinstance(api_key, str):
        raise ValueError("the status page needs a non-empty API key")
    if not _PAGE_ID.fullmatch(page_id):
        raise ValueError("page_id: 1-64 letters, digits, '-' or '_'")
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {time_zone!r}") from None
    store = PageStore(db_path, page_id=page_id, components=list(components))

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def local(iso: str | None) -> datetime | None:
        if not iso:
            return None
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(zone)

    def local_iso(iso: str) -> str:
        t = local(iso)
        return t.isoformat(timespec="milliseconds") if t else iso

    def when(iso: str | None) -> str:
        """``Nov 30, 2026, 7:02 PM EST``: the page's (the customers') zone, named."""
        t = local(iso)
        return wall_time(t) if t else ""

    env.filters["when"] = when
    env.filters["clean"] = lambda s: clean(s or "")
    env.filters["markdown"] = render_markdown
    env.filters["started"] = started_at
    env.globals["zone_now"] = lambda: datetime.now(zone).tzname() or time_zone
    env.filters["words"] = lambda s: STATUS_WORDS.get(s, str(s).replace("_", " ").capitalize())
    template = env.get_template("page.html.j2")

    # -- helpers --

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def check_page(request: Request) -> None:
        if request.path_params["page_id"] != page_id:
            raise ApiError(404, "Page not found")

    def with_link(request: Request, incident: dict[str, Any]) -> dict[str, Any]:
        return {**incident, "shortlink": f"{base(request)}/incidents/{incident['id']}"}

    async def db(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await run_in_threadpool(fn, *args, **kwargs)
        except Invalid as e:
            raise ApiError(422, str(e)) from None
        except sqlite3.Error as e:  # locked past the busy timeout, damaged, disk full, ...
            _log.error("status page: database %s: %s", store.path, e)
            raise ApiError(503, "The status page's database cannot be used right now") from None

    def page_object(request: Request, updated_at: str) -> dict[str, Any]:
        return {
            "id": page_id,
            "name": page_name,
            "url": base(request),
            "time_zone": time_zone,
            "updated_at": updated_at,
        }

    def public(value: Any) -> Any:
        """A v2 (public) view: private fields dropped, times in the page's offset."""
        if isinstance(value, list):
            return [public(v) for v in value]
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in _PRIVATE_KEYS:
                    continue
                if k in _TIME_KEYS and isinstance(v, str):
                    out[k] = local_iso(v)
                else:
                    out[k] = public(v)
            return out
        return value

    # -- /v1 --

    async def list_pages(request: Request) -> Response:
        return JSONResponse([page_object(request, await db(store.updated_at))])

    async def get_page(request: Request) -> Response:
        check_page(request)
        return JSONResponse(page_object(request, await db(store.updated_at)))

    async def create_incident(request: Request) -> Response:
        check_page(request)
        fields = _incident_fields(await _payload(request, "incident"), create=True)
        incident = await db(store.create_incident, **fields)
        return JSONResponse(with_link(request, incident), status_code=201)

    async def list_incidents(request: Request) -> Response:
        check_page(request)
        q = request.query_params.get("q") or None
        limit = _int_param(request, "limit", "per_page", default=100, maximum=MAX_PER_PAGE)
        page = _int_param(request, "page", default=1)
        found = await db(store.incidents, which="all", q=q, limit=limit, page=page)
        return JSONResponse([with_link(request, i) for i in found])

    async def unresolved_incidents(request: Request) -> Response:
        check_page(request)
        limit = _int_param(request, "per_page", "limit", default=100, maximum=MAX_PER_PAGE)
        page = _int_param(request, "page", default=1)
        found = await db(store.incidents, which="unresolved", limit=limit, page=page)
        return JSONResponse([with_link(request, i) for i in found])

    async def get_incident(request: Request) -> Response:
        check_page(request)
        incident = await db(store.incident, request.path_params["incident_id"])
        if incident is None:
            raise ApiError(404, "Incident not found")
        return JSONResponse(with_link(request, incident))

    async def update_incident(request: Request) -> Response:
        check_page(request)
        fields = _incident_fields(await _payload(request, "incident"), create=False)
        incident = await db(store.update_incident, request.path_params["incident_id"], fields)
        if incident is None:
            raise ApiError(404, "Incident not found")
        return JSONResponse(with_link(request, incident))

    async def get_postmortem(request: Request) -> Response:
        check_page(request)
        pm = await db(store.postmortem, request.path_params["incident_id"])
        if pm is None:
            raise ApiError(404, "Incident not found")
        return JSONResponse(pm)

    async def put_postmortem(request: Request) -> Response:
        check_page(request)
        obj = await _payload(request, "postmortem")
        draft = _text(obj, "body_draft", "postmortem", MAX_POSTMORTEM, blank_ok=False)
        if draft is None:
            raise ApiError(422, "postmortem.body_draft can't be blank")
        pm = await db(store.put_postmortem, request.path_params["incident_id"], draft)
        if pm is None:
            raise ApiError(404, "Incident not found")
        return JSONResponse(pm)

    async def publish_postmortem(request: Request) -> Response:
        check_page(request)
        obj = await _payload(request, "postmortem")
        subscribers = _bool(obj, "notify_subscribers", "postmortem") or False
        twitter = _bool(obj, "notify_twitter", "postmortem") or False
        pm = await db(
            store.publish_postmortem,
            request.path_params["incident_id"],
            notify_subscribers=subscribers,
            notify_twitter=twitter,
        )
        if pm is None:
            raise ApiError(404, "Incident not found")
        return JSONResponse(pm)

    async def list_components(request: Request) -> Response:
        check_page(request)
        per_page = _int_param(request, "per_page", "limit", default=100, maximum=MAX_PER_PAGE)
        page = _int_param(request, "page", default=1)
        comps = await db(store.components)
        start = (page - 1) * per_page
        return JSONResponse(comps[start : start + per_page])

    async def get_component(request: Request) -> Response:
        check_page(request)
        comp = await db(store.component, request.path_params["component_id"])
        if comp is None:
            raise ApiError(404, "Component not found")
        return JSONResponse(comp)

    async def update_component(request: Request) -> Response:
        check_page(request)
        obj = await _payload(request, "component")
        status = _choice(obj, "status", "component", COMPONENT_STATUSES)
        if status is None:
            raise ApiError(422, "component.status can't be blank")
        comp = await db(store.set_component_status, request.path_params["component_id"], status)
        if comp is None:
            raise ApiError(404, "Component not found")
        return JSONResponse(comp)

    # -- public --

    async def summary(request: Request) -> Response:
        o = await db(store.overview, resolved_limit=0)
        return JSONResponse(
            {
                "page": page_object(request, local_iso(o["updated_at"])),
                "status": page_status(o["components"], o["unresolved"]),
                "components": public(o["components"]),
                "incidents": public([with_link(request, i) for i in o["unresolved"]]),
                "scheduled_maintenances": [],
            }
        )

    async def status(request: Request) -> Response:
        o = await db(store.overview, resolved_limit=0)
        return JSONResponse(
            {
                "page": page_object(request, local_iso(o["updated_at"])),
                "status": page_status(o["components"], o["unresolved"]),
            }
        )

    async def public_components(request: Request) -> Response:
        o = await db(store.overview, resolved_limit=0)
        return JSONResponse(
            {
                "page": page_object(request, local_iso(o["updated_at"])),
                "components": public(o["components"]),
            }
        )

    async def public_incidents(request: Request, *, unresolved: bool) -> Response:
        o = await db(store.overview, resolved_limit=0 if unresolved else RESOLVED_SHOWN)
        incidents = o["unresolved"] + ([] if unresolved else o["resolved"])
        return JSONResponse(
            {
                "page": page_object(request, local_iso(o["updated_at"])),
                "incidents": public([with_link(request, i) for i in incidents]),
            }
        )

    async def public_unresolved(request: Request) -> Response:
        return await public_incidents(request, unresolved=True)

    async def public_all(request: Request) -> Response:
        return await public_incidents(request, unresolved=False)

    async def html_page(request: Request) -> Response:
        o = await db(store.overview, resolved_limit=RESOLVED_SHOWN)
        body = template.render(
            page_name=page_name,
            title=page_title(page_name),
            status=page_status(o["components"], o["unresolved"]),
            components=o["components"],
            incidents=o["unresolved"] + o["resolved"],
            updated_at=o["updated_at"],
            time_zone=time_zone,
        )
        return HTMLResponse(
            body, headers={"content-security-policy": _CSP, "cache-control": "no-cache"}
        )

    async def shortlink(request: Request) -> Response:
        iid = request.path_params["incident_id"]
        if not _ID.fullmatch(iid):
            raise ApiError(404, "Incident not found")
        return RedirectResponse(f"/#incident-{iid}", status_code=302)

    # -- errors --

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return JSONResponse({"message": exc.message}, status_code=exc.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse(
            {"message": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"message": "Internal server error"}, status_code=500)

    p = "/v1/pages/{page_id}"
    routes = [
        Route("/v1/pages", list_pages, methods=["GET"]),
        Route(p, get_page, methods=["GET"]),
        Route(f"{p}/incidents", create_incident, methods=["POST"]),
        Route(f"{p}/incidents", list_incidents, methods=["GET"]),
        Route(f"{p}/incidents/unresolved", unresolved_incidents, methods=["GET"]),
        Route(f"{p}/incidents/{{incident_id}}", get_incident, methods=["GET"]),
        Route(f"{p}/incidents/{{incident_id}}", update_incident, methods=["PATCH", "PUT"]),
        Route(f"{p}/incidents/{{incident_id}}/postmortem", get_postmortem, methods=["GET"]),
        Route(f"{p}/incidents/{{incident_id}}/postmortem", put_postmortem, methods=["PUT"]),
        Route(
            f"{p}/incidents/{{incident_id}}/postmortem/publish",
            publish_postmortem,
            methods=["PUT", "POST"],
        ),
        Route(f"{p}/components", list_components, methods=["GET"]),
        Route(f"{p}/components/{{component_id}}", get_component, methods=["GET"]),
        Route(f"{p}/components/{{component_id}}", update_component, methods=["PATCH", "PUT"]),
        Route("/api/v2/summary", summary, methods=["GET"]),
        Route("/api/v2/status", status, methods=["GET"]),
        Route("/api/v2/components", public_components, methods=["GET"]),
        Route("/api/v2/incidents", public_all, methods=["GET"]),
        Route("/api/v2/incidents/unresolved", public_unresolved, methods=["GET"]),
        Route("/", html_page, methods=["GET"]),
        Route("/incidents/{incident_id}", shortlink, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: api_error, HTTPException: http_error, 500: server_error},
        max_body_size=MAX_REQUEST,
    )
    app.add_middleware(_Guard, api_key=api_key.encode("utf-8"))
    app.state.store = store
    app.state.page_id = page_id
    return app

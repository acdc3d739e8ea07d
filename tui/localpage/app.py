"""The local status page: a Starlette app speaking a subset of Atlassian Statuspage REST v1.

Routes (any path may also end in ``.json``), one module each:

* ``/v1/...`` — the publisher's API (:mod:`tui.localpage.publisher_api`), every call
  authenticated by ``Authorization: OAuth <api_key>`` (401 ``{"message": "Could not
  authenticate"}`` otherwise; a wrong page id is 404): the page, incidents (create, list,
  search, unresolved, read, update), post-mortems (draft, publish) and components.

  Errors are ``{"message": "..."}``: 400 malformed JSON, text that is not valid Unicode (a
  lone surrogate such as ``"\\ud800"``, bytes that are not UTF-8) or a missing root key, 401,
  404, 413 (plain text, from Starlette) for a body over 1 MB, 422 invalid values, query
  numbers or unknown component id (:mod:`tui.localpage.validation`), 503 when the database
  cannot be used. Nothing is stored for a refused request. Any other exception is one log
  line and a JSON 500, never a traceback (:mod:`tui.localpage.guard`).

* ``/api/v2/summary.json``, ``/api/v2/status.json``, ``/api/v2/components.json``,
  ``/api/v2/incidents.json``, ``/api/v2/incidents/unresolved.json`` — the public read API
  (:mod:`tui.localpage.public_api`; no auth, no metadata). As on Statuspage, its timestamps
  carry the page's local offset.
* ``/`` — the human page (:mod:`tui.localpage.human_page`: HTML, autoescaped, refreshes
  every 10 s; update bodies and post-mortems in the Markdown subset of
  :mod:`tui.localpage.markdown`); ``/incidents/{id}`` (an incident's ``shortlink``)
  redirects to its anchor on ``/``.
* ``/sink`` — with ``sink_secret``: a webhook sink that verifies and lists warroom's
  signed webhook messages (:mod:`tui.localpage.sink`; ``warroom demo`` fans out to it).

The overall status and how times are written: :mod:`tui.localpage.status`. The storage:
:mod:`tui.localpage.store`. The API key is compared with :func:`hmac.compare_digest` and
never written anywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tui.localpage.context import Page
from tui.localpage.guard import Guard
from tui.localpage.human_page import page_routes
from tui.localpage.public_api import public_routes
from tui.localpage.publisher_api import publisher_routes
from tui.localpage.sink import WebhookSink, sink_routes
from tui.localpage.store import PageStore
from tui.localpage.validation import ApiError

MAX_REQUEST = 1_000_000
_PAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse({"message": exc.message}, status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"message": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"message": "Internal server error"}, status_code=500)


def create_app(
    db_path: str | os.PathLike[str],
    *,
    api_key: str,
    page_id: str = "local",
    page_name: str = "Status",
    components: Sequence[str] = ("API", "Dashboard", "Integrations"),
    time_zone: str = "UTC",
    sink_secret: str | None = None,
) -> Starlette:
    """The status-page app on the SQLite file ``db_path`` (created and seeded if new);
    with ``sink_secret``, a webhook sink beside it (:mod:`tui.localpage.sink`)."""
    if not api_key or not isinstance(api_key, str):
        raise ValueError("the status page needs a non-empty API key")
    if not _PAGE_ID.fullmatch(page_id):
        raise ValueError("page_id: 1-64 letters, digits, '-' or '_'")
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {time_zone!r}") from None
    store = PageStore(db_path, page_id=page_id, components=list(components))
    page = Page(store, page_id, page_name, time_zone, zone)

    sink = WebhookSink(sink_secret.encode("utf-8")) if sink_secret else None
    app = Starlette(
        routes=[
            *publisher_routes(page),
            *public_routes(page),
            *page_routes(page),
            *(sink_routes(sink) if sink else []),
        ],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, 500: _server_error},
        max_body_size=MAX_REQUEST,
    )
    app.add_middleware(Guard, api_key=api_key.encode("utf-8"))
    app.state.store = store
    app.state.page_id = page_id
    app.state.sink = sink
    return app

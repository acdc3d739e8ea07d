"""The public read API, as Statuspage's ``/api/v2``: no authentication, no private fields.

``/api/v2/summary``, ``/status``, ``/components``, ``/incidents`` and
``/incidents/unresolved`` (each also with ``.json``). Each answer carries the page object
and is read from one snapshot. As on Statuspage, timestamps carry the page's local offset,
and what only the publisher should see (metadata, ``impact_override``, notification
flags, the post-mortem's last-edit time) is left out. The overall status is
:func:`tui.localpage.status.page_status`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tui.localpage.context import RESOLVED_SHOWN, Page
from tui.localpage.status import page_status

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


def public_view(page: Page, value: Any) -> Any:
    """A v2 (public) view: private fields dropped, times in the page's offset."""
    if isinstance(value, list):
        return [public_view(page, v) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in _PRIVATE_KEYS:
                continue
            if k in _TIME_KEYS and isinstance(v, str):
                out[k] = page.local_iso(v)
            else:
                out[k] = public_view(page, v)
        return out
    return value


def public_routes(page: Page) -> list[Route]:
    """The ``/api/v2`` routes of ``page``."""
    store = page.store

    def public(value: Any) -> Any:
        return public_view(page, value)

    async def summary(request: Request) -> Response:
        o = await page.db(store.overview, resolved_limit=0)
        return JSONResponse(
            {
                "page": page.page_object(request, page.local_iso(o["updated_at"])),
                "status": page_status(o["components"], o["unresolved"]),
                "components": public(o["components"]),
                "incidents": public([page.with_link(request, i) for i in o["unresolved"]]),
                "scheduled_maintenances": [],
            }
        )

    async def status(request: Request) -> Response:
        o = await page.db(store.overview, resolved_limit=0)
        return JSONResponse(
            {
                "page": page.page_object(request, page.local_iso(o["updated_at"])),
                "status": page_status(o["components"], o["unresolved"]),
            }
        )

    async def public_components(request: Request) -> Response:
        o = await page.db(store.overview, resolved_limit=0)
        return JSONResponse(
            {
                "page": page.page_object(request, page.local_iso(o["updated_at"])),
                "components": public(o["components"]),
            }
        )

    async def public_incidents(request: Request, *, unresolved: bool) -> Response:
        o = await page.db(store.overview, resolved_limit=0 if unresolved else RESOLVED_SHOWN)
        incidents = o["unresolved"] + ([] if unresolved else o["resolved"])
        return JSONResponse(
            {
                "page": page.page_object(request, page.local_iso(o["updated_at"])),
                "incidents": public([page.with_link(request, i) for i in incidents]),
            }
        )

    async def public_unresolved(request: Request) -> Response:
        return await public_incidents(request, unresolved=True)

    async def public_all(request: Request) -> Response:
        return await public_incidents(request, unresolved=False)

    return [
        Route("/api/v2/summary", summary, methods=["GET"]),
        Route("/api/v2/status", status, methods=["GET"]),
        Route("/api/v2/components", public_components, methods=["GET"]),
        Route("/api/v2/incidents", public_all, methods=["GET"]),
        Route("/api/v2/incidents/unresolved", public_unresolved, methods=["GET"]),
    ]

"""The publisher's API: the subset of Statuspage REST v1 warroom publishes through.

Every route is under ``/v1/pages/{page_id}`` (authenticated by
:class:`~tui.localpage.guard.Guard`; another page id is 404) and answers JSON:

* ``GET /v1/pages`` and ``GET /v1/pages/{page_id}`` -- the page;
* ``POST .../incidents`` → 201 Incident; ``GET .../incidents?q=&limit=&page=`` → newest
  first; ``GET .../incidents/unresolved?page=&per_page=``;
* ``GET | PATCH | PUT .../incidents/{incident_id}``;
* ``GET | PUT .../incidents/{incident_id}/postmortem``, ``PUT | POST .../postmortem/publish``;
* ``GET .../components``, ``GET | PATCH | PUT .../components/{component_id}``.

Bodies and query numbers are checked by :mod:`tui.localpage.validation` before the store
is touched; an unknown incident or component is 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tui.localpage.context import Page
from tui.localpage.schema import COMPONENT_STATUSES
from tui.localpage.validation import (
    MAX_PER_PAGE,
    MAX_POSTMORTEM,
    ApiError,
    boolean,
    choice,
    incident_fields,
    int_param,
    payload,
    text,
)


def publisher_routes(page: Page) -> list[Route]:
    """The ``/v1`` routes of ``page``."""
    store = page.store

    async def list_pages(request: Request) -> Response:
        return JSONResponse([page.page_object(request, await page.db(store.updated_at))])

    async def get_page(request: Request) -> Response:
        page.check_page(request)
        return JSONResponse(page.page_object(request, await page.db(store.updated_at)))

    async def create_incident(request: Request) -> Response:
        page.check_page(request)
        fields = incident_fields(await payload(request, "incident"), create=True)
        incident = await page.db(store.create_incident, **fields)
        return JSONResponse(page.with_link(request, incident), status_code=201)

    async def list_incidents(request: Request) -> Response:
        page.check_page(request)
        q = request.query_params.get("q") or None
        limit = int_param(request, "limit", "per_page", default=100, maximum=MAX_PER_PAGE)
        number = int_param(request, "page", default=1)
        found = await page.db(store.incidents, which="all", q=q, limit=limit, page=number)
        return JSONResponse([page.with_link(request, i) for i in found])

    async def unresolved_incidents(request: Request) -> Response:
        page.check_page(request)
        limit = int_param(request, "per_page", "limit", default=100, maximum=MAX_PER_PAGE)
        number = int_param(request, "page", default=1)
        found = await page.db(store.incidents, which="unresolved", limit=limit, page=number)
        return JSONResponse([page.with_link(request, i) for i in found])

    async def get_incident(request: Request) -> Response:
        page.check_page(request)
        incident = await page.db(store.incident, request.path_params["incident_id"])
        if incident is None:
            raise ApiError(404, "Incident not found")
        return JSONResponse(page.with_link(request, incident))

    async def update_incident(request: Request) -> Response:
        page.check_page(request)
        fields = incident_fields(await payload(request, "incident"), create=False)
        incident = await page.db(store.update_incident, request.path_params["incident_id"], fields)
        if incident is None:
            raise ApiError(404, "Incident not found")
        return JSONResponse(page.with_link(request, incident))

    async def get_postmortem(request: Request) -> Response:
        page.check_page(request)
        pm = await page.db(store.postmortem, request.path_params["incident_id"])
        if pm is None:
            raise ApiError(404, "Incident not found")
        return JSONResponse(pm)

    async def put_postmortem(request: Request) -> Response:
        page.check_page(request)
        obj = await payload(request, "postmortem")
        draft = text(obj, "body_draft", "postmortem", MAX_POSTMORTEM, blank_ok=False)
        if draft is None:
            raise ApiError(422, "postmortem.body_draft can't be blank")
        pm = await page.db(store.put_postmortem, request.path_params["incident_id"], draft)
        if pm is None:
            raise ApiError(404, "Incident not found")
        return JSONResponse(pm)

    async def publish_postmortem(request: Request) -> Response:
        page.check_page(request)
        obj = await payload(request, "postmortem")
        subscribers = boolean(obj, "notify_subscribers", "postmortem") or False
        twitter = boolean(obj, "notify_twitter", "postmortem") or False
        pm = await page.db(
            store.publish_postmortem,
            request.path_params["incident_id"],
            notify_subscribers=subscribers,
            notify_twitter=twitter,
        )
        if pm is None:
            raise ApiError(404, "Incident not found")
        return JSONResponse(pm)

    async def list_components(request: Request) -> Response:
        page.check_page(request)
        per_page = int_param(request, "per_page", "limit", default=100, maximum=MAX_PER_PAGE)
        number = int_param(request, "page", default=1)
        comps = await page.db(store.components)
        start = (number - 1) * per_page
        return JSONResponse(comps[start : start + per_page])

    async def get_component(request: Request) -> Response:
        page.check_page(request)
        comp = await page.db(store.component, request.path_params["component_id"])
        if comp is None:
            raise ApiError(404, "Component not found")
        return JSONResponse(comp)

    async def update_component(request: Request) -> Response:
        page.check_page(request)
        obj = await payload(request, "component")
        status = choice(obj, "status", "component", COMPONENT_STATUSES)
        if status is None:
            raise ApiError(422, "component.status can't be blank")
        comp = await page.db(
            store.set_component_status, request.path_params["component_id"], status
        )
        if comp is None:
            raise ApiError(404, "Component not found")
        return JSONResponse(comp)

    p = "/v1/pages/{page_id}"
    return [
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
    ]

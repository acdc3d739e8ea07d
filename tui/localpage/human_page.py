"""The page people read: ``/`` as HTML, and ``/incidents/{id}`` (an incident's shortlink).

The HTML comes from ``templates/page.html.j2``, autoescaped (whatever a publisher sent
shows as text), refreshing every 10 s, under a Content-Security-Policy that allows no
script, image, frame or form. Update bodies and post-mortems are rendered in the Markdown
subset of :mod:`tui.localpage.markdown`; the title is
:func:`~tui.localpage.status.page_title`; times are in the page's (the customers') zone,
``Nov 26, 2026, 7:02 PM EST``. A shortlink redirects (302) to the incident's anchor on
``/``; an id that cannot be one is 404.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from tui.core.textsafe import clean
from tui.localpage.context import RESOLVED_SHOWN, Page
from tui.localpage.markdown import render as render_markdown
from tui.localpage.status import page_status, page_title, started_at, status_words, wall_time
from tui.localpage.validation import ApiError

_ID = re.compile(r"[a-z0-9]{1,64}")
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _template(page: Page) -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def when(iso: str | None) -> str:
        """``Nov 30, 2026, 7:02 PM EST``: the page's (the customers') zone, named."""
        t = page.local(iso)
        return wall_time(t) if t else ""

    def zone_now() -> str:
        return datetime.now(page.zone).tzname() or page.time_zone

    env.filters["when"] = when
    env.filters["clean"] = lambda s: clean(s or "")
    env.filters["markdown"] = render_markdown
    env.filters["started"] = started_at
    env.globals["zone_now"] = zone_now
    env.filters["words"] = status_words
    return env.get_template("page.html.j2")


def page_routes(page: Page) -> list[Route]:
    """The human page and the shortlinks of ``page``."""
    template = _template(page)  # built once: a broken template fails at start, not per view

    async def html_page(request: Request) -> Response:
        o = await page.db(page.store.overview, resolved_limit=RESOLVED_SHOWN)
        body = template.render(
            page_name=page.name,
            title=page_title(page.name),
            status=page_status(o["components"], o["unresolved"]),
            components=o["components"],
            incidents=o["unresolved"] + o["resolved"],
            updated_at=o["updated_at"],
            time_zone=page.time_zone,
        )
        return HTMLResponse(
            body, headers={"content-security-policy": _CSP, "cache-control": "no-cache"}
        )

    async def shortlink(request: Request) -> Response:
        iid = request.path_params["incident_id"]
        if not _ID.fullmatch(iid):
            raise ApiError(404, "Incident not found")
        return RedirectResponse(f"/#incident-{iid}", status_code=302)

    return [
        Route("/", html_page, methods=["GET"]),
        Route("/incidents/{incident_id}", shortlink, methods=["GET"]),
    ]

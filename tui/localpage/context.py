"""What every route of the page shares: the store, the page's identity and zone, and the
few helpers the routes have in common.

* :meth:`Page.db` runs a store call in Starlette's thread pool and turns its failures
  into answers: :class:`~tui.localpage.schema.Invalid` → 422; any ``sqlite3`` error (locked
  past the busy timeout, damaged, disk full) → one log line and 503;
* :meth:`Page.check_page` answers 404 for another page id;
* :meth:`Page.with_link` adds an incident's ``shortlink`` (``/incidents/{id}`` on this
  page's address);
* :meth:`Page.local` / :meth:`Page.local_iso` put a stored UTC time in the page's zone.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tui.localpage.schema import Invalid
from tui.localpage.store import PageStore
from tui.localpage.validation import ApiError

RESOLVED_SHOWN = 50  # resolved incidents on the page and in the public incident list
_log = logging.getLogger("warroom.page")


@dataclass(frozen=True)
class Page:
    store: PageStore
    page_id: str
    name: str
    time_zone: str
    zone: ZoneInfo

    def base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def check_page(self, request: Request) -> None:
        if request.path_params["page_id"] != self.page_id:
            raise ApiError(404, "Page not found")

    def with_link(self, request: Request, incident: dict[str, Any]) -> dict[str, Any]:
        return {**incident, "shortlink": f"{self.base(request)}/incidents/{incident['id']}"}

    async def db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await run_in_threadpool(fn, *args, **kwargs)
        except Invalid as e:
            raise ApiError(422, str(e)) from None
        except sqlite3.Error as e:  # locked past the busy timeout, damaged, disk full, ...
            _log.error("status page: database %s: %s", self.store.path, e)
            raise ApiError(503, "The status page's database cannot be used right now") from None

    def page_object(self, request: Request, updated_at: str) -> dict[str, Any]:
        return {
            "id": self.page_id,
            "name": self.name,
            "url": self.base(request),
            "time_zone": self.time_zone,
            "updated_at": updated_at,
        }

    def local(self, iso: str | None) -> datetime | None:
        if not iso:
            return None
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(self.zone)

    def local_iso(self, iso: str) -> str:
        t = self.local(iso)
        return t.isoformat(timespec="milliseconds") if t else iso

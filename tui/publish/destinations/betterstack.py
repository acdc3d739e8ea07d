"""The Better Stack status reports adapter (Uptime API v2, ``Authorization: Bearer <token>``).

An update becomes one request on the status page ``page_id`` (the config's
``status_page_id``):

* the first update of an incident creates a status report with its first message
  (``POST /status-pages/{id}/status-reports``: title, message, ``report_type:
  manual``, affected_resources, notify_subscribers, published_at); the answer's
  ``data.id`` is the provider's report id;
* every later one is a status update on the report (``POST .../status-reports/
  {report}/status-updates``: message, affected_resources, notify_subscribers,
  published_at);
* Better Stack has no investigating/identified states: each resource is
  ``downtime`` (major outage), ``degraded`` (partial outage, degraded
  performance, maintenance) or ``resolved``; resolving is an update with every
  resource ``resolved``;
* the post-mortem: there is no post-mortem API, so it is a final status update
  (every configured resource ``resolved``) whose text is the post-mortem.

``published_at`` is the row's event time (UTC with ``Z``): an update that leaves
the outbox late keeps its true time. ``notify_subscribers`` is the payload's choice.

Exactly once: the API has no idempotency key and a report carries no field of
ours. After an ambiguous attempt :meth:`BetterStackAdapter.find` reads the
report's status updates and looks for the row by its exact text and its
``published_at`` (:mod:`tui.publish.destinations.lookup`); before the report is
known, it reads the status reports (the first page and, when there are more, the
last one, where new reports land) and takes the newest report with the incident's
title. Found: the row is complete, never sent twice; not found: it is sent again.
A lookup makes at most four requests (two pages of reports, two of updates): with
the send, an attempt stays within the worker's ``REQUESTS_PER_ATTEMPT``.

Errors (``{"errors": ...}``) keep the provider's words where :mod:`.http` reads
them; a refused token, an unknown page and a refused body each say what to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final
from urllib.parse import parse_qs, urlsplit

from tui.core.config import Destination
from tui.publish.destinations.http import request_json
from tui.publish.destinations.lookup import is_there, row_at
from tui.publish.outbox import Row
from tui.publish.retry import DeliveryError

if TYPE_CHECKING:
    import httpx

    from tui.publish.destinations import Guarantee

DEFAULT_BASE: Final = "https://uptime.betterstack.com/api/v2"

RESOURCE_STATUS: Final[Mapping[str, str]] = {
    "operational": "resolved",
    "under_maintenance": "degraded",
    "degraded_performance": "degraded",
    "partial_outage": "degraded",
    "major_outage": "downtime",
}


def _bearer(key: str) -> Mapping[str, str]:
    return {"Authorization": f"Bearer {key}"}


class BetterStackAdapter:
    """Better Stack: a status report per incident, a status update per later message."""

    guarantee: ClassVar[Guarantee] = "exactly-once"

    def __init__(self, dest: Destination, before: Callable[[], None] | None = None):
        self.dest = dest
        # called right before each request (the worker's rate limit and lease check)
        self.before = before

    def _url(self, path: str) -> str:
        return f"{self.dest.base_url.rstrip('/')}/status-pages/{self.dest.page_id}{path}"

    def _request(self, client: httpx.Client, method: str, path: str, body: Any = None) -> Any:
        try:
            return request_json(
                client,
                self.dest,
                method,
                self._url(path),
                auth=_bearer,
                body=body,
                before=self.before,
            )
        except DeliveryError as exc:
            raise _worded(exc, self.dest) from None

    def _records(self, client: httpx.Client, path: str) -> list[dict[str, Any]]:
        """A list's records: its first page and, when there are more, its last page.

        The next page's address is never followed as given (it would take the token
        wherever the answer points): only its ``page`` number is read.
        """
        answer = self._request(client, "GET", path)
        records = _data(answer)
        last = _last_page(answer)
        if last is not None and last > 1:
            records += _data(self._request(client, "GET", f"{path}?page={last}"))
        return records

    @staticmethod
    def preview(dest: Destination, payload: Mapping[str, Any]) -> list[str]:
        """What Better Stack receives, in its words (for the confirm screen)."""
        where = f"status page {dest.page_id}"
        if payload.get("kind") == "postmortem":
            return [
                f"{where}: the post-mortem as a final status update (no post-mortem API)",
                "resources: every one resolved",
            ]
        names = payload.get("component_names") or {}
        comps = "; ".join(f"{n}: {RESOURCE_STATUS.get(str(s), str(s))}" for n, s in names.items())
        return [
            f"{where}: a status report update (no {payload.get('status', '')} state on "
            "Better Stack: the message says it)",
            f"resources: {comps or 'none set'}",
        ]

    # the operations ------------------------------------------------------------------
    def check(self, client: httpx.Client) -> str:
        """One read-only call (the status page): the token and the page id work."""
        answer = self._request(client, "GET", "")
        data = answer.get("data") if isinstance(answer, dict) else None
        attributes = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(attributes, dict):
            raise DeliveryError(
                "Better Stack answered the status page with something that is not one",
                retryable=True,
            )
        name = attributes.get("company_name") or attributes.get("subdomain") or ""
        named = f" ({str(name)[:60]})" if name else ""
        return f"OK: Better Stack status page {self.dest.page_id}{named} answered (token accepted)"

    def find(
        self, client: httpx.Client, row: Row, provider_ref: str | None, already: int = 0
    ) -> tuple[str | None, bool]:
        """After an ambiguous attempt: (the status report, whether this row is on it)."""
        at = row_at(row)
        body = str(row.payload["body"])
        if provider_ref is not None:
            return provider_ref, self._holds(client, provider_ref, body, at, already)
        title = str(row.payload.get("name", "")).strip()
        reports = [
            r
            for r in self._records(client, "/status-reports")
            if str((r.get("attributes") or {}).get("title", "")).strip() == title
        ]
        # only the newest report with the title (ids grow): the one this incident's first
        # row would have created (an older one is an earlier incident's)
        reports.sort(key=lambda r: _id_order(r.get("id")), reverse=True)
        for report in reports[:1]:
            ref = report.get("id")
            ref = str(ref) if isinstance(ref, str | int) and not isinstance(ref, bool) else ""
            if ref and self._holds(client, ref, body, at, already):
                return ref, True
        return None, False

    def _holds(self, client: httpx.Client, ref: str, body: str, at: str, already: int) -> bool:
        updates = self._records(client, f"/status-reports/{ref}/status-updates")
        pairs = (
            (
                (u.get("attributes") or {}).get("message"),
                (u.get("attributes") or {}).get("published_at"),
            )
            for u in updates
        )
        return is_there(pairs, body, at, already)

    def send(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """Create the status report with this row, or add this row to it; the report id."""
        p = row.payload
        if p.get("kind") == "postmortem":
            if provider_ref is None:
                raise DeliveryError(
                    "the incident is not on Better Stack yet: publish an update first "
                    "(Better Stack has no post-mortem; it goes out as a final status update)",
                    retryable=False,
                )
            components = {cid: "operational" for cid in self.dest.components.values()}
        else:
            components = dict(p.get("components") or {})
        update: dict[str, Any] = {
            "message": p["body"],
            "affected_resources": [
                {
                    "status_page_resource_id": cid,
                    "status": RESOURCE_STATUS.get(str(s), "downtime"),
                }
                for cid, s in components.items()
            ],
            "notify_subscribers": bool(p.get("notify", True)),
            "published_at": row_at(row),
        }
        if provider_ref is None:
            report = {"title": p["name"], "report_type": "manual", **update}
            answer = self._request(client, "POST", "/status-reports", report)
            data = answer.get("data") if isinstance(answer, dict) else None
            ref = data.get("id") if isinstance(data, dict) else None
            if isinstance(ref, int) and not isinstance(ref, bool):
                ref = str(ref)
            if not isinstance(ref, str) or not ref:
                raise DeliveryError(
                    "Better Stack answered without a status report id",
                    retryable=True,
                    ambiguous=True,
                )
            return ref
        self._request(client, "POST", f"/status-reports/{provider_ref}/status-updates", update)
        return provider_ref


def _data(answer: Any) -> list[dict[str, Any]]:
    data = answer.get("data") if isinstance(answer, dict) else None
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def _last_page(answer: Any) -> int | None:
    """The number of the list's last page, from ``pagination.last`` (None: one page)."""
    pagination = answer.get("pagination") if isinstance(answer, dict) else None
    if not isinstance(pagination, dict) or not pagination.get("next"):
        return None
    last = pagination.get("last")
    if not isinstance(last, str):
        return None
    pages = parse_qs(urlsplit(last).query).get("page") or []
    return int(pages[0]) if pages and pages[0].isdigit() else None


def _id_order(value: object) -> tuple[int, str]:
    text = str(value)
    return (int(text), text) if text.isdigit() else (-1, text)


def _worded(exc: DeliveryError, dest: Destination) -> DeliveryError:
    """The error with what to fix, for the answers that stop the row."""
    if exc.retryable:
        return exc
    text = str(exc)
    where = (
        f"environment variable {dest.api_key_env}"
        if dest.api_key_env
        else f"key file {dest.api_key_file}"
    )
    hint = ""
    if text.startswith(("HTTP 401", "HTTP 403")):
        hint = f"Better Stack refused the token: put a valid Uptime API token in {where}"
    elif text.startswith("HTTP 404"):
        hint = (
            f"Better Stack knows no status page {dest.page_id!r} (or not this report): "
            f"check status_page_id of destination {dest.id!r}"
        )
    elif text.startswith(("HTTP 400", "HTTP 422")):
        hint = (
            "Better Stack refused the report: check the resource ids (components) of "
            f"destination {dest.id!r}"
        )
    if not hint:
        return exc
    return DeliveryError(f"{text} -- {hint}", retryable=False)

"""The Instatus adapter (REST v1, ``Authorization: Bearer <key>``).

An update becomes one request:

* the first update of an incident creates it with its first message
  (``POST /v1/{page_id}/incidents``: name, message, components, statuses,
  started, status, notify); the answer's ``id`` is the provider's incident id;
* every later one is an incident update (``POST /v1/{page_id}/incidents/{id}/
  incident-updates``), always with ``components`` and ``statuses`` (its OpenAPI
  description marks both required);
* the resolution is an update with status ``RESOLVED`` and every component
  ``OPERATIONAL`` (the payload's component statuses say so);
* the post-mortem: Instatus has no post-mortem API, so it is a final update
  (status ``RESOLVED``, every configured component ``OPERATIONAL``) whose text is
  the post-mortem.

Times: ``started`` is the row's event time (the moment it was published, UTC with
``Z``; a zone-less time would be shifted by the server), so an update that leaves
the outbox late keeps its true time. Statuses in the provider's words: incident
``INVESTIGATING | IDENTIFIED | MONITORING | RESOLVED``; components
``MAJOROUTAGE | PARTIALOUTAGE | DEGRADEDPERFORMANCE | UNDERMAINTENANCE | OPERATIONAL``.

Exactly once: Instatus has no idempotency key and its incidents carry no metadata.
After an ambiguous attempt :meth:`InstatusAdapter.find` reads the incidents
(``GET /v1/{page_id}/incidents``, which lists each one's updates) and looks for the
row by its exact text and its ``started`` time, which only this row has
(:mod:`tui.publish.destinations.lookup`); before the incident is known, only
incidents with the row's name are considered. Found: the row is complete, never
sent twice; not found: it is sent again.

Errors come as ``{"error": {"code", "message"}}``: the message is kept, and a
refused key, an unknown page and a refused body each say what to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

from tui.core.config import Destination
from tui.publish.destinations.http import request_json
from tui.publish.destinations.lookup import is_there, row_at
from tui.publish.outbox import Row
from tui.publish.retry import DeliveryError

if TYPE_CHECKING:
    import httpx

    from tui.publish.destinations import Guarantee

DEFAULT_BASE: Final = "https://api.instatus.com"
LOOKUP_PAGE_SIZE: Final = 50  # incidents read per lookup (newest first)

INCIDENT_STATUS: Final[Mapping[str, str]] = {
    "investigating": "INVESTIGATING",
    "identified": "IDENTIFIED",
    "monitoring": "MONITORING",
    "resolved": "RESOLVED",
}
COMPONENT_STATUS: Final[Mapping[str, str]] = {
    "operational": "OPERATIONAL",
    "under_maintenance": "UNDERMAINTENANCE",
    "degraded_performance": "DEGRADEDPERFORMANCE",
    "partial_outage": "PARTIALOUTAGE",
    "major_outage": "MAJOROUTAGE",
}


def _bearer(key: str) -> Mapping[str, str]:
    return {"Authorization": f"Bearer {key}"}


class InstatusAdapter:
    """Instatus: incidents and incident updates, looked up by text and time."""

    guarantee: ClassVar[Guarantee] = "exactly-once"

    def __init__(self, dest: Destination, before: Callable[[], None] | None = None):
        self.dest = dest
        # called right before each request (the worker's rate limit and lease check)
        self.before = before

    def _url(self, path: str) -> str:
        return f"{self.dest.base_url.rstrip('/')}/v1/{self.dest.page_id}{path}"

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

    @staticmethod
    def preview(dest: Destination, payload: Mapping[str, Any]) -> list[str]:
        """What Instatus receives, in its words (for the confirm screen)."""
        if payload.get("kind") == "postmortem":
            return [
                f"page {dest.page_id}: the post-mortem as a final update, RESOLVED "
                "(Instatus has no post-mortem)",
                "components: every one OPERATIONAL",
            ]
        status = INCIDENT_STATUS.get(str(payload.get("status")), str(payload.get("status")))
        names = payload.get("component_names") or {}
        comps = "; ".join(f"{n}: {COMPONENT_STATUS.get(str(s), str(s))}" for n, s in names.items())
        return [f"page {dest.page_id}: status {status}", f"components: {comps or 'none set'}"]

    # the operations ------------------------------------------------------------------
    def check(self, client: httpx.Client) -> str:
        """One read-only call (the page's incidents): the key and the page id work."""
        found = self._request(client, "GET", "/incidents?page=1&per_page=1")
        if not isinstance(found, list):
            raise DeliveryError(
                "Instatus answered the incident list with something that is not a list",
                retryable=True,
            )
        return f"OK: Instatus page {self.dest.page_id} answered (key accepted)"

    def find(
        self, client: httpx.Client, row: Row, provider_ref: str | None, already: int = 0
    ) -> tuple[str | None, bool]:
        """After an ambiguous attempt: (the Instatus incident, whether this row is on it)."""
        at = row_at(row)
        body = str(row.payload["body"])
        if provider_ref is not None:
            incident = self._request(client, "GET", f"/incidents/{provider_ref}")
            return provider_ref, _holds(incident, body, at, already)
        found = self._request(client, "GET", f"/incidents?page=1&per_page={LOOKUP_PAGE_SIZE}")
        name = str(row.payload.get("name", "")).strip()
        for incident in found if isinstance(found, list) else []:
            if not isinstance(incident, dict) or str(incident.get("name", "")).strip() != name:
                continue
            ref = incident.get("id")
            if isinstance(ref, str) and ref and _holds(incident, body, at, already):
                return ref, True
        return None, False

    def send(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """Create the incident with this row, or add this row to it; the incident id."""
        p = row.payload
        postmortem = p.get("kind") == "postmortem"
        if postmortem:
            if provider_ref is None:
                raise DeliveryError(
                    "the incident is not on Instatus yet: publish an update first "
                    "(Instatus has no post-mortem; it goes out as a final update)",
                    retryable=False,
                )
            # every configured component back to operational with the final word
            components = {cid: "operational" for cid in self.dest.components.values()}
            status = "RESOLVED"
        else:
            components = dict(p.get("components") or {})
            status = INCIDENT_STATUS.get(str(p["status"]), "INVESTIGATING")
        update: dict[str, Any] = {
            "message": p["body"],
            "components": list(components),
            "statuses": [
                {"id": cid, "status": COMPONENT_STATUS.get(str(s), "MAJOROUTAGE")}
                for cid, s in components.items()
            ],
            "started": row_at(row),
            "status": status,
            "notify": bool(p.get("notify", True)),
        }
        if provider_ref is None:
            answer = self._request(client, "POST", "/incidents", {"name": p["name"], **update})
            ref = answer.get("id") if isinstance(answer, dict) else None
            if not isinstance(ref, str) or not ref:
                raise DeliveryError(
                    "Instatus answered without an incident id", retryable=True, ambiguous=True
                )
            return ref
        self._request(client, "POST", f"/incidents/{provider_ref}/incident-updates", update)
        return provider_ref


def _holds(incident: Any, body: str, at: str, already: int) -> bool:
    """The incident's updates hold the row (its text at its time)."""
    if not isinstance(incident, dict):
        return False
    updates = [u for u in incident.get("updates") or [] if isinstance(u, dict)]
    return is_there(((u.get("message"), u.get("started")) for u in updates), body, at, already)


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
        hint = (
            f"Instatus refused the key: put a valid API key (Instatus dashboard, Developer) "
            f"in {where}"
        )
    elif text.startswith("HTTP 404"):
        hint = (
            f"Instatus knows no page {dest.page_id!r} (or not this incident): "
            f"check page_id of destination {dest.id!r}"
        )
    elif text.startswith(("HTTP 400", "HTTP 422")):
        hint = f"Instatus refused the update: check the component ids of destination {dest.id!r}"
    if not hint:
        return exc
    return DeliveryError(f"{text} -- {hint}", retryable=False)

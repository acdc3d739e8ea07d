"""The Atlassian Statuspage adapter (REST v1), and the local page that speaks the same subset.

An update becomes one request: the first update of an incident creates it
(``POST /pages/{page}/incidents``), every later one patches it (``PATCH
.../incidents/{id}``, which adds an entry to its ``incident_updates``); a
post-mortem is drafted, then published, on the incident (two ``PUT``, both safe
to repeat). The answer's ``id`` is the provider's incident id.

Statuspage has no idempotency keys, so each incident carries the war room's
correlation key in its metadata (``metadata.warroom.incident``, and ``.update``
for the row). After an ambiguous attempt, :meth:`StatuspageAdapter.find` looks for
it -- unresolved incidents, then a search by name, then the incident's updates --
and the worker completes the row instead of sending it twice: exactly once.

Requests go through :func:`tui.publish.destinations.http.request_json`
(``Authorization: OAuth <key>``, failures judged by the retry policy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tui.core.config import Destination
from tui.core.textsafe import clean_line
from tui.publish.destinations.http import request_json
from tui.publish.outbox import Row
from tui.publish.retry import DeliveryError

if TYPE_CHECKING:
    import httpx

    from tui.publish.destinations import Guarantee


def _oauth(key: str) -> Mapping[str, str]:
    return {"Authorization": f"OAuth {key}"}


class StatuspageAdapter:
    """Atlassian Statuspage REST v1 (and the local page that speaks the same subset)."""

    guarantee: ClassVar[Guarantee] = "exactly-once"

    def __init__(self, dest: Destination, before: Callable[[], None] | None = None):
        self.dest = dest
        # called right before each request (the worker's rate limit and lease check);
        # it raises LeaseLost to stop before anything is sent
        self.before = before

    def _url(self, path: str) -> str:
        return f"{self.dest.base_url.rstrip('/')}/pages/{self.dest.page_id}{path}"

    def _request(self, client: httpx.Client, method: str, path: str, body: Any = None) -> Any:
        return request_json(
            client, self.dest, method, self._url(path), auth=_oauth, body=body, before=self.before
        )

    def check(self, client: httpx.Client) -> str:
        """One read-only call (``GET /pages/{page}``): the key is accepted and the page
        answers. A one-line OK text; a DeliveryError with the problem otherwise."""
        page = self._request(client, "GET", "")
        if not isinstance(page, dict) or not isinstance(page.get("id"), str):
            raise DeliveryError(
                f"{self._url('')} answered, but not with a status page (check base_url)",
                retryable=False,
            )
        name = clean_line(str(page.get("name") or page["id"]))[:80]
        return f"page {name!r} ({page['id']}) answers; the key is accepted"

    # the two operations --------------------------------------------------------
    def find(
        self, client: httpx.Client, row: Row, provider_ref: str | None, already: int = 0
    ) -> tuple[str | None, bool]:
        """After an ambiguous attempt: (the provider incident, whether this row is on it).

        ``already``: how many earlier rows with the same text were sent; a body
        match counts only beyond those (a repeated message must not be lost).
        """
        incident_key = row.payload["incident_key"]
        if row.payload.get("kind") == "postmortem":
            return provider_ref, False  # PUTs are idempotent: sending again is safe
        if provider_ref is None:
            found = self._request(client, "GET", "/incidents/unresolved")
            provider_ref = _find_by_key(found, incident_key)
            if provider_ref is None:
                found = self._request(client, "GET", f"/incidents?q={_q(row.payload['name'])}")
                provider_ref = _find_by_key(found, incident_key)
            if provider_ref is None:
                return None, False
        incident = self._request(client, "GET", f"/incidents/{provider_ref}")
        return provider_ref, _has_update(incident, row, already)

    def send(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """Create or update the incident with this row; the provider's incident id."""
        p = row.payload
        if p.get("kind") == "postmortem":
            return self._postmortem(client, row, provider_ref)
        incident: dict[str, Any] = {
            "status": p["status"],
            "body": p["body"],
            "deliver_notifications": p.get("notify", True),
            "metadata": {"warroom": {"incident": p["incident_key"], "update": row.key}},
        }
        if p.get("started_at"):  # when the incident began: the page shows it as "started"
            incident["metadata"]["warroom"]["started_at"] = p["started_at"]
        if p.get("components"):
            incident["component_ids"] = list(p["components"])
            incident["components"] = p["components"]
        if provider_ref is None:
            incident["name"] = p["name"]
            if p.get("impact"):
                incident["impact_override"] = p["impact"]
            answer = self._request(client, "POST", "/incidents", {"incident": incident})
        else:
            answer = self._request(
                client, "PATCH", f"/incidents/{provider_ref}", {"incident": incident}
            )
        ref = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(ref, str) or not ref:
            raise DeliveryError(
                "the status page answered without an incident id", retryable=True, ambiguous=True
            )
        return ref

    def _postmortem(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """Draft, then publish, the post-mortem on the incident (both PUTs: safe to repeat)."""
        if provider_ref is None:
            raise DeliveryError(
                "the incident is not on this status page yet: publish an update first",
                retryable=False,
            )
        base = f"/incidents/{provider_ref}/postmortem"
        self._request(client, "PUT", base, {"postmortem": {"body_draft": row.payload["body"]}})
        notify = bool(row.payload.get("notify", True))
        self._request(
            client,
            "PUT",
            f"{base}/publish",
            {"postmortem": {"notify_subscribers": notify, "notify_twitter": False}},
        )
        return provider_ref


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:100])


def _find_by_key(incidents: Any, key: str) -> str | None:
    """The id of the incident whose metadata carries the war room's incident ``key``."""
    if not isinstance(incidents, list):
        return None
    for inc in incidents:
        if not isinstance(inc, dict):
            continue
        meta = inc.get("metadata") or {}
        wr = meta.get("warroom") if isinstance(meta, dict) else None
        ref = inc.get("id")
        if isinstance(wr, dict) and wr.get("incident") == key and isinstance(ref, str):
            return ref
    return None


def _has_update(incident: Any, row: Row, already: int = 0) -> bool:
    """Our row is on the incident: its key in the metadata, or one more copy of its text
    than the rows with that text we know we sent."""
    if not isinstance(incident, dict):
        return False
    meta = incident.get("metadata") or {}
    wr = meta.get("warroom") if isinstance(meta, dict) else None
    if isinstance(wr, dict) and wr.get("update") == row.key:
        return True
    body = row.payload["body"].strip()
    copies = sum(
        1
        for update in incident.get("incident_updates") or []
        if isinstance(update, dict) and str(update.get("body", "")).strip() == body
    )
    return copies > already

"""The Cachet adapter: Cachet 3 (cachethq/core; ``version: 3``, the default) and 2.x.

``base_url`` ends in ``/api`` (3.x) or ``/api/v1`` (2.x). The first update of an
incident creates it with its message; every later one is an incident update; the
post-mortem is a final update (status Fixed). The answer's incident id (an integer,
kept as text) is the provider's reference.

Cachet 3 (``Authorization: Bearer <token>``; abilities ``incidents.manage`` to create,
``incident-updates.manage`` for updates, ``components.manage`` to resolve components):

* create: ``POST /incidents`` ``{name, message, status (integer: 1 investigating,
  2 identified, 3 watching, 4 fixed), visible: true (it defaults to false: a hidden
  incident), stickied: false, notifications, occurred_at (the publish event's real
  time), components: [{id, status}], meta: {warroom_incident, warroom_update}}`` -> 201;
* update: ``POST /incidents/{id}/updates`` ``{status, message}`` -> 201;
* resolve: every component of the incident first ``PUT /components/{id}
  {"status": 1}`` (operational; a PUT is safe to repeat), then the update with status 4.

Cachet 2.x (``X-Cachet-Token``, ``/api/v1``, answers 200 ``{"data": ...}``):

* create: ``POST /incidents`` with every field (``name, message, status 1-4, visible,
  notify, stickied, component_id + component_status, meta``); an update: ``POST
  /incidents/{id}/updates`` ``{status, message, component_id, component_status}``.
* A 2.x incident has ONE component: the first one of the destination's
  ``components`` goes on the incident and its updates; any others are set with
  ``PUT /components/{id} {"status": n}`` (safe to repeat) right before.
* ``occurred_at`` is not sent: 2.x reads it as ``Y-m-d H:i`` in the server's own zone,
  which warroom cannot know; the server's time of the create is kept instead.

Subscriber notification: the first message's choice (the confirm screen's, else
``notify_subscribers``) sets the incident's flag (3.x ``notifications``, 2.x
``notify``); both servers mail an update's subscribers only when that flag is on, and
neither has a per-update flag. A later message's choice is therefore not sent: changing
the flag needs a PUT of the incident, which resets every field it is not given (2.x
``visible/notify/stickied``; 3.x writes its nulls too).

Component statuses (both): operational 1, degraded_performance 2, partial_outage 3,
major_outage 4 (3.x also under_maintenance 6). A 3.x incident update carries no
components: statuses set at creation stay until the resolve sets them operational.

Exactly once: after an ambiguous failure :meth:`CachetAdapter.find` asks the server.
The incident is found by the war room's key in its ``meta`` (3.x: ``GET
/incidents?filter[meta][warroom_incident]=KEY&include=meta``; 2.x: ``GET
/incidents?name=NAME&sort=id&order=desc&per_page=100`` -- 2.x filters by exact
column values only, and answers its ``meta``); the create carried the row's own key
(``meta.warroom_update``). An update is found on the incident (3.x: ``GET
/incidents/{id}?include=updates``; 2.x: ``GET /incidents/{id}``, whose updates come
along): the incident's message and its updates holding the row's text (both servers
trim it) are counted, and the row is there when there are more copies than rows with
that text already sent (``already``): a repeated message is never taken for an
earlier one.

Errors in words: 401 (the token), 403 (the ability the call needs), 404 (base_url
and ``version``), 2.x's 400 ``{"errors": [...]}`` and an HTML error page (a server
error; 2.x answers a malformed request so) keep their retry verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final
from urllib.parse import quote

from tui.core.config import Destination
from tui.publish.destinations.http import request_json
from tui.publish.outbox import Row
from tui.publish.retry import DeliveryError

if TYPE_CHECKING:
    import httpx

    from tui.publish.destinations import Guarantee

INCIDENT_STATUS: Final[Mapping[str, int]] = {
    "investigating": 1,
    "identified": 2,
    "monitoring": 3,
    "resolved": 4,
}
COMPONENT_STATUS: Final[Mapping[str, int]] = {
    "operational": 1,
    "degraded_performance": 2,
    "partial_outage": 3,
    "major_outage": 4,
    "under_maintenance": 6,
}
_LABELS: Final[Mapping[str, str]] = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Watching",
    "resolved": "Fixed",
}
META_INCIDENT: Final = "warroom_incident"
META_UPDATE: Final = "warroom_update"
LOOKUP_PAGE: Final = 100


def _bearer(key: str) -> Mapping[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _cachet_token(key: str) -> Mapping[str, str]:
    return {"X-Cachet-Token": key}


def version_of(dest: Destination) -> int:
    """The Cachet major version the destination speaks (``version:``; 3 unless set)."""
    version = dest.options.get("version", 3)
    return 2 if version == 2 else 3


class CachetAdapter:
    """Cachet 3 (``/api``, Bearer token) or 2.x (``/api/v1``, ``X-Cachet-Token``)."""

    guarantee: ClassVar[Guarantee] = "exactly-once"

    def __init__(self, dest: Destination, before: Callable[[], None] | None = None):
        self.dest = dest
        self.before = before
        self.version = version_of(dest)

    # -- requests ---------------------------------------------------------------------
    def _request(
        self, client: httpx.Client, method: str, path: str, body: Any = None, *, need: str = ""
    ) -> Any:
        auth = _bearer if self.version == 3 else _cachet_token
        url = f"{self.dest.base_url.rstrip('/')}{path}"
        try:
            return request_json(
                client, self.dest, method, url, auth=auth, body=body, before=self.before
            )
        except DeliveryError as exc:
            raise self._worded(exc, method, path, need) from None

    def _worded(self, exc: DeliveryError, method: str, path: str, need: str) -> DeliveryError:
        """The error with what to fix, its retry verdict unchanged."""
        text = str(exc)
        where = f"destination {self.dest.id!r} (Cachet {self.version})"
        header = "Authorization: Bearer" if self.version == 3 else "X-Cachet-Token"
        hint = ""
        if text.startswith("HTTP 401"):
            hint = (
                f"Cachet refused the token ({header}): check api_key_env/api_key_file of "
                f"{where} and that version: {self.version} is the server's"
            )
        elif text.startswith("HTTP 403"):
            hint = (
                f"the token of {where} lacks the ability {need or 'this call needs'}: "
                "give the API key that ability in Cachet's dashboard"
            )
        elif text.startswith("HTTP 404"):
            base = "/api" if self.version == 3 else "/api/v1"
            hint = (
                f"{method} {path} was not found: base_url of {where} must end in {base} "
                "(version: 3 -> /api, version: 2 -> /api/v1), and the incident and "
                "component ids must exist"
            )
        elif text.startswith("HTTP 400") and method == "GET":
            hint = (
                f"Cachet refused the look-up {path}: a server without incident meta filters "
                f"cannot be asked whether the row arrived; check version: {self.version} "
                f"of {where}, or look on the page and retry or cancel the row"
            )
        elif text.startswith("HTTP 400") or text.startswith("HTTP 422"):
            hint = (
                f"Cachet refused the request as invalid ({method} {path}); "
                f"check the components' ids in {where}"
            )
        elif "not JSON" in text:
            hint = (
                f"Cachet answered {method} {path} with a page that is not JSON (an HTML "
                "error page: a server error; Cachet 2.x answers a malformed request so); "
                "see the Cachet server's log"
            )
        if not hint:
            return exc
        return DeliveryError(
            f"{text} -- {hint}",
            retryable=exc.retryable,
            ambiguous=exc.ambiguous,
            retry_after=exc.retry_after,
        )

    @staticmethod
    def preview(dest: Destination, payload: Mapping[str, Any]) -> list[str]:
        """What Cachet receives, in its words and numbers (for the confirm screen)."""
        version = version_of(dest)
        where = f"Cachet {version}"
        if payload.get("kind") == "postmortem":
            return [f"{where}: the post-mortem as a final update, status 4 Fixed"]
        word = str(payload.get("status"))
        number = INCIDENT_STATUS.get(word)
        label = _LABELS.get(word, word)
        lines = [f"{where}: status {number} {label}"]
        names = payload.get("component_names") or {}
        comps = [
            f"{name}: {COMPONENT_STATUS.get(str(st), '?')} {str(st).replace('_', ' ')}"
            for name, st in names.items()
        ]
        if comps:
            note = " (one on the incident, the others set directly)" if version == 2 else ""
            lines.append("components: " + "; ".join(comps) + note)
        if payload.get("purpose") not in (None, "ack"):
            lines.append("subscribers: as the incident's flag (set by the first message)")
        return lines

    # -- check --------------------------------------------------------------------------
    def check(self, client: httpx.Client) -> str:
        """One read-only call that needs the token: ``GET /subscribers?per_page=1``.

        Both versions answer it only to a known token (401 otherwise). Cachet 3 also
        wants the ability ``subscribers.manage``, which warroom does not need: a 403
        there still proves the token is accepted. The incident abilities are not
        proven (Cachet has no read-only call that checks them): a missing one shows
        at the first publish, in words.
        """
        try:
            self._request(client, "GET", "/subscribers?per_page=1")
        except DeliveryError as exc:
            if self.version == 3 and str(exc).startswith("HTTP 403"):
                return (
                    f"Cachet 3 at {self.dest.base_url} answers; the token is accepted (GET "
                    "/subscribers: 403, no subscribers.manage, which warroom does not need); "
                    "a missing incidents.manage or incident-updates.manage shows at the first "
                    "publish"
                )
            raise
        return (
            f"Cachet {self.version} at {self.dest.base_url} answers; the token is accepted "
            "(GET /subscribers)"
        )

    # -- send ---------------------------------------------------------------------------
    def send(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """Create the incident (first update) or add an update; the incident's id."""
        p = row.payload
        status = 4 if p.get("kind") == "postmortem" else _incident_status(p)
        components = self._components(p)
        if provider_ref is None:
            if p.get("kind") == "postmortem":
                raise DeliveryError(
                    f"the incident is not on Cachet ({self.dest.id!r}) yet: "
                    "publish an update first",
                    retryable=False,
                )
            return self._create(client, row, status, components)
        if self.version == 3:
            if status == 4:
                for cid in components:  # resolved: every component operational first
                    self._request(
                        client, "PUT", f"/components/{cid}", {"status": 1}, need="components.manage"
                    )
            body = {"status": status, "message": p["body"]}
            self._request(
                client,
                "POST",
                f"/incidents/{_path_id(provider_ref)}/updates",
                body,
                need="incident-updates.manage",
            )
            return provider_ref
        update: dict[str, Any] = {"status": status, "message": p["body"]}
        update.update(self._v2_components(client, components, resolved=status == 4))
        self._request(client, "POST", f"/incidents/{_path_id(provider_ref)}/updates", update)
        return provider_ref

    def _create(
        self, client: httpx.Client, row: Row, status: int, components: dict[int, int]
    ) -> str:
        p = row.payload
        body: dict[str, Any] = {
            "name": p["name"],
            "message": p["body"],
            "status": status,
            "visible": True,
            "stickied": False,
            "meta": {META_INCIDENT: p["incident_key"], META_UPDATE: row.key},
        }
        notify = bool(p.get("notify", True))
        if self.version == 3:
            body["notifications"] = notify
            at = p.get("at") or p.get("started_at")
            if at:
                body["occurred_at"] = at
            if components:
                body["components"] = [{"id": c, "status": s} for c, s in components.items()]
            answer = self._request(client, "POST", "/incidents", body, need="incidents.manage")
        else:
            body["notify"] = notify
            body.update(self._v2_components(client, components, resolved=status == 4))
            answer = self._request(client, "POST", "/incidents", body)
        ref = _answer_id(answer)
        if ref is None:
            raise DeliveryError(
                "Cachet answered without an incident id", retryable=True, ambiguous=True
            )
        return ref

    def _v2_components(
        self, client: httpx.Client, components: dict[int, int], *, resolved: bool
    ) -> dict[str, Any]:
        """2.x: the first component goes on the incident (returned as its fields); the
        others are set with a PUT each, now (safe to repeat)."""
        if not components:
            return {}
        items = [(c, 1 if resolved else s) for c, s in components.items()]
        for cid, st in items[1:]:
            self._request(client, "PUT", f"/components/{cid}", {"status": st})
        first, first_status = items[0]
        return {"component_id": first, "component_status": first_status}

    def _components(self, payload: Mapping[str, Any]) -> dict[int, int]:
        """The row's components as Cachet ids and status numbers, in config order."""
        out: dict[int, int] = {}
        for cid, word in (payload.get("components") or {}).items():
            try:
                ident = int(str(cid))
            except ValueError:
                raise DeliveryError(
                    f"component id {str(cid)[:40]!r} of destination {self.dest.id!r} is not a "
                    "number: Cachet's component ids are integers (see its dashboard)",
                    retryable=False,
                ) from None
            status = COMPONENT_STATUS.get(str(word), 4)
            if self.version == 2 and status > 4:
                status = 2  # 2.x knows 1-4 only: maintenance shows as performance issues
            out[ident] = status
        return out

    # -- find ---------------------------------------------------------------------------
    def find(
        self, client: httpx.Client, row: Row, provider_ref: str | None, already: int = 0
    ) -> tuple[str | None, bool]:
        """After an ambiguous attempt: (the incident's id, whether this row is on it)."""
        p = row.payload
        if provider_ref is None:
            found = self._find_incident(client, p)
            if found is None:
                return None, False
            ref, meta = found
            # the create carried this row: its key is in the incident's meta
            return ref, meta.get(META_UPDATE) == row.key
        message, updates = self._incident_texts(client, provider_ref)
        text = str(p["body"]).strip()
        copies = (message == text) + sum(1 for u in updates if u == text)
        return provider_ref, copies > already

    def _find_incident(
        self, client: httpx.Client, p: Mapping[str, Any]
    ) -> tuple[str, Mapping[str, Any]] | None:
        key = str(p["incident_key"])
        if self.version == 3:
            path = (
                f"/incidents?filter[meta][{META_INCIDENT}]={quote(key, safe='')}"
                f"&include=meta&sort=-id&per_page={LOOKUP_PAGE}"
            )
            answer = self._request(client, "GET", path)
            items = answer.get("data") if isinstance(answer, dict) else None
            for item in items if isinstance(items, list) else []:
                attrs = item.get("attributes") if isinstance(item, dict) else None
                meta = attrs.get("meta") if isinstance(attrs, dict) else None
                if isinstance(meta, dict) and meta.get(META_INCIDENT) == key:
                    ref = _answer_id({"data": item})
                    if ref is not None:
                        return ref, meta
            return None
        # 2.x: only exact column filters (and no `page` beside them: it would be a column)
        name = quote(str(p["name"]).strip(), safe="")
        answer = self._request(
            client, "GET", f"/incidents?name={name}&sort=id&order=desc&per_page={LOOKUP_PAGE}"
        )
        items = answer.get("data") if isinstance(answer, dict) else None
        for item in items if isinstance(items, list) else []:
            meta = item.get("meta") if isinstance(item, dict) else None
            if isinstance(meta, dict) and meta.get(META_INCIDENT) == key:
                ref = _answer_id({"data": item})
                if ref is not None:
                    return ref, meta
        return None

    def _incident_texts(self, client: httpx.Client, ref: str) -> tuple[str | None, list[str]]:
        """The incident's message and its updates' messages (trimmed), in one request."""
        if self.version == 3:
            answer = self._request(client, "GET", f"/incidents/{_path_id(ref)}?include=updates")
            data = answer.get("data") if isinstance(answer, dict) else None
            attrs = data.get("attributes") if isinstance(data, dict) else None
            message = attrs.get("message") if isinstance(attrs, dict) else None
            included = answer.get("included") if isinstance(answer, dict) else None
            updates = [
                str(u["attributes"].get("message") or "").strip()
                for u in (included if isinstance(included, list) else [])
                if isinstance(u, dict)
                and u.get("type") == "updates"
                and isinstance(u.get("attributes"), dict)
            ]
        else:
            answer = self._request(client, "GET", f"/incidents/{_path_id(ref)}")
            data = answer.get("data") if isinstance(answer, dict) else None
            message = data.get("message") if isinstance(data, dict) else None
            raw = data.get("updates") if isinstance(data, dict) else None
            updates = [
                str(u.get("message") or "").strip()
                for u in (raw if isinstance(raw, list) else [])
                if isinstance(u, dict)
            ]
        if not isinstance(data, dict):
            raise DeliveryError(
                f"Cachet answered the look-up of incident {ref} without it", retryable=True
            )
        return (message.strip() if isinstance(message, str) else None), updates


def _incident_status(p: Mapping[str, Any]) -> int:
    status = INCIDENT_STATUS.get(str(p.get("status")))
    if status is None:
        raise DeliveryError(
            f"status {str(p.get('status'))[:40]!r} has no Cachet equivalent", retryable=False
        )
    return status


def _answer_id(answer: Any) -> str | None:
    """The incident id in ``{"data": {"id": ...}}`` (3.x: a JSON:API string; 2.x: an int)."""
    data = answer.get("data") if isinstance(answer, dict) else None
    ident = data.get("id") if isinstance(data, dict) else None
    if isinstance(ident, bool) or ident is None:
        return None
    text = str(ident)
    return text if text.isdigit() else None


def _path_id(ref: str) -> str:
    return quote(ref, safe="")

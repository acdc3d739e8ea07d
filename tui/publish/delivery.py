"""Delivery: outbox rows to status pages over HTTP, never lost, never doubled.

One :class:`Deliverer` claims a due row (a lease), asks the destination's
adapter to send it, and records the outcome:

* success -> the row is sent, an event says so;
* 5xx, timeouts, resets after sending -> retry with exponential backoff and
  jitter, and the row is marked *ambiguous*: the server may have committed;
* 420/429 -> retry after ``Retry-After`` (or the backoff);
* 400/401/403/404/422 -> the row fails and stops (retry it after a fix);
* 3xx -> the row fails and stops: a redirect is never a success and is not
  followed (the key would go with it); the error names the Location;
* an answer that is not JSON -> an error with the status, never a crash.

Leases: a claimed row is leased for the longest attempt its destination's
settings allow (:func:`lease_for`: every request of an attempt, each after its
rate-limit wait and within its timeouts). Before every request -- after each
slice of a rate-limit wait too -- the deliverer confirms in one transaction
that it still holds the lease and extends it (:func:`tui.publish.outbox.hold`); if
another deliverer took the row over meanwhile, this one stops without sending.
Retry-After and backoff waits are spent with the row released, not leased.

No status page API has idempotency keys, so before re-sending an ambiguous
row the adapter looks for the row's correlation key on the provider (incident
metadata, the incident's updates) and completes the row if it is there.

Keys are read from the environment or a 0600 file at send time (and checked:
:meth:`tui.core.config.Destination.api_key`) and go only into the ``Authorization``
header. Error texts never contain them: a server's answer is redacted
(:func:`redact`: the key, its URL and base64 forms, any 8-character piece of
them) before it is cleaned, cut to length, stored or shown.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tui.core.clock import Clock
from tui.core.config import Config, Destination, SecretError
from tui.core.store import Store, StoreError
from tui.core.textsafe import clean_line
from tui.publish import outbox

BACKOFF_BASE = 1.0
BACKOFF_CAP = 120.0
PERMANENT = frozenset({400, 401, 403, 404, 405, 409, 410, 413, 422})
THROTTLED = frozenset({420, 429})
MIN_WAIT = 0.2  # seconds between looks at the outbox when nothing could be claimed
# An attempt makes at most this many requests: three look-ups after an ambiguous
# failure (unresolved incidents, a search, the incident) and the write (a post-mortem:
# two PUTs and no look-up). One more for safety.
REQUESTS_PER_ATTEMPT = 5
# httpx applies the timeout to each phase (connect, write, read, pool)
PHASES_PER_REQUEST = 4
LEASE_MARGIN = 60.0  # seconds
RENEW_EVERY = 10.0  # seconds: a rate-limit wait is slept in slices, the lease held after each
REDACTED = "[redacted]"
MIN_FRAGMENT = 8  # a piece of a key this long (or longer) in an answer is redacted
RAW_CAP = 8192  # characters of a server's answer looked at (before redaction)
ERROR_CAP = 240  # characters of an error kept (after redaction)


class DeliveryError(Exception):
    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        ambiguous: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.ambiguous = ambiguous
        self.retry_after = retry_after


class LeaseLost(Exception):
    """Another deliverer took the row over while this one waited: do not send."""


@dataclass(frozen=True, slots=True)
class Attempt:
    row_id: int
    outcome: str  # "sent" | "retry" | "failed"
    detail: str


def lease_for(dest: Destination) -> timedelta:
    """The longest attempt ``dest``'s settings allow: every request after its
    rate-limit wait and within its timeouts, plus a margin."""
    per_request = 1.0 / dest.rate_per_second + PHASES_PER_REQUEST * dest.timeout
    return timedelta(seconds=REQUESTS_PER_ATTEMPT * per_request + LEASE_MARGIN)


def _forms(key: str) -> list[str]:
    """The key as a server might echo it: as is, URL-encoded, base64 (alone, as an
    ``OAuth`` header value, as a Basic user or password), longest first."""
    from base64 import b64encode, urlsafe_b64encode
    from urllib.parse import quote, quote_plus

    forms = {key, quote(key, safe=""), quote_plus(key), f"OAuth {key}", f"OAuth%20{key}"}
    for text in (key, f"OAuth {key}", f":{key}", f"{key}:"):
        raw = text.encode("utf-8")
        for enc in (b64encode(raw), urlsafe_b64encode(raw)):
            forms.add(enc.decode("ascii"))
            forms.add(enc.decode("ascii").rstrip("="))
    return sorted((f for f in forms if f), key=len, reverse=True)


def redact(text: str, key: str) -> str:
    """``text`` without the key: every form of it (:func:`_forms`) and every piece of a
    form at least :data:`MIN_FRAGMENT` characters long (a server may cut it itself)."""
    if not key or not text:
        return text
    forms = _forms(key)
    for form in forms:
        text = text.replace(form, REDACTED)
    for form in forms:
        if len(form) < MIN_FRAGMENT:
            continue
        out: list[str] = []
        i = 0
        while i < len(text):
            if text[i : i + MIN_FRAGMENT] in form and len(text) - i >= MIN_FRAGMENT:
                j = i + MIN_FRAGMENT
                while j < len(text) and text[i : j + 1] in form:
                    j += 1
                out.append(REDACTED)
                i = j
            else:
                out.append(text[i])
                i += 1
        text = "".join(out)
    return text


def _shorten(text: str, cap: int = ERROR_CAP) -> str:
    return text if len(text) <= cap else text[: cap - 1] + "…"


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Full jitter: a random wait up to base * 2^attempts, capped."""
    r = rng or random
    return r.uniform(0.5, 1.0) * min(BACKOFF_CAP, BACKOFF_BASE * (2**attempts))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, min(float(value.strip()), 3600.0))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            at = parsedate_to_datetime(value)
            return max(0.0, min((at.timestamp() - time.time()), 3600.0))
        except (TypeError, ValueError):
            return None


def _message(response) -> str:
    """The provider's error text (JSON ``message``/``error``), one clean line."""
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code} (answer is not JSON)"
    text = None
    if isinstance(data, dict):
        text = data.get("message") or data.get("error")
        if isinstance(text, dict):
            text = text.get("message")
        if text is None and isinstance(data.get("errors"), list) and data["errors"]:
            first = data["errors"][0]
            text = first.get("detail") if isinstance(first, dict) else str(first)
    # not cut to its final length here: that happens after the redaction
    detail = clean_line(str(text)[:RAW_CAP]) if text else ""
    return f"HTTP {response.status_code}" + (f": {detail}" if detail else "")


def _json(response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise DeliveryError(
            f"HTTP {response.status_code} but the answer is not JSON",
            retryable=True,
            ambiguous=True,
        ) from None


class StatuspageAdapter:
    """Atlassian Statuspage REST v1 (and the local page that speaks the same subset)."""

    def __init__(self, dest: Destination, before: Callable[[], None] | None = None):
        self.dest = dest
        # called right before each request (the deliverer's rate limit and lease check);
        # it raises LeaseLost to stop before anything is sent
        self.before = before

    def _url(self, path: str) -> str:
        return f"{self.dest.base_url.rstrip('/')}/pages/{self.dest.page_id}{path}"

    def _request(self, client, method: str, path: str, body: Any = None) -> Any:
        try:
            key = self.dest.api_key()
        except SecretError as exc:
            raise DeliveryError(str(exc), retryable=False) from None
        if self.before is not None:
            self.before()
        try:
            return self._exchange(client, method, path, body, key)
        except DeliveryError as exc:
            # a server (or proxy) may echo the Authorization header back: redact it
            # BEFORE cutting (a cut first could keep all but a few of its characters)
            text = redact(clean_line(redact(str(exc), key)), key)
            exc.args = (_shorten(text),)
            raise

    def _exchange(self, client, method: str, path: str, body: Any, key: str) -> Any:
        import httpx

        headers = {"Authorization": f"OAuth {key}", "Accept": "application/json"}
        url = self._url(path)
        try:
            response = client.request(
                method, url, json=body, headers=headers, timeout=self.dest.timeout
            )
        except UnicodeError:
            # its text would quote the character (of the key, perhaps): never shown
            raise DeliveryError(
                "the request cannot be sent: a header or the address is not ASCII "
                "(check the key and base_url)",
                retryable=False,
            ) from None
        except httpx.LocalProtocolError:
            # httpx refused to build the request (e.g. an illegal header value): its text
            # quotes the header, so it is not kept; nothing was sent, a retry would fail
            raise DeliveryError(
                "the request cannot be sent: httpx refused a header (check the key)",
                retryable=False,
            ) from None
        except httpx.ConnectTimeout:
            raise DeliveryError("could not connect (timeout)", retryable=True) from None
        except httpx.ConnectError as exc:
            raise DeliveryError(f"could not connect: {_reason(exc)}", retryable=True) from None
        except httpx.TimeoutException:
            # the request went out: the server may have done it
            raise DeliveryError("no answer in time", retryable=True, ambiguous=True) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise DeliveryError(
                f"connection dropped: {_reason(exc)}", retryable=True, ambiguous=True
            ) from None
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"HTTP error: {_reason(exc)}", retryable=True, ambiguous=True
            ) from None
        status = response.status_code
        if 300 <= status < 400:
            # never a success, and not followed: the key would go with it
            location = clean_line(response.headers.get("Location", "")[:RAW_CAP])
            raise DeliveryError(
                f"HTTP {status}: {url} redirects to {location or '(no Location given)'}; "
                "redirects are not followed: set base_url of destination "
                f"{self.dest.id!r} in the config to the address that answers without one",
                retryable=False,
            )
        if status in THROTTLED:
            raise DeliveryError(
                f"throttled (HTTP {status})",
                retryable=True,
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise DeliveryError(_message(response), retryable=True, ambiguous=True)
        if status in PERMANENT or 400 <= status < 500:
            raise DeliveryError(_message(response), retryable=False)
        return _json(response)

    # the two operations --------------------------------------------------------
    def find(
        self, client, row: outbox.Row, provider_ref: str | None, already: int = 0
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

    def send(self, client, row: outbox.Row, provider_ref: str | None) -> str:
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

    def _postmortem(self, client, row: outbox.Row, provider_ref: str | None) -> str:
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


def _reason(exc: Exception) -> str:
    # cut to its final length after the redaction (in _request)
    return clean_line((str(exc) or type(exc).__name__)[:RAW_CAP])


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:100])


def _find_by_key(incidents: Any, key: str) -> str | None:
    if not isinstance(incidents, list):
        return None
    for inc in incidents:
        if not isinstance(inc, dict):
            continue
        meta = inc.get("metadata") or {}
        wr = meta.get("warroom") if isinstance(meta, dict) else None
        if isinstance(wr, dict) and wr.get("incident") == key and isinstance(inc.get("id"), str):
            return inc["id"]
    return None


def _has_update(incident: Any, row: outbox.Row, already: int = 0) -> bool:
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


ADAPTERS: dict[str, Callable[[Destination], Any]] = {"statuspage": StatuspageAdapter}


class Deliverer:
    """Delivers due outbox rows. One per process; several processes may share a DB."""

    def __init__(
        self,
        store: Store,
        config: Config,
        clock: Clock,
        *,
        owner: str | None = None,
        client=None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.config = config
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self._client = client
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.monotonic = monotonic
        self._last_request: dict[str, float] = {}
        self.wake = threading.Event()

    @property
    def client(self):
        if self._client is None:
            import httpx

            self._client = httpx.Client(follow_redirects=False)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _lease(self) -> timedelta:
        """The lease a claim takes: the longest attempt any destination allows."""
        return max((lease_for(d) for d in self.config.destinations), default=outbox.LEASE)

    def _hold(self, row: outbox.Row, dest: Destination) -> None:
        """Confirm the lease is still ours and extend it (one transaction), or stop."""
        until = self.clock.now() + lease_for(dest)
        if not outbox.hold(self.store, row, self.owner, until):
            raise LeaseLost

    def _before_request(self, row: outbox.Row, dest: Destination) -> None:
        """Right before each request: the rate limit, then the lease check."""
        self._pace(row, dest)
        self._hold(row, dest)

    def _pace(self, row: outbox.Row, dest: Destination) -> None:
        """The per-destination rate limit (Statuspage: 1 request per second).

        A long wait is slept in slices; after each one the lease is held again, so
        it never runs out while its owner waits (and a lost lease stops the wait).
        """
        gap = 1.0 / dest.rate_per_second
        last = self._last_request.get(dest.id)
        if last is not None:
            wait = last + gap - self.monotonic()
            while wait > 0:
                step = min(wait, RENEW_EVERY)
                self.sleep(step)
                wait -= step
                self._hold(row, dest)
        self._last_request[dest.id] = self.monotonic()

    def deliver_one(self) -> Attempt | None:
        """Claim and try one due row; None when nothing is due."""
        now = self.clock.now()
        row = outbox.claim(self.store, self.owner, now, self._lease())
        if row is None:
            return None
        dest = self.config.destination(row.destination)
        if dest is None:
            error = f"destination {row.destination!r} is not in the config"
            outbox.fail(self.store, row, self.owner, error, self.clock.now())
            return Attempt(row.id, "failed", error)
        adapter = ADAPTERS[dest.type](dest, lambda: self._before_request(row, dest))
        try:
            provider_ref = outbox.provider_incident(self.store, row.incident_id, row.destination)
            if row.ambiguous:
                already = outbox.sent_with_body(self.store, row)
                found, done = adapter.find(self.client, row, provider_ref, already)
                if found and not provider_ref:
                    outbox.remember_provider_incident(self.store, row, found)
                    provider_ref = found
                if done and found:
                    outbox.complete(self.store, row, self.owner, found, self.clock.now())
                    return Attempt(row.id, "sent", "found on the status page after a retry")
            ref = adapter.send(self.client, row, provider_ref)
        except DeliveryError as exc:
            return self._failed(row, exc)
        except LeaseLost:
            return Attempt(
                row.id,
                "retry",
                "another deliverer took this row over while this one waited: not sent from here",
            )
        if not outbox.complete(self.store, row, self.owner, ref, self.clock.now()):
            return Attempt(row.id, "sent", "sent, but another process had taken the row")
        return Attempt(row.id, "sent", ref)

    def _failed(self, row: outbox.Row, exc: DeliveryError) -> Attempt:
        now = self.clock.now()
        if not exc.retryable:
            outbox.fail(self.store, row, self.owner, str(exc), now)
            return Attempt(row.id, "failed", str(exc))
        wait = backoff(row.attempts, self.rng)
        if exc.retry_after is not None:
            wait = max(exc.retry_after, 0.5)
        outbox.retry_later(
            self.store, row, self.owner, str(exc), exc.ambiguous, now + timedelta(seconds=wait)
        )
        return Attempt(row.id, "retry", f"{exc} (again in {wait:.1f} s)")

    def seconds_until_due(self) -> float | None:
        due = outbox.next_due(self.store)
        if due is None:
            return None
        return max(0.0, (due - self.clock.now()).total_seconds())

    def run(
        self,
        *,
        until_idle: bool = False,
        stop: threading.Event | None = None,
        report: Callable[[Attempt], None] | None = None,
        max_wait: float = 5.0,
    ) -> int:
        """Deliver until stopped (or, with ``until_idle``, until nothing is pending)."""
        delivered = 0
        while not (stop and stop.is_set()):
            try:
                attempt = self.deliver_one()
            except StoreError as exc:
                if report:
                    report(Attempt(0, "retry", f"database: {exc}"))
                attempt = None
                self._wait(1.0, stop)
                continue
            if attempt is not None:
                delivered += attempt.outcome == "sent"
                if report:
                    report(attempt)
                continue
            wait = self.seconds_until_due()
            if wait is None and until_idle:
                break
            # nothing claimable right now: never spin (another process may hold the lease)
            wait = max_wait if wait is None else min(max(wait, MIN_WAIT), max_wait)
            self._wait(wait, stop)
        return delivered

    def _wait(self, seconds: float, stop: threading.Event | None) -> None:
        if seconds <= 0:
            return
        if self.sleep is not time.sleep:
            self.sleep(seconds)
            return
        self.wake.wait(seconds)
        self.wake.clear()

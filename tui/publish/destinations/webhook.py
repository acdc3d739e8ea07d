"""Our own webhook: one signed JSON POST per update, for any receiver a team writes.

The body (UTF-8 JSON, exactly the bytes signed)::

    {"event": "incident.update",            # .created (ack) | .update | .resolved | .postmortem
     "id": "warroom-<db>-<incident>-<row>",  # this update's key: receivers de-duplicate on it
     "incident": {"id": "warroom-<db>-<incident>", "title": "Logins fail"},
     "purpose": "update",                    # ack | update | resolved | postmortem
     "status": "identified",                 # investigating | identified | monitoring | resolved
     "body": "…the message as published…",
     "at": "2026-11-30T14:02:00.000Z",       # when it was published (not when it left)
     "next_update_at": "2026-11-30T14:45:00.000Z",   # or null
     "components": {"API": "major_outage"}}  # name -> major_outage | partial_outage | operational

Headers: ``Content-Type: application/json; charset=utf-8``, ``Warroom-Timestamp``
(unix seconds at sending) and, when ``secret_env``/``secret_file`` is set,
``Warroom-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`` (the
Stripe pattern): a receiver recomputes it over the raw bytes, compares in constant
time, and rejects a timestamp older than 5 minutes (a replayed request). Each attempt
is signed afresh, so a retry carries a new timestamp and the same ``id``.

**Guarantee: at-least-once.** A receiver's answer says nothing we could look up
later, so after an ambiguous failure (a timeout, a reset or a 5xx after the request
went out) the update is sent again; the receiver de-duplicates on ``id``. Unlike a
chat room, a receiver is a program: a repeat it was told to expect costs nothing,
a loss could cost a customer notice. Any 2xx is success (a receiver should answer
2xx only once it has stored the update); 410 Gone stops the row for good (the
receiver asks us to stop: remove or re-point the destination), as does any other
4xx; 429 waits for ``Retry-After``; 3xx is never followed.

``check`` opens a TCP (+ TLS) connection to the receiver's host and sends nothing:
there is no read-only call to make (it says so).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

from tui.core.config import Destination, SecretError
from tui.publish.destinations.hooks import hook_url, post, reachable
from tui.publish.outbox import Row
from tui.publish.retry import DeliveryError

if TYPE_CHECKING:
    import httpx

    from tui.publish.destinations import Guarantee

EVENTS: Final[Mapping[str, str]] = {
    "ack": "incident.created",
    "update": "incident.update",
    "resolved": "incident.resolved",
    "postmortem": "incident.postmortem",
}
TIMESTAMP_HEADER: Final = "Warroom-Timestamp"
SIGNATURE_HEADER: Final = "Warroom-Signature"
TOLERANCE: Final = 300  # seconds: what the README tells receivers to accept


def event_body(row: Row) -> dict[str, Any]:
    """The JSON object for ``row`` (see the module's table)."""
    p = row.payload
    purpose = (
        "postmortem" if p.get("kind") == "postmortem" else str(p.get("purpose") or row.purpose)
    )
    return {
        "event": EVENTS.get(purpose, "incident.update"),
        "id": row.key,
        "incident": {
            "id": p["incident_key"],
            "title": p.get("incident_title") or p.get("name") or "",
        },
        "purpose": purpose,
        "status": p.get("status"),
        "body": p.get("body", ""),
        "at": p.get("at"),
        "next_update_at": p.get("next_update_at"),
        "components": dict(p.get("component_names") or {}),
    }


def signature(secret: str, timestamp: str, raw: bytes) -> str:
    """``v1=<hex>``: HMAC-SHA256 with ``secret`` over ``b"<timestamp>." + raw``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + raw, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def _words(status: int, said: str) -> str:
    if status == 410:
        return (
            "the receiver says this webhook is gone (410 Gone): remove the destination "
            "or set its url to the receiver's new address" + (f" ({said})" if said else "")
        )
    if status in (401, 403):
        return (
            "the receiver refused the request (check that secret_env/secret_file holds "
            "the receiver's signing secret)" + (f": {said}" if said else "")
        )
    return said


class WebhookAdapter:
    """Our signed JSON webhook; at-least-once (receivers de-duplicate on ``id``)."""

    guarantee: ClassVar[Guarantee] = "at-least-once"

    def __init__(
        self,
        dest: Destination,
        before: Callable[[], None] | None = None,
        *,
        now: Callable[[], float] = time.time,
    ):
        self.dest = dest
        self.before = before
        self.now = now

    def send(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """POST the signed event; the reference is the war room's incident key."""
        try:
            secret = self.dest.secret("secret")
        except SecretError as exc:
            raise DeliveryError(str(exc), retryable=False) from None
        hook = hook_url(self.dest)
        raw = json.dumps(event_body(row), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(self.now()))
        headers = {TIMESTAMP_HEADER: timestamp}
        if secret is not None:
            headers[SIGNATURE_HEADER] = signature(secret, timestamp, raw)
        post(
            client,
            self.dest,
            hook,
            raw,
            headers=headers,
            words=_words,
            before=self.before,
            secrets=(secret,) if secret else (),
        )
        return provider_ref or str(row.payload["incident_key"])

    def find(
        self, client: httpx.Client, row: Row, provider_ref: str | None, already: int = 0
    ) -> tuple[str | None, bool]:
        """A receiver cannot be asked: never "there", so the row is sent again
        (at-least-once; the receiver de-duplicates on ``id``)."""
        return provider_ref, False

    def check(self, client: httpx.Client) -> str:
        """Reachability of the receiver's host (TCP + TLS); nothing is posted."""
        try:
            self.dest.secret("secret")  # configured and readable (never shown)
        except SecretError as exc:
            raise DeliveryError(str(exc), retryable=False) from None
        return reachable(self.dest, what="webhook receiver")

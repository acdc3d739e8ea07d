"""A receiver of warroom's own webhook that checks everything the README promises.

``WebhookSink(secret)`` is a real HTTP server on 127.0.0.1 (:mod:`tests.emulators.hookbase`)
taking ``POST /hooks/warroom``. A request is accepted (204) only if:

* ``Content-Type`` is JSON and the body is a JSON object with exactly the documented
  fields, each of its type (``event`` one of the four, ``purpose``/``status`` from
  their lists, ``at`` an ISO time with ``Z``, ``components`` name -> status) -- else 400;
* ``Warroom-Timestamp`` is unix seconds within :data:`TOLERANCE` of now -- else 400;
* with a secret: ``Warroom-Signature`` is ``v1=`` + the hex HMAC-SHA256 of
  ``"<timestamp>." + raw body`` under the secret, compared in constant time -- else 401.

It keeps every accepted delivery (``deliveries``) and, de-duplicated on ``id`` the way
the README tells receivers to, the updates in order of first arrival (:meth:`updates`).
``gone = True`` answers 410 Gone to everything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

from tests.emulators.hookbase import HookServer, Reply, Request

TOLERANCE = 300
PATH = "/hooks/warroom"
FIELDS = {
    "event",
    "id",
    "incident",
    "purpose",
    "status",
    "body",
    "at",
    "next_update_at",
    "components",
}
EVENTS = {"incident.created", "incident.update", "incident.resolved", "incident.postmortem"}
PURPOSES = {"ack", "update", "resolved", "postmortem"}
STATUSES = {"investigating", "identified", "monitoring", "resolved"}
COMPONENT_STATUSES = {"major_outage", "partial_outage", "degraded_performance", "operational"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def verify(secret: str, timestamp: str, raw: bytes, header: str) -> bool:
    """The README's receiver check (constant-time compare)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header, "v1=" + mac)


def problem(data: Any) -> str | None:
    """What is wrong with an event body (None: it is as documented)."""
    if not isinstance(data, dict):
        return "the body must be a JSON object"
    if set(data) != FIELDS:
        return f"fields must be exactly {sorted(FIELDS)}; got {sorted(data)}"
    if data["event"] not in EVENTS:
        return f"unknown event {data['event']!r}"
    if not isinstance(data["id"], str) or not data["id"]:
        return "id must be non-empty text"
    inc = data["incident"]
    if (
        not isinstance(inc, dict)
        or set(inc) != {"id", "title"}
        or not all(isinstance(v, str) and v for v in inc.values())
    ):
        return "incident must be {id, title} (non-empty text)"
    if data["purpose"] not in PURPOSES or data["status"] not in STATUSES:
        return "purpose or status out of its list"
    if not isinstance(data["body"], str) or not data["body"].strip():
        return "body must be non-empty text"
    if not isinstance(data["at"], str) or not ISO_Z.match(data["at"]):
        return "at must be an ISO 8601 UTC time ending in Z"
    nxt = data["next_update_at"]
    if nxt is not None and (not isinstance(nxt, str) or not ISO_Z.match(nxt)):
        return "next_update_at must be null or an ISO 8601 UTC time ending in Z"
    comps = data["components"]
    if not isinstance(comps, dict) or not all(
        isinstance(k, str) and v in COMPONENT_STATUSES for k, v in comps.items()
    ):
        return "components must map a name to a component status"
    return None


class WebhookSink(HookServer):
    def __init__(self, secret: str | None = None) -> None:
        super().__init__()
        self.secret = secret
        self.gone = False
        self.deliveries: list[dict[str, Any]] = []
        self.signatures: list[str] = []

    @property
    def hook_url(self) -> str:
        return self.url + PATH

    def handle(self, req: Request) -> Reply:
        if req.path != PATH:
            return _err(404, "no such hook")
        if self.gone:
            return _err(410, "this hook is gone")
        if req.method != "POST":
            return _err(405, "POST only")
        ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return _err(415, "JSON only")
        stamp = req.header("warroom-timestamp") or ""
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE:
            return _err(400, "Warroom-Timestamp missing or older than 5 minutes")
        if self.secret is not None:
            given = req.header("warroom-signature") or ""
            if not verify(self.secret, stamp, req.body, given):
                return _err(401, "bad signature")
        try:
            data = json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _err(400, "the body is not JSON")
        wrong = problem(data)
        if wrong:
            return _err(400, wrong)
        self.deliveries.append(data)
        self.signatures.append(req.header("warroom-signature") or "")
        return 204, "text/plain", b"", {}

    def updates(self) -> list[dict[str, Any]]:
        """The accepted events, de-duplicated on ``id`` (first arrival kept, in order)."""
        seen: set[str] = set()
        out = []
        for d in self.deliveries:
            if d["id"] not in seen:
                seen.add(d["id"])
                out.append(d)
        return out


def _err(status: int, message: str) -> Reply:
    return status, "application/json", json.dumps({"error": message}).encode(), {}

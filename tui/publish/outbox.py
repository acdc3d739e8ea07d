"""The durable outbox: rows that must reach a status page, claimed with a lease.

* :func:`enqueue` runs inside the caller's write transaction, next to the
  event that asked for the publish: both or neither.
* :func:`claim` hands one due row to one delivery process: the lease is taken
  in ``BEGIN IMMEDIATE``, so two processes never hold the same row; the owner
  confirms and extends it with :func:`hold` right before each request. Rows go out
  in order per incident and destination: a row waits while an earlier one of
  its incident and destination is not sent.
* Outcomes (:func:`complete`, :func:`fail`) are events too, written with the
  row's new state; a retry only updates the row (attempts, next time, error).
  When to retry, and whether at all, is the policy's (:mod:`tui.publish.retry`);
  the worker that does all this is :mod:`tui.publish.worker`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tui.core.clock import ensure_utc, parse_instant, to_iso
from tui.core.clock import to_iso_us as _t
from tui.core.config import STALE_AFTER
from tui.core.owners import dead_here
from tui.core.state import DELIVERY_CANCELLED as CANCELLED
from tui.core.state import DELIVERY_FAILED as FAILED
from tui.core.state import DELIVERY_RETRIED as RETRIED
from tui.core.state import DELIVERY_SENT as SENT
from tui.core.state import PUBLISHED
from tui.core.store import Store, StoreError, Writer

LEASE = timedelta(seconds=120)


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    incident_id: str
    destination: str
    purpose: str
    key: str
    payload: dict[str, Any]
    state: str
    attempts: int
    next_attempt_at: datetime
    lease_owner: str | None
    ambiguous: bool
    last_error: str | None
    provider_ref: str | None
    created_at: datetime
    sent_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        def iso(at: datetime | None) -> str | None:
            return to_iso(at) if at else None

        return {
            "id": self.id,
            "incident": self.incident_id,
            "destination": self.destination,
            "purpose": self.purpose,
            "state": self.state,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "next_attempt_at": iso(self.next_attempt_at) if self.state == "pending" else None,
            "created_at": iso(self.created_at),
            "sent_at": iso(self.sent_at),
            "provider_ref": self.provider_ref,
            "key": self.key,
        }


_COLUMNS = (
    "id, incident_id, destination, purpose, key, payload, state, attempts, next_attempt_at, "
    "lease_owner, ambiguous, last_error, provider_ref, created_at, sent_at"
)


def _row(r: Sequence[Any]) -> Row:
    return Row(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        json.loads(r[5]),
        r[6],
        r[7],
        parse_instant(r[8]),
        r[9],
        bool(r[10]),
        r[11],
        r[12],
        parse_instant(r[13]),
        parse_instant(r[14]) if r[14] else None,
    )


def incident_key(store: Store, incident_id: str) -> str:
    """How this war room's incident is recognised on a provider (metadata)."""
    return f"warroom-{store.instance()}-{incident_id}"


def enqueue(
    w: Writer,
    incident_id: str,
    destination: str,
    purpose: str,
    payload: dict[str, Any],
    now: datetime,
    event_id: int,
) -> int:
    key = f"{incident_key(w.store, incident_id)}-{uuid.uuid4().hex[:10]}"
    cur = w.store.conn.execute(
        "INSERT INTO outbox(incident_id, destination, purpose, key, payload, next_attempt_at, "
        "created_at, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            incident_id,
            destination,
            purpose,
            key,
            json.dumps(payload, ensure_ascii=False, sort_keys=True),
            _t(now),
            _t(now),
            event_id,
        ),
    )
    if cur.lastrowid is None:
        raise StoreError("the outbox row was not written")
    return cur.lastrowid


def rows(store: Store, incident_id: str | None = None, *, unsettled: bool = False) -> list[Row]:
    """The outbox in order (one incident's, or all); ``unsettled``: only the rows still
    pending or failed -- what :func:`needs_attention` looks at, without reading (and
    decoding the payloads of) every row already sent."""
    clauses = [c for c, on in (("incident_id = ?", bool(incident_id)),
                               ("state IN ('pending', 'failed')", unsettled)) if on]  # fmt: skip
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    args = (incident_id,) if incident_id else ()
    cur = store.conn.execute(f"SELECT {_COLUMNS} FROM outbox {where} ORDER BY id", args)
    return [_row(r) for r in cur]


def get(store: Store, row_id: int) -> Row | None:
    r = store.conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (row_id,)).fetchone()
    return _row(r) if r else None


_CLAIMABLE = (
    "o.state = 'pending' AND NOT EXISTS (SELECT 1 FROM outbox e "
    "WHERE e.incident_id = o.incident_id AND e.destination = o.destination AND e.id < o.id "
    "AND e.state IN ('pending', 'failed'))"
)


def next_due(store: Store) -> datetime | None:
    """When the earliest claimable row is due (None: nothing can go out)."""
    r = store.conn.execute(
        f"SELECT min(o.next_attempt_at) FROM outbox o WHERE {_CLAIMABLE}"
    ).fetchone()
    return parse_instant(r[0]) if r and r[0] else None


def claim(store: Store, owner: str, now: datetime, lease: timedelta = LEASE) -> Row | None:
    """Lease the oldest due row whose earlier siblings are all sent (or cancelled).

    ``lease``: how long the row is ours -- the deliverer asks for the longest
    attempt its destinations allow, and :func:`hold` extends it while it works.

    A row whose lease ran out was being sent by a process that died (kill -9,
    a crash, a lost machine): it may have reached the provider, so it is
    claimed as *ambiguous* and looked for there before it is sent again.
    """
    stamp = _t(now)
    with store.write():
        candidates = store.conn.execute(
            f"SELECT {_COLUMNS}, lease_until FROM outbox o WHERE {_CLAIMABLE} "
            "AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT 20",
            (stamp,),
        ).fetchall()
        r = next((c for c in candidates if _free(c[9], c[-1], stamp)), None)
        if r is None:
            return None
        abandoned = r[-1] is not None
        store.conn.execute(
            "UPDATE outbox SET lease_owner = ?, lease_until = ?, ambiguous = max(ambiguous, ?) "
            "WHERE id = ?",
            (owner, _t(now + lease), int(abandoned), r[0]),
        )
    row = _row(r[:-1])
    if abandoned and not row.ambiguous:
        from dataclasses import replace

        row = replace(row, ambiguous=True)
    return row


def _free(owner: str | None, lease_until: str | None, now: str) -> bool:
    """Not leased, the lease ran out, or its owner was a process on this host that died."""
    if lease_until is None or lease_until < now:
        return True
    return dead_here(owner)  # killed (kill -9) mid-delivery: take over now, carefully


def _held(store: Store, row: Row, owner: str) -> bool:
    r = store.conn.execute(
        "SELECT lease_owner, state FROM outbox WHERE id = ?", (row.id,)
    ).fetchone()
    return bool(r) and r[0] == owner and r[1] == "pending"


def hold(store: Store, row: Row, owner: str, until: datetime) -> bool:
    """Compare-and-set, in one transaction: if ``owner`` still holds the row's lease
    (and the row is still pending), extend the lease to ``until`` and say True.

    False: another deliverer took the row over (or a person cancelled it) -- the
    caller must not send. A lease that ran out but that nobody took is still the
    owner's: a take-over always writes its own name first.
    """
    with store.write():
        cur = store.conn.execute(
            "UPDATE outbox SET lease_until = ? WHERE id = ? AND lease_owner = ? "
            "AND state = 'pending'",
            (_t(until), row.id, owner),
        )
        return cur.rowcount == 1


def sent_with_body(store: Store, row: Row) -> int:
    """How many of this incident's messages with the same text already reached the destination."""
    count = 0
    for (payload,) in store.conn.execute(
        "SELECT payload FROM outbox WHERE incident_id = ? AND destination = ? AND state = 'sent' "
        "AND id < ?",
        (row.incident_id, row.destination, row.id),
    ):
        if json.loads(payload).get("body", "").strip() == row.payload["body"].strip():
            count += 1
    return count


def provider_incident(store: Store, incident_id: str, destination: str) -> str | None:
    r = store.conn.execute(
        "SELECT provider_id FROM provider_incidents WHERE incident_id = ? AND destination = ?",
        (incident_id, destination),
    ).fetchone()
    return r[0] if r else None


def remember_provider_incident(store: Store, row: Row, provider_id: str) -> None:
    with store.write():
        store.conn.execute(
            "INSERT OR IGNORE INTO provider_incidents(incident_id, destination, provider_id) "
            "VALUES (?, ?, ?)",
            (row.incident_id, row.destination, provider_id),
        )


def complete(
    store: Store,
    row: Row,
    owner: str,
    provider_ref: str,
    now: datetime,
    *,
    note: str | None = None,
) -> bool:
    """Mark sent (if we still hold the lease) and write the event; False if we lost it.

    ``note``: kept as the row's ``last_error`` (and in the event) when the row is
    recorded as sent without proof -- an at-most-once destination after an ambiguous
    failure ("may not have arrived"); None clears it."""
    with store.write() as w:
        if not _held(store, row, owner):
            return False
        store.conn.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, provider_ref = ?, lease_owner = NULL, "
            "lease_until = NULL, attempts = attempts + 1, last_error = ? WHERE id = ?",
            (_t(now), provider_ref, note, row.id),
        )
        store.conn.execute(
            "INSERT OR IGNORE INTO provider_incidents(incident_id, destination, provider_id) "
            "VALUES (?, ?, ?)",
            (row.incident_id, row.destination, provider_ref),
        )
        w.append(
            row.incident_id,
            now,
            "warroom",
            SENT,
            {
                "outbox_id": row.id,
                "destination": row.destination,
                "purpose": row.purpose,
                "provider_ref": provider_ref,
                "attempts": row.attempts + 1,
                **({"note": note} if note else {}),
            },
        )
    return True


def retry_later(
    store: Store,
    row: Row,
    owner: str,
    error: str,
    ambiguous: bool,
    at: datetime,
) -> None:
    with store.write():
        if not _held(store, row, owner):
            return
        store.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
            "ambiguous = max(ambiguous, ?), lease_owner = NULL, lease_until = NULL WHERE id = ?",
            (error, _t(at), int(ambiguous), row.id),
        )


def fail(store: Store, row: Row, owner: str, error: str, now: datetime) -> None:
    """A permanent error (401, 404, 422...): the row stops until someone retries it."""
    with store.write() as w:
        if not _held(store, row, owner):
            return
        store.conn.execute(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, "
            "lease_owner = NULL, lease_until = NULL WHERE id = ?",
            (error, row.id),
        )
        w.append(
            row.incident_id,
            now,
            "warroom",
            FAILED,
            {
                "outbox_id": row.id,
                "destination": row.destination,
                "purpose": row.purpose,
                "error": error,
            },
        )


def _mark(
    store: Store, row_id: int, actor: str, now: datetime, *, allowed: tuple[str, ...], to: str
) -> Row:
    """A person's decision on a row (retry, cancel): the row and its event, in one transaction."""
    with store.write() as w:
        row = get(store, row_id)
        if row is None:
            raise StoreError(f"no outbox row {row_id}")
        if row.state not in allowed:
            raise StoreError(f"outbox row {row_id} is {row.state}, not {' or '.join(allowed)}")
        leased = store.conn.execute(
            "SELECT lease_until FROM outbox WHERE id = ?", (row_id,)
        ).fetchone()[0]
        if leased and parse_instant(leased) > now:
            raise StoreError(f"outbox row {row_id} is being delivered right now: try again")
        store.conn.execute(
            "UPDATE outbox SET state = ?, next_attempt_at = ?, lease_owner = NULL, "
            "lease_until = NULL WHERE id = ?",
            (to, _t(now), row_id),
        )
        w.append(
            row.incident_id,
            now,
            actor,
            RETRIED if to == "pending" else CANCELLED,
            {"outbox_id": row_id, "destination": row.destination, "purpose": row.purpose},
        )
    return row


def retry(store: Store, row_id: int, actor: str, now: datetime) -> Row:
    """A failed row goes back to the queue (after the cause was fixed)."""
    return _mark(store, row_id, actor, now, allowed=("failed",), to="pending")


def cancel(store: Store, row_id: int, actor: str, now: datetime) -> Row:
    """Give up on a failed or pending row (it will never be sent); later rows may go."""
    return _mark(store, row_id, actor, now, allowed=("failed", "pending"), to="cancelled")


def needs_attention(
    rows: Sequence[Row], now: datetime, stale_after: Mapping[str, timedelta] | None = None
) -> list[Row]:
    """The rows a person must see, newest first: failed ones; pending ones waiting (or
    retrying) longer than their destination's ``stale_after`` (config; default
    :data:`tui.core.config.STALE_AFTER`); and pending ones that cannot go at all, queued
    behind a failed row of the same incident and destination (order is kept, so they wait
    until that row is retried or cancelled: at once, not after ``stale_after``)."""
    waits = stale_after or {}
    now = ensure_utc(now)
    failed: set[tuple[str, str]] = set()
    blocked: set[int] = set()
    for r in sorted(rows, key=lambda r: r.id):
        lane = (r.incident_id, r.destination)
        if r.state == "failed":
            failed.add(lane)
        elif r.state == "pending" and lane in failed:
            blocked.add(r.id)
    return [
        r
        for r in sorted(rows, key=lambda r: r.id, reverse=True)
        if r.state == "failed"
        or r.id in blocked
        or (r.state == "pending" and r.created_at <= now - waits.get(r.destination, STALE_AFTER))
    ]


def origin_of(store: Store, row_id: int) -> int | None:
    """The publish event whose message row ``row_id`` carries: its own event, or, for a
    row sent elsewhere with ``d``, the original one (None: no such row)."""
    found = store.conn.execute(
        "SELECT COALESCE(json_extract(e.data, '$.resend_of'), o.event_id) "
        "FROM outbox o LEFT JOIN events e ON e.id = o.event_id WHERE o.id = ?",
        (row_id,),
    ).fetchone()
    return None if found is None or found[0] is None else int(found[0])


def holders_of_event(store: Store, origin: int) -> set[str]:
    """The destinations that have, or are getting, the message of publish event
    ``origin``: its rows and those of every resend of it, sent or pending."""
    cur = store.conn.execute(
        "SELECT destination FROM outbox WHERE state IN ('sent', 'pending') AND (event_id = ? "
        "OR event_id IN (SELECT id FROM events WHERE kind = ? "
        "AND json_extract(data, '$.resend_of') = ?))",
        (origin, PUBLISHED, origin),
    )
    return {r[0] for r in cur}


def holders(store: Store, row_id: int) -> set[str]:
    """The destinations that have, or are getting, the message of row ``row_id`` (its
    publish event's rows and its resends', sent or pending), the row's own destination
    included."""
    origin = origin_of(store, row_id)
    have = holders_of_event(store, origin) if origin is not None else set()
    own = store.conn.execute("SELECT destination FROM outbox WHERE id = ?", (row_id,)).fetchone()
    return have | ({own[0]} if own else set())

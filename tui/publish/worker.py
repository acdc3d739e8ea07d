"""The delivery worker: outbox rows to their destinations, never lost, never doubled.

One :class:`Deliverer` claims a due row (a lease, :func:`tui.publish.outbox.claim`),
asks the destination's adapter (:mod:`tui.publish.destinations`) to send it, and
records the outcome in the outbox, with its event:

* sent -> the row is complete (:func:`~tui.publish.outbox.complete`, a
  ``delivery.sent`` event);
* a failure the retry policy (:mod:`tui.publish.retry`) retries -> the row waits,
  released, for the policy's time (:func:`~tui.publish.outbox.retry_later`);
  an ambiguous one is looked for on the provider before it is sent again
  (:meth:`~tui.publish.destinations.Adapter.find`), and completed if it is there
  (an *at-most-once* destination, which cannot be asked, records it as sent without
  sending it again, its ``last_error`` saying it may not have arrived:
  :func:`unconfirmed`);
* a failure that stops -> the row fails until a person retries it
  (:func:`~tui.publish.outbox.fail`, a ``delivery.failed`` event).

Leases: a claimed row is leased for the longest attempt its destination's
settings allow (:func:`lease_for`: every request of an attempt, each after its
rate-limit wait and within its timeouts). Before every request -- after each
slice of a rate-limit wait too -- the deliverer confirms in one transaction
that it still holds the lease and extends it (:func:`tui.publish.outbox.hold`); if
another deliverer took the row over meanwhile, this one stops without sending.
Retry-After and backoff waits are spent with the row released, not leased.
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
from typing import TYPE_CHECKING, Final, Literal

from tui.core.clock import Clock
from tui.core.config import Config, Destination
from tui.core.store import Store, StoreError
from tui.publish import outbox
from tui.publish.destinations import adapter_for
from tui.publish.retry import DeliveryError, wait_before_retry

if TYPE_CHECKING:
    import httpx

MIN_WAIT: Final = 0.2  # seconds between looks at the outbox when nothing could be claimed
# An attempt makes at most this many requests: three look-ups after an ambiguous
# failure (unresolved incidents, a search, the incident) and the write (a post-mortem:
# two PUTs and no look-up). One more for safety.
REQUESTS_PER_ATTEMPT: Final = 5
# httpx applies the timeout to each phase (connect, write, read, pool)
PHASES_PER_REQUEST: Final = 4
LEASE_MARGIN: Final = 60.0  # seconds
RENEW_EVERY: Final = (
    10.0  # seconds: a rate-limit wait is slept in slices, the lease held after each
)

Outcome = Literal["sent", "retry", "failed"]
MAY_NOT_HAVE_ARRIVED: Final = "may not have arrived"


class LeaseLost(Exception):
    """Another deliverer took the row over while this one waited: do not send."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one try at one row came to (``row_id`` 0: the database itself failed)."""

    row_id: int
    outcome: Outcome
    detail: str


def lease_for(dest: Destination) -> timedelta:
    """The longest attempt ``dest``'s settings allow: every request after its
    rate-limit wait and within its timeouts, plus a margin."""
    per_request = 1.0 / dest.rate_per_second + PHASES_PER_REQUEST * dest.timeout
    return timedelta(seconds=REQUESTS_PER_ATTEMPT * per_request + LEASE_MARGIN)


def unconfirmed(guarantee: str, dest: Destination, row: outbox.Row) -> str | None:
    """At-most-once (a chat hook: nothing to look up): after an ambiguous failure the row
    is recorded as sent, not sent again, with this note as its ``last_error`` (shown by
    ``warroom outbox`` and the outbox screen). None for a row that was found."""
    if guarantee != "at-most-once":
        return None
    why = row.last_error or "its deliverer stopped mid-attempt"
    return (
        f"{MAY_NOT_HAVE_ARRIVED} ({why}); not sent again: {dest.type} is at-most-once "
        "(a duplicate cannot be taken back); look in the channel and post it by hand if missing"
    )


class Deliverer:
    """Delivers due outbox rows. One per process; several processes may share a DB."""

    def __init__(
        self,
        store: Store,
        config: Config,
        clock: Clock,
        *,
        owner: str | None = None,
        client: httpx.Client | None = None,
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
    def client(self) -> httpx.Client:
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
        adapter = adapter_for(dest, lambda: self._before_request(row, dest))
        try:
            provider_ref = outbox.provider_incident(self.store, row.incident_id, row.destination)
            if row.ambiguous:
                already = outbox.sent_with_body(self.store, row)
                found, done = adapter.find(self.client, row, provider_ref, already)
                if found and not provider_ref:
                    outbox.remember_provider_incident(self.store, row, found)
                    provider_ref = found
                if done and found:
                    note = unconfirmed(adapter.guarantee, dest, row)
                    now = self.clock.now()
                    outbox.complete(self.store, row, self.owner, found, now, note=note)
                    return Attempt(row.id, "sent", note or "found on the status page after a retry")
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
        wait = wait_before_retry(exc, row.attempts, self.rng)
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
                self._wait(1.0)
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
            self._wait(wait)
        return delivered

    def _wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if :attr:`wake` is set (whoever sets ``stop`` sets it too)."""
        if seconds <= 0:
            return
        if self.sleep is not time.sleep:
            self.sleep(seconds)
            return
        self.wake.wait(seconds)
        self.wake.clear()

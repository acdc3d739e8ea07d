"""The retry policy, all of it: which failures are tried again, when, and which stop.

Every failure of a delivery attempt becomes one :class:`DeliveryError` saying
whether to try again (``retryable``), whether the provider may already have
done it (``ambiguous``: the next attempt looks for the row before it sends),
and, when the provider said so, how long to wait (``retry_after``).

An HTTP answer (:func:`verdict`):

* 2xx -> sent (an answer that is not JSON is retried as *ambiguous*);
* 3xx -> stops: a redirect is never a success and is not followed (the key
  would go with it); the error names the Location;
* 420/429 (:data:`THROTTLED`) -> retried after ``Retry-After`` (or the backoff);
* 5xx -> retried, *ambiguous*: the server may have committed;
* any other 4xx -> stops until a person retries it after a fix. :data:`PERMANENT`
  names the nine codes the providers document (400, 401, 403, 404, 405, 409, 410,
  413, 422); a 4xx outside that list stops all the same.

A failure before any answer (:mod:`tui.publish.destinations.http`): no connection
-> retried; a timeout or a reset after the request went out -> retried,
*ambiguous*; a request that cannot be built (a header that is not ASCII) -> stops.

When (:func:`wait_before_retry`): the provider's ``Retry-After`` when it gave
one (at least :data:`MIN_RETRY_AFTER`, at most :data:`MAX_RETRY_AFTER`),
otherwise exponential backoff: ``BACKOFF_BASE * 2^attempts`` capped at
``BACKOFF_CAP``, multiplied by a factor drawn uniformly from 0.5 to 1.0 (so
several rows retried together spread out, and a wait is never less than half
the step). The row is released while it waits, never held
(:func:`tui.publish.outbox.retry_later`).
"""

from __future__ import annotations

import random
import time
from typing import Final, Literal

BACKOFF_BASE = 1.0  # seconds: the first retry's step (read at call time: tests shorten it)
BACKOFF_CAP = 120.0  # seconds: no backoff step is longer
JITTER: Final = (0.5, 1.0)  # the step is multiplied by a factor drawn uniformly from this range
MIN_RETRY_AFTER: Final = 0.5  # seconds: a Retry-After of 0 still waits this long
MAX_RETRY_AFTER: Final = 3600.0  # seconds: a longer Retry-After is cut to this

PERMANENT: Final = frozenset({400, 401, 403, 404, 405, 409, 410, 413, 422})
THROTTLED: Final = frozenset({420, 429})

Verdict = Literal["sent", "redirect", "throttled", "ambiguous", "permanent"]
"""What an HTTP status means for the row (see the module's table)."""


class DeliveryError(Exception):
    """One failed attempt, and what the policy says to do about it."""

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


def verdict(status: int) -> Verdict:
    """What an HTTP answer with ``status`` means for the row."""
    if 300 <= status < 400:
        return "redirect"
    if status in THROTTLED:
        return "throttled"
    if status >= 500:
        return "ambiguous"
    if status in PERMANENT or 400 <= status < 500:
        return "permanent"
    return "sent"


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """The wait before retry number ``attempts + 1``: the capped exponential step
    ``BACKOFF_BASE * 2^attempts``, times a factor drawn uniformly from 0.5 to 1.0."""
    r = rng or random
    low, high = JITTER
    return r.uniform(low, high) * min(BACKOFF_CAP, BACKOFF_BASE * (2.0**attempts))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), between 0 and
    :data:`MAX_RETRY_AFTER`; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, min(float(value.strip()), MAX_RETRY_AFTER))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            at = parsedate_to_datetime(value)
            seconds: float = at.timestamp() - time.time()
            return max(0.0, min(seconds, MAX_RETRY_AFTER))
        except (TypeError, ValueError):
            return None


def wait_before_retry(error: DeliveryError, attempts: int, rng: random.Random | None) -> float:
    """Seconds until a retryable row is due again, after ``attempts`` earlier attempts."""
    wait = backoff(attempts, rng)  # drawn either way: a seeded rng gives the same sequence
    if error.retry_after is not None:
        wait = max(error.retry_after, MIN_RETRY_AFTER)
    return wait

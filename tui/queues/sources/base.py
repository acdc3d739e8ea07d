"""What every queue source returns (:class:`Reading`) and raises (:class:`SourceError`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Reading:
    """One poll's answer: how many wait, and since when the oldest waits (None: unknown)."""

    count: int
    oldest_since: datetime | None = None


class SourceError(Exception):
    """A poll that failed, in words a person can act on (never a secret's value).

    ``message``: one line, e.g. "Zendesk: 401 -- check ZENDESK_TOKEN";
    ``retry_after``: seconds the source asked us to wait (429 Retry-After), or None;
    ``permanent``: retrying will not help until someone fixes the config (auth, a
    bad query) -- still retried, but at the longest backoff.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.permanent = permanent

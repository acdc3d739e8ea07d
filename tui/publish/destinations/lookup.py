"""Finding a row again on a provider that keeps no metadata: by its text and its time.

Instatus incidents and Better Stack status reports carry no field of ours (no
``metadata`` as on Statuspage), so the war room's correlation key cannot be
stored with them. What they do keep, exactly as sent, is each update's text and
the time we give it (Instatus ``started``, Better Stack ``published_at``). The war
room sends the row's *event time* there -- the moment the update was published,
to the millisecond -- so the pair (text, time) names one row: two rows with the
same text have different times.

:func:`row_at` is that time (the payload's ``at``; the outbox row's creation time,
written in the same transaction as the publish event, for a row queued before
``at`` existed). :func:`is_there` says whether a list of the provider's updates
holds the row:

* an update with the same text (whitespace at the ends ignored) and the same
  instant -- to the millisecond, or to the second when the provider keeps whole
  seconds only -- is the row;
* if the provider returns no times at all, the text alone is counted: one more
  copy than the ``already`` rows with that text we know were sent (the
  Statuspage adapter's rule for repeated texts).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from tui.publish.outbox import Row


def iso_z(at: datetime) -> str:
    """``2026-11-27T00:02:00.123Z``: UTC with ``Z`` (a zone-less time is shifted by the
    providers, an offset is not always read)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from a provider's answer (offset or ``Z``), None if unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def row_at(row: Row) -> str:
    """The row's event time as the providers take it (UTC with ``Z``)."""
    given = parse_time(row.payload.get("at"))
    return iso_z(given if given is not None else row.created_at)


def same_instant(ours: str, theirs: object) -> bool:
    """``theirs`` (from the provider) is our time ``ours``: to the millisecond, or to the
    second when the provider keeps no fraction of a second."""
    a, b = parse_time(ours), parse_time(theirs)
    if a is None or b is None:
        return False
    a_ms = a.replace(microsecond=a.microsecond // 1000 * 1000)
    b_ms = b.replace(microsecond=b.microsecond // 1000 * 1000)
    if a_ms == b_ms:
        return True
    return b.microsecond == 0 and a.replace(microsecond=0) == b


def is_there(
    updates: Iterable[tuple[object, object]], body: str, at: str, already: int = 0
) -> bool:
    """Whether the provider's ``updates`` -- (text, time) pairs -- hold the row with
    ``body`` sent at ``at`` (see the module's rules)."""
    text = body.strip()
    pairs = list(updates)
    if any(parse_time(when) is not None for _, when in pairs):
        return any(
            isinstance(msg, str) and msg.strip() == text and same_instant(at, when)
            for msg, when in pairs
        )
    copies = sum(1 for msg, _ in pairs if isinstance(msg, str) and msg.strip() == text)
    return copies > already

"""One injectable clock. UTC inside; the customers' zone only when shown."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to (tests, replays)."""

    def __init__(self, at: datetime):
        self._at = ensure_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = ensure_utc(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def ensure_utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: warroom keeps every time with its offset")
    return at.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """ISO 8601 with an offset (``Z`` accepted) -> aware UTC datetime."""
    if text.endswith("+00:00"):  # what we store: the fast path of every fold
        at = datetime.fromisoformat(text)
        if at.tzinfo is not None:
            return at.replace(tzinfo=UTC)
    at = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    return ensure_utc(at)


def to_iso(at: datetime) -> str:
    return ensure_utc(at).isoformat(timespec="seconds")


def to_iso_us(at: datetime) -> str:
    """UTC with microseconds in one fixed width, so text order is time order (the
    outbox, leases and queue sources compare these in SQL; a Retry-After of 1 s must
    not become 0.5 s by rounding to the second)."""
    return ensure_utc(at).isoformat(timespec="microseconds")


def clock_from_env() -> Clock:
    """``WARROOM_NOW`` (ISO 8601 with offset) freezes the clock, for scripts and tests."""
    frozen = os.environ.get("WARROOM_NOW")
    if frozen:
        return FrozenClock(parse_instant(frozen))
    return SystemClock()


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(at: datetime, tz: str) -> datetime:
    return at.astimezone(zone(tz))


def hhmm(at: datetime, tz: str) -> str:
    """``14:15`` in the customers' zone."""
    return local(at, tz).strftime("%H:%M")


def wall(at: datetime, tz: str) -> str:
    """``2:15 PM EST`` -- the way customers read a promised time."""
    t = local(at, tz)
    return f"{t.strftime('%I:%M %p').lstrip('0')} {t.tzname()}"


def parse_when(text: str, now: datetime, tz: str, *, future: bool) -> datetime:
    """A time typed by a person, in UTC.

    ``30m`` / ``1h`` (from now: later when ``future``, earlier otherwise), ``-10m``
    (earlier), ``+45m`` (later), ``14:15`` (the customers' zone: the next such time
    when ``future``, the last one otherwise), or ISO 8601 with an offset.
    Raises ValueError with a one-line message.
    """
    from tui.core.durations import DurationError, parse_duration

    s = text.strip()
    if not s:
        raise ValueError("empty time")
    sign = None
    if s[0] in "+-":
        sign, s = s[0], s[1:].strip()
    if s and s[-1].lower() in "dhms" and s[0].isdigit():
        try:
            delta = parse_duration(s)
        except DurationError as exc:
            raise ValueError(str(exc)) from None
        later = sign == "+" or (sign is None and future)
        return now + delta if later else now - delta
    if sign:
        raise ValueError(f"not a time: {text!r} (e.g. 30m, -10m, 14:15, 2026-11-27T14:15-05:00)")
    if len(s) in (4, 5) and ":" in s:
        try:
            hour, minute = (int(p) for p in s.split(":"))
            if not (0 <= hour < 24 and 0 <= minute < 60):
                raise ValueError
        except ValueError:
            raise ValueError(f"not a time of day: {text!r}") from None
        here = local(now, tz)
        at = here.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if future and at <= here:
            at += timedelta(days=1)
        elif not future and at > here:
            at -= timedelta(days=1)
        # re-attach the zone so a DST change between the two days is honoured
        at = at.replace(tzinfo=None).replace(tzinfo=zone(tz))
        return ensure_utc(at)
    try:
        return parse_instant(s)
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (e.g. 30m, -10m, 14:15, 2026-11-27T14:15-05:00)"
        ) from None

"""Durations as the playbook writes them: ``15m``, ``1h``, ``1h30m``, ``72h``, ``2d``."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)([dhms])")
_WHOLE = re.compile(r"(?:\d+[dhms])+")
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> timedelta:
    """Parse ``15m`` / ``1h30m`` / ``72h`` / ``2d`` / ``45s``; raise DurationError otherwise."""
    s = text.strip().lower()
    if not s or not _WHOLE.fullmatch(s):
        raise DurationError(f"not a duration: {text!r} (write e.g. 15m, 1h, 1h30m, 72h, 2d)")
    seconds = 0
    seen = set()
    for number, unit in _PART.findall(s):
        if unit in seen:
            raise DurationError(f"not a duration: {text!r} (unit {unit!r} given twice)")
        seen.add(unit)
        seconds += int(number) * _UNIT[unit]
        if seconds > 366 * 86400:
            raise DurationError(f"duration too long: {text!r} (at most a year)")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Compact human form: ``1h05m``, ``12m``, ``45s``, ``3d04h``."""
    total = int(abs(delta.total_seconds()))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"


def countdown(seconds: float) -> str:
    """Time to (or past) a deadline, never ambiguous: ``2d 23h``, ``5h 12m``, ``04:59``.

    ``71:59`` would read as minutes:seconds, so from an hour up it is hours and
    minutes, from a day up days and hours; below an hour, mm:ss.
    """
    total = int(abs(seconds))
    if total >= 86400:
        days, rest = divmod(total, 86400)
        return f"{days}d {rest // 3600}h"
    if total >= 3600:
        hours, rest = divmod(total, 3600)
        return f"{hours}h {rest // 60}m"
    return f"{total // 60:02d}:{total % 60:02d}"

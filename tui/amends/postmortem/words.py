"""How the post-mortem says things: times, spans, metric values, lists, counts.

Every phrase is for a non-technical reader in the customers' zone: ``Nov 27, 1:02 PM
EST``, ``2h 35m``, ``12%``, ``a, b and c``. Pure: no clock, no I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from tui.core.clock import local, wall
from tui.core.vocabulary import Purpose

if TYPE_CHECKING:  # pragma: no cover
    from tui.core.playbook import Playbook

PUBLISHED_COUNT: Final[dict[Purpose, tuple[str, str]]] = {
    "ack": ("the acknowledgement", "{n} acknowledgements"),
    "update": ("1 update", "{n} updates"),
    "resolved": ("the resolution announcement", "{n} resolution announcements"),
    "postmortem": ("the post-mortem", "{n} post-mortems"),
    "amends": ("the amends message", "{n} amends messages"),
}
"""Published messages of each purpose, counted in words: (one, many)."""


def when(at: datetime, tz: str) -> str:
    """``Nov 27, 1:02 PM EST`` in the customers' zone."""
    t = local(at, tz)
    return f"{t.strftime('%b')} {t.day}, {wall(at, tz)}"


def span(delta: timedelta) -> str:
    """``2h 35m``, ``45m``, ``1d 3h``; ``under a minute`` below one."""
    minutes = max(0, int(delta.total_seconds())) // 60
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts) if parts else "under a minute"


def lower_first(text: str) -> str:
    """``Users affected`` -> ``users affected``, but ``API errors`` stays."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def minutes(n: int) -> str:
    """``1 minute``, ``5 minutes``."""
    return "1 minute" if n == 1 else f"{n} minutes"


def metric_value(book: Playbook, name: str, value: bool | int | float) -> str:
    """A metric's value as people read it: ``yes``, ``12%``, ``1,204``, ``0.5``."""
    metric = book.metric(name)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if metric and metric.type == "percent":
        return f"{value:g}%"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:g}"


def metric_title(book: Playbook, name: str) -> str:
    """The metric's title from the playbook (its id when the playbook has no such metric)."""
    metric = book.metric(name)
    return metric.title if metric else name


def join(parts: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]

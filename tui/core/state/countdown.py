"""The countdown rule: when customers expect the next word from us, and how late we are.

The promise comes first: the next update is due when the last acknowledgement or
update promised it. Without a promise, the cadence in force (the current phase's,
else the nearest earlier phase's) counts from the last update; before any update,
the first phase with a deadline counts from detection. Once resolved or closed,
no update is due; the post-mortem then is, within the playbook's window.
:func:`due` is the only place that reads *now*: LATE when past, "due soon" within
the playbook's ``due_soon``.

A cadence's ``max`` is the longest customers may wait ("never longer than 60m"):
a promise beyond it is a warning to accept at publish (:func:`beyond_max` words it),
and the countdown never runs past the last update + ``max``, whatever an older or
hand-recorded message promised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from tui.core.clock import wall
from tui.core.durations import format_duration
from tui.core.playbook.model import Cadence
from tui.core.state.incident import IncidentState
from tui.core.vocabulary import PROMISING

DueState = Literal["on track", "due soon", "LATE"]


@dataclass(frozen=True, slots=True)
class Due:
    """The next update's countdown at one instant: when, why, and how much time is left."""

    at: datetime
    reason: str  # "promised in the last update", "cadence: every 30m", "... deadline"
    seconds_left: int  # negative once LATE
    state: DueState

    @property
    def overdue(self) -> bool:
        return self.state == "LATE"


def cadence_at(s: IncidentState) -> Cadence | None:
    """The cadence in force: the current phase's, else the nearest earlier phase's."""
    phases = s.phases()
    ids = [p.id for p in phases]
    upto = ids.index(s.phase) + 1 if s.phase in ids else len(phases)
    for phase in reversed(phases[:upto]):
        if phase.cadence:
            return phase.cadence
    return None


def next_update_due(s: IncidentState) -> tuple[datetime, str] | None:
    """When customers expect the next word from us, and why; None once resolved or closed."""
    if s.closed_at or s.resolved_at or s.detected_at is None:
        return None
    last = next((u for u in reversed(s.updates) if u.purpose in PROMISING), None)
    if last is None:
        first = next((p for p in s.phases() if p.deadline), None)
        if first is None or first.deadline is None:
            return None
        return s.detected_at + first.deadline, f"{first.title.lower()} deadline"
    cadence = cadence_at(s)
    if last.promised_next_at:
        if cadence is not None and last.promised_next_at > last.at + cadence.max:
            return (
                last.at + cadence.max,
                f"cadence: never longer than {format_duration(cadence.max)}",
            )
        return last.promised_next_at, "promised in the last update"
    if cadence is None:
        return None
    return last.at + cadence.every, f"cadence: every {format_duration(cadence.every)}"


def beyond_max(s: IncidentState, now: datetime, promised: datetime) -> str | None:
    """Why a next update promised for ``promised``, published at ``now``, needs accepting:
    it lies beyond the cadence's ``max`` from now. None when it does not (or no cadence
    is in force)."""
    cadence = cadence_at(s)
    if cadence is None or promised <= now + cadence.max:
        return None
    tz = s.book.timezone
    return (
        f"the next update promised for {wall(promised, tz)} is "
        f"{format_duration(promised - now)} away, beyond the cadence's max of "
        f"{format_duration(cadence.max)}: promise it by {wall(now + cadence.max, tz)} "
        "at the latest"
    )


def postmortem_due(s: IncidentState) -> datetime | None:
    """The post-mortem promise: resolution + the playbook's window; None before resolution
    or once the post-mortem is published."""
    resolved = s.resolved_at
    if resolved is None or any(u.purpose == "postmortem" for u in s.updates):
        return None
    return resolved + s.book.postmortem_within


def due(s: IncidentState, now: datetime) -> Due | None:
    """The next update's countdown at ``now`` (None when no update is due)."""
    found = next_update_due(s)
    if found is None:
        return None
    at, reason = found
    left = int((at - now).total_seconds())
    state: DueState
    if left < 0:
        state = "LATE"
    elif timedelta(seconds=left) <= s.book.due_soon:
        state = "due soon"
    else:
        state = "on track"
    return Due(at, reason, left, state)

"""Each phase of an incident at *now*: done, left open, current or upcoming, and its deadline.

A phase is done when each of its checklist items is ticked or explicitly skipped,
not because someone moved on; its deadline counts from detection and is met by
publishing the message it closes with (or, if it closes with none, by leaving it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui.core.playbook.model import ChecklistItem, Phase
from tui.core.state.incident import IncidentState, ItemState


@dataclass(frozen=True, slots=True)
class PhaseView:
    phase: Phase
    state: str  # "done" | "open" (passed with items open) | "current" | "upcoming"
    deadline_at: datetime | None
    met_at: datetime | None
    missed: bool
    open_items: tuple[str, ...] = ()  # items neither ticked nor skipped


def open_items(s: IncidentState, phase: Phase) -> list[ChecklistItem]:
    """The phase's checklist items neither ticked nor explicitly skipped."""
    return [i for i in phase.checklist if not (s.items.get(i.id) or ItemState()).complete]


def phase_views(s: IncidentState, now: datetime) -> list[PhaseView]:
    """The protocol's phases in order, each with its state and deadline at ``now``."""
    out = []
    ids = [p.id for p in s.phases()]
    current = ids.index(s.phase) if s.phase in ids else -1
    for i, phase in enumerate(s.phases()):
        left_open = tuple(item.id for item in open_items(s, phase))
        if s.closed_at or i < current:
            # a phase is done when each item is ticked or skipped, not because someone moved on
            state = "open" if left_open else "done"
        elif i == current:
            state = "current"
        else:
            state = "upcoming"
        deadline_at = s.detected_at + phase.deadline if phase.deadline and s.detected_at else None
        met_at = next((u.at for u in s.updates if u.purpose == phase.closes_with), None)
        if met_at is None and phase.closes_with is None and phase.id in s.phase_left:
            met_at = s.phase_left[phase.id]  # leaving it is all it asks for; else its message
        missed = bool(deadline_at and (met_at or now) > deadline_at)
        out.append(PhaseView(phase, state, deadline_at, met_at, missed, left_open))
    return out

"""The report's content: :class:`Report` and :func:`build`, which fills it from the log.

:func:`build` is pure (no clock, no I/O): the same state, events and *now* give the same
:class:`Report`. The timeline, the impact and the promise checks come from the event log;
the summary, the root cause and the remedial actions are people's words
(``postmortem.edited`` / ``postmortem.action`` events), cleaned of terminal controls.
Remedial actions are listed by due date (undated last), then id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui.amends.postmortem.impact import impact_lines
from tui.amends.postmortem.promises import PromiseCheck, promise_checks
from tui.amends.postmortem.timeline import history
from tui.amends.postmortem.words import span, when
from tui.core.clock import local, wall
from tui.core.state import Event, IncidentState, RemedialAction, postmortem_due
from tui.core.textsafe import clean, clean_line


class PostmortemError(Exception):
    """The report cannot be built or rendered: one line naming the problem."""


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    when: str  # customers' zone, e.g. "Nov 27, 1:02 PM EST"
    text: str


@dataclass(frozen=True)
class Report:
    incident_id: str
    title: str
    company: str
    timezone: str
    severity: str  # the highest level the incident reached
    detected: str
    resolved: str | None
    duration: str  # "2h 35m" or "ongoing (1h 10m so far)"
    summary: str  # people's words ("" when not written yet)
    root_cause: str
    trigger: str
    why: str
    timeline: list[TimelineLine]
    impact: list[str]
    promises: list[PromiseCheck]
    actions: list[RemedialAction]  # by due date (undated last), then id
    postmortem_due: str | None
    generated_at: str


def _action_order(a: RemedialAction) -> tuple[bool, str, str]:
    return (a.due == "", a.due, a.id)


def build(state: IncidentState, events: list[Event], now: datetime) -> Report:
    """The report from the incident's state and its event log, as of *now* (pure)."""
    s = state
    if s.playbook is None:
        raise PostmortemError(f"{s.id} has not started: there is nothing to report yet")
    book, tz = s.book, s.book.timezone
    h = history(s, list(events))
    if not h.highest_severity:  # no events given: what the state says
        h.first_severity = h.highest_severity = s.severity_title
    detected_at = s.detected_at or s.started_at or now
    resolved_at = s.resolved_at
    end_at = resolved_at or s.closed_at
    end: str | None
    if end_at is not None:
        duration = span(end_at - detected_at)
        same_day = local(end_at, tz).date() == local(detected_at, tz).date()
        end = wall(end_at, tz) if same_day else when(end_at, tz)
    else:
        duration = f"ongoing ({span(now - detected_at)} so far)"
        end = None
    promises = promise_checks(s, now)
    pm = s.postmortem
    due = postmortem_due(s)
    due_text = None
    if due is not None:
        due_text = f"{local(due, tz).strftime('%A')}, {when(due, tz)}"
    return Report(
        incident_id=s.id,
        title=clean_line(s.title),
        company=book.company,
        timezone=tz,
        severity=h.highest_severity,
        detected=when(detected_at, tz),
        resolved=when(resolved_at, tz) if resolved_at else None,
        duration=duration,
        summary=clean(pm.summary).strip(),
        root_cause=clean(pm.root_cause).strip(),
        trigger=clean(pm.trigger).strip(),
        why=clean(pm.why).strip(),
        timeline=[TimelineLine(at, when(at, tz), text) for at, _, text in h.lines],
        impact=impact_lines(s, h, promises, duration, end),
        promises=promises,
        actions=sorted(pm.actions.values(), key=_action_order),
        postmortem_due=due_text,
        generated_at=when(now, tz),
    )

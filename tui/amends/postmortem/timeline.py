"""The timeline in plain English: the event log folded again, one event at a time.

Each sentence says only what its event says: "We detected the problem.", "The incident
was raised to SEV1 (users affected: 40%).", "We posted an update, 7 minutes later than we
had promised; we promised the next one by 2:15 PM EST.", "The team moved on to Recovery
with 2 checklist steps not done: ... (forced)." Entering a phase proves nothing about the
problem, so the timeline never says "the problem was fixed" because someone pressed ``n``.

The same fold notes what only the history tells: each metric's peak, the first and the
highest severity, and the deepest queue per support channel. Pure: the events decide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from tui.amends.postmortem.promises import ANSWERING
from tui.amends.postmortem.words import join, lower_first, metric_title, metric_value, minutes
from tui.core import state as ev
from tui.core.clock import wall
from tui.core.state import Event, IncidentState, Projector
from tui.core.textsafe import clean_line
from tui.core.vocabulary import PROMISING


@dataclass
class History:
    """What only the history tells: the timeline, peaks, the first and the highest severity."""

    lines: list[tuple[datetime, int, str]]  # (when, order said, sentence)
    peaks: dict[str, bool | int | float]
    first_severity: str
    highest_severity: str
    queue_peaks: dict[str, int]


def _phase_sentence(s: IncidentState, forced: list[str]) -> str:
    """Only what the event says: the checklist moved on. Entering a phase proves nothing
    about the problem (no "the problem was fixed" because someone pressed ``n``)."""
    phase = s.current_phase()
    stage = lower_first(phase.title.replace(" & ", " and ")) if phase else "the next stage"
    if not forced:
        return f"The team moved on to {stage}."
    n = len(forced)
    what = "1 checklist step" if n == 1 else f"{n} checklist steps"
    return f"The team moved on to {stage} with {what} not done: {join(forced)} (forced)."


def _quoted(s: IncidentState, item_id: str) -> str:
    return f"\u201c{clean_line(ev.item_text(s, item_id))}\u201d"


def history(s: IncidentState, events: list[Event]) -> History:
    """Fold the events again, one by one, noting what changed in words people read."""
    book, tz = s.book, s.book.timezone
    order = [level.id for level in book.severity]
    projector = Projector(s.id, lambda _sha, _source: book)
    p = projector.state
    lines: list[tuple[datetime, int, str]] = []
    peaks: dict[str, bool | int | float] = {}
    queue_peaks: dict[str, int] = {}
    first = highest = ""
    highest_rank = len(order)
    promised_by: datetime | None = None  # the promise the next message answers
    forced: list[str] = []  # items skipped by a forced move, said with the move

    def say(at: datetime, text: str) -> None:
        lines.append((at, len(lines), text))

    for e in sorted(events, key=lambda e: e.id):
        before_sev = p.severity
        before_phase = p.phase
        projector.apply(e)
        if p.playbook is None:
            continue
        for name, value in p.metrics.items():
            old = peaks.get(name)
            if isinstance(value, bool):
                peaks[name] = bool(old) or value
            elif old is None or isinstance(old, bool) or value > old:
                peaks[name] = value
        if p.severity in order and order.index(p.severity) < highest_rank:
            highest_rank = order.index(p.severity)
            highest = p.severity_title
        d = e.data
        if e.kind == ev.STARTED:
            first = p.severity_title
            if p.detected_at is not None:
                say(p.detected_at, "We detected the problem.")
            say(e.at, f"The team opened an incident and rated its severity {first}.")
        elif e.kind in (ev.METRICS, ev.RELOADED) and before_sev != p.severity:
            was = order.index(before_sev) if before_sev in order else len(order)
            now_rank = order.index(p.severity) if p.severity in order else len(order)
            word = "raised" if now_rank < was else "lowered"
            reason = ""
            if e.kind == ev.METRICS:
                values = d.get("values", {})
                names = [m.id for m in book.metrics if m.id in values]
                names += sorted(k for k in values if k not in names)
                reason = ", ".join(
                    f"{lower_first(metric_title(book, k))}: {metric_value(book, k, values[k])}"
                    for k in names
                )
            say(
                e.at,
                f"The incident was {word} to {p.severity_title}"
                + (f" ({reason})." if reason else "."),
            )
        elif e.kind == ev.PUBLISHED:
            purpose = d.get("purpose", "")
            promise = p.updates[-1].promised_next_at if p.updates else None
            late = ""
            if purpose in PROMISING and promised_by and e.at > promised_by:
                late_by = math.ceil((e.at - promised_by).total_seconds() / 60)
                late = f", {minutes(late_by)} later than we had promised"
            if purpose == "ack":
                text = f"We acknowledged the outage publicly on the status page{late}."
            elif purpose == "update":
                text = f"We posted an update{late}."
            elif purpose == "resolved":
                text = "Service was restored and we announced it."
            elif purpose == "postmortem":
                text = "We published this incident report."
            elif purpose == "amends":
                text = "We wrote to affected customers to make amends."
            else:
                text = "We published a message."
            if promise and purpose in PROMISING:
                which = "the first update" if purpose == "ack" else "the next one"
                text = text[:-1] + f"; we promised {which} by {wall(promise, tz)}."
            say(e.at, text)
            if purpose in ANSWERING:
                promised_by = promise
        elif e.kind == ev.NOTE:
            note = clean_line(d.get("text", "")).strip()
            if note and note[-1].isalnum():
                note += "."
            say(e.at, f"Note from {e.actor}: {note}")
        elif e.kind == ev.QUEUE:
            channel, depth = d.get("channel", ""), d.get("depth")
            if isinstance(depth, int) and depth > queue_peaks.get(channel, -1):
                queue_peaks[channel] = depth
        elif e.kind == ev.SKIPPED:
            if d.get("forced"):
                forced.append(_quoted(p, d.get("item", "")))
            else:
                reason = clean_line(d.get("reason", "")).strip()
                if reason and reason[-1].isalnum():
                    reason += "."
                say(
                    e.at,
                    f"The step {_quoted(p, d.get('item', ''))} was skipped by {e.actor}: {reason}",
                )
        elif e.kind == ev.CLOSED:
            if d.get("forced"):
                why = clean_line(d.get("reason") or "it was not resolved")
                say(e.at, f"We closed the incident although {why} (forced).")
            else:
                say(e.at, "We closed the incident.")
        if p.phase != before_phase and e.kind != ev.STARTED and p.phase is not None:
            say(e.at, _phase_sentence(p, forced))
            forced = []
    lines.sort(key=lambda line: (line[0], line[1]))
    return History(lines, peaks, first, highest or first, queue_peaks)

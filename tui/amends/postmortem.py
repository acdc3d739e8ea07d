"""The post-mortem document: the incident report customers read once the dust settles.

Four parts, written for a non-technical reader: the timeline in plain English,
the root cause with the why behind it, the impact in numbers, and the remedial
actions. The timeline, the impact and the promise checks come from the event
log; the summary, the root cause and the remedial actions are people's words
(``postmortem.edited`` / ``postmortem.action`` events).

:func:`build` is pure (no clock, no I/O): the same state, events and *now*
give the same :class:`Report`. :func:`render` turns it into Markdown, a
standalone HTML page or JSON. Jinja2 is imported on first render only; the
HTML template autoescapes, so whatever people typed shows as text.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from tui.core import state as ev
from tui.core.clock import local, wall
from tui.core.state import Event, IncidentState, Projector, RemedialAction, postmortem_due
from tui.core.textsafe import clean, clean_line

FORMATS = ("md", "html", "json")
TEMPLATES = {"md": "postmortem.doc.md.j2", "html": "postmortem.html.j2"}


class PostmortemError(Exception):
    """The report cannot be built or rendered: one line naming the problem."""


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    when: str  # customers' zone, e.g. "Nov 27, 1:02 PM EST"
    text: str


@dataclass(frozen=True)
class PromiseCheck:
    promised_at: datetime
    kept_at: datetime | None  # when the next message came (None: it has not)
    on_time: bool
    text: str  # "promised by 2:15 PM EST, next update 2:12 PM EST: on time"
    status: str = "on time"  # on time | late | never came | not due yet
    minutes_late: int = 0


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


# --------------------------------------------------------------------------- words


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


def _lower_first(text: str) -> str:
    """``Users affected`` -> ``users affected``, but ``API errors`` stays."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _minutes(n: int) -> str:
    return "1 minute" if n == 1 else f"{n} minutes"


def _value(book, name: str, value: Any) -> str:
    metric = book.metric(name)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if metric and metric.type == "percent":
        return f"{value:g}%"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:g}"


def _metric_title(book, name: str) -> str:
    metric = book.metric(name)
    return metric.title if metric else name


_PUBLISHED_COUNT = {
    "ack": ("the acknowledgement", "{n} acknowledgements"),
    "update": ("1 update", "{n} updates"),
    "resolved": ("the resolution announcement", "{n} resolution announcements"),
    "postmortem": ("the post-mortem", "{n} post-mortems"),
    "amends": ("the amends message", "{n} amends messages"),
}


# --------------------------------------------------------------------------- promises


def _promise_checks(s: IncidentState, now: datetime) -> list[PromiseCheck]:
    tz = s.book.timezone
    out = []
    updates = s.updates
    for i, u in enumerate(updates):
        if u.purpose not in ("ack", "update") or u.promised_next_at is None:
            continue
        promised = u.promised_next_at
        nxt = next(
            (n for n in updates[i + 1 :] if n.purpose in ("ack", "update", "resolved")), None
        )
        head = f"promised by {wall(promised, tz)}"
        if nxt is not None:
            what = "resolution announced" if nxt.purpose == "resolved" else "next update"
            head += f", {what} {wall(nxt.at, tz)}"
            if nxt.at <= promised:
                out.append(PromiseCheck(promised, nxt.at, True, f"{head}: on time"))
            else:
                late = math.ceil((nxt.at - promised).total_seconds() / 60)
                out.append(
                    PromiseCheck(
                        promised, nxt.at, False, f"{head}: {_minutes(late)} late", "late", late
                    )
                )
        elif s.resolved_at or s.closed_at or now > promised:
            out.append(PromiseCheck(promised, None, False, f"{head}: never came", "never came"))
        else:
            out.append(PromiseCheck(promised, None, False, f"{head}: not due yet", "not due yet"))
    return out


# --------------------------------------------------------------------------- the timeline


@dataclass
class _History:
    """What only the history tells: peaks, the first and the highest severity."""

    lines: list[tuple[datetime, int, str]]
    peaks: dict[str, bool | int | float]
    first_severity: str
    highest_severity: str
    queue_peaks: dict[str, int]


def _phase_sentence(s: IncidentState, forced: list[str]) -> str:
    """Only what the event says: the checklist moved on. Entering a phase proves nothing
    about the problem (no "the problem was fixed" because someone pressed ``n``)."""
    phase = s.current_phase()
    stage = _lower_first(phase.title.replace(" & ", " and ")) if phase else "the next stage"
    if not forced:
        return f"The team moved on to {stage}."
    n = len(forced)
    what = "1 checklist step" if n == 1 else f"{n} checklist steps"
    return f"The team moved on to {stage} with {what} not done: {_join(forced)} (forced)."


def _quoted(s: IncidentState, item_id: str) -> str:
    return f"\u201c{clean_line(ev.item_text(s, item_id))}\u201d"


def _history(s: IncidentState, events: list[Event]) -> _History:
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
                    f"{_lower_first(_metric_title(book, k))}: {_value(book, k, values[k])}"
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
            if purpose in ("ack", "update") and promised_by and e.at > promised_by:
                minutes = math.ceil((e.at - promised_by).total_seconds() / 60)
                late = f", {_minutes(minutes)} later than we had promised"
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
            if promise and purpose in ("ack", "update"):
                which = "the first update" if purpose == "ack" else "the next one"
                text = text[:-1] + f"; we promised {which} by {wall(promise, tz)}."
            say(e.at, text)
            if purpose in ("ack", "update", "resolved"):
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
    return _History(lines, peaks, first, highest or first, queue_peaks)


# --------------------------------------------------------------------------- impact


def _impact(
    s: IncidentState, h: _History, promises: list[PromiseCheck], duration: str, end: str | None
) -> list[str]:
    book, tz = s.book, s.book.timezone
    lines = []
    if end is not None and s.detected_at is not None:
        lines.append(f"Duration: {duration}, from {wall(s.detected_at, tz)} to {end}.")
    else:
        lines.append(f"Duration: {duration}.")
    names = [m.id for m in book.metrics if m.id in s.metrics]
    names += [k for k in s.metrics if k not in names]
    for name in names:
        final = s.metrics[name]
        peak = h.peaks.get(name, final)
        title = _metric_title(book, name)
        if peak != final:
            lines.append(
                f"{title}: {_value(book, name, peak)} at the worst, "
                f"{_value(book, name, final)} at the end."
            )
        else:
            lines.append(f"{title}: {_value(book, name, final)}.")
    severity = f"Severity: {h.highest_severity}"
    if h.first_severity and h.first_severity != h.highest_severity:
        severity += f" (opened as {h.first_severity})"
    lines.append(severity + ".")
    titles = {c.id: c.title for c in book.channels}
    order = [c.id for c in book.channels] + sorted(k for k in h.queue_peaks if k not in titles)
    for channel in order:
        if channel in h.queue_peaks:
            n = h.queue_peaks[channel]
            people = "1 contact" if n == 1 else f"{n:,} contacts"
            lines.append(
                f"{titles.get(channel, channel)}: up to {people} waiting for an answer at once."
            )
    counts: dict[str, int] = {}
    for u in s.updates:
        counts[u.purpose] = counts.get(u.purpose, 0) + 1
    if counts:
        parts = []
        for purpose in ("ack", "update", "resolved", "postmortem", "amends"):
            n = counts.get(purpose, 0)
            if n:
                one, many = _PUBLISHED_COUNT[purpose]
                parts.append(one if n == 1 else many.format(n=n))
        total = sum(counts.values())
        lines.append(f"Updates published: {total} ({_join(parts)}).")
    else:
        lines.append("Updates published: none yet.")
    judged = [p for p in promises if p.status != "not due yet"]
    if judged:
        kept = sum(p.on_time for p in judged)
        misses = []
        late = [p for p in judged if p.status == "late"]
        never = [p for p in judged if p.status == "never came"]
        if len(late) == 1:
            misses.append(f"one came {_minutes(late[0].minutes_late)} late")
        elif late:
            worst = max(p.minutes_late for p in late)
            misses.append(f"{len(late)} came late, by up to {_minutes(worst)}")
        if never:
            misses.append("one never came" if len(never) == 1 else f"{len(never)} never came")
        tail = f"; {_join(misses)}" if misses else ""
        lines.append(f"Promised update times kept: {kept} of {len(judged)}{tail}.")
    return lines


def _join(parts: list[str]) -> str:
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# --------------------------------------------------------------------------- build


def _action_order(a: RemedialAction) -> tuple[bool, str, str]:
    return (a.due == "", a.due, a.id)


def build(state: IncidentState, events: list[Event], now: datetime) -> Report:
    """The report from the incident's state and its event log, as of *now* (pure)."""
    s = state
    if s.playbook is None:
        raise PostmortemError(f"{s.id} has not started: there is nothing to report yet")
    book, tz = s.book, s.book.timezone
    h = _history(s, list(events))
    if not h.highest_severity:  # no events given: what the state says
        h.first_severity = h.highest_severity = s.severity_title
    detected_at = s.detected_at or s.started_at or now
    resolved_at = s.resolved_at
    end_at = resolved_at or s.closed_at
    if end_at is not None:
        duration = span(end_at - detected_at)
        same_day = local(end_at, tz).date() == local(detected_at, tz).date()
        end = wall(end_at, tz) if same_day else when(end_at, tz)
    else:
        duration = f"ongoing ({span(now - detected_at)} so far)"
        end = None
    promises = _promise_checks(s, now)
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
        impact=_impact(s, h, promises, duration, end),
        promises=promises,
        actions=sorted(pm.actions.values(), key=_action_order),
        postmortem_due=due_text,
        generated_at=when(now, tz),
    )


# --------------------------------------------------------------------------- render


def _iso(at: datetime | None, tz: str) -> str | None:
    return local(at, tz).isoformat(timespec="seconds") if at else None


def as_dict(report: Report) -> dict[str, Any]:
    """Plain data: datetimes as ISO 8601 with the offset of the customers' zone."""
    tz = report.timezone
    return {
        "incident_id": report.incident_id,
        "title": report.title,
        "company": report.company,
        "timezone": tz,
        "severity": report.severity,
        "detected": report.detected,
        "resolved": report.resolved,
        "duration": report.duration,
        "summary": report.summary,
        "root_cause": report.root_cause,
        "trigger": report.trigger,
        "why": report.why,
        "timeline": [
            {"at": _iso(t.at, tz), "when": t.when, "text": t.text} for t in report.timeline
        ],
        "impact": list(report.impact),
        "promises": [
            {
                "promised_at": _iso(p.promised_at, tz),
                "kept_at": _iso(p.kept_at, tz),
                "on_time": p.on_time,
                "status": p.status,
                "minutes_late": p.minutes_late,
                "text": p.text,
            }
            for p in report.promises
        ],
        "actions": [
            {"id": a.id, "action": a.action, "owner": a.owner, "due": a.due, "status": a.status}
            for a in report.actions
        ],
        "postmortem_due": report.postmortem_due,
        "generated_at": report.generated_at,
    }


def _day(text: str) -> str:
    """``2026-12-04`` -> ``Dec 4, 2026``; ``""`` -> ``""``."""
    try:
        d = date.fromisoformat(text)
    except (TypeError, ValueError):
        return text
    return f"{d.strftime('%b')} {d.day}, {d.year}"


def _cell(text: str) -> str:
    """One Markdown table cell: no line breaks, pipes escaped."""
    return clean_line(text).replace("|", "\\|").strip()


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _md_literal(value):
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


@lru_cache(maxsize=8)
def _environment(dirs: tuple[Path, ...], html: bool):
    from jinja2 import StrictUndefined

    from tui.core.templating import BoundedEnvironment, ContainedLoader

    env = BoundedEnvironment(  # bounded and contained like the drafts (tui.core.templating)
        loader=ContainedLoader(dirs),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=html,
        # Markdown passes raw HTML through to whoever renders it (a status page):
        # people's words must stay words, so <, > and & are written as entities
        finalize=None if html else _md_literal,
    )
    env.filters["day"] = _day
    env.filters["cell"] = _cell
    env.filters["sentence"] = _sentence_case
    env.filters["iso"] = _iso
    return env


def render(report: Report, fmt: str, template_dirs: list[Path]) -> str:
    """The report as ``md``, ``html`` or ``json``; PostmortemError on any problem."""
    if fmt == "json":
        return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
    if fmt not in TEMPLATES:
        raise PostmortemError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    from tui.publish.drafting import render_file

    env = _environment(tuple(Path(d) for d in template_dirs), fmt == "html")
    return render_file(env, TEMPLATES[fmt], {"report": report}, PostmortemError)

"""Incident state rendered for people and scripts: status, one-liner, log, list."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tui.core import oneline as oneline_cache
from tui.core.clock import hhmm, local, wall
from tui.core.durations import format_duration
from tui.core.oneline import LineFacts, line_for, line_of
from tui.core.oneline import due_words as oneline_words
from tui.core.state import events as ev
from tui.core.state.countdown import due, next_update_due, postmortem_due
from tui.core.state.incident import IncidentState
from tui.core.state.phases import phase_views
from tui.core.textsafe import clean_line

if TYPE_CHECKING:
    from tui.core.store.database import Store


def _iso(at: datetime | None, tz: str) -> str | None:
    return local(at, tz).isoformat(timespec="seconds") if at else None


def status_dict(s: IncidentState, now: datetime) -> dict[str, Any]:
    book = s.book
    tz = book.timezone
    d = due(s, now)
    pm_due = postmortem_due(s)
    current = s.current_phase()
    items = []
    for phase in s.phases():
        for item in phase.checklist:
            st = s.items.get(item.id)
            items.append(
                {
                    "id": item.id,
                    "phase": phase.id,
                    "text": item.text,
                    "owner": item.owner,
                    "done": bool(st and st.done),
                    "skipped": bool(st and st.skipped and not st.done),
                    "reason": st.reason if st and st.skipped and not st.done else None,
                    "by": st.by if st and st.complete else None,
                    "at": _iso(st.at, tz) if st and st.complete else None,
                    "by_event": st.by_event if st and st.done else None,
                }
            )
    return {
        "id": s.id,
        "title": s.title,
        "severity": s.severity,
        "severity_title": s.severity_title,
        "protocol": s.protocol,
        "phase": s.phase,
        "phase_title": current.title if current else None,
        "started_at": _iso(s.started_at, tz),
        "detected_at": _iso(s.detected_at, tz),
        "elapsed_seconds": int((now - s.detected_at).total_seconds()) if s.detected_at else 0,
        "timezone": tz,
        "next_update_due": _iso(d.at, tz) if d else None,
        "next_update_reason": d.reason if d else None,
        "seconds_to_next_update": d.seconds_left if d else None,
        "update_state": d.state if d else None,
        "overdue": bool(d and d.overdue),
        "resolved_at": _iso(s.resolved_at, tz),
        "postmortem_due": _iso(pm_due, tz),
        "postmortem_overdue": bool(pm_due and now > pm_due),
        "closed_at": _iso(s.closed_at, tz),
        "phases": [
            {
                "id": v.phase.id,
                "title": v.phase.title,
                "state": v.state,
                "deadline": _iso(v.deadline_at, tz),
                "met_at": _iso(v.met_at, tz),
                "missed": v.missed,
                "open_items": list(v.open_items),
            }
            for v in phase_views(s, now)
        ],
        "checklist": items,
        "roles": {r.id: s.roles.get(r.id) for r in book.roles},
        "metrics": dict(s.metrics),
        "updates": [
            {
                "purpose": u.purpose,
                "at": _iso(u.at, tz),
                "by": u.actor,
                "promised_next_at": _iso(u.promised_next_at, tz),
                "via": u.via,
            }
            for u in s.updates
        ],
        "channels": {
            c.id: {
                "title": c.title,
                "depth": s.channels[c.id].depth if c.id in s.channels else None,
                "oldest_since": _iso(s.channels[c.id].oldest_since, tz)
                if c.id in s.channels
                else None,
                "trend": s.channels[c.id].trend() if c.id in s.channels else None,
                "actions": dict(s.channels[c.id].actions) if c.id in s.channels else {},
            }
            for c in book.channels
        },
        "drafts": {
            p: {"text": d.text, "by": d.by, "at": _iso(d.at, tz)} for p, d in s.drafts.items()
        },
        "next_purpose": s.next_purpose(),
        "playbook": {"name": book.name, "sha256": book.sha256, "source": book.source},
        "events": len(s.timeline),
    }


def _left(seconds: int) -> str:
    if abs(seconds) >= 3600:  # 2d 23h, 5h 12m: as the dashboard's countdown says it
        from tui.core.durations import countdown

        return countdown(seconds)
    return format_duration(timedelta(seconds=seconds))


def line_facts(s: IncidentState) -> LineFacts:
    """What the one-liner reads of the incident (fixed until its next event)."""
    found = next_update_due(s)
    return LineFacts(
        s.id,
        s.severity_title,
        s.phase,
        s.book.timezone,
        found[0] if found else None,
        s.book.due_soon,
        bool(s.closed_at),
        postmortem_due(s),
        s.resolved_at,
    )


def due_words(s: IncidentState, now: datetime) -> str:
    return oneline_words(line_facts(s), now)


def oneline_for(s: IncidentState, now: datetime) -> str:
    return line_for(line_facts(s), now)


# The kinds of event that never change what the one-liner says (its id, severity,
# phase, the updates, detection, resolution, closing and the playbook): its fold skips
# them. A kind not named here is folded, so a new kind can only cost time, never be wrong.
ONELINE_SKIPS = (
    ev.CHECKED,
    ev.UNCHECKED,
    ev.SKIPPED,
    ev.ASSIGNED,
    ev.RELEASED,
    ev.NOTE,
    ev.QUEUE,
    ev.ACTION,
    ev.DRAFT,
    ev.DRAFT_HELD,
    ev.DRAFT_RELEASED,
    ev.REQUESTED,
    ev.APPROVED,
    ev.REJECTED,
    ev.DELIVERY_SENT,
    ev.DELIVERY_FAILED,
    ev.DELIVERY_RETRIED,
    ev.DELIVERY_CANCELLED,
    ev.PM_EDITED,
    ev.PM_ACTION,
    ev.REPLY_COPIED,
)


def oneline_state(store: Store, incident_id: str) -> IncidentState:
    """The incident's state as far as the one-liner reads it: the events of
    :data:`ONELINE_SKIPS` are left out of the fold (a tmux status line runs this for
    every client every few seconds; 10,000 ticks and notes cost nothing here)."""
    import json

    from tui.core.clock import parse_instant
    from tui.core.state.projection import Projector

    marks = ", ".join("?" * len(ONELINE_SKIPS))
    rows = store.conn.execute(
        "SELECT id, incident_id, at, actor, kind, data FROM events "
        f"WHERE incident_id = ? AND kind NOT IN ({marks}) ORDER BY id",
        (incident_id, *ONELINE_SKIPS),
    )
    events = (ev.Event(r[0], r[1], parse_instant(r[2]), r[3], r[4], json.loads(r[5])) for r in rows)
    return Projector(incident_id, store.playbook).apply_all(events)


def oneline(store: Store, now: datetime, incident_id: str | None) -> str:
    """For a tmux status bar: the named incident, else the most urgent open one (whose
    facts are kept in the user's cache for the next run: :mod:`tui.core.oneline`)."""
    if incident_id:
        from tui.core.lookup import resolve_incident

        return oneline_for(oneline_state(store, resolve_incident(store, incident_id)), now)
    key = oneline_cache.db_key(store.conn, store.path)  # before reading: never newer than it
    facts = [line_facts(oneline_state(store, r.id)) for r in store.incidents()]
    oneline_cache.save(store.path, key, facts)
    return line_of(facts, now)


def status_text(s: IncidentState, now: datetime) -> str:
    book, tz = s.book, s.book.timezone
    elapsed = format_duration(now - s.detected_at) if s.detected_at else "?"
    lines = [
        f"{s.id}  {s.title}",
        f"severity {s.severity_title} \u00b7 {elapsed} since detection "
        f"({wall(s.detected_at, tz) if s.detected_at else '?'}) \u00b7 "
        f"playbook \u201c{book.name}\u201d",
        f"next update: {due_words(s, now)}",
    ]
    d = due(s, now)
    if d:
        lines[-1] += f" \u2014 promised time {wall(d.at, tz)}; {d.reason}"
    roles = ", ".join(f"{r.title}: {s.roles.get(r.id, '(vacant)')}" for r in book.roles)
    lines.append(f"roles: {roles}")
    if s.metrics:
        lines.append("metrics: " + ", ".join(f"{k}={_metric(v)}" for k, v in s.metrics.items()))
    lines.append("")
    for v in phase_views(s, now):
        mark = {"done": "[x]", "current": "[>]", "upcoming": "[ ]", "open": "[!]"}[v.state]
        extra = ""
        if v.deadline_at:
            if v.missed:
                extra = f"  deadline {hhmm(v.deadline_at, tz)} MISSED"
            elif v.met_at:
                extra = f"  deadline {hhmm(v.deadline_at, tz)} met {hhmm(v.met_at, tz)}"
            else:
                left = int((v.deadline_at - now).total_seconds())
                extra = f"  deadline {hhmm(v.deadline_at, tz)} ({_left(left)} left)"
        lines.append(f"{mark} {v.phase.title}{extra}")
        if v.state == "open":
            lines[-1] += f"  ({len(v.open_items)} item(s) left open)"
        if v.state in ("current", "done", "open"):
            for item in v.phase.checklist:
                st = s.items.get(item.id)
                tick = "x" if st and st.done else "-" if st and st.skipped else " "
                who = f"  \u2014 {st.by} {hhmm(st.at, tz)}" if st and st.complete and st.at else ""
                if st and st.done and st.by_event is not None:
                    who += f" by publishing #{st.by_event}"
                elif st and st.skipped and not st.done:
                    when = hhmm(st.at, tz) if st.at else "?"
                    who = f"  \u2014 skipped by {st.by} {when}: {st.reason}"
                lines.append(f"    [{tick}] {item.id:<24} {item.text} ({item.owner}){who}")
    if s.closed_at:
        lines.append(f"closed {wall(s.closed_at, tz)}")
    return "\n".join(clean_line(line) for line in lines)


def _metric(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{v:g}" if isinstance(v, float) else str(v)


def log_dicts(s: IncidentState, *, everything: bool = False) -> list[dict[str, Any]]:
    tz = s.book.timezone if s.playbook else "UTC"
    return [
        {"id": t.event_id, "at": _iso(t.at, tz), "actor": t.actor, "kind": t.kind, "text": t.text}
        for t in s.timeline
        if everything or not t.quiet
    ]


def log_lines(s: IncidentState, *, everything: bool = False) -> list[str]:
    tz = s.book.timezone if s.playbook else "UTC"
    out = []
    for t in s.timeline:
        if t.quiet and not everything:
            continue
        stamp = local(t.at, tz).strftime("%Y-%m-%d %H:%M:%S %Z")
        out.append(clean_line(f"{stamp}  {t.text}"))
    return out


def list_dicts(store: Store, now: datetime, *, include_closed: bool) -> list[dict[str, Any]]:
    rows = []
    for row in store.incidents(include_closed=include_closed):
        s = store.state(row.id)
        d = due(s, now)
        tz = s.book.timezone
        rows.append(
            {
                "id": s.id,
                "title": s.title,
                "severity": s.severity,
                "severity_title": s.severity_title,
                "phase": s.phase,
                "started_at": _iso(s.started_at, tz),
                "next_update_due": _iso(d.at, tz) if d else None,
                "overdue": bool(d and d.overdue),
                "closed_at": _iso(s.closed_at, tz),
                "summary": oneline_for(s, now),
            }
        )
    return rows


def list_lines(rows: list[dict[str, Any]]) -> list[str]:
    return [
        clean_line(f"{r['summary']}  \u2014 {r['title']}" + (" (closed)" if r["closed_at"] else ""))
        for r in rows
    ]

"""The incident's life: open it, measure it, annotate it, re-pin its playbook, close it.

``start`` refuses a second open incident with the same title
(:class:`DuplicateIncident`) and metrics that match no severity level.
``close`` refuses an incident that is not resolved -- no resolution published,
or the checklist still in a fixing phase -- (:class:`UnresolvedIncident`,
saying what to do) unless forced, and a forced close is recorded as such.
``reload_playbook`` refuses a playbook that drops anything the incident uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tui.commands.base import MAX_NOTE, MAX_TITLE, Outcome, open_state, user_text
from tui.core import state as ev
from tui.core.clock import Clock, to_iso
from tui.core.errors import CommandError
from tui.core.lookup import same_title
from tui.core.playbook import Playbook, value_for_metric
from tui.core.textsafe import clean_line

if TYPE_CHECKING:
    from tui.core.state import IncidentState
    from tui.core.store import Store


class DuplicateIncident(CommandError):
    """An open incident already has this title (``force`` opens a second one)."""

    def __init__(self, message: str, incident_id: str):
        super().__init__(message)
        self.incident_id = incident_id


class UnresolvedIncident(CommandError):
    """Closing an incident whose resolution is not out (``force`` closes it anyway)."""


def parse_metrics(book: Playbook, pairs: list[str]) -> dict[str, bool | int | float]:
    """``NAME=VALUE`` strings -> typed values, checked against the playbook's metrics."""
    out: dict[str, bool | int | float] = {}
    names = [m.id for m in book.metrics]
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name or not raw.strip():
            raise CommandError(f"metric must be NAME=VALUE, got {pair!r}")
        metric = book.metric(name)
        if metric is None:
            known = ", ".join(names) or "none"
            raise CommandError(f"unknown metric {name!r} (this playbook has: {known})")
        try:
            out[name] = value_for_metric(metric, raw)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    return out


def start(
    store: Store,
    clock: Clock,
    actor: str,
    book: Playbook,
    title: str,
    metrics: Mapping[str, bool | int | float],
    detected_at: datetime | None = None,
    *,
    force: bool = False,
) -> Outcome:
    """Open an incident. A second open incident with the same title is refused
    (:class:`DuplicateIncident`) unless ``force``: two rooms for one outage split the team."""
    title = user_text(title, "the title", MAX_TITLE)
    now = clock.now()
    detected = detected_at or now
    if detected > now + timedelta(minutes=1):
        raise CommandError("the detection time is in the future")
    level = book.classify(metrics)
    if level is None:
        raise CommandError(
            "these metrics match no severity level of the playbook "
            "(give --metric values, or add a level with 'when: always')"
        )
    with store.write() as w:
        same = same_title(w.store, title)
        if same is not None and not force:
            raise DuplicateIncident(
                f"{same.id} \u201c{clean_line(same.title)}\u201d is already open "
                f"(work on it with --incident {same.id}; open a second one anyway with --force)",
                same.id,
            )
        w.pin_playbook(book)
        incident_id = w.new_incident(title, now)
        event_id = w.append(
            incident_id,
            now,
            actor,
            ev.STARTED,
            {
                "title": title,
                "playbook_sha": book.sha256,
                "playbook_source": book.source,
                "metrics": dict(metrics),
                "detected_at": to_iso(detected),
            },
        )
    return Outcome(incident_id, event_id, f"{incident_id} {level.title}: {title}")


def set_metrics(
    store: Store, clock: Clock, actor: str, incident_id: str, pairs: list[str]
) -> Outcome:
    if not pairs:
        raise CommandError("give at least one NAME=VALUE")
    with store.write() as w:
        s = open_state(w, incident_id)
        values = parse_metrics(s.book, pairs)
        merged = {**s.metrics, **values}
        level = s.book.classify(merged)
        if level is None:
            raise CommandError("with these values the metrics match no severity level")
        event_id = w.append(incident_id, clock.now(), actor, ev.METRICS, {"values": values})
    return Outcome(incident_id, event_id, f"severity {level.title}")


def add_note(store: Store, clock: Clock, actor: str, incident_id: str, text: str) -> Outcome:
    text = user_text(text, "the note", MAX_NOTE)
    with store.write() as w:
        open_state(w, incident_id)
        event_id = w.append(incident_id, clock.now(), actor, ev.NOTE, {"text": text})
    return Outcome(incident_id, event_id, "noted")


def reload_playbook(
    store: Store, clock: Clock, actor: str, incident_id: str, book: Playbook
) -> Outcome:
    with store.write() as w:
        s = open_state(w, incident_id)
        if book.sha256 == s.book.sha256:
            return Outcome(incident_id, None, "the playbook has not changed")
        missing = []
        if s.phase and book.phase(s.phase) is None:
            missing.append(f"the current phase {s.phase!r}")
        for role in s.roles:
            if book.role(role) is None:
                missing.append(f"the held role {role!r}")
        known_items = {i.id for p in book.phases for i in p.checklist}
        for item_id, st in s.items.items():
            if st.at is not None and item_id not in known_items:
                missing.append(f"the ticked item {item_id!r}")
        for name in s.metrics:
            if book.metric(name) is None:
                missing.append(f"the metric {name!r}")
        if missing:
            raise CommandError(
                "the new playbook drops what this incident uses: " + ", ".join(missing)
            )
        if book.classify(s.metrics) is None:
            raise CommandError("under the new playbook the metrics match no severity level")
        w.pin_playbook(book)
        event_id = w.append(
            incident_id,
            clock.now(),
            actor,
            ev.RELOADED,
            {"playbook_sha": book.sha256, "playbook_source": book.source},
        )
    return Outcome(incident_id, event_id, f"reloaded {book.name}")


def unresolved(s: IncidentState) -> tuple[str, str] | None:
    """Why the incident is not resolved yet, and what to do (None when it is resolved)."""
    if s.resolved_at is None:
        return (
            "no resolution was published",
            "publish it, or record one published by hand: warroom posted resolved",
        )
    ids = [p.id for p in s.phases()]
    fixing = [p.id for p in s.phases() if p.closes_with == "resolved"]
    if fixing and s.phase in ids and ids.index(s.phase) <= ids.index(fixing[-1]):
        current = s.current_phase()
        left = ", ".join(i.id for i in ev.open_items(s, current)) if current else ""
        return (
            f"the resolution is out but the checklist is still in {s.phase}"
            + (f" (open: {left})" if left else ""),
            "tick or skip its items, then: warroom phase next",
        )
    return None


def close(
    store: Store, clock: Clock, actor: str, incident_id: str, *, force: bool = False
) -> Outcome:
    """Close a resolved incident; an unresolved one only with ``force`` (recorded as such)."""
    with store.write() as w:
        s = open_state(w, incident_id)
        why = unresolved(s)
        if why is not None and not force:
            raise UnresolvedIncident(
                f"{incident_id} is not resolved: {why[0]} "
                f"({why[1]}; close it anyway: warroom close --force)"
            )
        data: dict[str, Any] = {"forced": True, "reason": why[0]} if why else {}
        event_id = w.append(incident_id, clock.now(), actor, ev.CLOSED, data)
    return Outcome(incident_id, event_id, f"closed {incident_id}")

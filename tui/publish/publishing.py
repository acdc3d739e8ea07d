"""What a publish sends where: the status page payload for each destination.

Pure functions of the incident state, the config and the message. The
confirmation screen shows exactly these payloads; the outbox stores them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from tui.core.config import Config, Destination
from tui.core.state import IncidentState
from tui.core.vocabulary import Purpose

# purposes that become an incident update on a status page; the post-mortem is
# attached to the incident (draft, then publish); amends are not an incident update
STATUS_PAGE_PURPOSES: Final[tuple[Purpose, ...]] = ("ack", "update", "resolved", "postmortem")
MAX_NAME = 255
MAX_BODY = 25_000


class PublishError(Exception):
    """A publish that cannot be built: one line."""


@dataclass(frozen=True, slots=True)
class Planned:
    destination: Destination
    payload: dict[str, Any]

    def summary(self) -> str:
        p = self.payload
        comps = ", ".join(f"{name}: {status}" for name, status in p["component_names"].items())
        notify = "subscribers notified" if p["notify"] else "no notifications"
        dest = self.destination
        page = f", page {dest.page_id}" if dest.page_id else ""
        return (
            f"{dest.id} ({dest.type}{page}): "
            f"status {p['status']}" + (f"; {comps}" if comps else "") + f"; {notify}"
        )


def status_for(state: IncidentState, purpose: str) -> str:
    if purpose == "ack":
        return "investigating"
    if purpose == "resolved":
        return "resolved"
    phase = state.current_phase()
    if phase and phase.status in ("identified", "monitoring"):
        return phase.status
    return "identified"


def component_status(state: IncidentState, purpose: str) -> str:
    if purpose == "resolved":
        return "operational"
    return "major_outage" if state.severity == "major" else "partial_outage"


def plan(
    state: IncidentState,
    config: Config,
    purpose: str,
    body: str,
    destinations: list[str] | None = None,
    *,
    incident_key: str,
    at: datetime,
    next_update_at: datetime | None = None,
) -> list[Planned]:
    """One payload per destination (all configured ones unless named).

    ``at``: the publish event's time (sent where a provider takes one, so an update
    that leaves the outbox late keeps its true time); ``next_update_at``: the promised
    next update, if any. Every payload carries ``purpose``, ``at``,
    ``next_update_at`` (ISO 8601 UTC with ``Z``, or None) and ``incident_title``.
    """
    if purpose not in STATUS_PAGE_PURPOSES:
        raise PublishError(
            f"a {purpose} message is not an incident update on a status page "
            f"({', '.join(STATUS_PAGE_PURPOSES)} are)"
        )
    if not config.destinations:
        where = config.source or "the config file (see warroom publish --help)"
        raise PublishError(f"no destinations configured in {where}")
    chosen: list[Destination] = []
    for dest_id in destinations or [d.id for d in config.destinations]:
        dest = config.destination(dest_id)
        if dest is None:
            known = ", ".join(d.id for d in config.destinations)
            raise PublishError(f"unknown destination {dest_id!r} (configured: {known})")
        if dest not in chosen:
            chosen.append(dest)
    text = body.strip()
    if not text:
        raise PublishError("the message is empty")
    if len(text) > MAX_BODY:
        raise PublishError(f"the message is {len(text)} characters; a status page takes {MAX_BODY}")
    common = {
        "purpose": purpose,
        "at": _iso_utc(at),
        "next_update_at": _iso_utc(next_update_at),
        "incident_title": state.title,
    }
    out = []
    for dest in chosen:
        if purpose == "postmortem":
            out.append(
                Planned(
                    dest,
                    {
                        "kind": "postmortem",
                        "name": state.title[:MAX_NAME],
                        "status": "resolved",
                        "body": text,
                        "components": {},
                        "component_names": {},
                        "notify": dest.notify_subscribers,
                        "incident_key": incident_key,
                        "started_at": _iso_utc(state.detected_at),
                        **common,
                    },
                )
            )
            continue
        comp_status = component_status(state, purpose)
        out.append(
            Planned(
                dest,
                {
                    "name": state.title[:MAX_NAME],
                    "status": status_for(state, purpose),
                    "body": text,
                    "components": {cid: comp_status for cid in dest.components.values()},
                    "component_names": {name: comp_status for name in dest.components},
                    "notify": dest.notify_subscribers,
                    "impact": "major" if state.severity == "major" else "minor",
                    "incident_key": incident_key,
                    "started_at": _iso_utc(state.detected_at),
                    **common,
                },
            )
        )
    return out


def _iso_utc(at: datetime | None) -> str | None:
    """``2026-11-27T00:02:00.000Z`` (the status page's form), None when unknown."""
    if at is None:
        return None
    from datetime import UTC

    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_PROMISE_AT = re.compile(
    r"(?:update|hear from us|post|back to you)[^.\n]{0,80}?\b(?:by|at|before|around)\s+"
    r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>[ap])\.?\s?m\b\.?|"
    r"(?:update|hear from us|post|back to you)[^.\n]{0,80}?\b(?:by|at|before|around)\s+"
    r"(?P<h24>\d{1,2}):(?P<m24>\d{2})\b",
    re.IGNORECASE,
)
_PROMISE_WITHIN = re.compile(
    r"(?:update|hear from us)[^.\n]{0,60}?\b(?:within|in)\s+(?:the\s+next\s+)?"
    r"(?P<n>\d{1,3}|an?|one)\s+(?P<unit>minutes?|mins?|hours?)",
    re.IGNORECASE,
)


def extract_promise(text: str, now: datetime, tz: str) -> datetime | None:
    """The next-update time a message promises ("by 2:45 PM", "within 30 minutes")."""
    from tui.core.clock import local, zone

    m = _PROMISE_AT.search(text)
    if m:
        if m.group("h") is not None:
            hour, minute = int(m.group("h")), int(m.group("m") or 0)
            if not 1 <= hour <= 12 or minute > 59:
                return None
            hour = hour % 12 + (12 if m.group("ampm").lower() == "p" else 0)
        else:
            hour, minute = int(m.group("h24")), int(m.group("m24"))
            if hour > 23 or minute > 59:
                return None
        here = local(now, tz)
        at = here.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if at <= here:
            at += timedelta(days=1)
        at = at.replace(tzinfo=None).replace(tzinfo=zone(tz))
        return at.astimezone(now.tzinfo)
    m = _PROMISE_WITHIN.search(text)
    if m:
        n = m.group("n").lower()
        count = 1 if n in ("a", "an", "one") else int(n)
        unit = 3600 if m.group("unit").lower().startswith("h") else 60
        if count <= 0:
            return None
        return now + timedelta(seconds=count * unit)
    return None

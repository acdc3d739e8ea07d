"""What the page says about itself: the overall status, its title, its times, its words.

Overall status (``status.indicator``), kept simple: the worst of the components'
(``major_outage`` → major; ``partial_outage``, ``degraded_performance`` → minor) and of the
unresolved incidents' (impact critical → critical, major → major, anything else → minor:
an open incident is never "All Systems Operational"). Description: none → "All Systems
Operational", minor → "Partial System Outage", major and critical → "Major System
Outage". (An incident's ``impact`` itself is computed by :mod:`tui.localpage.schema`.)

Times are written the way warroom writes them in customer messages, in the page's
(the customers') zone: ``Nov 26, 2026, 7:02 PM EST``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tui.core.textsafe import clean_line

LEVELS = ("none", "minor", "major", "critical")
_COMPONENT_LEVEL = {
    "degraded_performance": "minor",
    "partial_outage": "minor",
    "major_outage": "major",
}
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Partial System Outage",
    "major": "Major System Outage",
    "critical": "Major System Outage",
}
STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "operational": "Operational",
    "under_maintenance": "Under maintenance",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}


def page_status(
    components: Sequence[Mapping[str, Any]], unresolved: Sequence[Mapping[str, Any]]
) -> dict[str, str]:
    """``{"indicator", "description"}`` of the page (see the module docstring)."""
    levels = ["none"]
    levels += [_COMPONENT_LEVEL.get(c["status"], "none") for c in components]
    levels += [i["impact"] if i["impact"] in ("major", "critical") else "minor" for i in unresolved]
    indicator = max(levels, key=LEVELS.index)
    return {"indicator": indicator, "description": DESCRIPTIONS[indicator]}


def status_words(status: object) -> str:
    """``partial_outage`` → ``Partial outage``: a status as the page shows it."""
    return STATUS_WORDS.get(str(status), str(status).replace("_", " ").capitalize())


def page_title(name: str) -> str:
    """The page's title: its name, with "Status" added unless the name already says it
    ("Acme Cloud Status" stays as it is, never "Acme Cloud Status status"; "Acme" becomes
    "Acme Status")."""
    name = " ".join(clean_line(name or "").split()) or "Status"
    return name if "status" in re.findall(r"\w+", name.casefold()) else f"{name} Status"


def wall_time(t: datetime) -> str:
    """``Nov 30, 2026, 7:02 PM EST``: 12-hour clock and the zone's abbreviation, the way
    warroom writes times in customer messages."""
    clock = t.strftime("%I:%M %p").lstrip("0")
    return f"{t.strftime('%b')} {t.day}, {t.year}, {clock} {t.tzname() or ''}".rstrip()


def started_at(incident: Mapping[str, Any]) -> str | None:
    """When the incident began, if the publisher said so: ``metadata.warroom.started_at``
    (ISO 8601 with an offset, not after the incident was posted). Statuspage has no field
    for it; without it the page shows when the incident was first posted."""
    meta = incident.get("metadata")
    ours = meta.get("warroom") if isinstance(meta, Mapping) else None
    value = ours.get("started_at") if isinstance(ours, Mapping) else None
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
        posted = datetime.fromisoformat(str(incident["created_at"]).replace("Z", "+00:00"))
    except (ValueError, KeyError):
        return None
    if t.tzinfo is None or t > posted:
        return None
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""The report written out: Markdown, a standalone HTML page, or JSON.

:func:`render` fills the playbook's ``postmortem.doc.md.j2`` / ``postmortem.html.j2``
templates in the one bounded, contained sandbox of :mod:`tui.core.templating` (a hostile
template ends with a :class:`~tui.amends.postmortem.report.PostmortemError`, never a hang).
The HTML template autoescapes, so whatever people typed shows as text; in Markdown, which
passes raw HTML through to whoever renders it (a status page), ``<``, ``>`` and ``&`` in
every printed value are written as entities. JSON is :func:`as_dict`: datetimes as ISO
8601 with the offset of the customers' zone. Jinja2 is imported on first render only.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from tui.amends.postmortem.report import PostmortemError, Report
from tui.core.clock import local
from tui.core.textsafe import clean_line

FORMATS: Final = ("md", "html", "json")
TEMPLATES: Final = {"md": "postmortem.doc.md.j2", "html": "postmortem.html.j2"}


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


# --------------------------------------------------------------------------- template filters


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


def _md_literal(value: Any) -> Any:
    """A printed value as Markdown text: ``&``, ``<`` and ``>`` as entities."""
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


_FILTERS: Final = (("day", _day), ("cell", _cell), ("sentence", _sentence_case), ("iso", _iso))


def render(report: Report, fmt: str, template_dirs: list[Path]) -> str:
    """The report as ``md``, ``html`` or ``json``; PostmortemError on any problem."""
    if fmt == "json":
        return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
    if fmt not in TEMPLATES:
        raise PostmortemError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    from tui.core.templating import playbook_environment
    from tui.publish.drafting import render_file

    html = fmt == "html"
    env = playbook_environment(
        tuple(Path(d) for d in template_dirs),
        autoescape=html,
        finalize=None if html else _md_literal,
        filters=_FILTERS,
    )
    return render_file(env, TEMPLATES[fmt], {"report": report}, PostmortemError)

"""The impact in numbers: what the outage cost customers, one plain sentence per fact.

In this order: how long it lasted; each metric (its worst and its final value when they
differ); the highest severity (and the one it opened with); the deepest queue per support
channel; the messages published, counted by purpose; and how many promised update times
were kept (the late and the missing ones said). Pure: the state, the history and the
promise checks decide.
"""

from __future__ import annotations

from tui.amends.postmortem.promises import PromiseCheck
from tui.amends.postmortem.timeline import History
from tui.amends.postmortem.words import (
    PUBLISHED_COUNT,
    join,
    metric_title,
    metric_value,
    minutes,
)
from tui.core.clock import wall
from tui.core.state import IncidentState
from tui.core.vocabulary import PUBLISH_PURPOSES


def impact_lines(
    s: IncidentState, h: History, promises: list[PromiseCheck], duration: str, end: str | None
) -> list[str]:
    """The impact section, one sentence per line."""
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
        title = metric_title(book, name)
        if peak != final:
            lines.append(
                f"{title}: {metric_value(book, name, peak)} at the worst, "
                f"{metric_value(book, name, final)} at the end."
            )
        else:
            lines.append(f"{title}: {metric_value(book, name, final)}.")
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
    lines.append(_published(s))
    judged = [p for p in promises if p.status != "not due yet"]
    if judged:
        kept = sum(p.on_time for p in judged)
        misses = []
        late = [p for p in judged if p.status == "late"]
        never = [p for p in judged if p.status == "never came"]
        if len(late) == 1:
            misses.append(f"one came {minutes(late[0].minutes_late)} late")
        elif late:
            worst = max(p.minutes_late for p in late)
            misses.append(f"{len(late)} came late, by up to {minutes(worst)}")
        if never:
            misses.append("one never came" if len(never) == 1 else f"{len(never)} never came")
        tail = f"; {join(misses)}" if misses else ""
        lines.append(f"Promised update times kept: {kept} of {len(judged)}{tail}.")
    return lines


def _published(s: IncidentState) -> str:
    """``Updates published: 4 (the acknowledgement, 2 updates and ...).``"""
    counts: dict[str, int] = {}
    for u in s.updates:
        counts[u.purpose] = counts.get(u.purpose, 0) + 1
    if not counts:
        return "Updates published: none yet."
    parts = []
    for purpose in PUBLISH_PURPOSES:
        n = counts.get(purpose, 0)
        if n:
            one, many = PUBLISHED_COUNT[purpose]
            parts.append(one if n == 1 else many.format(n=n))
    total = sum(counts.values())
    return f"Updates published: {total} ({join(parts)})."

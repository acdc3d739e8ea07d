"""The words of the timeline's sentences: titles from the playbook, values, purposes.

Shared by the fold (:mod:`tui.core.state.projection`) and its queue part
(:mod:`tui.core.state.queuefold`); pure functions of the state's playbook.
"""

from __future__ import annotations

from typing import Any

from tui.core.state.incident import IncidentState

PURPOSE_WORDS = {  # a message by its purpose, in mid-sentence
    "ack": "the acknowledgement",
    "update": "an update",
    "resolved": "the resolution announcement",
    "postmortem": "the post-mortem",
    "amends": "the amends message",
}


def fmt_value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def metric_title(s: IncidentState, name: str) -> str:
    metric = s.book.metric(name)
    return metric.title if metric else name


def role_title(s: IncidentState, role: str) -> str:
    r = s.book.role(role)
    return r.title.lower() if r else role


def channel_title(s: IncidentState, channel_id: str) -> str:
    ch = next((c for c in s.book.channels if c.id == channel_id), None)
    if ch is None:
        return channel_id
    # in mid-sentence: "in live chat", but "Social media DMs" keeps its acronym
    words = [w if w[1:2].isupper() else w[:1].lower() + w[1:] for w in ch.title.split(" ")]
    return " ".join(words)


def action_text(s: IncidentState, channel_id: str, action_id: str) -> str:
    ch = next((c for c in s.book.channels if c.id == channel_id), None)
    action = next((a for a in ch.actions if a.id == action_id), None) if ch else None
    return action.text if action else action_id

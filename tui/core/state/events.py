"""The event log's vocabulary: every kind of event, the data each carries, and :class:`Event`.

An event is a fact someone recorded (who, when, what); the log only grows. Each kind
below is a string stored in the ``events.kind`` column, so a kind is never renamed:
the store refuses an unknown kind (:data:`KINDS`) rather than log something the fold
would only show as "recorded ...".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The kinds of event, and the data each carries.
STARTED = "incident.started"  # title, playbook_sha, playbook_source, metrics, detected_at
RELOADED = "playbook.reloaded"  # playbook_sha, playbook_source
METRICS = "metrics.set"  # values {name: value}
CHECKED = "checklist.checked"  # item; by_event, purpose when a published message ticked it
UNCHECKED = "checklist.unchecked"  # item (also clears a skip)
SKIPPED = "checklist.skipped"  # item, reason; forced: true when `phase next --force` left it open
ASSIGNED = "role.assigned"  # role, user
RELEASED = "role.released"  # role
ADVANCED = "phase.advanced"  # from, to
PUBLISHED = "update.published"  # purpose, promised_next_at, via, note
NOTE = "note.added"  # text
CLOSED = "incident.closed"  # (nothing)
QUEUE = "channel.counts"  # channel, depth, oldest_since (ISO or null)
ACTION = "channel.action"  # channel, action, on
DRAFT = "draft.saved"  # purpose, text, session; aside: kept as a version, not the draft
DRAFT_HELD = "draft.held"  # session, from, from_session: one editor of the draft at a time
DRAFT_RELEASED = "draft.released"  # session
# publish.requested also carries notify: {destination id: bool}, chosen on the confirm screen
REQUESTED = "publish.requested"  # request_id, purpose, body, destinations, promised_next_at, role
APPROVED = "publish.approved"  # request_id
REJECTED = "publish.rejected"  # request_id, reason
DELIVERY_SENT = "delivery.sent"  # outbox_id, destination, purpose, provider_ref
DELIVERY_FAILED = "delivery.failed"  # outbox_id, destination, purpose, error
DELIVERY_RETRIED = "delivery.retried"  # outbox_id, destination, purpose
DELIVERY_CANCELLED = "delivery.cancelled"  # outbox_id, destination, purpose
PM_EDITED = "postmortem.edited"  # field (summary|root_cause|trigger|why), text
PM_ACTION = "postmortem.action"  # id, action, owner, due (YYYY-MM-DD or ""), status
# a person copied (or printed) a channel's canned reply; based_on: the publish event it
# was rendered from (a newer published update makes that reply outdated)
REPLY_COPIED = "reply.copied"  # channel, based_on (event id or null), how (tmux|osc52|file|print)
PM_FIELDS = ("summary", "root_cause", "trigger", "why")
ACTION_STATUSES = ("open", "in progress", "done")

KINDS = (
    STARTED,
    RELOADED,
    METRICS,
    CHECKED,
    UNCHECKED,
    SKIPPED,
    ASSIGNED,
    RELEASED,
    ADVANCED,
    PUBLISHED,
    NOTE,
    CLOSED,
    QUEUE,
    ACTION,
    DRAFT,
    DRAFT_HELD,
    DRAFT_RELEASED,
    REQUESTED,
    APPROVED,
    REJECTED,
    DELIVERY_SENT,
    DELIVERY_FAILED,
    DELIVERY_RETRIED,
    DELIVERY_CANCELLED,
    PM_EDITED,
    PM_ACTION,
    REPLY_COPIED,
)
# Kinds kept out of the human timeline (they still are events, with who and when).
QUIET = frozenset({DRAFT, DRAFT_HELD, DRAFT_RELEASED, PM_EDITED})


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    incident_id: str
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]

"""Incident state as a pure fold of the event log.

``Projector.apply`` folds one event at a time, so a dashboard applies only the
events it has not seen yet (``WHERE id > last_seen``); folding in one pass and
in any split gives the same state. Nothing here reads the clock: what depends
on *now* (time left, LATE, missed deadlines) is computed by :func:`view`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from tui.core.clock import parse_instant, wall
from tui.core.durations import format_duration
from tui.core.playbook import Cadence, Phase, Playbook

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
REQUESTED = "publish.requested"  # request_id, purpose, body, destinations, promised_next_at, role
APPROVED = "publish.approved"  # request_id
REJECTED = "publish.rejected"  # request_id, reason
DELIVERY_SENT = "delivery.sent"  # outbox_id, destination, purpose, provider_ref
DELIVERY_FAILED = "delivery.failed"  # outbox_id, destination, purpose, error
DELIVERY_RETRIED = "delivery.retried"  # outbox_id, destination, purpose
DELIVERY_CANCELLED = "delivery.cancelled"  # outbox_id, destination, purpose
PM_EDITED = "postmortem.edited"  # field (summary|root_cause|trigger|why), text
PM_ACTION = "postmortem.action"  # id, action, owner, due (YYYY-MM-DD or ""), status
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


@dataclass(slots=True)
class ItemState:
    done: bool = False
    by: str | None = None
    at: datetime | None = None
    skipped: bool = False  # explicitly not done, with a reason (an event)
    reason: str = ""  # why it was skipped ("forced" when someone moved on with it open)
    by_event: int | None = None  # the published message that ticked it

    @property
    def complete(self) -> bool:
        """Done, or explicitly skipped: what a phase needs of each item before it is over."""
        return self.done or self.skipped

    def copy(self) -> ItemState:
        return ItemState(self.done, self.by, self.at, self.skipped, self.reason, self.by_event)


@dataclass(frozen=True, slots=True)
class PublishedUpdate:
    event_id: int
    at: datetime
    actor: str
    purpose: str
    promised_next_at: datetime | None
    via: str
    note: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    event_id: int
    at: datetime
    actor: str
    kind: str
    text: str

    @property
    def quiet(self) -> bool:
        return self.kind in QUIET


@dataclass(slots=True)
class ChannelState:
    depth: int | None = None
    oldest_since: datetime | None = None
    updated_at: datetime | None = None
    by: str | None = None
    baseline: int | None = None  # the depth when the last update was published
    actions: dict[str, bool] = field(default_factory=dict)

    def trend(self) -> int | None:
        if self.depth is None or self.baseline is None:
            return None
        return self.depth - self.baseline


@dataclass(slots=True)
class PublishRequest:
    request_id: str
    purpose: str
    body: str
    destinations: list[str]
    promised_next_at: datetime | None
    role: str
    by: str
    at: datetime
    status: str = "pending"  # pending | approved | rejected
    decided_by: str | None = None


@dataclass(frozen=True, slots=True)
class RemedialAction:
    id: str
    action: str
    owner: str
    due: str  # YYYY-MM-DD, or "" when not set
    status: str  # open | in progress | done


@dataclass(slots=True)
class Postmortem:
    """What people write for the post-mortem; the timeline and metrics come from the log."""

    summary: str = ""
    root_cause: str = ""
    trigger: str = ""
    why: str = ""
    actions: dict[str, RemedialAction] = field(default_factory=dict)
    edited_by: str | None = None
    edited_at: datetime | None = None

    def copy(self) -> Postmortem:
        return Postmortem(
            self.summary,
            self.root_cause,
            self.trigger,
            self.why,
            dict(self.actions),
            self.edited_by,
            self.edited_at,
        )


@dataclass(frozen=True, slots=True)
class Draft:
    purpose: str
    text: str
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class DraftVersion:
    """Every saved text of a draft, numbered per message: nothing typed can vanish."""

    purpose: str
    number: int
    text: str
    by: str
    at: datetime
    aside: bool  # saved while someone else held the draft: kept, not made the draft


@dataclass(frozen=True, slots=True)
class DraftHold:
    """Who edits the draft (one dashboard session at a time); the others read it live."""

    actor: str
    session: str
    at: datetime
    from_actor: str | None = None  # taken over from (None: the draft was free)
    from_session: str | None = None
    fresh: bool = True  # the holder has saved nothing since taking it


@dataclass(slots=True)
class IncidentState:
    id: str
    title: str = ""
    playbook: Playbook | None = None
    detected_at: datetime | None = None
    started_at: datetime | None = None
    started_by: str = ""
    metrics: dict[str, bool | int | float] = field(default_factory=dict)
    severity: str | None = None
    protocol: str | None = None
    phase: str | None = None
    phase_entered: dict[str, datetime] = field(default_factory=dict)
    phase_left: dict[str, datetime] = field(default_factory=dict)
    items: dict[str, ItemState] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    updates: list[PublishedUpdate] = field(default_factory=list)
    channels: dict[str, ChannelState] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    draft_versions: dict[str, list[DraftVersion]] = field(default_factory=dict)
    draft_hold: DraftHold | None = None
    requests: dict[str, PublishRequest] = field(default_factory=dict)
    # outbox id -> (state, destination, provider ref or error)
    deliveries: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    postmortem: Postmortem = field(default_factory=Postmortem)
    notes: int = 0
    closed_at: datetime | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    last_event_id: int = 0

    def snapshot(self) -> IncidentState:
        """A copy the UI thread may keep while the poller folds on (entries are immutable)."""
        return IncidentState(
            id=self.id,
            title=self.title,
            playbook=self.playbook,
            detected_at=self.detected_at,
            started_at=self.started_at,
            started_by=self.started_by,
            metrics=dict(self.metrics),
            severity=self.severity,
            protocol=self.protocol,
            phase=self.phase,
            phase_entered=dict(self.phase_entered),
            phase_left=dict(self.phase_left),
            items={k: v.copy() for k, v in self.items.items()},
            roles=dict(self.roles),
            updates=list(self.updates),
            channels={
                k: ChannelState(
                    v.depth, v.oldest_since, v.updated_at, v.by, v.baseline, dict(v.actions)
                )
                for k, v in self.channels.items()
            },
            drafts=dict(self.drafts),
            draft_versions={k: list(v) for k, v in self.draft_versions.items()},
            draft_hold=self.draft_hold,
            requests={
                k: PublishRequest(
                    v.request_id,
                    v.purpose,
                    v.body,
                    list(v.destinations),
                    v.promised_next_at,
                    v.role,
                    v.by,
                    v.at,
                    v.status,
                    v.decided_by,
                )
                for k, v in self.requests.items()
            },
            deliveries=dict(self.deliveries),
            postmortem=self.postmortem.copy(),
            notes=self.notes,
            closed_at=self.closed_at,
            timeline=list(self.timeline),
            last_event_id=self.last_event_id,
        )

    def next_purpose(self) -> str:
        """The message the team owes customers next, from the phase and what was published."""
        published = {u.purpose for u in self.updates}
        if "resolved" in published:
            return "postmortem" if "postmortem" not in published else "amends"
        if "ack" not in published:
            return "ack"
        phase = self.current_phase()
        if (
            phase
            and phase.closes_with in ("resolved", "postmortem", "amends")
            and (phase.cadence is None)
        ):
            return "resolved"
        return "update"

    # convenience ---------------------------------------------------------
    @property
    def book(self) -> Playbook:
        assert self.playbook is not None, "incident has not started"
        return self.playbook

    @property
    def severity_title(self) -> str:
        level = self.book.level(self.severity or "")
        return level.title if level else (self.severity or "?")

    def phases(self) -> tuple[Phase, ...]:
        return self.book.protocol_phases(self.protocol or "")

    def current_phase(self) -> Phase | None:
        return self.book.phase(self.phase or "")

    def next_phase(self) -> Phase | None:
        phases = self.phases()
        ids = [p.id for p in phases]
        if self.phase not in ids:
            return None
        i = ids.index(self.phase)
        return phases[i + 1] if i + 1 < len(phases) else None

    @property
    def resolved_at(self) -> datetime | None:
        return next((u.at for u in self.updates if u.purpose == "resolved"), None)


PlaybookResolver = Callable[[str, str], Playbook]

# Queue counts by one person on one channel, each within this long of the previous
# one, are one timeline line ("counted 47 waiting in Tickets (40 → 47)").
QUEUE_FOLD_WITHIN = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class _QueueRun:
    channel: str
    actor: str
    first_depth: int | None
    last_at: datetime
    last_event_id: int


class Projector:
    """Folds events into an IncidentState, one at a time, in id order."""

    def __init__(self, incident_id: str, playbooks: PlaybookResolver):
        self.state = IncidentState(id=incident_id)
        self._playbooks = playbooks
        self._queue_run: _QueueRun | None = None  # the +/- presses being folded into one line

    def apply_all(self, events: Iterable[Event]) -> IncidentState:
        for event in events:
            self.apply(event)
        return self.state

    def apply(self, e: Event) -> None:
        s = self.state
        if e.id <= s.last_event_id:
            return  # already folded: applying the same event twice changes nothing
        handler = _HANDLERS.get(e.kind)
        text = handler(self, e) if handler else f"recorded {e.kind}"
        s.last_event_id = e.id
        s.timeline.append(TimelineEntry(e.id, e.at, e.actor, e.kind, text))

    # handlers: each changes the state and returns the timeline sentence ----
    def _started(self, e: Event) -> str:
        s, d = self.state, e.data
        s.title = d["title"]
        s.playbook = self._playbooks(d["playbook_sha"], d.get("playbook_source", ""))
        s.detected_at = parse_instant(d["detected_at"]) if d.get("detected_at") else e.at
        s.started_at = e.at
        s.started_by = e.actor
        s.metrics = dict(d.get("metrics", {}))
        self._classify()
        phases = s.phases()
        if phases:
            s.phase = phases[0].id
            s.phase_entered[s.phase] = s.detected_at
        for item in s.book.items(s.protocol or ""):
            s.items.setdefault(item.id, ItemState())
        self._init_channels()
        metrics = ", ".join(f"{k}={_fmt_value(v)}" for k, v in s.metrics.items())
        return (
            f"{e.actor} opened {s.id} \u201c{s.title}\u201d as {s.severity_title}"
            + (f" ({metrics})" if metrics else "")
            + f" with the playbook \u201c{s.book.name}\u201d"
        )

    def _reloaded(self, e: Event) -> str:
        s = self.state
        s.playbook = self._playbooks(e.data["playbook_sha"], e.data.get("playbook_source", ""))
        before = s.severity_title
        self._classify()
        for item in s.book.items(s.protocol or ""):
            s.items.setdefault(item.id, ItemState())
        self._init_channels()
        after = s.severity_title
        change = f"; severity {before} \u2192 {after}" if before != after else ""
        return f"{e.actor} reloaded the playbook \u201c{s.book.name}\u201d{change}"

    def _metrics(self, e: Event) -> str:
        s = self.state
        before = s.severity_title
        s.metrics.update(e.data["values"])
        self._classify(at=e.at)
        after = s.severity_title
        values = ", ".join(
            f"{_metric_title(s, k)} = {_fmt_value(v)}" for k, v in e.data["values"].items()
        )
        change = f"; severity {before} \u2192 {after}" if before != after else ""
        return f"{e.actor} reported {values}{change}"

    def _checked(self, e: Event) -> str:
        item = self.state.items.setdefault(e.data["item"], ItemState())
        item.done, item.by, item.at = True, e.actor, e.at
        item.skipped, item.reason = False, ""
        item.by_event = e.data.get("by_event")
        text = f"\u201c{item_text(self.state, e.data['item'])}\u201d"
        if item.by_event is not None:
            what = _PURPOSE_WORDS.get(e.data.get("purpose", ""), "a message")
            return f"{text} was ticked by publishing {what} (#{item.by_event})"
        return f"{e.actor} ticked {text}"

    def _unchecked(self, e: Event) -> str:
        item = self.state.items.setdefault(e.data["item"], ItemState())
        was_skipped = item.skipped and not item.done
        item.done, item.by, item.at = False, e.actor, e.at
        item.skipped, item.reason, item.by_event = False, "", None
        word = "took back the skip of" if was_skipped else "unticked"
        return f"{e.actor} {word} \u201c{item_text(self.state, e.data['item'])}\u201d"

    def _skipped(self, e: Event) -> str:
        item = self.state.items.setdefault(e.data["item"], ItemState())
        item.done, item.by, item.at, item.by_event = False, e.actor, e.at, None
        item.skipped, item.reason = True, e.data.get("reason", "")
        text = f"{e.actor} skipped \u201c{item_text(self.state, e.data['item'])}\u201d"
        if e.data.get("forced"):
            return text + " (moved on with it open: forced)"
        return text + f": {item.reason}"

    def _assigned(self, e: Event) -> str:
        role, user = e.data["role"], e.data["user"]
        self.state.roles[role] = user
        if user == e.actor:
            return f"{user} took the role of {_role_title(self.state, role)}"
        return f"{e.actor} made {user} {_role_title(self.state, role)}"

    def _released(self, e: Event) -> str:
        user = self.state.roles.pop(e.data["role"], None)
        who = f"{user} is no longer" if user else "nobody is"
        return f"{e.actor}: {who} {_role_title(self.state, e.data['role'])}"

    def _advanced(self, e: Event) -> str:
        s = self.state
        old, new = s.phase, e.data["to"]
        if old:
            s.phase_left[old] = e.at
        s.phase = new
        s.phase_entered.setdefault(new, e.at)
        phase = s.book.phase(new)
        text = (
            f"{e.actor} moved the incident to the phase \u201c{phase.title if phase else new}\u201d"
        )
        if e.data.get("after"):
            text += f" after publishing {_PURPOSE_WORDS.get(e.data['after'], e.data['after'])}"
        return text + (" (forced)" if e.data.get("forced") else "")

    def _published(self, e: Event) -> str:
        s, d = self.state, e.data
        promised = parse_instant(d["promised_next_at"]) if d.get("promised_next_at") else None
        update = PublishedUpdate(
            e.id, e.at, e.actor, d["purpose"], promised, d.get("via", "manual"), d.get("note", "")
        )
        s.updates.append(update)
        s.drafts.pop(update.purpose, None)  # the draft became the message: start afresh
        for ch in s.channels.values():
            ch.baseline = ch.depth
        what = _PURPOSE_WORDS.get(update.purpose, update.purpose)
        where = f" to {update.via}" if update.via != "manual" else " (by hand)"
        text = f"{e.actor} published {what}{where}"
        if promised:
            text += f", promising the next update by {wall(promised, s.book.timezone)}"
        if update.note:
            text += f": {update.note}"
        return text

    def _note(self, e: Event) -> str:
        self.state.notes += 1
        return f"{e.actor} noted: {e.data['text']}"

    def _queue(self, e: Event) -> str:
        s, d = self.state, e.data
        ch = s.channels.setdefault(d["channel"], ChannelState())
        ch.depth = d["depth"]
        ch.oldest_since = parse_instant(d["oldest_since"]) if d.get("oldest_since") else None
        ch.updated_at, ch.by = e.at, e.actor
        if ch.baseline is None:
            ch.baseline = ch.depth
        text = f"{e.actor} counted {ch.depth} waiting in {_channel_title(s, d['channel'])}"
        run = self._queue_run
        if (
            run is not None
            and s.timeline
            and s.timeline[-1].event_id == run.last_event_id
            and (run.channel, run.actor) == (d["channel"], e.actor)
            and timedelta(0) <= e.at - run.last_at <= QUEUE_FOLD_WITHIN
        ):
            # the same person counting the same queue again, moments later (+ + + -):
            # one line "... (40 → 47)" replaces the last; the event log keeps every event
            s.timeline.pop()
            run = _QueueRun(run.channel, run.actor, run.first_depth, e.at, e.id)
            text += f" ({run.first_depth} → {ch.depth})"
        else:
            run = _QueueRun(d["channel"], e.actor, ch.depth, e.at, e.id)
        self._queue_run = run
        if ch.oldest_since:
            text += f", the oldest for {format_duration(e.at - ch.oldest_since)}"
        return text

    def _action(self, e: Event) -> str:
        s, d = self.state, e.data
        ch = s.channels.setdefault(d["channel"], ChannelState())
        ch.actions[d["action"]] = bool(d["on"])
        word = "turned on" if d["on"] else "turned off"
        return (
            f"{e.actor} {word} “{_action_text(s, d['channel'], d['action'])}” "
            f"for {_channel_title(s, d['channel'])}"
        )

    def _draft(self, e: Event) -> str:
        s, d = self.state, e.data
        versions = s.draft_versions.setdefault(d["purpose"], [])
        aside = bool(d.get("aside"))
        versions.append(
            DraftVersion(d["purpose"], len(versions) + 1, d["text"], e.actor, e.at, aside)
        )
        if not aside:
            s.drafts[d["purpose"]] = Draft(d["purpose"], d["text"], e.actor, e.at)
        hold = s.draft_hold
        if hold is not None and hold.fresh and d.get("session") == hold.session:
            s.draft_hold = replace(hold, fresh=False)
        word = "acknowledgement" if d["purpose"] == "ack" else d["purpose"]
        if aside:
            return f"{e.actor}'s {word} draft was kept as version {len(versions)}"
        return f"{e.actor} saved the {word} draft"

    def _draft_held(self, e: Event) -> str:
        s, d = self.state, e.data
        s.draft_hold = DraftHold(
            e.actor, d["session"], e.at, d.get("from") or None, d.get("from_session") or None
        )
        if d.get("from"):
            return f"{e.actor} took the draft over from {d['from']}"
        return f"{e.actor} is editing the draft"

    def _draft_released(self, e: Event) -> str:
        s = self.state
        if s.draft_hold is not None and s.draft_hold.session == e.data["session"]:
            s.draft_hold = None
        return f"{e.actor} stopped editing the draft"

    def _requested(self, e: Event) -> str:
        d = e.data
        promised = parse_instant(d["promised_next_at"]) if d.get("promised_next_at") else None
        self.state.requests[d["request_id"]] = PublishRequest(
            d["request_id"],
            d["purpose"],
            d["body"],
            list(d.get("destinations", [])),
            promised,
            d["role"],
            e.actor,
            e.at,
        )
        what = _PURPOSE_WORDS.get(d["purpose"], d["purpose"])
        return f"{e.actor} asked the {_role_title(self.state, d['role'])} to approve {what}"

    def _decided(self, e: Event) -> str:
        req = self.state.requests.get(e.data["request_id"])
        approved = e.kind == APPROVED
        if req is not None:
            req.status = "approved" if approved else "rejected"
            req.decided_by = e.actor
        what = _PURPOSE_WORDS.get(req.purpose, "a message") if req else "a message"
        if approved:
            return f"{e.actor} approved {what} by {req.by if req else '?'}"
        reason = e.data.get("reason")
        return f"{e.actor} sent back {what}" + (f": {reason}" if reason else "")

    def _delivery(self, e: Event) -> str:
        d = e.data
        what = _PURPOSE_WORDS.get(d.get("purpose", ""), "the message")
        dest = d.get("destination", "?")
        if e.kind == DELIVERY_SENT:
            self.state.deliveries[d["outbox_id"]] = ("sent", dest, d.get("provider_ref", ""))
            return f"{what[0].upper()}{what[1:]} reached {dest}"
        if e.kind == DELIVERY_FAILED:
            self.state.deliveries[d["outbox_id"]] = ("failed", dest, d.get("error", ""))
            return f"Delivery of {what} to {dest} failed: {d.get('error', '?')}"
        if e.kind == DELIVERY_RETRIED:
            self.state.deliveries[d["outbox_id"]] = ("pending", dest, "")
            return f"{e.actor} retried the delivery of {what} to {dest}"
        self.state.deliveries[d["outbox_id"]] = ("cancelled", dest, "")
        return f"{e.actor} cancelled the delivery of {what} to {dest}"

    def _pm_edited(self, e: Event) -> str:
        pm = self.state.postmortem
        setattr(pm, e.data["field"], e.data["text"])
        pm.edited_by, pm.edited_at = e.actor, e.at
        return f"{e.actor} edited the post-mortem's {e.data['field'].replace('_', ' ')}"

    def _pm_action(self, e: Event) -> str:
        d = e.data
        pm = self.state.postmortem
        new = d["id"] not in pm.actions
        pm.actions[d["id"]] = RemedialAction(
            d["id"], d["action"], d.get("owner", ""), d.get("due", ""), d.get("status", "open")
        )
        pm.edited_by, pm.edited_at = e.actor, e.at
        if new:
            return f"{e.actor} added the remedial action \u201c{d['action']}\u201d"
        return f"{e.actor} marked the remedial action \u201c{d['action']}\u201d {d['status']}"

    def _init_channels(self) -> None:
        s = self.state
        for channel in s.book.channels:
            ch = s.channels.setdefault(channel.id, ChannelState())
            for action in channel.actions:
                ch.actions.setdefault(action.id, action.default)

    def _closed(self, e: Event) -> str:
        s = self.state
        s.closed_at = e.at
        if s.phase:
            s.phase_left.setdefault(s.phase, e.at)
        if e.data.get("forced"):
            why = e.data.get("reason") or "it was not resolved"
            return f"{e.actor} closed {s.id} although {why} (forced)"
        return f"{e.actor} closed {s.id}"

    # derived --------------------------------------------------------------
    def _classify(self, at: datetime | None = None) -> None:
        s = self.state
        level = s.book.classify(s.metrics)
        if level is None:
            return  # commands refuse metrics that match no level; keep the last one
        s.severity = level.id
        if s.protocol == level.protocol:
            return
        s.protocol = level.protocol
        ids = [p.id for p in s.phases()]
        if s.phase is not None and s.phase not in ids:
            # the new protocol skips the current phase: move to the next one it has
            order = [p.id for p in s.book.phases]
            later = [p for p in ids if order.index(p) > order.index(s.phase)]
            if later:
                s.phase_left[s.phase] = at or s.started_at or s.detected_at  # type: ignore[assignment]
                s.phase = later[0]
                s.phase_entered.setdefault(later[0], at or s.started_at)  # type: ignore[arg-type]
        for item in s.book.items(s.protocol):
            s.items.setdefault(item.id, ItemState())


_HANDLERS: dict[str, Callable[[Projector, Event], str]] = {
    STARTED: Projector._started,
    RELOADED: Projector._reloaded,
    METRICS: Projector._metrics,
    CHECKED: Projector._checked,
    UNCHECKED: Projector._unchecked,
    SKIPPED: Projector._skipped,
    ASSIGNED: Projector._assigned,
    RELEASED: Projector._released,
    ADVANCED: Projector._advanced,
    PUBLISHED: Projector._published,
    NOTE: Projector._note,
    CLOSED: Projector._closed,
    QUEUE: Projector._queue,
    ACTION: Projector._action,
    DRAFT: Projector._draft,
    DRAFT_HELD: Projector._draft_held,
    DRAFT_RELEASED: Projector._draft_released,
    REQUESTED: Projector._requested,
    APPROVED: Projector._decided,
    REJECTED: Projector._decided,
    DELIVERY_SENT: Projector._delivery,
    DELIVERY_FAILED: Projector._delivery,
    DELIVERY_RETRIED: Projector._delivery,
    DELIVERY_CANCELLED: Projector._delivery,
    PM_EDITED: Projector._pm_edited,
    PM_ACTION: Projector._pm_action,
}

_PURPOSE_WORDS = {
    "ack": "the acknowledgement",
    "update": "an update",
    "resolved": "the resolution announcement",
    "postmortem": "the post-mortem",
    "amends": "the amends message",
}


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _metric_title(s: IncidentState, name: str) -> str:
    metric = s.book.metric(name)
    return metric.title if metric else name


def _role_title(s: IncidentState, role: str) -> str:
    r = s.book.role(role)
    return r.title.lower() if r else role


def _channel_title(s: IncidentState, channel_id: str) -> str:
    ch = next((c for c in s.book.channels if c.id == channel_id), None)
    return ch.title.lower() if ch else channel_id


def _action_text(s: IncidentState, channel_id: str, action_id: str) -> str:
    ch = next((c for c in s.book.channels if c.id == channel_id), None)
    action = next((a for a in ch.actions if a.id == action_id), None) if ch else None
    return action.text if action else action_id


_ITEM_TEXTS: dict[str, dict[str, str]] = {}


def item_text(s: IncidentState, item_id: str) -> str:
    book = s.book
    texts = _ITEM_TEXTS.get(book.sha256)
    if texts is None:
        texts = {i.id: i.text for p in book.phases for i in p.checklist}
        _ITEM_TEXTS[book.sha256] = texts
    return texts.get(item_id, item_id)


# --------------------------------------------------------------------------- the view at *now*


@dataclass(frozen=True, slots=True)
class Due:
    at: datetime
    reason: str
    seconds_left: int
    state: str  # "on track" | "due soon" | "LATE"

    @property
    def overdue(self) -> bool:
        return self.state == "LATE"


@dataclass(frozen=True, slots=True)
class PhaseView:
    phase: Phase
    state: str  # "done" | "current" | "upcoming"
    deadline_at: datetime | None
    met_at: datetime | None
    missed: bool
    open_items: tuple[str, ...] = ()  # items neither ticked nor skipped


def open_items(s: IncidentState, phase: Phase) -> list:
    """The phase's checklist items neither ticked nor explicitly skipped."""
    return [i for i in phase.checklist if not (s.items.get(i.id) or ItemState()).complete]


def cadence_at(s: IncidentState) -> Cadence | None:
    """The cadence in force: the current phase's, else the nearest earlier phase's."""
    phases = s.phases()
    ids = [p.id for p in phases]
    upto = ids.index(s.phase) + 1 if s.phase in ids else len(phases)
    for phase in reversed(phases[:upto]):
        if phase.cadence:
            return phase.cadence
    return None


def next_update_due(s: IncidentState) -> tuple[datetime, str] | None:
    """When customers expect the next word from us, and why; None once resolved or closed."""
    if s.closed_at or s.resolved_at or s.detected_at is None:
        return None
    last = next((u for u in reversed(s.updates) if u.purpose in ("ack", "update")), None)
    if last is None:
        first = next((p for p in s.phases() if p.deadline), None)
        if first is None or first.deadline is None:
            return None
        return s.detected_at + first.deadline, f"{first.title.lower()} deadline"
    if last.promised_next_at:
        return last.promised_next_at, "promised in the last update"
    cadence = cadence_at(s)
    if cadence is None:
        return None
    return last.at + cadence.every, f"cadence: every {format_duration(cadence.every)}"


def postmortem_due(s: IncidentState) -> datetime | None:
    """The post-mortem promise: resolution + the playbook's window; None before resolution
    or once the post-mortem is published."""
    resolved = s.resolved_at
    if resolved is None or any(u.purpose == "postmortem" for u in s.updates):
        return None
    return resolved + s.book.postmortem_within


def due(s: IncidentState, now: datetime) -> Due | None:
    found = next_update_due(s)
    if found is None:
        return None
    at, reason = found
    left = int((at - now).total_seconds())
    if left < 0:
        state = "LATE"
    elif timedelta(seconds=left) <= s.book.due_soon:
        state = "due soon"
    else:
        state = "on track"
    return Due(at, reason, left, state)


def phase_views(s: IncidentState, now: datetime) -> list[PhaseView]:
    out = []
    ids = [p.id for p in s.phases()]
    current = ids.index(s.phase) if s.phase in ids else -1
    for i, phase in enumerate(s.phases()):
        left_open = tuple(item.id for item in open_items(s, phase))
        if s.closed_at or i < current:
            # a phase is done when each item is ticked or skipped, not because someone moved on
            state = "open" if left_open else "done"
        elif i == current:
            state = "current"
        else:
            state = "upcoming"
        deadline_at = s.detected_at + phase.deadline if phase.deadline and s.detected_at else None
        met_at = next((u.at for u in s.updates if u.purpose == phase.closes_with), None)
        if met_at is None and phase.closes_with is None and phase.id in s.phase_left:
            met_at = s.phase_left[phase.id]  # leaving it is all it asks for; else its message
        missed = bool(deadline_at and (met_at or now) > deadline_at)
        out.append(PhaseView(phase, state, deadline_at, met_at, missed, left_open))
    return out

"""Incident state as a pure fold of the event log.

``Projector.apply`` folds one event at a time, so a dashboard applies only the
events it has not seen yet (``WHERE id > last_seen``); folding in one pass and
in any split gives the same state. Each event also gives one sentence of the
human timeline. Nothing here reads the clock: what depends on *now* (time left,
LATE, missed deadlines) is computed by :mod:`tui.core.state.countdown` and
:mod:`tui.core.state.phases`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from tui.core.clock import parse_instant, wall
from tui.core.durations import format_duration
from tui.core.playbook.model import Playbook
from tui.core.state.events import (
    ACTION,
    ADVANCED,
    APPROVED,
    ASSIGNED,
    CHECKED,
    CLOSED,
    DELIVERY_CANCELLED,
    DELIVERY_FAILED,
    DELIVERY_RETRIED,
    DELIVERY_SENT,
    DRAFT,
    DRAFT_HELD,
    DRAFT_RELEASED,
    METRICS,
    NOTE,
    PM_ACTION,
    PM_EDITED,
    PUBLISHED,
    QUEUE,
    REJECTED,
    RELEASED,
    RELOADED,
    REPLY_COPIED,
    REQUESTED,
    SKIPPED,
    STARTED,
    UNCHECKED,
    Event,
)
from tui.core.state.incident import (
    ChannelState,
    Draft,
    DraftHold,
    DraftVersion,
    IncidentState,
    ItemState,
    PublishedUpdate,
    PublishRequest,
    RemedialAction,
    ReplyCopy,
    TimelineEntry,
    item_text,
)

PlaybookResolver = Callable[[str, str], Playbook]
"""(sha256, source) -> the playbook the incident pinned (the store reads it back)."""

# Queue counts by one person on one channel, each within this long of the previous
# one, are one timeline line ("counted 47 waiting in Tickets (40 → 47)").
QUEUE_FOLD_WITHIN = timedelta(seconds=60)
# Counts by the queue poller (tui.queues.poller.ACTOR; core cannot import it, a test keeps
# them equal) fold per channel instead: one line per run of automatic counts, replaced
# (and moved to the end) by each count of the run. A run ends at a published message,
# when a person counts that channel, or AUTO_RUN_FOR after its first count.
AUTOMATIC_COUNTERS = frozenset({"queue-poller"})
AUTO_RUN_FOR = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class _QueueRun:
    channel: str
    actor: str
    first_depth: int | None
    last_at: datetime
    last_event_id: int


@dataclass(frozen=True, slots=True)
class _AutoRun:
    first_depth: int
    first_at: datetime
    last_at: datetime
    counts: int
    highest: int
    event_id: int  # the run's line in the timeline


class Projector:
    """Folds events into an IncidentState, one at a time, in id order."""

    def __init__(self, incident_id: str, playbooks: PlaybookResolver):
        self.state = IncidentState(id=incident_id)
        self._playbooks = playbooks
        self._queue_run: _QueueRun | None = None  # the +/- presses being folded into one line
        self._auto_runs: dict[str, _AutoRun] = {}  # the poller's counts, per channel

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
            e.id,
            e.at,
            e.actor,
            d["purpose"],
            promised,
            d.get("via", "manual"),
            d.get("note", ""),
            d.get("body", ""),
        )
        s.updates.append(update)
        s.drafts.pop(update.purpose, None)  # the draft became the message: start afresh
        self._auto_runs.clear()  # the poller's counts start new lines after a message
        for ch in s.channels.values():
            ch.baseline = ch.depth
            ch.arrived = 0  # inflow "since the update" starts again
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
        ch.count(d["depth"], e.at)  # the depth, and its rise as inflow
        ch.oldest_since = parse_instant(d["oldest_since"]) if d.get("oldest_since") else None
        ch.updated_at, ch.by = e.at, e.actor
        if ch.baseline is None:
            ch.baseline = ch.depth
        text = f"{e.actor} counted {ch.depth} waiting in {_channel_title(s, d['channel'])}"
        automatic = e.actor in AUTOMATIC_COUNTERS
        if automatic:
            text += self._auto_count(e, d["depth"])
        else:
            self._auto_runs.pop(d["channel"], None)  # a person counted: the run ends
        run = self._queue_run
        if (
            not automatic
            and run is not None
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
            run = None if automatic else _QueueRun(d["channel"], e.actor, ch.depth, e.at, e.id)
        self._queue_run = run
        if ch.oldest_since:
            text += f", the oldest for {format_duration(e.at - ch.oldest_since)}"
        return text

    def _auto_count(self, e: Event, depth: int) -> str:
        """A poller's count: its channel's run line is taken out of the timeline, to come
        back at the end as "queue-poller counted 47 waiting in live chat (12 → 47 in 31
        counts since 2:02 PM EST)"; "" when the count starts a run. The event log, the
        channel and the post-mortem's peaks still see every count."""
        s, channel = self.state, e.data["channel"]
        run = self._auto_runs.get(channel)
        line = None
        if run is not None and run.last_at <= e.at and e.at - run.first_at <= AUTO_RUN_FOR:
            line = next(
                (
                    i
                    for i in range(len(s.timeline) - 1, -1, -1)
                    if s.timeline[i].event_id == run.event_id
                ),
                None,
            )
        if run is None or line is None:
            self._auto_runs[channel] = _AutoRun(depth, e.at, e.at, 1, depth, e.id)
            return ""
        del s.timeline[line]
        run = _AutoRun(
            run.first_depth, run.first_at, e.at, run.counts + 1, max(run.highest, depth), e.id
        )
        self._auto_runs[channel] = run
        highest = f", highest {run.highest}" if run.highest > max(run.first_depth, depth) else ""
        since = wall(run.first_at, s.book.timezone)
        return f" ({run.first_depth} \u2192 {depth} in {run.counts} counts since {since}{highest})"

    def _action(self, e: Event) -> str:
        s, d = self.state, e.data
        ch = s.channels.setdefault(d["channel"], ChannelState())
        ch.actions[d["action"]] = bool(d["on"])
        word = "turned on" if d["on"] else "turned off"
        what = (
            f"“{_action_text(s, d['channel'], d['action'])}” for {_channel_title(s, d['channel'])}"
        )
        if d.get("swamped_at") is not None:  # by the count that crossed it (swamped_mode: auto)
            return (
                f"{what} was turned on by swamped_at {d['swamped_at']} "
                f"({e.actor} counted {d.get('depth', '?')} waiting)"
            )
        return f"{e.actor} {word} {what}"

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
            notify={str(k): bool(v) for k, v in (d.get("notify") or {}).items()},
            resend_of=d.get("resend_of"),
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

    def _reply_copied(self, e: Event) -> str:
        d = e.data
        based_on = d.get("based_on")
        how = str(d.get("how", "osc52"))
        self.state.reply_copies[d["channel"]] = ReplyCopy(e.at, e.actor, based_on, how)
        title = _channel_title(self.state, d["channel"])
        word = "printed" if how == "print" else "copied"
        where = " to a file" if how == "file" else ""
        what = f"message #{based_on}" if based_on is not None else "no published message yet"
        return f"{e.actor} {word} the {title} canned reply{where} (from {what})"

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
            started = s.started_at
            if later and started is not None:  # (severity is only classified once started)
                s.phase_left[s.phase] = at or started
                s.phase = later[0]
                s.phase_entered.setdefault(later[0], at or started)
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
    REPLY_COPIED: Projector._reply_copied,
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
    if ch is None:
        return channel_id
    # in mid-sentence: "in live chat", but "Social media DMs" keeps its acronym
    words = [w if w[1:2].isupper() else w[:1].lower() + w[1:] for w in ch.title.split(" ")]
    return " ".join(words)


def _action_text(s: IncidentState, channel_id: str, action_id: str) -> str:
    ch = next((c for c in s.book.channels if c.id == channel_id), None)
    action = next((a for a in ch.actions if a.id == action_id), None) if ch else None
    return action.text if action else action_id

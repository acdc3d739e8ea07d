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
from dataclasses import replace
from datetime import datetime

from tui.core.clock import parse_instant, wall
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
    Draft,
    DraftHold,
    DraftVersion,
    IncidentState,
    ItemState,
    PublishedUpdate,
    PublishRequest,
    RemedialAction,
    TimelineEntry,
    item_text,
)
from tui.core.state.queuefold import AUTO_RUN_FOR as AUTO_RUN_FOR
from tui.core.state.queuefold import AUTOMATIC_COUNTERS as AUTOMATIC_COUNTERS
from tui.core.state.queuefold import QUEUE_FOLD_WITHIN as QUEUE_FOLD_WITHIN
from tui.core.state.queuefold import QueueFold, _AutoRun, _QueueRun
from tui.core.state.wording import PURPOSE_WORDS, fmt_value, metric_title, role_title

PlaybookResolver = Callable[[str, str], Playbook]
"""(sha256, source) -> the playbook the incident pinned (the store reads it back)."""


class Projector(QueueFold):
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
        metrics = ", ".join(f"{k}={fmt_value(v)}" for k, v in s.metrics.items())
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
            f"{metric_title(s, k)} = {fmt_value(v)}" for k, v in e.data["values"].items()
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
            what = PURPOSE_WORDS.get(e.data.get("purpose", ""), "a message")
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
            return f"{user} took the role of {role_title(self.state, role)}"
        return f"{e.actor} made {user} {role_title(self.state, role)}"

    def _released(self, e: Event) -> str:
        user = self.state.roles.pop(e.data["role"], None)
        who = f"{user} is no longer" if user else "nobody is"
        return f"{e.actor}: {who} {role_title(self.state, e.data['role'])}"

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
            text += f" after publishing {PURPOSE_WORDS.get(e.data['after'], e.data['after'])}"
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
        what = PURPOSE_WORDS.get(update.purpose, update.purpose)
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
        what = PURPOSE_WORDS.get(d["purpose"], d["purpose"])
        return f"{e.actor} asked the {role_title(self.state, d['role'])} to approve {what}"

    def _decided(self, e: Event) -> str:
        req = self.state.requests.get(e.data["request_id"])
        approved = e.kind == APPROVED
        if req is not None:
            req.status = "approved" if approved else "rejected"
            req.decided_by = e.actor
        what = PURPOSE_WORDS.get(req.purpose, "a message") if req else "a message"
        if approved:
            return f"{e.actor} approved {what} by {req.by if req else '?'}"
        reason = e.data.get("reason")
        return f"{e.actor} sent back {what}" + (f": {reason}" if reason else "")

    def _delivery(self, e: Event) -> str:
        d = e.data
        what = PURPOSE_WORDS.get(d.get("purpose", ""), "the message")
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

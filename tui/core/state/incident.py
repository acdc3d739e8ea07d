"""What an incident is at a given event: :class:`IncidentState` and its parts.

These are the values the fold (:mod:`tui.core.state.projection`) builds and every reader
shows. Nothing here reads the clock or the database; :meth:`IncidentState.snapshot` gives
a copy the UI thread may keep while the fold goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.core.playbook.model import Phase, Playbook
from tui.core.state.events import QUIET
from tui.core.vocabulary import CLOSING, Purpose


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
    body: str = ""  # the text as published (empty for a message recorded as sent by hand)


@dataclass(frozen=True, slots=True)
class ReplyCopy:
    """The last time someone copied a channel's canned reply, and the update it was from."""

    at: datetime
    by: str
    based_on: int | None  # the publish event the reply was rendered from (None: before any)
    how: str  # tmux | osc52 | file | print


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


INFLOW_WINDOW = timedelta(minutes=10)  # the pane's "+9/10m"
INFLOW_KEPT = timedelta(hours=1)  # how far back the rises are kept (the longest window)


@dataclass(slots=True)
class ChannelState:
    """One channel: its last count, the actions, and its inflow.

    Inflow is what arrived, and a count of the depth alone cannot see arrivals: it is
    the sum of the *rises* in depth, each count's increase over the previous one (a
    count that falls adds nothing; the first count is the backlog, not an arrival).
    Contacts answered between two counts hide as many arrivals, so it is a floor.
    """

    depth: int | None = None
    oldest_since: datetime | None = None
    updated_at: datetime | None = None
    by: str | None = None
    baseline: int | None = None  # the depth when the last update was published
    actions: dict[str, bool] = field(default_factory=dict)
    arrived: int = 0  # the rises since the last published update (or the first count)
    rises: list[tuple[datetime, int]] = field(default_factory=list)  # (at, rise), last hour

    def trend(self) -> int | None:
        if self.depth is None or self.baseline is None:
            return None
        return self.depth - self.baseline

    def count(self, depth: int, at: datetime) -> None:
        """A new count: its rise over the previous depth is inflow."""
        rise = depth - self.depth if self.depth is not None else 0
        self.depth = depth
        if rise > 0:
            self.arrived += rise
            self.rises.append((at, rise))
        cut = at - INFLOW_KEPT
        if self.rises and self.rises[0][0] < cut:
            self.rises = [r for r in self.rises if r[0] >= cut]

    def inflow(self, now: datetime, window: timedelta = INFLOW_WINDOW) -> int:
        """The rises counted in the ``window`` before ``now`` (at most the last hour)."""
        since = now - min(window, INFLOW_KEPT)
        return sum(rise for at, rise in self.rises if since < at <= now)

    def copy(self) -> ChannelState:
        return ChannelState(
            self.depth,
            self.oldest_since,
            self.updated_at,
            self.by,
            self.baseline,
            dict(self.actions),
            self.arrived,
            list(self.rises),
        )


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
    notify: dict[str, bool] = field(default_factory=dict)  # per destination, as chosen
    resend_of: int | None = None  # the publish event whose message this sends elsewhere (d)


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
    reply_copies: dict[str, ReplyCopy] = field(default_factory=dict)  # channel id -> last copy

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
            channels={k: v.copy() for k, v in self.channels.items()},
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
                    dict(v.notify),
                    v.resend_of,
                )
                for k, v in self.requests.items()
            },
            deliveries=dict(self.deliveries),
            postmortem=self.postmortem.copy(),
            notes=self.notes,
            closed_at=self.closed_at,
            timeline=list(self.timeline),
            last_event_id=self.last_event_id,
            reply_copies=dict(self.reply_copies),
        )

    def next_purpose(self) -> Purpose:
        """The message the team owes customers next, from the phase and what was published."""
        published = {u.purpose for u in self.updates}
        if "resolved" in published:
            return "postmortem" if "postmortem" not in published else "amends"
        if "ack" not in published:
            return "ack"
        phase = self.current_phase()
        if phase and phase.closes_with in CLOSING and (phase.cadence is None):
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


_ITEM_TEXTS: dict[str, dict[str, str]] = {}


def item_text(s: IncidentState, item_id: str) -> str:
    """The checklist item's text (its id if the playbook has none such); cached per playbook."""
    book = s.book
    texts = _ITEM_TEXTS.get(book.sha256)
    if texts is None:
        texts = {i.id: i.text for p in book.phases for i in p.checklist}
        _ITEM_TEXTS[book.sha256] = texts
    return texts.get(item_id, item_id)

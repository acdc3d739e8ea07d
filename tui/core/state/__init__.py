"""The incident as a pure fold of its event log, and what that state means at *now*.

Where each rule lives:

* :mod:`~tui.core.state.events` -- the kinds of event and the data each carries;
* :mod:`~tui.core.state.incident` -- :class:`IncidentState` and its parts (what the fold builds);
* :mod:`~tui.core.state.projection` -- :class:`Projector`, the pure fold (one event at a time,
  in id order; the same state whether folded in one pass or in any split) and the timeline
  sentence of each event; its queue part (counts, channel actions, canned replies, and the
  fold's memory of counts folded into one line) is the mixin in
  :mod:`~tui.core.state.queuefold`, the sentences' words in :mod:`~tui.core.state.wording`;
* :mod:`~tui.core.state.countdown` -- the countdown rule: when the next update is due, from the
  promise and the phase's cadence, and how late it is (:func:`due`);
* :mod:`~tui.core.state.phases` -- each phase at *now*: done, open, current, upcoming, missed.

Only ``countdown`` and ``phases`` take *now*, as an argument: nothing here reads the clock.
Other layers import these names from ``tui.core.state``; modules inside ``tui.core`` import
from the precise module.
"""

from tui.core.state.countdown import (
    Due,
    DueState,
    beyond_max,
    cadence_at,
    due,
    next_update_due,
    postmortem_due,
)
from tui.core.state.events import (
    ACTION,
    ACTION_STATUSES,
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
    KINDS,
    METRICS,
    NOTE,
    PM_ACTION,
    PM_EDITED,
    PM_FIELDS,
    PUBLISHED,
    QUEUE,
    QUIET,
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
    Postmortem,
    PublishedUpdate,
    PublishRequest,
    RemedialAction,
    ReplyCopy,
    TimelineEntry,
    item_text,
)
from tui.core.state.phases import (
    PhaseView,
    open_items,
    phase_views,
)
from tui.core.state.projection import (
    PlaybookResolver,
    Projector,
)
from tui.core.state.queuefold import QUEUE_FOLD_WITHIN

__all__ = [
    "ACTION",
    "ACTION_STATUSES",
    "ADVANCED",
    "APPROVED",
    "ASSIGNED",
    "CHECKED",
    "CLOSED",
    "DELIVERY_CANCELLED",
    "DELIVERY_FAILED",
    "DELIVERY_RETRIED",
    "DELIVERY_SENT",
    "DRAFT",
    "DRAFT_HELD",
    "DRAFT_RELEASED",
    "KINDS",
    "METRICS",
    "NOTE",
    "PM_ACTION",
    "PM_EDITED",
    "PM_FIELDS",
    "PUBLISHED",
    "QUEUE",
    "QUEUE_FOLD_WITHIN",
    "QUIET",
    "REJECTED",
    "RELEASED",
    "RELOADED",
    "REPLY_COPIED",
    "REQUESTED",
    "SKIPPED",
    "STARTED",
    "UNCHECKED",
    "ChannelState",
    "Draft",
    "DraftHold",
    "DraftVersion",
    "Due",
    "DueState",
    "Event",
    "IncidentState",
    "ItemState",
    "PhaseView",
    "PlaybookResolver",
    "Postmortem",
    "Projector",
    "PublishRequest",
    "PublishedUpdate",
    "RemedialAction",
    "ReplyCopy",
    "TimelineEntry",
    "beyond_max",
    "cadence_at",
    "due",
    "item_text",
    "next_update_due",
    "open_items",
    "phase_views",
    "postmortem_due",
]

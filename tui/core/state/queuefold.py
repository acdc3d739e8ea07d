"""The fold's queue part: counts, the channels' actions and canned replies.

A mixin of :class:`~tui.core.state.projection.Projector` (its handlers for ``queue``,
``action`` and ``reply_copied``, and the channels a playbook declares). Besides the state
it keeps the fold's own memory of counts being folded into one timeline line
(``_queue_run``, ``_auto_runs``); the replay checkpoint keeps that memory with the state,
so its dataclasses live here and :mod:`tui.core.state.checkpoint` reads them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.core.clock import parse_instant, wall
from tui.core.durations import format_duration
from tui.core.state.events import Event
from tui.core.state.incident import ChannelState, IncidentState, ReplyCopy
from tui.core.state.wording import action_text, channel_title

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


class QueueFold:
    """The queue handlers; the Projector that inherits them sets these attributes."""

    state: IncidentState
    _queue_run: _QueueRun | None  # the +/- presses being folded into one line
    _auto_runs: dict[str, _AutoRun]  # the poller's counts, per channel

    def _queue(self, e: Event) -> str:
        s, d = self.state, e.data
        ch = s.channels.setdefault(d["channel"], ChannelState())
        ch.count(d["depth"], e.at)  # the depth, and its rise as inflow
        ch.oldest_since = parse_instant(d["oldest_since"]) if d.get("oldest_since") else None
        ch.updated_at, ch.by = e.at, e.actor
        if ch.baseline is None:
            ch.baseline = ch.depth
        text = f"{e.actor} counted {ch.depth} waiting in {channel_title(s, d['channel'])}"
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
        what = f"“{action_text(s, d['channel'], d['action'])}” for {channel_title(s, d['channel'])}"
        if d.get("swamped_at") is not None:  # by the count that crossed it (swamped_mode: auto)
            return (
                f"{what} was turned on by swamped_at {d['swamped_at']} "
                f"({e.actor} counted {d.get('depth', '?')} waiting)"
            )
        return f"{e.actor} {word} {what}"

    def _reply_copied(self, e: Event) -> str:
        d = e.data
        based_on = d.get("based_on")
        how = str(d.get("how", "osc52"))
        self.state.reply_copies[d["channel"]] = ReplyCopy(e.at, e.actor, based_on, how)
        title = channel_title(self.state, d["channel"])
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

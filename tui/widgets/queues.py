"""Pane 3: the support channels -- queue depth, oldest waiting, trend, playbook actions.

A channel's row: ``Live chat  42 waiting ↑12  oldest 18m  +30 since update · +9/10m``
(↑12: the depth since the last published update; +30 and +9/10m: inflow, the sum of
the rises in depth between counts). Under it, when the playbook's ``swamped_at`` is
reached and the swamped action is off, ``SWAMPED`` and the key that turns it on; and
the channel's queue source in words, from the ``queue_sources`` table.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.core.actions import ACTIONS, key_display, keys_of
from tui.core.durations import format_duration
from tui.core.playbook.model import Channel, ChannelAction
from tui.core.state import IncidentState
from tui.core.state.incident import ChannelState
from tui.queues.replies import copy_words
from tui.queues.status import SourceStatus
from tui.widgets._options import OptionPane
from tui.widgets._text import literal
from tui.widgets.keys import bindings
from tui.widgets.messages import AdjustQueue, EditQueue, ShowReply, ToggleAction


class ChannelQueues(OptionPane):
    BINDINGS = bindings("queues")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._sources: dict[str, SourceStatus] = {}

    def _moving(self, s: IncidentState, now: datetime) -> object:
        """The rows' time words: the oldest's age, the inflow, what each source said."""
        words: list[object] = []
        for channel in s.book.channels:
            st = s.channels.get(channel.id)
            if st is not None and st.depth is not None:
                oldest = format_duration(now - st.oldest_since) if st.oldest_since else ""
                words.append((oldest, st.inflow(now)))
            source = self._sources.get(channel.id)
            words.append(source.words(now) if source is not None else None)
        return tuple(words)

    def _rows(self, s: IncidentState, now: datetime):
        if not s.book.channels:
            empty = Text("This playbook defines no support channels.", style="dim")
            yield Option(empty, disabled=True)
        for channel in s.book.channels:
            st = s.channels.get(channel.id)
            row = Text(no_wrap=True, overflow="ellipsis")
            row.append_text(literal(channel.title, "bold"))
            if st is None or st.depth is None:
                row.append("  not counted yet", style="dim")
            else:
                row.append(f"  {st.depth} waiting", style="bold")
                trend = st.trend()
                if trend:
                    arrow = "\u2191" if trend > 0 else "\u2193"
                    row.append(f" {arrow}{abs(trend)}", style="bold red" if trend > 0 else "green")
                elif trend == 0:
                    row.append(" \u21920", style="dim")
                if st.oldest_since:
                    row.append(f"  oldest {format_duration(now - st.oldest_since)}")
                # inflow: the sum of rises in depth (a fall adds nothing), see ChannelState
                since = "since update" if s.updates else "so far"
                row.append(f"  +{st.arrived} {since} \u00b7 +{st.inflow(now)}/10m", style="dim")
            yield Option(row, id=f"channel:{channel.id}")
            swamped = self._swamped(channel, st)
            if swamped is not None and st is not None:
                key = self._key("queues.swamped")
                line = Text(no_wrap=True, overflow="ellipsis")
                line.append(f"   SWAMPED: {st.depth} \u2265 {channel.swamped_at}", style="bold red")
                line.append(f" \u2014 press {key} to turn on: ", style="bold")
                line.append_text(literal(swamped.text, "bold"))
                yield Option(line, id=f"swamped:{channel.id}:{swamped.id}")
            source = self._sources.get(channel.id)
            if source is not None:  # what the queue source last said (the poller writes it)
                failing = source.state == "error"
                line = literal(f"   {source.words(now)}", "bold red" if failing else "dim")
                yield Option(line, id=f"source:{channel.id}", disabled=True)
            if channel.tone:
                yield Option(literal(f"   tone: {channel.tone}", "italic dim"), disabled=True)
            copied = copy_words(s, channel.id)  # "reply copied 14:05 by sam", OUTDATED
            if copied is not None:
                words, outdated = copied
                line = literal(f"   {words}", "dim")
                if outdated:
                    line.append("  OUTDATED (c: the new reply)", style="bold reverse")
                yield Option(line, id=f"reply:{channel.id}", disabled=True)  # id: repainted
            for action in channel.actions:
                on = st.actions.get(action.id, action.default) if st else action.default
                line = Text(no_wrap=True, overflow="ellipsis")
                mark, style = ("   [on ] ", "bold green") if on else ("   [off] ", "bold")
                line.append(mark, style=style)
                line.append_text(literal(action.text, "" if on else "dim"))
                yield Option(line, id=f"action:{channel.id}:{action.id}")

    def counted_note(self, channel_id: str, now: datetime) -> str | None:
        """After a person counted: the words saying a live queue source will replace it."""
        source = self._sources.get(channel_id)
        return source.overrides(now) if source is not None else None

    def show_sources(self, sources: Mapping[str, SourceStatus], now: datetime) -> None:
        """Each channel's queue source, as the ``queue_sources`` table last said."""
        self._sources = dict(sources)
        if self._state is not None:
            self.show(self._state, now)

    @staticmethod
    def _swamped(channel: Channel, st: ChannelState | None) -> ChannelAction | None:
        """The action to propose: the channel is at swamped_at or over, and it is off."""
        if st is None or channel.swamped_action is None or not channel.swamped(st.depth):
            return None
        action = channel.action(channel.swamped_action)
        if action is None or st.actions.get(action.id, action.default):
            return None
        return action

    def _key(self, action_id: str) -> str:
        """The key the user has for an action (their keymap, else the table's)."""
        config = getattr(self.app, "config", None)
        keymap = getattr(config, "keymap", None) or {}
        action = next(a for a in ACTIONS if a.id == action_id)
        return key_display(keys_of(action, keymap)[0])

    def action_turn_on_swamped(self) -> None:
        """The highlighted channel's swamped action, else the first swamped channel's."""
        s = self._state
        if s is None:
            return
        highlighted = self._channel()
        channels = sorted(s.book.channels, key=lambda c: c.id != highlighted)
        for channel in channels:
            action = self._swamped(channel, s.channels.get(channel.id))
            if action is not None:
                self.post_message(ToggleAction(channel.id, action.id, on=True))
                return
        self.notify("No channel is at its swamped_at with its swamped action off.", timeout=3)

    def _channel(self) -> str | None:
        """The highlighted row's channel; with no usable highlight, the first channel."""
        option = self.highlighted_option
        if option is None or not option.id or option.disabled:
            self._highlight_first()
            option = self.highlighted_option
        if option is None or not option.id:
            return None
        return option.id.split(":")[1]

    def _highlight_first(self) -> None:
        first = next((i for i, o in enumerate(self.options) if o.id and not o.disabled), None)
        if first is not None:
            self.highlighted = first

    def on_focus(self) -> None:
        option = self.highlighted_option
        if option is None or option.disabled:  # keys act on a visible row from the start
            self._highlight_first()

    def action_toggle_item(self) -> None:
        option = self.highlighted_option
        if option is not None and option.id and option.id.startswith("action:"):
            _, channel, action = option.id.split(":", 2)
            self.post_message(ToggleAction(channel, action))
        elif option is not None and option.id and option.id.startswith("swamped:"):
            _, channel, action = option.id.split(":", 2)
            self.post_message(ToggleAction(channel, action, on=True))
        elif option is not None and option.id and option.id.startswith("channel:"):
            self.action_edit()

    def action_edit(self) -> None:
        channel = self._channel()
        if channel:
            self.post_message(EditQueue(channel))

    def action_reply(self) -> None:
        channel = self._channel()
        if channel:
            self.post_message(ShowReply(channel))

    def action_adjust(self, delta: int) -> None:
        channel = self._channel()
        if channel:
            self.post_message(AdjustQueue(channel, delta))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle_item()

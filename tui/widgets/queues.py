"""Pane 3: the support channels -- queue depth, oldest waiting, trend, playbook actions."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.core.durations import format_duration
from tui.core.state import IncidentState
from tui.queues.replies import copy_words
from tui.widgets._options import OptionPane
from tui.widgets._text import literal
from tui.widgets.keys import bindings
from tui.widgets.messages import AdjustQueue, EditQueue, ShowReply, ToggleAction


class ChannelQueues(OptionPane):
    BINDINGS = bindings("queues")

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
            yield Option(row, id=f"channel:{channel.id}")
            if channel.tone:
                yield Option(literal(f"   tone: {channel.tone}", "italic dim"), disabled=True)
            copied = copy_words(s, channel.id)  # "reply copied 14:05 by sam", OUTDATED
            if copied is not None:
                words, outdated = copied
                line = literal(f"   {words}", "dim")
                if outdated:
                    line.append("  OUTDATED (c: the new reply)", style="bold reverse")
                yield Option(line, disabled=True)
            for action in channel.actions:
                on = st.actions.get(action.id, action.default) if st else action.default
                line = Text(no_wrap=True, overflow="ellipsis")
                mark, style = ("   [on ] ", "bold green") if on else ("   [off] ", "bold")
                line.append(mark, style=style)
                line.append_text(literal(action.text, "" if on else "dim"))
                yield Option(line, id=f"action:{channel.id}:{action.id}")

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

"""Canned replies: ``c`` on a channel shows its reply; ``y`` copies it, ``f`` writes a file.

The reply is rendered in a worker (the first render imports Jinja2) from the
state the dashboard shows, then :class:`screens.reply.ReplyScreen` holds it. A
copy (:func:`tui.app.clipboard.place`, off the UI thread) goes into tmux's paste
buffer inside tmux, whatever its ``set-clipboard``, and through OSC 52
(``App.copy_to_clipboard``) outside; where neither can work, the notification says
why and names the 0600 file the reply was written to instead. Either way a
``reply.copied`` event is recorded (the one command path), so every dashboard shows
who copied which reply, and when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from tui.app.app import WarroomApp
    from tui.queues.replies import Reply, ReplyError


def show_reply(app: WarroomApp, channel_id: str) -> None:
    """c: the highlighted channel's reply, in its dialog."""
    from screens.reply import ReplyScreen
    from tui.queues.replies import ReplyError, reply

    state = app.state
    if state is None:
        return
    now = app.clock.now()

    def work() -> Reply | ReplyError:
        try:
            return reply(state, channel_id, now)
        except ReplyError as exc:
            return exc

    def done(result: Reply | ReplyError) -> None:
        if isinstance(result, ReplyError):
            app.error(str(result))
            return
        app.push_screen(
            ReplyScreen(
                result,
                state.book.timezone,
                latest=lambda: _latest(app),
                render=lambda shown: _render(app, channel_id, shown),
                copy=lambda r, how: copy_reply(app, r, how),
            )
        )

    app.background(work, done, what="reply", group="reply")


def _latest(app: WarroomApp) -> int | None:
    state = app.state
    return state.updates[-1].event_id if state is not None and state.updates else None


def _render(app: WarroomApp, channel_id: str, shown: Callable[[Reply], None]) -> None:
    """The reply again from the state shown now, rendered in a worker (Jinja2 stays off
    the UI thread), then ``shown(reply)``; a ReplyError is one error notification."""
    from tui.queues.replies import reply

    state = app.state
    if state is None:
        return
    now = app.clock.now()
    app.background(lambda: reply(state, channel_id, now), shown, group="reply")


def copy_reply(app: WarroomApp, r: Reply, how: str) -> None:
    """``how`` "osc52" (``y``): where it can go from here -- tmux's paste buffer inside
    tmux, OSC 52 outside, else a file (said why); "file" (``f``): to the file. Then the
    ``reply.copied`` event."""
    from tui.app.clipboard import Placed, place, write_reply
    from tui.commands import record_reply_copied

    incident_id = app.room.incident_id
    if incident_id is None:
        return

    def work() -> Placed:
        if how == "osc52":
            return place(incident_id, r.channel, r.text)
        path = str(write_reply(incident_id, r.channel, r.text))
        return Placed("file", path, path=path)

    def done(placed: Placed) -> None:
        if placed.how == "osc52":
            app.copy_to_clipboard(r.text.rstrip("\n"))
            app.notify(f"Copied the {r.title} reply (OSC 52): paste it", timeout=4, markup=False)
        elif placed.how == "tmux":
            app.notify(f"Copied the {r.title} reply to {placed.where}", timeout=6, markup=False)
        elif placed.why:
            app.notify(
                f"Cannot copy here: {placed.why}. The {r.title} reply is in {placed.path}",
                severity="warning",
                timeout=12,
                markup=False,
            )
        else:
            app.notify(f"The {r.title} reply is in {placed.path}", timeout=8, markup=False)
        app.run_command(record_reply_copied, r.channel, r.based_on, placed.how)

    app.background(work, done, what="reply not written", group="reply")

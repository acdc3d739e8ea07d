"""Canned replies: ``c`` on a channel shows its reply; ``y`` copies it, ``f`` writes a file.

The reply is rendered in a worker (the first render imports Jinja2) from the
state the dashboard shows, then :class:`screens.reply.ReplyScreen` holds it. A
copy is OSC 52 through ``App.copy_to_clipboard`` when it can reach a clipboard
(:func:`tui.app.clipboard.blocker` asks tmux on ``$TMUX``'s socket, off the UI
thread); where it cannot, the notification says why and names the 0600 file the
reply was written to instead. Either way a ``reply.copied`` event is recorded (the
one command path), so every dashboard shows who copied which reply, and when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
                render=lambda: _render(app, channel_id),
                copy=lambda r, how: copy_reply(app, r, how),
            )
        )

    app.background(work, done, what="reply", group="reply")


def _latest(app: WarroomApp) -> int | None:
    state = app.state
    return state.updates[-1].event_id if state is not None and state.updates else None


def _render(app: WarroomApp, channel_id: str) -> Reply | None:
    from tui.queues.replies import ReplyError, reply

    state = app.state
    if state is None:
        return None
    try:
        return reply(state, channel_id, app.clock.now())
    except ReplyError as exc:
        app.error(str(exc))
        return None


def copy_reply(app: WarroomApp, r: Reply, how: str) -> None:
    """``how`` "osc52": to the clipboard where it can work, else to a file (said why);
    "file": to the file. Then the ``reply.copied`` event."""
    from tui.app.clipboard import blocker, write_reply
    from tui.commands import record_reply_copied

    incident_id = app.room.incident_id
    if incident_id is None:
        return

    def work() -> tuple[str, str, str]:
        why = ""
        if how == "osc52":
            found = blocker()
            if found is None:
                return "osc52", "", ""
            why = found
        return "file", str(write_reply(incident_id, r.channel, r.text)), why

    def done(result: tuple[str, str, str]) -> None:
        done_how, path, why = result
        if done_how == "osc52":
            app.copy_to_clipboard(r.text.rstrip("\n"))
            app.notify(f"Copied the {r.title} reply (OSC 52): paste it", timeout=4, markup=False)
        elif why:
            app.notify(
                f"Cannot copy here: {why}. The {r.title} reply is in {path}",
                severity="warning",
                timeout=12,
                markup=False,
            )
        else:
            app.notify(f"The {r.title} reply is in {path}", timeout=8, markup=False)
        app.run_command(record_reply_copied, r.channel, r.based_on, done_how)

    app.background(work, done, what="reply not written", group="reply")

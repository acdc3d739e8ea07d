"""``warroom reply CHANNEL``: a channel's canned reply, headless.

Prints the reply rendered from the latest published update (stdout holds the text
alone, to pipe into a chat tool; what the reader must know -- nothing published yet,
the last copy now outdated -- goes to stderr). ``--json`` gives ``{channel, tone,
text, based_on, based_on_at, outdated, next_update_at, copied_at, copied_by,
notice}``. ``--copy`` puts it in tmux's paste buffer inside tmux (and, tmux 3.2 and
later, on to the terminal's clipboard), elsewhere writes OSC 52 to the controlling
terminal (through SSH), and records the copy; where neither can work it says why and
writes a 0600 file instead (:mod:`tui.app.clipboard`).
``--record`` records that the printed reply was taken (a script pasting it). Reading
alone writes nothing. An unknown channel: one line listing the channels, exit 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.cli.context import EXIT_OK, Context, UsageError, err, incident, out, print_json
from tui.cli.parser import add_command

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers


def cmd_reply(ctx: Context) -> int:
    from tui.commands import record_reply_copied
    from tui.queues.replies import ReplyError, reply

    store, incident_id = incident(ctx)
    state = store.state(incident_id)
    try:
        r = reply(state, ctx.args.channel, ctx.clock.now())
    except ReplyError as exc:
        raise UsageError(str(exc)) from None
    how = None
    if ctx.args.copy:
        how, where = _copy(incident_id, r.channel, r.text)
        if how == "file":
            err(f"cannot copy here: {where}")
        elif how == "tmux":
            err(f"copied to {where}")
    elif ctx.args.record:
        how = "print"
    if how is not None:
        outcome = record_reply_copied(
            store, ctx.clock, ctx.actor, incident_id, r.channel, r.based_on, how
        )
        r = reply(store.state(incident_id), r.channel, ctx.clock.now())
        if not ctx.args.json and ctx.args.copy:
            out(f"{incident_id}: {outcome.message}")
    if ctx.args.json:
        print_json(r.as_dict())
        return EXIT_OK
    if not ctx.args.copy:
        out(r.text.rstrip("\n"))
    if r.notice:
        err(r.notice)
    if r.outdated and r.copied is not None:
        err(
            f"the last copy ({r.copied.by}) was from an older update: "
            "whoever pastes it should take this one"
        )
    return EXIT_OK


def _copy(incident_id: str, channel: str, text: str) -> tuple[str, str]:
    """("tmux", where) inside tmux; ("osc52", "") when the terminal got it; ("file", why
    and where) when neither could take it."""
    from tui.app.clipboard import place, write_reply, write_tty

    placed = place(incident_id, channel, text)
    if placed.how == "osc52":
        try:
            write_tty(text.rstrip("\n"))  # pasted into a chat box, it must not send itself
            return "osc52", ""
        except OSError as exc:
            why = f"no terminal to copy through ({exc.strerror or exc})"
            return "file", f"{why}; the reply is in {write_reply(incident_id, channel, text)}"
    if placed.how == "file":
        return "file", f"{placed.why}; the reply is in {placed.path}"
    return placed.how, placed.where


def register(sub: Subparsers) -> None:
    c = add_command(sub, "reply", cmd_reply, "a channel's canned reply, from the latest update")
    c.add_argument("channel", metavar="CHANNEL", help="the playbook's channel id (e.g. chat)")
    c.add_argument(
        "--copy",
        action="store_true",
        help="copy it: tmux's paste buffer inside tmux, else OSC 52, else a 0600 file (named)",
    )
    c.add_argument("--json", action="store_true")
    c.add_argument("--record", action="store_true", help="record that the printed reply was taken")

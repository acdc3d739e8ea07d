"""The incident's own commands: start, status, the checklist, roles, metrics, phase, notes, close.

Each change goes through the one command path (:mod:`tui.commands`), as the
dashboard's keys do, and prints ``INC-3: <what happened>``. ``status`` reads
the incident at a glance; ``status --oneline`` is built for a tmux status line
(a short marker on stdout even when the database is missing or damaged).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tui.cli.context import (
    EXIT_OK,
    EXIT_USAGE,
    Context,
    UsageError,
    err,
    incident,
    out,
    print_json,
    run,
    when,
)
from tui.cli.parser import add_command
from tui.cli.playbook import load_book
from tui.core.vocabulary import PUBLISH_PURPOSES

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers


def cmd_start(ctx: Context) -> int:
    from tui import commands

    book = load_book(ctx.args.playbook)
    metrics = commands.parse_metrics(book, ctx.args.metric or [])
    detected = when(ctx, "--detected-at", ctx.args.detected_at, book.timezone, future=False)
    outcome = commands.start(
        ctx.store(create=True),
        ctx.clock,
        ctx.actor,
        book,
        ctx.args.title,
        metrics,
        detected,
        force=ctx.args.force,
    )
    if ctx.args.json:
        print_json({"id": outcome.incident_id})
    else:
        out(outcome.incident_id)
    return EXIT_OK


def cmd_status(ctx: Context) -> int:
    if ctx.args.oneline:
        return _status_oneline(ctx)
    from tui.core import report

    store, incident_id = incident(ctx)
    state = store.state(incident_id)
    now = ctx.clock.now()
    if ctx.args.json:
        print_json(report.status_dict(state, now))
    else:
        out(report.status_text(state, now))
    return EXIT_OK


def _status_oneline(ctx: Context) -> int:
    """For a tmux status line: a short marker on stdout, exit 2 when the database is not usable.

    ``warroom: no db`` (no database there) and ``warroom: bad db`` (unreadable,
    foreign, damaged) must stand out on a status bar; the reason goes to stderr.
    """
    import sqlite3

    if not ctx.args.incident:  # the database unchanged since the last run: no replay
        from tui.core.oneline import cached_line

        cached = cached_line(ctx.db_path(), ctx.clock.now(), ctx.timeout())
        if cached is not None:
            out(cached)
            return EXIT_OK
    from tui.core import report
    from tui.core.store import StoreError, explain

    try:
        store = ctx.store()
        line = report.oneline(store, ctx.clock.now(), ctx.args.incident)
    except (StoreError, sqlite3.Error, OSError) as exc:
        path = ctx.db_path()
        missing = not os.path.exists(path) and not os.path.islink(path)
        out("warroom: no db" if missing else "warroom: bad db")
        reason = str(exc) if isinstance(exc, StoreError) else explain(path, exc, ctx.timeout())
        err(reason)
        return EXIT_USAGE
    out(line)
    return EXIT_OK


def cmd_check(ctx: Context) -> int:
    from tui import commands

    return run(ctx, commands.set_item, ctx.args.item, True)


def cmd_uncheck(ctx: Context) -> int:
    from tui import commands

    return run(ctx, commands.set_item, ctx.args.item, False)


def cmd_skip(ctx: Context) -> int:
    from tui import commands

    return run(ctx, commands.skip_item, ctx.args.item, ctx.args.reason)


def cmd_assign(ctx: Context) -> int:
    from tui import commands

    return run(ctx, commands.assign, ctx.args.role, ctx.args.user)


def cmd_unassign(ctx: Context) -> int:
    from tui import commands

    return run(ctx, commands.assign, ctx.args.role, None)


def cmd_metric(ctx: Context) -> int:
    from tui import commands

    return run(ctx, commands.set_metrics, ctx.args.pairs)


def cmd_phase(ctx: Context) -> int:
    from tui import commands

    return run(ctx, commands.advance_phase, force=ctx.args.force)


def cmd_posted(ctx: Context) -> int:
    from tui import commands

    store, incident_id = incident(ctx)
    tz = store.state(incident_id).book.timezone
    promised = when(ctx, "--next", ctx.args.next, tz, future=True)
    outcome = commands.record_published(
        store, ctx.clock, ctx.actor, incident_id, ctx.args.purpose, promised, ctx.args.note or ""
    )
    out(f"{incident_id}: {outcome.message}")
    return EXIT_OK


def cmd_note(ctx: Context) -> int:
    from tui import commands

    return run(ctx, commands.add_note, " ".join(ctx.args.text))


def cmd_queue(ctx: Context) -> int:
    from tui import commands

    store, incident_id = incident(ctx)
    try:
        depth = int(ctx.args.depth)
    except ValueError:
        raise UsageError(f"queue depth must be a whole number, got {ctx.args.depth!r}") from None
    tz = store.state(incident_id).book.timezone
    oldest = when(ctx, "--oldest", ctx.args.oldest, tz, future=False)
    outcome = commands.set_queue(
        store, ctx.clock, ctx.actor, incident_id, ctx.args.channel, depth, oldest
    )
    out(f"{incident_id}: {outcome.message}")
    from tui.queues.status import read_all

    source = read_all(store).get(ctx.args.channel)
    note = source.overrides(ctx.clock.now()) if source is not None else None
    if note:
        err(f"note: {note}")
    return EXIT_OK


def cmd_action(ctx: Context) -> int:
    from tui import commands

    on = {"on": True, "off": False, "toggle": None}[ctx.args.state]
    return run(ctx, commands.set_action, ctx.args.channel, ctx.args.action, on)


def cmd_close(ctx: Context) -> int:
    from tui import commands

    return run(ctx, commands.close, force=ctx.args.force)


def register(sub: Subparsers) -> None:
    c = add_command(sub, "start", cmd_start, "start an incident; prints its id", incident=False)
    c.add_argument("--playbook", "-p", required=True, metavar="FILE|NAME")
    c.add_argument("--title", "-t", required=True, metavar="TEXT")
    c.add_argument("--metric", "-m", action="append", metavar="NAME=VALUE")
    c.add_argument(
        "--detected-at",
        metavar="WHEN",
        help="when the outage was detected: -10m, 14:02 (customers' zone) or ISO 8601",
    )
    c.add_argument("--json", action="store_true", help='print {"id": ...}')
    c.add_argument(
        "--force", action="store_true", help="open it even if an open incident has this title"
    )

    c = add_command(sub, "status", cmd_status, "the incident at a glance")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="machine-readable")
    g.add_argument("--oneline", action="store_true", help="one line for a tmux status bar")

    c = add_command(sub, "check", cmd_check, "tick a checklist item")
    c.add_argument("item", metavar="ITEM")
    c = add_command(sub, "uncheck", cmd_uncheck, "untick a checklist item (or take back its skip)")
    c.add_argument("item", metavar="ITEM")
    c = add_command(sub, "skip", cmd_skip, "say a checklist item will not be done, and why")
    c.add_argument("item", metavar="ITEM")
    c.add_argument("--reason", "-r", required=True, metavar="TEXT", help="why (shown and logged)")
    c = add_command(sub, "assign", cmd_assign, "give a role to a person")
    c.add_argument("role", metavar="ROLE")
    c.add_argument("user", metavar="USER")
    c = add_command(sub, "unassign", cmd_unassign, "leave a role vacant")
    c.add_argument("role", metavar="ROLE")
    c = add_command(sub, "metric", cmd_metric, "report impact metrics (severity follows the rules)")
    c.add_argument("pairs", nargs="+", metavar="NAME=VALUE")
    c = add_command(
        sub, "phase", cmd_phase, "move to the next phase (once each item is ticked or skipped)"
    )
    c.add_argument("direction", choices=["next"], metavar="next")
    c.add_argument(
        "--force", action="store_true", help='move on anyway: open items are skipped as "forced"'
    )
    c = add_command(sub, "posted", cmd_posted, "record a message published outside warroom")
    c.add_argument("purpose", choices=PUBLISH_PURPOSES)
    c.add_argument("--next", metavar="WHEN", help="the next update it promised: 30m or 14:15")
    c.add_argument("--note", metavar="TEXT", help="where or what, for the timeline")
    c = add_command(sub, "note", cmd_note, "add a line to the timeline")
    c.add_argument("text", nargs="+", metavar="TEXT")
    c = add_command(sub, "queue", cmd_queue, "report a support channel's queue depth")
    c.add_argument("channel", metavar="CHANNEL")
    c.add_argument("depth", metavar="DEPTH")
    c.add_argument("--oldest", metavar="WHEN", help="how long the oldest waits: 12m, or 14:02")
    c = add_command(sub, "action", cmd_action, "turn a channel's playbook action on or off")
    c.add_argument("channel", metavar="CHANNEL")
    c.add_argument("action", metavar="ACTION")
    c.add_argument("state", choices=["on", "off", "toggle"])
    c = add_command(sub, "close", cmd_close, "close the incident (once its resolution is out)")
    c.add_argument("--force", action="store_true", help="close an unresolved one (recorded)")

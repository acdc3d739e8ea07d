"""The ``warroom`` command: every action scriptable, without a terminal UI.

Imports stay light here (no Textual, no httpx, no Jinja2): start-up time is a
product feature, and a tmux status line calls ``warroom status --oneline``
every few seconds. Errors are one line on stderr and exit status 2.

One module per command group, each registering its subcommands beside their
handlers (``register(sub)``), in the order ``warroom --help`` lists them:

- ``playbook``   playbook check, list, reload (and what a playbook name means)
- ``incident``   start, status, check, uncheck, skip, assign, unassign, metric,
  phase, posted, note, queue, action, close
- ``publish``    draft, publish, approve, reject, deliver, outbox
- ``reply``      reply (a channel's canned reply: print, copy, --json)
- ``destinations`` destinations (list), destinations check
- ``lint``       lint (the message check on any text, no incident)
- ``amends``     postmortem, offers
- ``page``       page serve (the local status page)
- ``history``    log, list
- ``dashboard``  dashboard (what plain ``warroom`` runs), demo; the sample
  incident is seeded in ``demo``, and ``launch`` starts the Textual app
- ``room``       tmux (the war room: a shared tmux session, created or joined)
- ``watch``      watch (the queue poller without a dashboard; --once)

Shared by all: ``context`` (what a handler gets: options, clock, actor, the
store; output helpers; exit codes) and ``parser`` (one-line usage errors, the
global options before or after the command). This module builds the parser
and turns every failure into one line and an exit status (:func:`main`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui.cli import (
    amends,
    dashboard,
    destinations,
    history,
    incident,
    lint,
    page,
    playbook,
    publish,
    reply,
    room,
    watch,
)
from tui.cli.context import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, Context, UsageError, err, safe
from tui.cli.parser import (
    Parser,
    add_globals,
    check_utf8,
    globals_everywhere,
    negative_times,
    settle_incident,
    when_options,
)

if TYPE_CHECKING:
    from tui.core.config import ConfigError
    from tui.core.playbook import PlaybookError

# The command groups, in the order `warroom --help` lists their commands.
GROUPS = (
    playbook,
    incident,
    publish,
    reply,
    destinations,
    lint,
    amends,
    page,
    history,
    dashboard,
    room,
    watch,
)


def build_parser() -> Parser:
    # argparse asks gettext for a translation of its own words ("usage:", "options", ...)
    # at every parser and argument: ~150 look-ups on disk per start, for translations
    # Python does not ship. While the tree is built its words stay as written; at parse
    # time (its error messages) argparse asks gettext as usual.
    import argparse

    translate = argparse._  # type: ignore[attr-defined]
    argparse._ = _as_written  # type: ignore[attr-defined]
    try:
        return _build_parser()
    finally:
        argparse._ = translate  # type: ignore[attr-defined]


def _as_written(text: str) -> str:
    return text  # (None too: argparse asks for a translation of a missing description)


def _build_parser() -> Parser:
    from tui import __version__

    p = Parser(
        prog="warroom",
        description="The customer side of a major outage, in a terminal.",
        epilog="Errors are one line on stderr with exit status 2. See README.md.",
    )
    p.add_argument("--version", action="version", version=f"warroom {__version__}")
    add_globals(p, top=True)
    p.add_argument(
        "--incident",
        "-i",
        dest="incident_before",
        metavar="ID",
        help="the incident (e.g. INC-3), before or after the command",
    )
    p.set_defaults(func=dashboard.cmd_dashboard, incident_ok=True)
    sub = p.add_subparsers(title="commands", metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    globals_everywhere(p)
    return p


def _os_error(exc: OSError) -> str:
    from tui.core.files import os_reason

    reason = os_reason(exc)
    where = exc.filename
    return f"{where}: {reason}" if where else reason


def _problems_errors() -> tuple[type[PlaybookError | ConfigError], ...]:
    """PlaybookError, and ConfigError once its module is loaded (before, nothing can have
    raised it): a command that reads no config (``status --oneline``) does not import it."""
    from tui.core.playbook import PlaybookError

    model = sys.modules.get("tui.core.config.model")
    return (PlaybookError, model.ConfigError) if model is not None else (PlaybookError,)


def _one_line_errors() -> tuple[type[Exception], ...]:
    """CommandError (what tui.commands raises, from the light module it lives in), the
    usage errors, and StoreError once the store is loaded (``status --oneline`` answered
    from its cache never loads it)."""
    from tui.core.errors import CommandError

    errors = (module.StoreError,) if (module := sys.modules.get("tui.core.store.errors")) else ()
    return (CommandError, UsageError, *errors)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args_in = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(negative_times(args_in, when_options(parser)))
        settle_incident(parser, args)
    except SystemExit as exc:  # argparse: usage errors exit 2 with one line
        return int(exc.code or 0)
    import sqlite3

    ctx = None
    try:
        check_utf8(parser, args)
        ctx = Context(args)
        code: int = args.func(ctx)
        return code
    except _problems_errors() as exc:
        for problem in exc.problems:
            sys.stderr.write(safe(str(problem)) + "\n")
        return EXIT_USAGE
    except _one_line_errors() as exc:
        err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    # Conditions a user meets (full disk, a damaged database, a file that cannot be
    # written): one line naming the cause, exit 2. Transactions roll back: nothing half-done.
    except sqlite3.Error as exc:
        from tui.core.store import explain

        where = ctx.db_path() if ctx is not None else "?"
        err(explain(where, exc, ctx.timeout() if ctx is not None else 5.0))
        return EXIT_USAGE
    except OSError as exc:
        err(_os_error(exc))
        return EXIT_USAGE
    except UnicodeEncodeError as exc:
        err(f"text that is not valid UTF-8 cannot be stored ({exc.reason}); nothing was written")
        return EXIT_USAGE
    except Exception as exc:  # never a traceback on a stressed engineer's screen
        if os.environ.get("WARROOM_DEBUG"):
            raise
        err(f"internal error: {type(exc).__name__}: {exc} (set WARROOM_DEBUG=1 for details)")
        return EXIT_INTERNAL
    finally:
        if ctx is not None:
            ctx.close()


__all__ = ["build_parser", "main"]

"""What happened, read back: ``log`` (one incident's timeline) and ``list`` (the incidents).

Both only read. A missing database is one line and exit 2, never an empty
answer: a mistyped ``--db`` must not look like "no incidents".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.cli.context import EXIT_OK, Context, incident, out, print_json
from tui.cli.parser import add_command

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers


def cmd_log(ctx: Context) -> int:
    from tui.core import report

    store, incident_id = incident(ctx)
    state = store.state(incident_id)
    if ctx.args.json:
        print_json(report.log_dicts(state, everything=ctx.args.all))
    else:
        for line in report.log_lines(state, everything=ctx.args.all):
            out(line)
    return EXIT_OK


def cmd_list(ctx: Context) -> int:
    from tui.core import report

    store = ctx.store()  # no database there: one line, exit 2 (a typo'd path is not "no incidents")
    rows = report.list_dicts(store, ctx.clock.now(), include_closed=ctx.args.all)
    if ctx.args.json:
        print_json(rows)
    elif not rows:
        out("no open incidents" if not ctx.args.all else "no incidents")
    else:
        for line in report.list_lines(rows):
            out(line)
    return EXIT_OK


def register(sub: Subparsers) -> None:
    c = add_command(sub, "log", cmd_log, "the timeline, as sentences")
    c.add_argument("--json", action="store_true")
    c.add_argument("--all", action="store_true", help="draft saves too")
    c = add_command(sub, "list", cmd_list, "open incidents", incident=False)
    c.add_argument("--all", action="store_true", help="closed ones too")
    c.add_argument("--json", action="store_true")

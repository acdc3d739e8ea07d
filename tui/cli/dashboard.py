"""``warroom`` / ``warroom dashboard`` (the live dashboard) and ``warroom demo``.

On a terminal, the dashboard opens; piped or scripted, plain ``warroom``
prints the status of each open incident instead (or first-run guidance when
there is none), so it never hangs a script waiting for keys. The demo seeds a
sample incident in a temporary database (tui/cli/demo.py).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from tui.cli.context import EXIT_OK, Context, out
from tui.cli.parser import add_command

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_dashboard(ctx: Context) -> int:
    """The dashboard (on a terminal); the status of open incidents otherwise."""
    if getattr(ctx.args, "dashboard", True) and _interactive():
        from tui.cli.launch import launch_dashboard

        return launch_dashboard(ctx, incident=getattr(ctx.args, "incident", None))
    from tui.core import report
    from tui.core.store import StoreError

    try:
        store = ctx.store()
        rows = store.incidents()
    except StoreError:
        if os.path.exists(ctx.db_path()):  # foreign, damaged, unreadable: say so (exit 2)
            raise
        rows = []  # no database yet: the first-run guidance below
    if not rows:
        out("No open incident. Start one:")
        out("  warroom start --playbook saas-major-outage --title 'API down' \\")
        out("      --metric users_affected_pct=12")
        out("or see it all on a sample incident: warroom demo")
        return EXIT_OK
    now = ctx.clock.now()
    for row in rows:
        out(report.status_text(store.state(row.id), now))
        out()
    return EXIT_OK


def cmd_demo(ctx: Context) -> int:
    from tui.cli.demo import run_demo

    return run_demo(ctx)


def register(sub: Subparsers) -> None:
    c = add_command(
        sub, "dashboard", cmd_dashboard, "the live dashboard (what plain `warroom` opens)"
    )
    c.add_argument("--no-bell", action="store_true", help="no terminal bell when an update is late")
    c = add_command(
        sub, "demo", cmd_demo, "the dashboard on a sample incident in a temporary database", False
    )
    c.add_argument("--no-bell", action="store_true", help="no terminal bell when an update is late")
    c.add_argument("--print", action="store_true", help="print the walk-through, no dashboard")

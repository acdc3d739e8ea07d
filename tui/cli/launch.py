"""Starting the Textual dashboard: the one place the CLI reaches Textual (through tui.app).

Used by ``warroom`` / ``warroom dashboard`` and by ``warroom demo``. Before
anything else it installs the lifeline (a terminal that goes away ends the
process within 2 s, see tui/app/lifeline.py); a broken config does not stop
the dashboard from opening (publishing says why it cannot).
"""

from __future__ import annotations

import os
from pathlib import Path

from tui.cli.context import Context


def launch_dashboard(
    ctx: Context, *, incident: str | None = None, db_path: Path | None = None, welcome: str = ""
) -> int:
    """Run the dashboard until it quits; its exit status."""
    from tui.app.lifeline import Lifeline
    from tui.app.room import Room

    # first of all: the terminal can go away before the first frame, and then
    # the process ends within 2 s (see tui/app/lifeline.py)
    lifeline = Lifeline()
    lifeline.install()

    group = ctx.args.group or os.environ.get("WARROOM_GROUP") or None
    room = Room(db_path or ctx.db_path(), ctx.clock, ctx.actor, timeout=ctx.timeout(), group=group)
    from tui.core.config import Config, ConfigError, load_config

    try:
        config, config_error = load_config(ctx.args.config), None
    except ConfigError as exc:  # the dashboard still opens; publishing says why it can't
        if exc.keymap:
            raise  # but not with keys the user did not ask for: FILE:LINE:COL, exit 2
        config, config_error = Config(), f"config: {exc.problems[0]}"
    from tui.app.app import WarroomApp
    from tui.app.run import run_dashboard

    # COLUMNS/LINES are a snapshot of some earlier size (bash exports them with
    # checkwinsize in some setups); Textual would believe them over the terminal
    # and never follow a resize or a second tmux client. The tty is the truth.
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
    bell = not getattr(ctx.args, "no_bell", False) and not os.environ.get("WARROOM_NO_BELL")
    app = WarroomApp(
        room,
        incident=incident,
        bell=bell,
        config=config,
        config_error=config_error,
        welcome=welcome,
        lifeline=lifeline,
    )
    if lifeline.lost.is_set():  # gone during start-up: nothing to save, nothing to show
        from tui.app.lifeline import hard_exit

        hard_exit(lifeline.code, flush=False)
    return run_dashboard(app)

"""Running the dashboard and leaving it: never wait forever, never lose what was typed.

:func:`run_dashboard` runs the app on an event loop of its own and bounds
every wait on the way out (``asyncio.run`` would wait without a bound for
every worker thread -- a runaway template render, a request to a dead host).
:func:`save_draft_now` puts what was typed into the database on a connection
of its own, on quit and straight from the signal handler when the terminal
goes away. The whole exit stays under 2 s even when a worker never returns.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from tui import commands
from tui.app.lifeline import hard_exit

if TYPE_CHECKING:
    from tui.app.app import WarroomApp

SAVE_TIMEOUT = 0.4  # busy timeout of the draft's last save
WORKERS_WAIT = 0.5  # for worker threads after the app has stopped


def run_dashboard(app: WarroomApp) -> int:
    """Run ``app`` to its end and return its exit code, within bounded waits."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app.loop_for_signals = loop
    try:
        app.run(loop=loop)
    except OSError:
        if app.lifeline is None or not app.lifeline.dead.is_set():
            raise  # (with the terminal gone, a last message fails to print: nothing to say)
    finally:
        stuck = not _close_loop(loop)
    code = app.return_code or 0
    if app.lifeline is not None:
        if app.lifeline.lost.is_set():
            # the draft is saved and the room left: skip the interpreter's teardown,
            # which took 5-20 s per process with 50 dashboards ending at once (and
            # during which no watchdog thread can run any more)
            hard_exit(app.lifeline.code or code, flush=False)
        if stuck:
            hard_exit(code)  # a worker thread that never ends would block the exit
        app.lifeline.exited()
    return code


def _close_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """What asyncio.run does when it ends, with a bound on waiting for worker threads."""
    try:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        try:
            loop.run_until_complete(
                asyncio.wait_for(loop.shutdown_default_executor(), WORKERS_WAIT)
            )
        except TimeoutError:
            return False
        return True
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def save_draft_now(app: WarroomApp) -> None:
    """What was typed goes to the database now, on a connection of its own.

    Not through the room: a worker stuck on it (a database lock held
    elsewhere) must not hold up leaving. Called on quit, and straight from
    the signal handler when the terminal goes away.
    """
    dash, room = app.dashboard, app.room
    if dash is None or room.incident_id is None:
        return
    pending = dash.flush_draft()
    editing = False
    with contextlib.suppress(Exception):
        editing = dash.editing_draft
        from tui.widgets.draft import DraftEditor

        editor = dash.query_one(DraftEditor)
        if editor.purpose and editor.dirty and (pending is None or pending[0] == editor.purpose):
            pending = (editor.purpose, editor.text_area.text)  # with the newest keys
    from tui.core.store import Store

    store = Store(room.path, timeout=SAVE_TIMEOUT, group=room.group)
    try:
        if pending is not None or editing:  # saved as a version, and the draft freed
            commands.release_draft(
                store, app.clock, room.actor, room.incident_id, room.session, pending
            )
    finally:
        with contextlib.suppress(Exception):
            store.leave(room.session)  # others see us leave the room now
        store.close()

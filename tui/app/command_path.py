"""The one command path from the dashboard: a :mod:`tui.commands` function run off
the UI thread, and the state it leaves shown on every screen that shows one.

A command runs in a worker through the :class:`~tui.app.room.Room` (one user of
the connection at a time) and hands back the incident's new state, which the
dashboard and the post-mortem screen paint at once -- the same functions the
CLI runs, so a key and a command line cannot disagree. The screen shows the
change itself: a success is silent unless asked to speak, a no-op ("already
ticked by alice") and a refusal are always said.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui import commands
from tui.core.state import IncidentState

if TYPE_CHECKING:
    from tui.app.app import WarroomApp


def run_command(
    app: WarroomApp,
    fn: Callable[..., commands.Outcome],
    *args: Any,
    quiet: bool = True,
    tell_noop: bool = True,
    then: Callable[[], None] | None = None,
    **kwargs: Any,
) -> None:
    """``fn`` on the open incident; a success is said only when ``quiet`` is False,
    a no-op unless ``tell_noop`` is False; ``then()`` after the state is shown."""

    def done(result: tuple[commands.Outcome, IncidentState]) -> None:
        outcome, state = result
        noop = outcome.event_id is None
        say = outcome.message if (noop and tell_noop) or (not noop and not quiet) else None
        _applied(app, state, say, then)

    app.background(lambda: app.room.run(fn, *args, **kwargs), done, group="commands")


def attempt(
    app: WarroomApp,
    fn: Callable[..., commands.Outcome],
    *args: Any,
    done: Callable[[IncidentState], None] | None = None,
    failed: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> None:
    """A command that may be refused (the draft's hold): the state is shown either way,
    then ``done(state)``, or ``failed(reason)`` (without ``failed``: the reason is said)."""
    room = app.room

    def work() -> tuple[commands.Outcome | commands.CommandError, IncidentState]:
        try:
            return room.run(fn, *args, **kwargs)
        except commands.CommandError as exc:  # refused: show why, and the state that says so
            return exc, room.current()

    def back(result: tuple[commands.Outcome | commands.CommandError, IncidentState]) -> None:
        outcome, state = result
        _applied(app, state, None, None)
        if isinstance(outcome, commands.CommandError):
            (failed or app.error)(str(outcome))
        elif done is not None:
            done(state)

    app.background(work, back, group="commands")


def _applied(
    app: WarroomApp, state: IncidentState, message: str | None, then: Callable[[], None] | None
) -> None:
    app.show_state(state)
    if message:
        app.notify(message, timeout=3, markup=False)
    if then is not None:
        then()

"""Which incident the dashboard opens, asked only when it is not obvious.

One open incident opens at once; several bring the picker; none brings the
start form. ``--incident`` that names no open incident is said, then the same
rule applies. Starting with the title of an open incident asks first, and
"No" opens the existing one. Escape on the picker or the start form quits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui import commands
from tui.core.store import IncidentRow, StoreError

if TYPE_CHECKING:
    from tui.app.app import WarroomApp


def route(app: WarroomApp, rows: list[IncidentRow]) -> None:
    """After the database opened: the incident asked for, the only one, the picker, or a new one."""
    wanted = app.wanted_incident
    if wanted:
        norm = _norm(wanted)
        if norm not in [r.id for r in rows]:
            app.notify(f"no open incident {wanted}", severity="error", markup=False)
        else:
            app.open_incident(norm)
            return
    if len(rows) == 1:
        app.open_incident(rows[0].id)
    elif len(rows) > 1:
        app.background(lambda: _pick(app), lambda rows: _show_picker(app, rows))
    else:
        show_start(app)


def _pick(app: WarroomApp) -> list[tuple[str, str]]:
    from tui.core.report import oneline_for

    now = app.clock.now()
    rows: list[tuple[str, str]] = app.room.read(
        lambda store: [
            (r.id, oneline_for(store.state(r.id), now) + "  " + r.title) for r in store.incidents()
        ]
    )
    return rows


def _show_picker(app: WarroomApp, rows: list[tuple[str, str]]) -> None:
    from screens.picker import PickerScreen

    def picked(choice: str | None) -> None:
        if choice is None:
            app.exit()
        elif choice == "new":
            show_start(app)
        else:
            app.open_incident(choice)

    app.push_screen(PickerScreen(rows), callback=picked)


def show_start(app: WarroomApp) -> None:
    """The start form: a playbook, a title, the first metrics."""
    from screens.start import StartScreen
    from tui.core.resources import shipped_playbooks

    def started(values: dict[str, Any] | None) -> None:
        if values is None:
            app.exit()
            return
        app.run_worker(lambda: _start(app, values), thread=True, exit_on_error=False)

    app.push_screen(StartScreen(shipped_playbooks()), callback=started)


def _start(app: WarroomApp, values: dict[str, Any]) -> None:
    """In a worker: the incident started, then opened; a refusal brings the form back."""
    from tui.core.playbook import PlaybookError, load_playbook

    try:
        book = load_playbook(Path(values["playbook"]))
        incident = app.room.start(
            book, values["title"], values["metrics"], force=values.get("force", False)
        )
    except commands.DuplicateIncident as exc:
        app.call_from_thread(_confirm_duplicate, app, values, exc)
        return
    except (PlaybookError, commands.CommandError, StoreError) as exc:
        app.call_from_thread(app.error, str(exc))
        app.call_from_thread(show_start, app)
        return
    app.call_from_thread(app.open_incident, incident)


def _confirm_duplicate(
    app: WarroomApp, values: dict[str, Any], exc: commands.DuplicateIncident
) -> None:
    """Same title as an open incident: ask, and open the existing one unless told twice."""
    from screens.confirm import ConfirmScreen

    def answered(yes: bool | None) -> None:
        if yes:
            again = {**values, "force": True}
            app.run_worker(lambda: _start(app, again), thread=True, exit_on_error=False)
        else:
            app.open_incident(exc.incident_id)

    app.push_screen(
        ConfirmScreen(
            "Already open",
            f"{exc.incident_id} \u201c{values['title']}\u201d is already open."
            " Start a second incident anyway? (No opens the existing one.)",
            yes="Start another",
            no="Open it",
        ),
        callback=answered,
    )


def _norm(incident: str) -> str:
    return f"INC-{incident}" if incident.isdigit() else incident.strip().upper()

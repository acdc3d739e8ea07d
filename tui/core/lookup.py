"""Which incident the user means, from what they typed.

:func:`resolve_incident` turns ``--incident`` (``INC-7``, ``inc-7`` or ``7``)
into an incident id, or, when none is named, picks the only open incident; it
never guesses between two open ones. :func:`same_title` finds an open incident
whose title reads the same (case, spacing and control characters ignored), so
a second room for one outage is caught. A wrong name raises
:class:`~tui.core.errors.CommandError` with the command that shows the right one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.core.errors import CommandError
from tui.core.textsafe import clean_line

if TYPE_CHECKING:
    from tui.core.store import IncidentRow, Store


def resolve_incident(store: Store, incident_id: str | None) -> str:
    """The incident named, or the only open one; a clear error otherwise."""
    if incident_id:
        wanted = incident_id.strip().upper()
        if wanted.isdigit():
            wanted = f"INC-{wanted}"
        if not store.incident_exists(wanted):
            raise CommandError(f"no incident {incident_id!r} (see: warroom list --all)")
        return wanted
    rows = store.incidents()
    if not rows:
        raise CommandError(
            "no open incident (start one: warroom start --playbook NAME --title TEXT)"
        )
    if len(rows) > 1:
        listed = ", ".join(f"{r.id} \u201c{clean_line(r.title)[:40]}\u201d" for r in rows)
        raise CommandError(f"{len(rows)} incidents are open, name one with --incident: {listed}")
    return rows[0].id


def _title_key(title: str) -> str:
    return " ".join(clean_line(title).casefold().split())


def same_title(store: Store, title: str) -> IncidentRow | None:
    """The open incident whose title reads like ``title``, if any."""
    key = _title_key(title)
    return next((r for r in store.incidents() if _title_key(r.title) == key), None)

"""What every command shares: the outcome it returns and the checks it makes first.

A command returns an :class:`Outcome` (``event_id`` None when nothing needed
changing, so a repeated key press writes nothing) or raises
:class:`CommandError` before writing. User text is cleaned of control
characters and held to a length (the ``MAX_*`` limits here); a user name is
one word; an incident must be open to be changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.core.errors import CommandError
from tui.core.textsafe import clean_line

if TYPE_CHECKING:
    from tui.core.state import IncidentState
    from tui.core.store import Writer

MAX_TITLE = 200
MAX_NOTE = 2000
MAX_REASON = 300
MAX_DRAFT = 25_000


@dataclass(frozen=True, slots=True)
class Outcome:
    incident_id: str
    event_id: int | None  # None: nothing needed changing
    message: str


def user_text(text: str, what: str, limit: int) -> str:
    """One line of user text, cleaned; empty or longer than ``limit``: refused."""
    cleaned = clean_line(text).strip()
    if not cleaned:
        raise CommandError(f"{what} must not be empty")
    if len(cleaned) > limit:
        raise CommandError(f"{what} is too long ({len(cleaned)} characters; at most {limit})")
    return cleaned


def check_actor(actor: str) -> str:
    """A user name as given: one word of printable characters, at most 64."""
    name = clean_line(actor).strip()
    if not name or name != actor or len(name) > 64 or " " in name:
        raise CommandError(f"not a user name: {actor!r} (letters, digits, . _ - @; no spaces)")
    return name


def open_state(w: Writer, incident_id: str) -> IncidentState:
    """The incident's fresh state inside the write; a closed one is refused."""
    s = w.state(incident_id)
    if s.closed_at:
        raise CommandError(f"{incident_id} is closed")
    return s

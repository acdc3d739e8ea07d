"""Who holds which role of the playbook: assign a user, or release the role.

Only roles the playbook names can be held; the user is a checked name (one
word). Assigning the current holder again, or releasing a vacant role, writes
nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.commands.base import Outcome, check_actor, open_state
from tui.core import state as ev
from tui.core.errors import CommandError

if TYPE_CHECKING:
    from tui.core.clock import Clock
    from tui.core.store import Store


def assign(
    store: Store, clock: Clock, actor: str, incident_id: str, role_id: str, user: str | None
) -> Outcome:
    """Give ``role_id`` to ``user``; ``user`` None releases it."""
    with store.write() as w:
        s = open_state(w, incident_id)
        role = s.book.role(role_id)
        if role is None:
            known = ", ".join(r.id for r in s.book.roles)
            raise CommandError(f"unknown role {role_id!r} (roles: {known})")
        if user is None:
            if role.id not in s.roles:
                return Outcome(incident_id, None, f"nobody holds {role.id}")
            event_id = w.append(incident_id, clock.now(), actor, ev.RELEASED, {"role": role.id})
            return Outcome(incident_id, event_id, f"released {role.id}")
        user = check_actor(user)
        if s.roles.get(role.id) == user:
            return Outcome(incident_id, None, f"{user} already holds {role.id}")
        event_id = w.append(
            incident_id, clock.now(), actor, ev.ASSIGNED, {"role": role.id, "user": user}
        )
    return Outcome(incident_id, event_id, f"{role.title}: {user}")

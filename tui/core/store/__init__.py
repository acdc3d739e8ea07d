"""The incident store: one SQLite file, an append-only event log (see :mod:`.database`).

Where each part lives:

* :mod:`~tui.core.store.database` -- :class:`Store`: opening a warroom database (refusing
  what is not one), reading incidents, events and presence, the write transaction;
* :mod:`~tui.core.store.writer` -- :class:`Writer`: appending events inside that transaction;
* :mod:`~tui.core.store.schema` -- the tables and the numbered migrations;
* :mod:`~tui.core.store.creating` -- a new database, made whole before anyone sees it;
* :mod:`~tui.core.store.errors` -- :class:`StoreError` and :func:`explain`: every SQLite
  failure as one line for a person.

Other layers import these names from ``tui.core.store``; modules inside ``tui.core`` import
from the precise module.
"""

from __future__ import annotations

from tui.core.store.creating import default_db_path
from tui.core.store.database import PRESENCE_TTL, IncidentRow, Presence, Store
from tui.core.store.errors import DEFAULT_TIMEOUT, StoreError, explain
from tui.core.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from tui.core.store.writer import Writer

__all__ = [
    "APPLICATION_ID",
    "DEFAULT_TIMEOUT",
    "MIGRATIONS",
    "PRESENCE_TTL",
    "SCHEMA_VERSION",
    "IncidentRow",
    "Presence",
    "Store",
    "StoreError",
    "Writer",
    "default_db_path",
    "explain",
]

"""Appending to the store, inside one write transaction: events, incidents, pinned playbooks.

A :class:`Writer` exists only inside :meth:`Store.write <tui.core.store.database.Store.write>`
(``BEGIN IMMEDIATE`` ... ``COMMIT``): what it reads is fresh, and what it appends is
all written or not at all. It refuses an event kind the fold does not know.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.core.clock import to_iso
from tui.core.playbook.model import Playbook
from tui.core.state.events import CLOSED, KINDS
from tui.core.state.incident import IncidentState

if TYPE_CHECKING:
    from tui.core.store.database import Store


class Writer:
    """Appends to the store during one transaction (see :meth:`Store.write`)."""

    def __init__(self, store: Store):
        self.store = store

    def state(self, incident_id: str) -> IncidentState:
        return self.store.state(incident_id)

    def pin_playbook(self, book: Playbook) -> None:
        self.store.db.table("playbooks").insert(
            {"sha256": book.sha256, "name": book.name, "source": book.source, "text": book.text},
            ignore=True,
        )

    def new_incident(self, title: str, at: datetime) -> str:
        row = self.store.conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM incidents").fetchone()
        incident_id = f"INC-{row[0]}"
        self.store.db.table("incidents").insert(
            {"seq": row[0], "id": incident_id, "title": title, "started_at": to_iso(at)}
        )
        return incident_id

    def append(
        self, incident_id: str, at: datetime, actor: str, kind: str, data: dict[str, Any]
    ) -> int:
        if kind not in KINDS:  # a typo here would fold as "recorded ..." forever
            raise ValueError(f"unknown event kind {kind!r}")
        table = self.store.db.table("events").insert(
            {
                "incident_id": incident_id,
                "at": to_iso(at),
                "actor": actor,
                "kind": kind,
                "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
            }
        )
        if kind == CLOSED:
            self.store.db.table("incidents").update(
                self._seq(incident_id), {"closed_at": to_iso(at)}
            )
        event_id = table.last_pk
        assert isinstance(event_id, int), "an insert into the event log gives its id"
        return event_id

    def _seq(self, incident_id: str) -> int:
        return int(
            self.store.conn.execute(
                "SELECT seq FROM incidents WHERE id = ?", (incident_id,)
            ).fetchone()[0]
        )

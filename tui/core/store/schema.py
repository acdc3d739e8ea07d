"""The database schema: tables, and the numbered migrations that build them.

The schema version lives in ``PRAGMA user_version`` and moves only through
:data:`MIGRATIONS`, in order, each inside the caller's transaction; the file is
marked as warroom's own with ``PRAGMA application_id``. A migration is never
edited once released: a change to the schema is a new one at the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

APPLICATION_ID = 0x5752_4D31  # "WRM1"


def _m1(db: Database) -> None:
    # Incidents, the playbooks they pinned, and the append-only event log.
    db.table("incidents").create(
        {"seq": int, "id": str, "title": str, "started_at": str, "closed_at": str},
        pk="seq",
        not_null={"id", "title", "started_at"},
    )
    db.table("incidents").create_index(["id"], unique=True)
    db.table("playbooks").create(
        {"sha256": str, "name": str, "source": str, "text": str},
        pk="sha256",
        not_null={"name", "text"},
    )
    db.table("events").create(
        {
            "id": int,
            "incident_id": str,
            "at": str,
            "actor": str,
            "kind": str,
            "data": str,
        },
        pk="id",
        not_null={"incident_id", "at", "actor", "kind", "data"},
    )
    db.table("events").create_index(["incident_id", "id"])
    db.execute(
        "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )


def _m2(db: Database) -> None:
    # Who is in the room: one row per attached dashboard, refreshed by heartbeats.
    # Not events: a heartbeat every few seconds would drown the log.
    db.table("presence").create(
        {
            "session": str,
            "incident_id": str,
            "user": str,
            "tty": str,
            "since": str,
            "last_seen": str,
        },
        pk="session",
        not_null={"user", "since", "last_seen"},
    )


def _m3(db: Database) -> None:
    # The durable outbox: what must reach a status page, written in the same
    # transaction as the event that asked for it. Rows change state (a queue,
    # not the log); every outcome is also an event.
    db.execute(
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            incident_id TEXT NOT NULL,
            destination TEXT NOT NULL,
            purpose TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            lease_owner TEXT,
            lease_until TEXT,
            ambiguous INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            provider_ref TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            event_id INTEGER
        )"""
    )
    db.execute("CREATE INDEX outbox_due ON outbox(state, next_attempt_at)")
    db.execute("CREATE INDEX outbox_order ON outbox(incident_id, destination, id)")
    db.execute(
        """CREATE TABLE provider_incidents (
            incident_id TEXT NOT NULL,
            destination TEXT NOT NULL,
            provider_id TEXT NOT NULL,
            PRIMARY KEY (incident_id, destination)
        )"""
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    import uuid

    db.execute("INSERT INTO meta(key, value) VALUES ('instance', ?)", [uuid.uuid4().hex[:12]])


def _m4(db: Database) -> None:
    # Support queues filled by their sources (config ``channels:``). Not events: a
    # poll every 30 s would drown the log; an event is written only when a count moves.
    # ``leases``: one named job per database (the queue poller), held by one process.
    db.execute(
        """CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            until TEXT NOT NULL,
            since TEXT NOT NULL
        )"""
    )
    # one row per configured channel source: what the poller last saw and said
    db.execute(
        """CREATE TABLE queue_sources (
            channel TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('ok', 'error')),
            polled_at TEXT,
            ok_at TEXT,
            next_at TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            count INTEGER,
            oldest_since TEXT,
            error TEXT,
            owner TEXT
        )"""
    )


def _m5(db: Database) -> None:
    # A checkpoint of the fold per incident (tui/core/state/checkpoint.py): the state as
    # JSON after event ``event_id``, with what it was made with; a reader refuses it on
    # any mismatch and replays. Not the log: rebuilt from it at will.
    db.execute(
        """CREATE TABLE checkpoints (
            incident_id TEXT PRIMARY KEY,
            event_id INTEGER NOT NULL,
            schema_version INTEGER NOT NULL,
            playbook_sha TEXT NOT NULL,
            code_version TEXT NOT NULL,
            state TEXT NOT NULL,
            written_at TEXT NOT NULL
        )"""
    )


# Numbered migrations: MIGRATIONS[n - 1] takes the schema from version n-1 to n.
MIGRATIONS: list[Callable[[Database], None]] = [_m1, _m2, _m3, _m4, _m5]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """From ``version`` to the current schema, inside the caller's transaction."""
    import sqlite_utils

    db = sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)
    for n in range(version, SCHEMA_VERSION):
        MIGRATIONS[n](db)
        conn.execute(f"PRAGMA user_version={n + 1}")
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")

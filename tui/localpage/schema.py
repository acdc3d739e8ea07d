"""The local status page's SQLite file: its vocabulary, its tables, and whose file it is.

* Statuses and impacts are Statuspage's words (:data:`INCIDENT_STATUSES`,
  :data:`COMPONENT_STATUSES`, :data:`IMPACTS`); an incident's computed impact is the worst
  :data:`COMPONENT_IMPACT` of the component statuses it ever set ("critical" only ever
  comes from ``impact_override``).
* Tables: ``meta`` (page id, creation time), ``components``, ``incidents``,
  ``incident_components`` (which components an incident names), ``incident_updates`` (the
  timeline) and ``postmortems``. The file carries :data:`APPLICATION_ID` and
  :data:`SCHEMA_VERSION`.
* The file is created 0600 and belongs to one page id; a file of another page, one written
  by a newer warroom, or any other SQLite file (e.g. the war room's own incident DB), is
  refused with :class:`PageStoreError`.
* Component ids are stable and derived from the name: ``sha1(name)[:12]`` (lowercase hex),
  see :func:`component_id`, so a config can name them before the page ever ran. Incident
  and update ids: 12 random lowercase letters and digits. Times: ISO 8601 UTC with
  milliseconds and ``Z``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import string
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
COMPONENT_STATUSES = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
IMPACTS = ("none", "maintenance", "minor", "major", "critical")
# An incident's computed impact, from the worst component status it sets (kept simple:
# "critical" only ever comes from ``impact_override``).
COMPONENT_IMPACT = {
    "operational": "none",
    "under_maintenance": "maintenance",
    "degraded_performance": "minor",
    "partial_outage": "minor",
    "major_outage": "major",
}

SCHEMA_VERSION = 1
APPLICATION_ID = 0x5750_4731  # "WPG1": a warroom status-page file
_ALPHABET = string.ascii_lowercase + string.digits


class PageStoreError(Exception):
    """The database file cannot be used (not ours, too new, another page's)."""


class Invalid(ValueError):
    """A well-formed request the page cannot apply (answered 422)."""


def component_id(name: str) -> str:
    """The stable id of a component: the first 12 hex digits of sha1(name, UTF-8)."""
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]


def new_id() -> str:
    """A new incident or update id: 12 random lowercase letters and digits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


def now_iso() -> str:
    """Now, as the page writes times: ISO 8601 UTC with milliseconds and ``Z``."""
    t = datetime.now(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def worst_impact(impacts: Iterable[str]) -> str:
    return max(impacts, key=IMPACTS.index, default="none")


def merge_metadata(old: dict[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Recursive merge of metadata: objects merge, ``null`` removes a key, the rest replaces."""
    out = dict(old)
    for k, v in new.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = merge_metadata(out[k], v)
        else:
            out[k] = v
    return out


_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE components (
    position INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE incidents (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    impact TEXT NOT NULL,
    impact_override TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    monitoring_at TEXT,
    resolved_at TEXT,
    metadata TEXT NOT NULL
);
CREATE TABLE incident_components (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    component_id TEXT NOT NULL REFERENCES components(id),
    PRIMARY KEY (incident_id, component_id)
);
CREATE TABLE incident_updates (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    display_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deliver_notifications INTEGER NOT NULL,
    affected_components TEXT NOT NULL
);
CREATE INDEX incident_updates_by_incident ON incident_updates (incident_id, seq);
CREATE TABLE postmortems (
    incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
    body_draft TEXT,
    body TEXT,
    published_at TEXT,
    notify_subscribers INTEGER NOT NULL DEFAULT 0,
    notify_twitter INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


def create_file(path: Path) -> None:
    """Create the database file 0600 (exactly, whatever the umask) if it does not exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    real = Path(os.path.realpath(path))  # a dangling symlink: 0600 at its target too
    if not real.exists():
        try:
            fd = os.open(real, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return
        try:
            os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask
        finally:
            os.close(fd)


def migrate(con: sqlite3.Connection, path: Path) -> None:
    """Create the tables in a new, empty file; refuse a file that is not ours or too new."""
    version = con.execute("PRAGMA user_version").fetchone()[0]
    app_id = con.execute("PRAGMA application_id").fetchone()[0]
    if version == 0:
        if (
            app_id not in (0, APPLICATION_ID)
            or con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        ):
            raise PageStoreError(f"{path} is not a warroom status-page database")
        for stmt in _SCHEMA.split(";"):
            if stmt.strip():
                con.execute(stmt)
        con.execute("INSERT INTO meta (key, value) VALUES ('created_at', ?)", (now_iso(),))
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    if app_id != APPLICATION_ID:
        raise PageStoreError(f"{path} is not a warroom status-page database")
    if version > SCHEMA_VERSION:
        raise PageStoreError(f"{path} was written by a newer warroom (v{version})")


def claim(con: sqlite3.Connection, path: Path, page_id: str) -> None:
    """The file belongs to ``page_id`` from its first start on; another page's is refused."""
    row = con.execute("SELECT value FROM meta WHERE key = 'page_id'").fetchone()
    if row is None:
        con.execute("INSERT INTO meta (key, value) VALUES ('page_id', ?)", (page_id,))
    elif row[0] != page_id:
        raise PageStoreError(f"{path} holds page {row[0]!r}, not {page_id!r}")


def seed(con: sqlite3.Connection, names: Sequence[str]) -> None:
    """Add the configured components not yet in the file (operational); none is removed."""
    t = now_iso()
    for name in names:
        con.execute(
            "INSERT OR IGNORE INTO components (id, name, status, created_at, updated_at)"
            " VALUES (?, ?, 'operational', ?, ?)",
            (component_id(name), name, t, t),
        )

"""Storage of the local status page: its own SQLite file, through the stdlib ``sqlite3``.

* Tables: ``meta`` (page id, schema), ``components``, ``incidents``,
  ``incident_components`` (which components an incident names), ``incident_updates``
  (the timeline) and ``postmortems``.
* One short-lived connection per call, so any thread (uvicorn's event loop, Starlette's
  thread pool, a test) may use one :class:`PageStore`. WAL mode, busy timeout 5 s; every
  write is a single ``BEGIN IMMEDIATE`` transaction that re-reads what it depends on.
* Component ids are stable and derived from the name: ``sha1(name)[:12]`` (lowercase
  hex), see :func:`component_id`, so a config can name them before the page ever ran.
  Components are seeded from the configured names on first start; names added to the
  config later are added on the next start, none is ever removed.
* Incident and update ids: 12 random lowercase letters and digits. Times: ISO 8601 UTC
  with milliseconds and ``Z``.
* The file is created 0600 and belongs to one page id; a file of another page, or any
  other SQLite file (e.g. the war room's own incident DB), is refused.

Validation of types and lengths is the HTTP layer's job (``tui.localpage.app``); this module
checks what needs the database (unknown component ids) and raises :class:`Invalid`.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

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
BUSY_TIMEOUT = 5.0
_ALPHABET = string.ascii_lowercase + string.digits


class PageStoreError(Exception):
    """The database file cannot be used (not ours, too new, another page's)."""


class Invalid(ValueError):
    """A well-formed request the page cannot apply (answered 422)."""


def component_id(name: str) -> str:
    """The stable id of a component: the first 12 hex digits of sha1(name, UTF-8)."""
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]


def new_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


def now_iso() -> str:
    t = datetime.now(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def worst_impact(impacts: Iterable[str]) -> str:
    return max(impacts, key=IMPACTS.index, default="none")


def _merge(old: dict, new: Mapping) -> dict:
    """Recursive merge of metadata: objects merge, ``null`` removes a key, the rest replaces."""
    out = dict(old)
    for k, v in new.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
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


class PageStore:
    """One status page in one SQLite file."""

    def __init__(self, path: str | os.PathLike, *, page_id: str, components: Sequence[str] = ()):
        self.path = Path(path)
        self.page_id = page_id
        self._create_file()
        try:
            with self._write() as con:
                self._migrate(con)
                self._claim(con)
                self._seed(con, components)
            con = self._connect()
            try:
                con.execute("PRAGMA journal_mode = WAL")  # only once the file is known to be ours
            finally:
                con.close()
        except sqlite3.DatabaseError as e:
            raise PageStoreError(f"{self.path}: {e}") from None

    # -- plumbing ---------------------------------------------------------------------

    def _create_file(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        real = Path(os.path.realpath(self.path))  # a dangling symlink: 0600 at its target too
        if not real.exists():
            try:
                fd = os.open(real, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                return
            try:
                os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask
            finally:
                os.close(fd)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA synchronous = NORMAL")
        return con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            con.execute("BEGIN")  # one snapshot for every table read below
            yield con
            con.execute("COMMIT")
        finally:
            con.close()

    def _migrate(self, con: sqlite3.Connection) -> None:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        if version == 0:
            if (
                app_id not in (0, APPLICATION_ID)
                or con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            ):
                raise PageStoreError(f"{self.path} is not a warroom status-page database")
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    con.execute(stmt)
            con.execute("INSERT INTO meta (key, value) VALUES ('created_at', ?)", (now_iso(),))
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if app_id != APPLICATION_ID:
            raise PageStoreError(f"{self.path} is not a warroom status-page database")
        if version > SCHEMA_VERSION:
            raise PageStoreError(f"{self.path} was written by a newer warroom (v{version})")

    def _claim(self, con: sqlite3.Connection) -> None:
        row = con.execute("SELECT value FROM meta WHERE key = 'page_id'").fetchone()
        if row is None:
            con.execute("INSERT INTO meta (key, value) VALUES ('page_id', ?)", (self.page_id,))
        elif row[0] != self.page_id:
            raise PageStoreError(f"{self.path} holds page {row[0]!r}, not {self.page_id!r}")

    def _seed(self, con: sqlite3.Connection, names: Sequence[str]) -> None:
        t = now_iso()
        for name in names:
            con.execute(
                "INSERT OR IGNORE INTO components (id, name, status, created_at, updated_at)"
                " VALUES (?, ?, 'operational', ?, ?)",
                (component_id(name), name, t, t),
            )

    # -- reading ----------------------------------------------------------------------

    def _component(self, row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": row["id"],
            "page_id": self.page_id,
            "group_id": None,
            "name": row["name"],
            "description": None,
            "position": row["position"],
            "status": row["status"],
            "showcase": True,
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }

    def _components(self, con: sqlite3.Connection) -> list[dict[str, Any]]:
        rows = con.execute("SELECT * FROM components ORDER BY position")
        return [self._component(r) for r in rows]

    def _load(self, con: sqlite3.Connection, incident_id: str) -> dict[str, Any] | None:
        row = con.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        if row is None:
            return None
        comps = con.execute(
            "SELECT c.* FROM components c JOIN incident_components ic ON ic.component_id = c.id"
            " WHERE ic.incident_id = ? ORDER BY c.position",
            (incident_id,),
        )
        updates = con.execute(
            "SELECT * FROM incident_updates WHERE incident_id = ? ORDER BY seq DESC",
            (incident_id,),
        )
        pm = con.execute(
            "SELECT * FROM postmortems WHERE incident_id = ?", (incident_id,)
        ).fetchone()
        published = pm is not None and pm["published_at"] is not None
        return {
            "id": row["id"],
            "page_id": self.page_id,
            "name": row["name"],
            "status": row["status"],
            "impact": row["impact_override"] or row["impact"],
            "impact_override": row["impact_override"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "monitoring_at": row["monitoring_at"],
            "resolved_at": row["resolved_at"],
            "started_at": row["created_at"],
            "metadata": json.loads(row["metadata"]),
            "components": [self._component(c) for c in comps],
            "incident_updates": [
                {
                    "id": u["id"],
                    "incident_id": u["incident_id"],
                    "status": u["status"],
                    "body": u["body"],
                    "display_at": u["display_at"],
                    "created_at": u["created_at"],
                    "updated_at": u["created_at"],
                    "deliver_notifications": bool(u["deliver_notifications"]),
                    "affected_components": json.loads(u["affected_components"]),
                }
                for u in updates
            ],
            "postmortem_body": pm["body"] if published else None,
            "postmortem_body_last_updated_at": pm["updated_at"] if pm is not None else None,
            "postmortem_published_at": pm["published_at"] if published else None,
            "postmortem_notified_subscribers": bool(pm["notify_subscribers"]) if pm else False,
            "postmortem_notified_twitter": bool(pm["notify_twitter"]) if pm else False,
        }

    def components(self) -> list[dict[str, Any]]:
        with self._read() as con:
            return self._components(con)

    def component(self, cid: str) -> dict[str, Any] | None:
        with self._read() as con:
            row = con.execute("SELECT * FROM components WHERE id = ?", (cid,)).fetchone()
            return None if row is None else self._component(row)

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        with self._read() as con:
            return self._load(con, incident_id)

    def incidents(
        self,
        *,
        which: Literal["all", "unresolved", "resolved"] = "all",
        q: str | None = None,
        limit: int | None = 100,
        page: int = 1,
    ) -> list[dict[str, Any]]:
        """Incidents, newest first. ``q`` matches (case-insensitively, as a substring) the
        name, the status, every update body and the published post-mortem; not metadata."""
        where = {
            "all": "",
            "unresolved": "WHERE i.status != 'resolved'",
            "resolved": "WHERE i.status = 'resolved'",
        }[which]
        with self._read() as con:
            rows = con.execute(
                "SELECT i.id, i.name, i.status, p.body AS pm,"
                " (SELECT group_concat(u.body, char(0)) FROM incident_updates u"
                "  WHERE u.incident_id = i.id) AS bodies"
                f" FROM incidents i LEFT JOIN postmortems p ON p.incident_id = i.id {where}"
                " ORDER BY i.seq DESC"
            ).fetchall()
            if q:
                needle = q.casefold()
                rows = [
                    r
                    for r in rows
                    if needle
                    in "\0".join(
                        x for x in (r["name"], r["status"], r["bodies"], r["pm"]) if x
                    ).casefold()
                ]
            start = (max(page, 1) - 1) * (limit or 0)
            chosen = rows[start : start + limit] if limit is not None else rows
            return [inc for r in chosen if (inc := self._load(con, r["id"])) is not None]

    def overview(self, *, resolved_limit: int = 50) -> dict[str, Any]:
        """Everything the public page shows, from one snapshot."""
        with self._read() as con:
            comps = self._components(con)
            unresolved = [
                self._load(con, r[0])
                for r in con.execute(
                    "SELECT id FROM incidents WHERE status != 'resolved' ORDER BY seq DESC"
                )
            ]
            resolved = [
                self._load(con, r[0])
                for r in con.execute(
                    "SELECT id FROM incidents WHERE status = 'resolved' ORDER BY seq DESC LIMIT ?",
                    (resolved_limit,),
                )
            ]
            return {
                "components": comps,
                "unresolved": unresolved,
                "resolved": resolved,
                "updated_at": self._updated_at(con),
            }

    def _updated_at(self, con: sqlite3.Connection) -> str:
        row = con.execute(
            "SELECT max(t) FROM (SELECT max(updated_at) AS t FROM components"
            " UNION ALL SELECT max(updated_at) FROM incidents"
            " UNION ALL SELECT value FROM meta WHERE key = 'created_at')"
        ).fetchone()
        return row[0]

    def updated_at(self) -> str:
        with self._read() as con:
            return self._updated_at(con)

    # -- writing ----------------------------------------------------------------------

    @staticmethod
    def _known(con: sqlite3.Connection) -> dict[str, sqlite3.Row]:
        return {r["id"]: r for r in con.execute("SELECT * FROM components")}

    @staticmethod
    def _check_components(
        known: Mapping[str, Any], ids: Iterable[str], statuses: Mapping[str, str]
    ) -> None:
        for cid in [*ids, *statuses]:
            if cid not in known:
                raise Invalid(f"unknown component id {cid!r}")

    @staticmethod
    def _apply_components(
        con: sqlite3.Connection,
        incident_id: str,
        known: Mapping[str, sqlite3.Row],
        ids: Iterable[str],
        statuses: Mapping[str, str],
        t: str,
    ) -> list[dict[str, str]]:
        for cid in dict.fromkeys([*ids, *statuses]):
            con.execute(
                "INSERT OR IGNORE INTO incident_components (incident_id, component_id)"
                " VALUES (?, ?)",
                (incident_id, cid),
            )
        affected = []
        for cid, new in statuses.items():
            old = known[cid]["status"]
            if old != new:
                con.execute(
                    "UPDATE components SET status = ?, updated_at = ? WHERE id = ?", (new, t, cid)
                )
            affected.append(
                {"code": cid, "name": known[cid]["name"], "old_status": old, "new_status": new}
            )
        return affected

    @staticmethod
    def _add_update(
        con: sqlite3.Connection,
        incident_id: str,
        status: str,
        body: str,
        t: str,
        deliver: bool,
        affected: list[dict[str, str]],
    ) -> None:
        con.execute(
            "INSERT INTO incident_updates (id, incident_id, status, body, display_at, created_at,"
            " deliver_notifications, affected_components) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (new_id(), incident_id, status, body, t, t, int(deliver), json.dumps(affected)),
        )

    def create_incident(
        self,
        *,
        name: str,
        status: str = "investigating",
        body: str | None = None,
        impact_override: str | None = None,
        component_ids: Sequence[str] = (),
        components: Mapping[str, str] | None = None,
        deliver_notifications: bool = True,
        metadata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new incident; its first timeline entry carries ``status`` and ``body``."""
        statuses = dict(components or {})
        with self._write() as con:
            known = self._known(con)
            self._check_components(known, component_ids, statuses)
            t = now_iso()
            iid = new_id()
            while con.execute("SELECT 1 FROM incidents WHERE id = ?", (iid,)).fetchone():
                iid = new_id()  # pragma: no cover - 36**12 ids
            con.execute(
                "INSERT INTO incidents (id, name, status, impact, impact_override, created_at,"
                " updated_at, monitoring_at, resolved_at, metadata)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    iid,
                    name,
                    status,
                    worst_impact(COMPONENT_IMPACT[s] for s in statuses.values()),
                    impact_override,
                    t,
                    t,
                    t if status == "monitoring" else None,
                    t if status == "resolved" else None,
                    json.dumps(_merge({}, metadata or {})),
                ),
            )
            affected = self._apply_components(con, iid, known, component_ids, statuses, t)
            self._add_update(con, iid, status, body or "", t, deliver_notifications, affected)
            incident = self._load(con, iid)
            assert incident is not None
            return incident

    def update_incident(
        self, incident_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Apply a PATCH. Keys present in ``changes`` are the fields sent: ``name``,
        ``status``, ``body``, ``impact_override`` (None clears it), ``component_ids``,
        ``components``, ``deliver_notifications``, ``metadata`` (merged). A ``status`` and/or
        ``body`` adds a timeline entry. None if the incident does not exist."""
        statuses = dict(changes.get("components") or {})
        ids = list(changes.get("component_ids") or ())
        with self._write() as con:
            row = con.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if row is None:
                return None
            known = self._known(con)
            self._check_components(known, ids, statuses)
            t = now_iso()
            sets: dict[str, Any] = {"updated_at": t}
            if "name" in changes:
                sets["name"] = changes["name"]
            status = changes.get("status") or row["status"]
            if "status" in changes:
                sets["status"] = status
                if status == "monitoring" and not row["monitoring_at"]:
                    sets["monitoring_at"] = t
                if status == "resolved":
                    sets["resolved_at"] = row["resolved_at"] or t
                else:
                    sets["resolved_at"] = None  # re-opened
            if "impact_override" in changes:
                sets["impact_override"] = changes["impact_override"]
            if statuses:
                sets["impact"] = worst_impact(
                    [row["impact"], *(COMPONENT_IMPACT[s] for s in statuses.values())]
                )
            if "metadata" in changes:
                sets["metadata"] = json.dumps(
                    _merge(json.loads(row["metadata"]), changes["metadata"] or {})
                )
            affected = self._apply_components(con, incident_id, known, ids, statuses, t)
            if "status" in changes or "body" in changes:
                self._add_update(
                    con,
                    incident_id,
                    status,
                    changes.get("body") or "",
                    t,
                    changes.get("deliver_notifications", True),
                    affected,
                )
            assignments = ", ".join(f"{k} = ?" for k in sets)  # keys are ours, never user input
            con.execute(
                f"UPDATE incidents SET {assignments} WHERE id = ?", (*sets.values(), incident_id)
            )
            return self._load(con, incident_id)

    def set_component_status(self, cid: str, status: str) -> dict[str, Any] | None:
        with self._write() as con:
            row = con.execute("SELECT * FROM components WHERE id = ?", (cid,)).fetchone()
            if row is None:
                return None
            if row["status"] != status:
                con.execute(
                    "UPDATE components SET status = ?, updated_at = ? WHERE id = ?",
                    (status, now_iso(), cid),
                )
            row = con.execute("SELECT * FROM components WHERE id = ?", (cid,)).fetchone()
            return self._component(row)

    # -- post-mortems -----------------------------------------------------------------

    @staticmethod
    def _postmortem(incident_id: str, row: sqlite3.Row | None) -> dict[str, Any]:
        if row is None:
            return {
                "incident_id": incident_id,
                "body_draft": None,
                "body": None,
                "published_at": None,
                "notify_subscribers": False,
                "notify_twitter": False,
                "created_at": None,
                "updated_at": None,
            }
        return {
            "incident_id": incident_id,
            "body_draft": row["body_draft"],
            "body": row["body"],
            "published_at": row["published_at"],
            "notify_subscribers": bool(row["notify_subscribers"]),
            "notify_twitter": bool(row["notify_twitter"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }

    def _pm_row(self, con: sqlite3.Connection, incident_id: str) -> sqlite3.Row | None:
        return con.execute(
            "SELECT * FROM postmortems WHERE incident_id = ?", (incident_id,)
        ).fetchone()

    @staticmethod
    def _exists(con: sqlite3.Connection, incident_id: str) -> bool:
        row = con.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return row is not None

    def postmortem(self, incident_id: str) -> dict[str, Any] | None:
        with self._read() as con:
            if not self._exists(con, incident_id):
                return None
            return self._postmortem(incident_id, self._pm_row(con, incident_id))

    def put_postmortem(self, incident_id: str, body_draft: str) -> dict[str, Any] | None:
        with self._write() as con:
            if not self._exists(con, incident_id):
                return None
            t = now_iso()
            con.execute(
                "INSERT INTO postmortems (incident_id, body_draft, created_at, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (incident_id) DO UPDATE"
                " SET body_draft = excluded.body_draft, updated_at = excluded.updated_at",
                (incident_id, body_draft, t, t),
            )
            return self._postmortem(incident_id, self._pm_row(con, incident_id))

    def publish_postmortem(
        self, incident_id: str, *, notify_subscribers: bool = False, notify_twitter: bool = False
    ) -> dict[str, Any] | None:
        """Copy the draft to the published body. Raises :class:`Invalid` without a draft."""
        with self._write() as con:
            if not self._exists(con, incident_id):
                return None
            row = self._pm_row(con, incident_id)
            if row is None or not row["body_draft"]:
                raise Invalid("the incident has no post-mortem draft to publish")
            t = now_iso()
            con.execute(
                "UPDATE postmortems SET body = body_draft, published_at = ?, updated_at = ?,"
                " notify_subscribers = ?, notify_twitter = ? WHERE incident_id = ?",
                (t, t, int(notify_subscribers), int(notify_twitter), incident_id),
            )
            con.execute("UPDATE incidents SET updated_at = ? WHERE id = ?", (t, incident_id))
            return self._postmortem(incident_id, self._pm_row(con, incident_id))

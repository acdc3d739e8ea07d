"""Storage of the local status page: its own SQLite file, through the stdlib ``sqlite3``.

* One short-lived connection per call, so any thread (uvicorn's event loop, Starlette's
  thread pool, a test) may use one :class:`PageStore`. WAL mode, busy timeout 5 s; every
  read is one snapshot; every write is a single ``BEGIN IMMEDIATE`` transaction that
  re-reads what it depends on.
* The file, its tables and whose file it is: :mod:`tui.localpage.schema` (created 0600,
  one page id, any other SQLite file refused). Components are seeded from the configured
  names on first start; names added to the config later are added on the next start, none
  is ever removed. Rows become Statuspage objects in :mod:`tui.localpage.records`.

Validation of types and lengths is the HTTP layer's job (``tui.localpage.validation``); this
module checks what needs the database (unknown component ids) and raises :class:`Invalid`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from tui.localpage import records, schema
from tui.localpage.schema import (
    COMPONENT_IMPACT,
    COMPONENT_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    Invalid,
    PageStoreError,
    component_id,
    merge_metadata,
    new_id,
    now_iso,
    worst_impact,
)

__all__ = [
    "BUSY_TIMEOUT",
    "COMPONENT_STATUSES",
    "IMPACTS",
    "INCIDENT_STATUSES",
    "Invalid",
    "PageStore",
    "PageStoreError",
    "component_id",
]

BUSY_TIMEOUT = 5.0


class PageStore:
    """One status page in one SQLite file."""

    def __init__(
        self, path: str | os.PathLike[str], *, page_id: str, components: Sequence[str] = ()
    ):
        self.path = Path(path)
        self.page_id = page_id
        schema.create_file(self.path)
        try:
            with self._write() as con:
                schema.migrate(con, self.path)
                schema.claim(con, self.path, page_id)
                schema.seed(con, components)
            con = self._connect()
            try:
                con.execute("PRAGMA journal_mode = WAL")  # only once the file is known to be ours
            finally:
                con.close()
        except sqlite3.DatabaseError as e:
            raise PageStoreError(f"{self.path}: {e}") from None

    # -- connections ------------------------------------------------------------------

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

    # -- reading ----------------------------------------------------------------------

    def components(self) -> list[dict[str, Any]]:
        with self._read() as con:
            return records.components(con, self.page_id)

    def component(self, cid: str) -> dict[str, Any] | None:
        with self._read() as con:
            row = con.execute("SELECT * FROM components WHERE id = ?", (cid,)).fetchone()
            return None if row is None else records.component(row, self.page_id)

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        with self._read() as con:
            return records.incident(con, incident_id, self.page_id)

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
            return [
                inc
                for r in chosen
                if (inc := records.incident(con, r["id"], self.page_id)) is not None
            ]

    def overview(self, *, resolved_limit: int = 50) -> dict[str, Any]:
        """Everything the public page shows, from one snapshot."""
        with self._read() as con:
            comps = records.components(con, self.page_id)
            unresolved = [
                records.incident(con, r[0], self.page_id)
                for r in con.execute(
                    "SELECT id FROM incidents WHERE status != 'resolved' ORDER BY seq DESC"
                )
            ]
            resolved = [
                records.incident(con, r[0], self.page_id)
                for r in con.execute(
                    "SELECT id FROM incidents WHERE status = 'resolved' ORDER BY seq DESC LIMIT ?",
                    (resolved_limit,),
                )
            ]
            return {
                "components": comps,
                "unresolved": unresolved,
                "resolved": resolved,
                "updated_at": records.updated_at(con),
            }

    def updated_at(self) -> str:
        with self._read() as con:
            return records.updated_at(con)

    def postmortem(self, incident_id: str) -> dict[str, Any] | None:
        with self._read() as con:
            if not records.incident_exists(con, incident_id):
                return None
            return records.postmortem(incident_id, records.postmortem_row(con, incident_id))

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
                    json.dumps(merge_metadata({}, metadata or {})),
                ),
            )
            affected = self._apply_components(con, iid, known, component_ids, statuses, t)
            self._add_update(con, iid, status, body or "", t, deliver_notifications, affected)
            incident = records.incident(con, iid, self.page_id)
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
                    merge_metadata(json.loads(row["metadata"]), changes["metadata"] or {})
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
            return records.incident(con, incident_id, self.page_id)

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
            return records.component(row, self.page_id)

    # -- post-mortems -----------------------------------------------------------------

    def put_postmortem(self, incident_id: str, body_draft: str) -> dict[str, Any] | None:
        with self._write() as con:
            if not records.incident_exists(con, incident_id):
                return None
            t = now_iso()
            con.execute(
                "INSERT INTO postmortems (incident_id, body_draft, created_at, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (incident_id) DO UPDATE"
                " SET body_draft = excluded.body_draft, updated_at = excluded.updated_at",
                (incident_id, body_draft, t, t),
            )
            return records.postmortem(incident_id, records.postmortem_row(con, incident_id))

    def publish_postmortem(
        self, incident_id: str, *, notify_subscribers: bool = False, notify_twitter: bool = False
    ) -> dict[str, Any] | None:
        """Copy the draft to the published body. Raises :class:`Invalid` without a draft."""
        with self._write() as con:
            if not records.incident_exists(con, incident_id):
                return None
            row = records.postmortem_row(con, incident_id)
            if row is None or not row["body_draft"]:
                raise Invalid("the incident has no post-mortem draft to publish")
            t = now_iso()
            con.execute(
                "UPDATE postmortems SET body = body_draft, published_at = ?, updated_at = ?,"
                " notify_subscribers = ?, notify_twitter = ? WHERE incident_id = ?",
                (t, t, int(notify_subscribers), int(notify_twitter), incident_id),
            )
            con.execute("UPDATE incidents SET updated_at = ? WHERE id = ?", (t, incident_id))
            return records.postmortem(incident_id, records.postmortem_row(con, incident_id))

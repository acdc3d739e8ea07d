"""The incident store: one SQLite file (through sqlite-utils), an append-only event log.

* WAL mode and a busy timeout, so several dashboards and CLI calls share one
  file; every write runs in ``BEGIN IMMEDIATE`` and re-reads what others wrote
  before it decides anything, so two people ticking the same item at once
  lose nothing and corrupt nothing.
* The schema version lives in ``PRAGMA user_version`` and moves only through
  the numbered migrations below; a file from a newer warroom is refused.
* A new database is built whole in a private temporary file beside the target
  (0600, or 0660 and chgrp'ed when a shared war-room group is asked for), then
  linked into place: nobody ever sees an empty or half-migrated file, and the
  mode holds for every path, also through a (dangling) symlink, whose target is
  where the file is made. SQLite gives the -wal and -shm files the same mode.
* Only warroom's own files are opened: an empty file, a non-SQLite file and an
  SQLite file of another application are refused, never written into.
* A database the user may read but not write (file mode, directory) is opened
  read-only: reading works; the first write says why it cannot. Without a
  -wal file it is opened ``immutable`` (SQLite could not create its -shm next
  to it, or would leave one owned by the reader behind).
* Every SQLite failure becomes one line naming the file and the cause
  (:func:`explain`): full disk, damaged pages, locks, permissions.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tui.core.clock import parse_instant, to_iso
from tui.core.playbook import Playbook, PlaybookError, playbook_from_text
from tui.core.state import CLOSED, KINDS, Event, IncidentState, Projector

APPLICATION_ID = 0x5752_4D31  # "WRM1"
DEFAULT_TIMEOUT = 5.0


class StoreError(Exception):
    """A one-line, user-facing problem with the database."""


def _m1(db) -> None:
    db["incidents"].create(
        {"seq": int, "id": str, "title": str, "started_at": str, "closed_at": str},
        pk="seq",
        not_null={"id", "title", "started_at"},
    )
    db["incidents"].create_index(["id"], unique=True)
    db["playbooks"].create(
        {"sha256": str, "name": str, "source": str, "text": str},
        pk="sha256",
        not_null={"name", "text"},
    )
    db["events"].create(
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
    db["events"].create_index(["incident_id", "id"])
    db.execute(
        "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )


def _m2(db) -> None:
    # Who is in the room: one row per attached dashboard, refreshed by heartbeats.
    # Not events: a heartbeat every few seconds would drown the log.
    db["presence"].create(
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


def _m3(db) -> None:
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


# Numbered migrations: MIGRATIONS[n - 1] takes the schema from version n-1 to n.
MIGRATIONS: list[Callable[[Any], None]] = [_m1, _m2, _m3]
SCHEMA_VERSION = len(MIGRATIONS)


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    """From ``version`` to the current schema, inside the caller's transaction."""
    import sqlite_utils

    db = sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)
    for n in range(version, SCHEMA_VERSION):
        MIGRATIONS[n](db)
        conn.execute(f"PRAGMA user_version={n + 1}")
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")


@dataclass(frozen=True, slots=True)
class Presence:
    session: str
    user: str
    tty: str
    since: datetime
    last_seen: datetime


PRESENCE_TTL = 10.0  # seconds after the last heartbeat a dashboard counts as gone


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: str
    title: str
    started_at: datetime
    closed_at: datetime | None


def default_db_path() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("warroom", appauthor=False)) / "warroom.db"


def _disk_full(path: Path) -> bool:
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False


def explain(path: str | os.PathLike, exc: BaseException, timeout: float = DEFAULT_TIMEOUT) -> str:
    """One line for a person: what went wrong with the database at ``path``, and what to do."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    name = getattr(exc, "sqlite_errorname", "") or ""
    if "locked" in text or "busy" in text:
        return (
            f"database {path} is locked: another warroom held it for more than "
            f"{timeout:g} s; try again"
        )
    full = f"database {path}: the disk is full ({text}); nothing was written — free space"
    if "disk is full" in text or name == "SQLITE_FULL":
        return full
    if "malformed" in text or name.startswith("SQLITE_CORRUPT"):
        import shlex

        return (
            f"database {path} is damaged ({text}); nothing was written — restore a backup, "
            f"or salvage it with: sqlite3 {shlex.quote(str(path))} .recover"
        )
    if "not a database" in text or name == "SQLITE_NOTADB":
        return f"{path} is not a warroom database ({text})"
    if "readonly" in text or name.startswith("SQLITE_READONLY"):
        return f"cannot write database {path}: it is read-only for you ({text})"
    if _disk_full(Path(path)):  # SQLite often says only "disk I/O error"
        return full
    if "unable to open" in text or name.startswith("SQLITE_CANTOPEN"):
        return f"cannot open database {path} ({text}): check the file's and its directory's access"
    if name.startswith("SQLITE_IOERR") or "I/O error" in text:
        return f"database {path}: the disk failed to read or write ({text}); nothing was written"
    return f"database {path}: {text}"


def _group_id(group: str | None) -> int:
    if not group:
        return -1
    import grp

    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise StoreError(f"unknown group {group!r} for the shared war-room database") from None


def _create_database(path: Path, group: str | None) -> None:
    """A complete, current database at ``path`` (unless someone made one meanwhile).

    Built in a private temporary file beside it, then hard-linked into place
    (never over an existing file): the path holds nothing or a whole database.
    """
    from tui.core.files import create_temp, fsync_dir

    mode = 0o660 if group else 0o600
    gid = _group_id(group)
    directory = path.parent
    if not directory.is_dir():
        raise StoreError(f"cannot create database {path}: the directory {directory} does not exist")
    try:
        fd, tmp = create_temp(directory, path.name, mode)
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror or exc}") from None
    try:
        try:
            if gid != -1:
                os.fchown(fd, -1, gid)
        except OSError as exc:
            raise StoreError(
                f"cannot set the group of {path} to {group!r}: {exc.strerror}"
            ) from None
        finally:
            os.close(fd)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            _migrate(conn, 0)
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another warroom created it at the same moment: use theirs
        except OSError:  # a file system without hard links
            if not os.path.lexists(path):
                os.rename(tmp, path)
        fsync_dir(directory)
    except sqlite3.Error as exc:
        full = _disk_full(path) or getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL"
        reason = "the disk is full" if full else str(exc)
        raise StoreError(f"cannot create database {path}: {reason}") from None
    except OSError as exc:
        if _disk_full(path):
            raise StoreError(f"cannot create database {path}: the disk is full") from None
        raise StoreError(f"cannot create database {path}: {exc.strerror or exc}") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with suppress(OSError):
                leftover.unlink()


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


class Store:
    def __init__(
        self,
        path: str | os.PathLike,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        group: str | None = None,
        create: bool = True,
    ):
        self.path = Path(path)
        self.timeout = timeout
        self.readonly = False
        real = Path(os.path.realpath(self.path))  # through symlinks, dangling ones too
        try:
            st = os.stat(real)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc.strerror or exc}") from None
        if st is None:
            if not create:
                if not real.parent.is_dir():
                    raise StoreError(
                        f"no database at {self.path} (the directory {real.parent} does not exist)"
                    )
                raise StoreError(f"no database at {self.path} (start an incident first)")
            _create_database(real, group)
        elif stat.S_ISDIR(st.st_mode):
            raise StoreError(f"{self.path} is a directory, not a warroom database")
        elif not stat.S_ISREG(st.st_mode):
            raise StoreError(f"{self.path} is not a regular file, not a warroom database")
        elif not os.access(real, os.R_OK):
            raise StoreError(f"cannot read database {self.path}: permission denied")
        elif st.st_size == 0:
            raise StoreError(
                f"{self.path} is an empty file, not a warroom database (remove it, or name "
                "another path: `warroom start` creates a new database)"
            )
        self.readonly = not _writable(real)
        try:
            if self.readonly:
                from urllib.parse import quote

                uri = f"file:{quote(os.fsencode(real))}?mode=ro"
                if not os.path.exists(f"{real}-wal"):  # no writer: read the file as it is
                    uri += "&immutable=1"
                conn = sqlite3.connect(
                    uri, timeout=timeout, isolation_level=None, check_same_thread=False, uri=True
                )
            else:
                conn = sqlite3.connect(
                    real, timeout=timeout, isolation_level=None, check_same_thread=False
                )
        except sqlite3.Error as exc:
            raise StoreError(self._explain(exc)) from None
        self.conn = conn
        self._db = None
        self._projectors: dict[str, Projector] = {}
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(self._explain(exc)) from None
        except StoreError:
            conn.close()
            raise

    @property
    def db(self):
        """sqlite-utils on our connection, imported on first use (reads need only sqlite3)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(
                self.conn, execute_plugins=False, recursive_triggers=False
            )
        return self._db

    def _explain(self, exc: sqlite3.Error) -> str:
        return explain(self.path, exc, self.timeout)

    def _refuse_write(self) -> StoreError:
        return StoreError(
            f"cannot write database {self.path}: it is read-only for you (the file or its "
            "directory); reading commands still work"
        )

    def _prepare(self) -> None:
        c = self.conn
        app_id = c.execute("PRAGMA application_id").fetchone()[0]
        version = c.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID:  # warroom makes its files whole, id and all
            raise StoreError(f"{self.path} is an SQLite file, but not a warroom database")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer warroom (schema {version}; this one "
                f"knows up to {SCHEMA_VERSION}): upgrade warroom to open it"
            )
        c.execute("PRAGMA foreign_keys=ON")
        if self.readonly:
            if version < SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has an older warroom schema ({version}; this one needs "
                    f"{SCHEMA_VERSION}) and is read-only for you: open it once with write access"
                )
            return
        if version < SCHEMA_VERSION:
            with self._immediate():
                version = c.execute("PRAGMA user_version").fetchone()[0]  # someone may have won
                _migrate(c, version)
        if c.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            c.execute("PRAGMA journal_mode=WAL")

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        if self.readonly:
            raise self._refuse_write()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(self._explain(exc)) from None
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # reading ----------------------------------------------------------------
    def data_version(self) -> int:
        """Changes when another connection commits: a cheap "anything new?" probe."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def incidents(self, *, include_closed: bool = False) -> list[IncidentRow]:
        where = "" if include_closed else " WHERE closed_at IS NULL"
        rows = self.conn.execute(
            f"SELECT id, title, started_at, closed_at FROM incidents{where} ORDER BY seq"
        )
        return [
            IncidentRow(r[0], r[1], parse_instant(r[2]), parse_instant(r[3]) if r[3] else None)
            for r in rows
        ]

    def incident_exists(self, incident_id: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return row is not None

    def events(self, incident_id: str, after: int = 0) -> Iterator[Event]:
        cur = self.conn.execute(
            "SELECT id, incident_id, at, actor, kind, data FROM events "
            "WHERE incident_id = ? AND id > ? ORDER BY id",
            (incident_id, after),
        )
        for row in cur:
            yield Event(row[0], row[1], parse_instant(row[2]), row[3], row[4], json.loads(row[5]))

    def instance(self) -> str:
        """A random id of this database: correlation keys differ between war rooms."""
        return self.conn.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()[0]

    def playbook(self, sha: str, source: str = "") -> Playbook:
        row = self.conn.execute(
            "SELECT text, source FROM playbooks WHERE sha256 = ?", (sha,)
        ).fetchone()
        if row is None:
            raise StoreError(f"database {self.path} lacks the pinned playbook {sha[:12]}")
        try:
            return playbook_from_text(row[0], source or row[1] or "")
        except PlaybookError as exc:
            first = exc.problems[0] if exc.problems else "?"
            raise StoreError(
                f"the pinned playbook {sha[:12]} no longer validates: {first}"
            ) from None

    def state(self, incident_id: str) -> IncidentState:
        """The incident's state, folding only the events not seen yet by this Store."""
        projector = self._projectors.get(incident_id)
        if projector is None:
            projector = self._projectors[incident_id] = Projector(incident_id, self.playbook)
        projector.apply_all(self.events(incident_id, after=projector.state.last_event_id))
        return projector.state

    # presence ---------------------------------------------------------------
    def heartbeat(
        self, session: str, incident_id: str | None, user: str, tty: str, now: datetime
    ) -> None:
        if self.readonly:
            return  # a reader of a read-only database is not "in the room"
        stamp = to_iso(now)
        try:
            self.conn.execute(
                "INSERT INTO presence(session, incident_id, user, tty, since, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(session) DO UPDATE SET "
                "last_seen = excluded.last_seen, incident_id = excluded.incident_id",
                (session, incident_id, user, tty, stamp, stamp),
            )
        except sqlite3.OperationalError as exc:
            raise StoreError(self._explain(exc)) from None

    def leave(self, session: str) -> None:
        with suppress(sqlite3.Error):
            self.conn.execute("DELETE FROM presence WHERE session = ?", (session,))

    def present(
        self, incident_id: str | None, now: datetime, ttl: float = PRESENCE_TTL
    ) -> list[Presence]:
        cutoff = to_iso(now - timedelta(seconds=ttl))
        rows = self.conn.execute(
            "SELECT session, user, tty, since, last_seen FROM presence "
            "WHERE last_seen >= ? AND (incident_id IS ? OR incident_id IS NULL) "
            "ORDER BY since, user",
            (cutoff, incident_id),
        ).fetchall()
        return [
            Presence(r[0], r[1], r[2] or "", parse_instant(r[3]), parse_instant(r[4])) for r in rows
        ]

    # writing ----------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Writer]:
        """One transaction: read fresh state, decide, append. All of it or nothing."""
        with self._immediate():
            yield Writer(self)


class Writer:
    def __init__(self, store: Store):
        self.store = store

    def state(self, incident_id: str) -> IncidentState:
        return self.store.state(incident_id)

    def pin_playbook(self, book: Playbook) -> None:
        self.store.db["playbooks"].insert(
            {"sha256": book.sha256, "name": book.name, "source": book.source, "text": book.text},
            ignore=True,
        )

    def new_incident(self, title: str, at: datetime) -> str:
        row = self.store.conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM incidents").fetchone()
        incident_id = f"INC-{row[0]}"
        self.store.db["incidents"].insert(
            {"seq": row[0], "id": incident_id, "title": title, "started_at": to_iso(at)}
        )
        return incident_id

    def append(
        self, incident_id: str, at: datetime, actor: str, kind: str, data: dict[str, Any]
    ) -> int:
        if kind not in KINDS:  # a typo here would fold as "recorded ..." forever
            raise ValueError(f"unknown event kind {kind!r}")
        table = self.store.db["events"].insert(
            {
                "incident_id": incident_id,
                "at": to_iso(at),
                "actor": actor,
                "kind": kind,
                "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
            }
        )
        if kind == CLOSED:
            self.store.db["incidents"].update(self._seq(incident_id), {"closed_at": to_iso(at)})
        return int(table.last_pk)

    def _seq(self, incident_id: str) -> int:
        return self.store.conn.execute(
            "SELECT seq FROM incidents WHERE id = ?", (incident_id,)
        ).fetchone()[0]

"""The incident store: one SQLite file (through sqlite-utils), an append-only event log.

:class:`Store` opens one warroom database and reads it; :meth:`Store.write` gives the
:class:`~tui.core.store.writer.Writer` that appends to it.

* WAL mode and a busy timeout, so several dashboards and CLI calls share one
  file; every write runs in ``BEGIN IMMEDIATE`` and re-reads what others wrote
  before it decides anything, so two people ticking the same item at once
  lose nothing and corrupt nothing.
* A missing file is created whole (:mod:`~tui.core.store.creating`); an older
  schema is migrated (:mod:`~tui.core.store.schema`); a file from a newer
  warroom is refused.
* Only warroom's own files are opened: an empty file, a non-SQLite file and an
  SQLite file of another application are refused, never written into.
* A database the user may read but not write (file mode, directory) is opened
  read-only: reading works; the first write says why it cannot. Without a
  -wal file it is opened ``immutable`` (SQLite could not create its -shm next
  to it, or would leave one owned by the reader behind).
* Every SQLite failure becomes a :class:`StoreError`, one line (:func:`explain`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.clock import parse_instant, to_iso
from tui.core.playbook.loading import PlaybookError, playbook_from_text
from tui.core.playbook.model import Playbook
from tui.core.state.events import RELOADED, STARTED, Event
from tui.core.state.incident import IncidentState
from tui.core.state.projection import Projector
from tui.core.store.creating import create_database
from tui.core.store.errors import DEFAULT_TIMEOUT, StoreError, explain
from tui.core.store.schema import APPLICATION_ID, SCHEMA_VERSION, migrate
from tui.core.store.writer import Writer

if TYPE_CHECKING:
    from sqlite_utils import Database


@dataclass(frozen=True, slots=True)
class Presence:
    session: str
    user: str
    tty: str
    since: datetime
    last_seen: datetime


CHECKPOINT_EVERY = 500  # events folded past the last checkpoint before a new one is written
CHECKPOINT_WAIT_MS = 100  # a checkpoint is best-effort: it never waits long for a lock

PRESENCE_TTL = 90.0  # seconds after the last heartbeat (one each 30 s) one counts as gone


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: str
    title: str
    started_at: datetime
    closed_at: datetime | None


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


class Store:
    """One open warroom database: its incidents, events, pinned playbooks and presence."""

    def __init__(
        self,
        path: str | os.PathLike[str],
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
            create_database(real, group)
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
        self._db: Database | None = None
        self._projectors: dict[str, Projector] = {}
        self._checkpointed: dict[str, int] = {}  # incident -> event id of its known checkpoint
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(self._explain(exc)) from None
        except StoreError:
            conn.close()
            raise

    @property
    def db(self) -> Database:
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
                migrate(c, version)
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
            # a fold may have seen events that are now gone: fold again (from the checkpoint)
            self._projectors.clear()
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # reading ----------------------------------------------------------------
    def data_version(self, *, wait: bool = True) -> int:
        """Changes when another connection commits: a cheap "anything new?" probe.
        ``wait=False`` (the UI thread's probe): no busy wait at all, a locked database
        (a WAL recovery elsewhere) raises ``sqlite3.OperationalError`` at once."""
        if wait:
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])
        with self._waiting_at_most(0):
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def _waiting_at_most(self, ms: int) -> Iterator[None]:
        """The busy timeout lowered to ``ms`` for a few statements (then the usual one again)."""
        self.conn.execute(f"PRAGMA busy_timeout = {ms}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")

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
            # actor and kind interned: the timeline keeps them once per name, not per event
            yield Event(
                row[0],
                row[1],
                parse_instant(row[2]),
                sys.intern(row[3]),
                sys.intern(row[4]),
                json.loads(row[5]),
            )

    def instance(self) -> str:
        """A random id of this database: correlation keys differ between war rooms."""
        return str(self.conn.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()[0])

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

    def state(self, incident_id: str, *, save: bool = True) -> IncidentState:
        """The incident's state, folding only the events not seen yet by this Store.

        The first call starts from the incident's checkpoint when it fits (else from
        the first event); ``save``: then write a new checkpoint if one is due
        (:meth:`save_checkpoint`).
        """
        projector = self._projectors.get(incident_id)
        if projector is None:
            projector = self._projectors[incident_id] = self._resume(incident_id)
        projector.apply_all(self.events(incident_id, after=projector.state.last_event_id))
        if save:
            self.save_checkpoint(incident_id)
        return projector.state

    # checkpoints (tui/core/state/checkpoint.py) -------------------------------
    def _resume(self, incident_id: str) -> Projector:
        """A projector at the incident's checkpoint, or a fresh one when it does not fit."""
        from tui.core.state import checkpoint

        row = self.conn.execute(
            "SELECT event_id, schema_version, playbook_sha, code_version "
            "FROM checkpoints WHERE incident_id = ?",
            (incident_id,),
        ).fetchone()
        if row is None:
            self._checkpointed[incident_id] = 0
            return Projector(incident_id, self.playbook)
        event_id, schema, sha, code = row
        why = ""
        if schema != SCHEMA_VERSION:
            why = f"schema {schema}, not {SCHEMA_VERSION}"
        elif code != checkpoint.code_version():
            why = f"made by {code}, not {checkpoint.code_version()}"
        elif (
            not isinstance(event_id, int) or (pinned := self._pinned(incident_id, event_id)) is None
        ):
            why = f"event {event_id} is not in the log"
        elif pinned[0] != sha:
            why = f"playbook {str(sha)[:12]}, but the log had {pinned[0][:12]} in force"
        else:
            try:
                # the JSON is read only now, and handed on unkept (peak memory)
                projector = checkpoint.restore(
                    self._checkpoint_text(incident_id, row), incident_id, self.playbook
                )
            except (checkpoint.CheckpointError, StoreError) as exc:
                why = str(exc)
            else:
                if projector.state.last_event_id != event_id:
                    why = f"holds event {projector.state.last_event_id}, not {event_id}"
                elif (book := projector.state.playbook) is not None and (
                    book.sha256,
                    book.source,
                ) != (sha, self.playbook(sha, pinned[1]).source):
                    why = "holds another playbook"  # (or one from elsewhere than the log says)
                else:
                    self._checkpointed[incident_id] = event_id
                    return projector
        import logging  # never said to the user: the log is replayed instead

        logging.getLogger("warroom.checkpoint").debug(
            "checkpoint of %s refused (%s): replaying the log", incident_id, why
        )
        self._checkpointed[incident_id] = -CHECKPOINT_EVERY  # write a good one after the replay
        return Projector(incident_id, self.playbook)

    def _checkpoint_text(self, incident_id: str, checked: tuple[object, ...]) -> str:
        """The JSON of the checkpoint row just checked ("" if another process replaced it
        meanwhile: then it is refused like any that does not fit)."""
        row = self.conn.execute(
            "SELECT state FROM checkpoints WHERE incident_id = ? AND event_id = ? "
            "AND schema_version = ? AND playbook_sha = ? AND code_version = ?",
            (incident_id, *checked),
        ).fetchone()
        return str(row[0]) if row is not None else ""

    def _pinned(self, incident_id: str, event_id: int) -> tuple[str, str] | None:
        """The playbook (sha, source) the log had in force at ``event_id``, when that event
        is this incident's (None: beyond the log, or another incident's event)."""
        found = self.conn.execute(
            "SELECT 1 FROM events WHERE id = ? AND incident_id = ?", (event_id, incident_id)
        ).fetchone()
        if found is None:
            return None
        row = self.conn.execute(
            "SELECT data FROM events WHERE incident_id = ? AND id <= ? AND kind IN (?, ?) "
            "ORDER BY id DESC LIMIT 1",
            (incident_id, event_id, STARTED, RELOADED),
        ).fetchone()
        try:
            data = json.loads(row[0]) if row else {}
            return str(data.get("playbook_sha", "")), str(data.get("playbook_source", ""))
        except (ValueError, TypeError, AttributeError):
            return "?", ""

    def checkpoint_due(self, incident_id: str) -> bool:
        """Enough events folded since the last checkpoint this Store knows of, and it may write."""
        projector = self._projectors.get(incident_id)
        if projector is None or self.readonly or projector.state.last_event_id == 0:
            return False
        folded = projector.state.last_event_id - self._checkpointed.get(incident_id, 0)
        return folded >= CHECKPOINT_EVERY

    def save_checkpoint(self, incident_id: str) -> bool:
        """Write the incident's checkpoint if one is due: best-effort, in a short transaction
        of its own (never inside another one); a newer checkpoint of the same code is kept.
        True when written."""
        if not self.checkpoint_due(incident_id) or self.conn.in_transaction:
            return False
        from tui.core.state import checkpoint

        projector = self._projectors[incident_id]
        event_id = projector.state.last_event_id
        refused = self._checkpointed.get(incident_id, 0) < 0  # the row there is of no use
        self._checkpointed[incident_id] = event_id  # tried: not again before as many events
        try:
            text = checkpoint.dump(projector)
        except (TypeError, ValueError) as exc:  # a fold this codec does not know yet
            import logging

            logging.getLogger("warroom.checkpoint").debug("checkpoint not made: %s", exc)
            return False
        try:
            with self._waiting_at_most(CHECKPOINT_WAIT_MS):
                # one statement: one transaction, so a reader never sees half a row
                self.conn.execute(
                    "INSERT INTO checkpoints(incident_id, event_id, schema_version, "
                    "playbook_sha, code_version, state, written_at) VALUES (?, ?, ?, ?, ?, ?, "
                    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) ON CONFLICT(incident_id) DO UPDATE "
                    "SET event_id = excluded.event_id, schema_version = excluded.schema_version, "
                    "playbook_sha = excluded.playbook_sha, code_version = excluded.code_version, "
                    "state = excluded.state, written_at = excluded.written_at "
                    "WHERE ? OR excluded.event_id >= checkpoints.event_id "
                    "OR checkpoints.code_version != excluded.code_version "
                    "OR checkpoints.schema_version != excluded.schema_version",
                    (
                        incident_id,
                        event_id,
                        SCHEMA_VERSION,
                        checkpoint.playbook_sha(projector),
                        checkpoint.code_version(),
                        text,
                        refused,
                    ),
                )
        except sqlite3.Error as exc:  # busy, full disk, read-only after all: next time
            import logging

            logging.getLogger("warroom.checkpoint").debug("checkpoint not written: %s", exc)
            return False
        return True

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

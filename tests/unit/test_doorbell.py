"""The database doorbell (tui/core/store/doorbell.py): inotify on the database's folder,
real SQLite files, another connection writing (issue 13: a dashboard at rest sleeps)."""

from __future__ import annotations

import select
import sqlite3
import sys

import pytest

from tui.core.store.doorbell import Doorbell

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify: Linux")


def ready(bell: Doorbell, timeout: float = 5.0) -> bool:
    readable, _, _ = select.select([bell], [], [], timeout)
    return bool(readable)


def test_another_connections_commit_rings_and_other_files_do_not(tmp_path):
    db = tmp_path / "incident.db"
    mine = sqlite3.connect(db, isolation_level=None)
    mine.execute("PRAGMA journal_mode=WAL")
    mine.execute("CREATE TABLE t (x)")
    bell = Doorbell.open(db)
    assert bell is not None
    other = sqlite3.connect(db, isolation_level=None)
    try:
        assert not bell.rang()  # nothing written since it opened
        (tmp_path / "notes.txt").write_text("someone else's file")
        (tmp_path / "incident.db.bak").write_text("a name that only starts like ours")
        assert ready(bell, 1.0)  # the folder moved ...
        assert not bell.rang()  # ... but not the database: no ring
        other.execute("INSERT INTO t VALUES (1)")
        assert ready(bell)
        assert bell.rang()
        assert not bell.rang()  # read once: quiet again
    finally:
        other.close()
        mine.close()
        bell.close()
    assert bell.fd == -1
    bell.close()  # twice is harmless


def test_a_rollback_journal_database_rings_too(tmp_path):
    db = tmp_path / "plain.db"
    sqlite3.connect(db).close()
    bell = Doorbell.open(db)
    assert bell is not None
    writer = sqlite3.connect(db, isolation_level=None)  # journal_mode=delete
    try:
        writer.execute("CREATE TABLE t (x)")
        assert ready(bell)
        assert bell.rang()
    finally:
        writer.close()
        bell.close()


def test_a_folder_that_cannot_be_watched_gives_no_doorbell(tmp_path):
    assert Doorbell.open(tmp_path / "missing" / "incident.db") is None

"""The SQLite store: migrations, append-only log, shared use by several processes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import MAJOR
from tui import commands
from tui.core.clock import FrozenClock
from tui.core.playbook import load_playbook
from tui.core.store import SCHEMA_VERSION, Store, StoreError

T0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)


@pytest.fixture
def book():
    return load_playbook(MAJOR)


def test_new_file_is_migrated_to_the_current_schema(tmp_path):
    path = tmp_path / "w.db"
    with Store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert set(store.db.table_names()) >= {"events", "incidents", "playbooks"}
    with Store(path) as store:  # reopening is a no-op
        assert store.incidents() == []


def test_read_only_open_does_not_create(tmp_path):
    with pytest.raises(StoreError, match="no database"):
        Store(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_event_log_is_append_only(tmp_path, book):
    clock = FrozenClock(T0)
    with Store(tmp_path / "w.db") as store:
        commands.start(store, clock, "alice", book, "API down", {"users_affected_pct": 9})
        for statement in ("UPDATE events SET actor = 'mallory'", "DELETE FROM events"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                store.conn.execute(statement)
        assert [e.actor for e in store.events("INC-1")] == ["alice"]


def test_failed_command_writes_nothing(tmp_path, book):
    clock = FrozenClock(T0)
    with Store(tmp_path / "w.db") as store:
        commands.start(store, clock, "alice", book, "API down", {"users_affected_pct": 9})
        with pytest.raises(commands.CommandError):
            commands.set_metrics(store, clock, "bob", "INC-1", ["users_affected_pct=9", "bad=1"])
        assert len(list(store.events("INC-1"))) == 1
        assert not store.conn.in_transaction


def test_second_store_sees_changes_incrementally(tmp_path, book):
    clock = FrozenClock(T0)
    path = tmp_path / "w.db"
    with Store(path) as a, Store(path) as b:
        commands.start(a, clock, "alice", book, "API down", {"users_affected_pct": 9})
        seen = b.data_version()
        state_b = b.state("INC-1")
        assert state_b.last_event_id == 1
        clock.advance(timedelta(minutes=1))
        commands.set_item(a, clock, "alice", "INC-1", "war-room", True)
        assert b.data_version() != seen  # the cheap probe notices another connection's commit
        state_b = b.state("INC-1")  # folds only event 2
        assert state_b.items["war-room"].done and state_b.items["war-room"].by == "alice"
        assert [t.event_id for t in state_b.timeline] == [1, 2]


def test_pinned_playbook_survives_the_file(tmp_path, book):
    text = MAJOR.read_text()
    copy = tmp_path / "book.yaml"
    copy.write_text(text)
    (tmp_path / "templates").symlink_to(MAJOR.parent.parent / "templates")
    pinned = load_playbook(copy)
    clock = FrozenClock(T0)
    with Store(tmp_path / "w.db") as store:
        commands.start(store, clock, "alice", pinned, "API down", {"users_affected_pct": 9})
    copy.write_text("garbage: [")  # editing the YAML does not change a running incident
    with Store(tmp_path / "w.db") as store:
        s = store.state("INC-1")
        assert s.book.name == "SaaS major outage" and s.book.sha256 == pinned.sha256

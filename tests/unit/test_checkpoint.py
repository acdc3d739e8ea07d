"""The projection checkpoint: restore(checkpoint at k) + replay(k+1..n) == replay(1..n);
a checkpoint that does not fit is refused silently and rebuilt; two writers at once."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cli.test_dbopen import digest, run, shared_dir  # noqa: F401 (a fixture)
from tests.conftest import MAJOR
from tests.unit.test_state import BOOK, T0, later_events, resolver, started
from tui import commands
from tui.core import state as ev
from tui.core.clock import FrozenClock
from tui.core.playbook import load_playbook
from tui.core.playbook.model import Playbook
from tui.core.state import Event, Projector
from tui.core.state.checkpoint import CheckpointError, code_version, dump, restore
from tui.core.store import Store
from tui.core.store.database import CHECKPOINT_EVERY

# ------------------------------------------------------------------ a canonical dump


def canon(v):
    """Everything a state holds, as plain data (the playbook by its sha)."""
    if isinstance(v, Playbook):
        return ("playbook", v.sha256, v.source)
    if dataclasses.is_dataclass(v):
        return (type(v).__name__, *(canon(getattr(v, f.name)) for f in dataclasses.fields(v)))
    if isinstance(v, dict):
        return sorted((repr(k), canon(x)) for k, x in v.items())
    if isinstance(v, list | tuple):
        return [canon(x) for x in v]
    if isinstance(v, datetime):
        return ("at", v.isoformat())
    return (type(v).__name__, v)


# ------------------------------------------------------- random streams, every kind

more_events = st.one_of(
    st.builds(lambda to: (ev.ADVANCED, {"to": to}), st.sampled_from([p.id for p in BOOK.phases])),
    st.builds(
        lambda rid, p, body: (
            ev.REQUESTED,
            {
                "request_id": rid,
                "purpose": p,
                "body": body,
                "destinations": ["page"],
                "promised_next_at": None,
                "role": "comms_lead",
                "notify": {"page": True},
            },
        ),
        st.sampled_from(["r1", "r2"]),
        st.sampled_from(["ack", "update"]),
        st.text(max_size=20),
    ),
    st.builds(lambda rid: (ev.APPROVED, {"request_id": rid}), st.sampled_from(["r1", "r2", "r9"])),
    st.builds(
        lambda rid: (ev.REJECTED, {"request_id": rid, "reason": "no"}),
        st.sampled_from(["r1", "r2"]),
    ),
    st.builds(
        lambda kind, oid: (
            kind,
            {"outbox_id": oid, "destination": "page", "purpose": "ack", "error": "503"},
        ),
        st.sampled_from(
            [ev.DELIVERY_SENT, ev.DELIVERY_FAILED, ev.DELIVERY_RETRIED, ev.DELIVERY_CANCELLED]
        ),
        st.integers(1, 3),
    ),
    st.builds(
        lambda f, t: (ev.PM_EDITED, {"field": f, "text": t}),
        st.sampled_from(list(ev.PM_FIELDS)),
        st.text(max_size=20),
    ),
    st.builds(
        lambda i, s: (
            ev.PM_ACTION,
            {"id": i, "action": f"fix {i}", "owner": "bob", "due": "", "status": s},
        ),
        st.sampled_from(["a1", "a2"]),
        st.sampled_from(list(ev.ACTION_STATUSES)),
    ),
    st.builds(
        lambda c, b, how: (ev.REPLY_COPIED, {"channel": c, "based_on": b, "how": how}),
        st.sampled_from(["tickets", "chat"]),
        st.one_of(st.none(), st.integers(1, 9)),
        st.sampled_from(["osc52", "file", "print"]),
    ),
    st.builds(lambda s: (ev.DRAFT_HELD, {"session": s, "from": ""}), st.sampled_from("xy")),
    st.builds(lambda s: (ev.DRAFT_RELEASED, {"session": s}), st.sampled_from("xy")),
    st.builds(
        lambda p, t, s, aside: (ev.DRAFT, {"purpose": p, "text": t, "session": s, "aside": aside}),
        st.sampled_from(["ack", "update"]),
        st.text(max_size=20),
        st.sampled_from("xy"),
        st.booleans(),
    ),
    st.just((ev.CLOSED, {})),
)
# queue counts, often: their runs (a person's +/-, the poller's per channel) are the fold's
# own memory across a checkpoint
counts = st.builds(
    lambda c, n: (ev.QUEUE, {"channel": c, "depth": n, "oldest_since": None}),
    st.sampled_from(["tickets", "chat"]),
    st.integers(0, 60),
)
any_event = st.one_of(later_events, more_events)
# who records it, and how long after the previous one (queue counts fold by both)
actors = st.sampled_from(["bob", "bob", "carol", "queue-poller"])
gaps = st.sampled_from([0, 20, 45, 90, 700])


@st.composite
def streams(draw):
    """The start, then up to 40 events: half of them queue counts (one_of would flatten
    them into one branch among ~30), by people and the poller, seconds or minutes apart."""
    events = [started()]
    at = T0
    for n in range(2, draw(st.integers(0, 40)) + 2):
        kind, data = draw(counts) if draw(st.booleans()) else draw(any_event)
        at += timedelta(seconds=draw(gaps))
        events.append(Event(n, "INC-1", at, draw(actors), kind, data))
    return events


def fold(events):
    return Projector("INC-1", resolver).apply_all(events)


@settings(max_examples=80, deadline=None)  # each example checks every k
@given(streams())
def test_restore_at_k_then_replay_equals_the_whole_replay(events):
    """For every k: restore(checkpoint at k) + replay(k+1..n) == replay(1..n)."""
    whole = canon(fold(events))
    projector = Projector("INC-1", resolver)
    for k in range(len(events) + 1):
        text = dump(projector)  # the fold after events[:k]
        json.loads(text)  # plain JSON
        again = restore(text, "INC-1", resolver)
        assert canon(again.state) == canon(projector.state)
        again.apply_all(events[k:])
        assert canon(again.state) == whole, f"checkpoint after {k} of {len(events)} events"
        if k < len(events):
            projector.apply(events[k])


def test_inflow_and_the_queue_run_survive_a_checkpoint():
    events = [started()]
    for n, depth in enumerate([40, 44, 47, 45, 60], start=2):
        events.append(
            Event(
                n,
                "INC-1",
                T0 + timedelta(seconds=10 * n),
                "bob",
                ev.QUEUE,
                {"channel": "tickets", "depth": depth, "oldest_since": None},
            )
        )
    projector = Projector("INC-1", resolver)
    projector.apply_all(events[:4])
    again = restore(dump(projector), "INC-1", resolver)
    again.apply_all(events[4:])
    whole = fold(events)
    assert again.state.channels["tickets"].rises == whole.channels["tickets"].rises
    assert again.state.channels["tickets"].inflow(T0 + timedelta(minutes=5)) == 22  # 4+3+15
    assert [t.text for t in again.state.timeline] == [t.text for t in whole.timeline]
    assert "(40 → 60)" in whole.timeline[-1].text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '{"format": 1}',
        "cos\nsystem\n(S'echo pwned'\ntR.",  # a pickle is not a checkpoint
    ],
)
def test_what_is_not_a_checkpoint_is_refused(text):
    with pytest.raises(CheckpointError):
        restore(text, "INC-1", resolver)


def test_a_checkpoint_with_a_wrong_value_or_class_is_refused():
    projector = Projector("INC-1", resolver)
    projector.apply_all([started()])
    doc = json.loads(dump(projector))
    bad_title = json.loads(json.dumps(doc))
    bad_title["state"][1] = 42  # the title is a string
    bad_class = json.loads(json.dumps(doc))
    bad_class["memory"]["_queue_run"] = ["dc", "Projector", []]  # only the fold's dataclasses
    other = json.loads(json.dumps(doc))
    other["format"] = 999
    for broken in (bad_title, bad_class, other):
        with pytest.raises(CheckpointError):
            restore(json.dumps(broken), "INC-1", resolver)
    with pytest.raises(CheckpointError):
        restore(dump(projector), "INC-2", resolver)  # another incident's


# ------------------------------------------------------------------ in the database

BIG = CHECKPOINT_EVERY + 100


def _incident(path: Path, events: int = BIG) -> str:
    """A real database: the major-outage playbook, then ``events`` - 1 ticks and notes."""
    book = load_playbook(MAJOR)
    clock = FrozenClock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    items = [i.id for i in book.items("full")]
    with Store(path) as store:
        inc = commands.start(store, clock, "maria", book, "API down", {"users_affected_pct": 40})
        with store.write() as w:
            for n in range(1, events):
                at = clock.now() + timedelta(seconds=n)
                if n % 7 == 0:
                    depth = {"channel": "tickets", "depth": n % 50, "oldest_since": None}
                    w.append(inc.incident_id, at, "dev", ev.QUEUE, depth)
                elif n % 5 == 0:
                    w.append(inc.incident_id, at, "dev", ev.NOTE, {"text": f"note {n}"})
                else:
                    w.append(
                        inc.incident_id, at, "sam", ev.CHECKED, {"item": items[n % len(items)]}
                    )
        return inc.incident_id


def _row(path: Path) -> tuple | None:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT event_id, schema_version, playbook_sha, code_version, state FROM checkpoints"
        ).fetchone()


def _replayed(path: Path, inc: str):
    """The state by a full replay, on a connection that never reads checkpoints."""
    with Store(path) as store:
        projector = Projector(inc, store.playbook)
        projector.apply_all(store.events(inc))
        return canon(projector.state)


def _tamper_title(path: Path, title: str, **columns) -> None:
    """Make the stored checkpoint say ``title`` (proof of whether it was used)."""
    with sqlite3.connect(path) as conn:
        text = conn.execute("SELECT state FROM checkpoints").fetchone()[0]
        doc = json.loads(text)
        doc["state"][1] = title
        sets = {"state": json.dumps(doc), **columns}
        conn.execute(
            "UPDATE checkpoints SET " + ", ".join(f"{k} = ?" for k in sets),
            list(sets.values()),
        )


@pytest.fixture
def db(tmp_path) -> tuple[Path, str]:
    path = tmp_path / "incident.db"
    inc = _incident(path)
    with Store(path) as store:
        store.state(inc)  # a reader folds > CHECKPOINT_EVERY events: it leaves a checkpoint
    return path, inc


def test_a_reader_leaves_a_checkpoint_and_the_next_one_resumes_from_it(db):
    path, inc = db
    row = _row(path)
    assert row is not None and row[0] == BIG and row[3] == code_version()
    whole = _replayed(path, inc)
    with Store(path) as store:
        assert canon(store.state(inc)) == whole
    _tamper_title(path, "from the checkpoint")
    with Store(path) as store:
        assert store.state(inc).title == "from the checkpoint"  # it was read, not replayed
    # events after the checkpoint are folded on top of it
    with Store(path) as store:
        commands.add_note(store, FrozenClock(datetime(2026, 11, 30, 12, tzinfo=UTC)), "lee",
                          inc, "after the checkpoint")  # fmt: skip
    with Store(path) as store:
        s = store.state(inc)
        assert (
            s.last_event_id == BIG + 1 and s.timeline[-1].text == "lee noted: after the checkpoint"
        )


@pytest.mark.parametrize(
    "columns",
    [
        {"schema_version": 4},
        {"code_version": "0.0.1+f0.0000"},
        {"playbook_sha": "0" * 64},
        {"event_id": BIG + 50},  # beyond the log
    ],
    ids=["schema", "code", "playbook", "beyond-the-log"],
)
def test_a_checkpoint_that_does_not_fit_is_refused_and_rebuilt(db, columns):
    path, inc = db
    whole = _replayed(path, inc)
    _tamper_title(path, "stale", **columns)
    with Store(path) as store:
        assert canon(store.state(inc)) == whole  # replayed, silently
    row = _row(path)
    assert row is not None and row[0] == BIG and row[3] == code_version()  # and written anew
    assert "stale" not in row[4]


@pytest.mark.parametrize("state", ["{", "[1, 2]", '{"format": 1, "state": [], "memory": {}}'])
def test_a_checkpoint_that_does_not_parse_or_restore_is_rebuilt(db, state):
    path, inc = db
    whole = _replayed(path, inc)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE checkpoints SET state = ?", (state,))
    with Store(path) as store:
        assert canon(store.state(inc)) == whole
    assert json.loads(_row(path)[4])["format"] == 1


def test_a_checkpoint_claiming_a_playbook_the_log_never_had_is_refused(db):
    path, inc = db
    with Store(path) as store:
        s = store.state(inc)
        assert s.playbook is not None
    with sqlite3.connect(path) as conn:  # the checkpoint claims a playbook the log never had
        conn.execute("UPDATE checkpoints SET playbook_sha = 'abc'")
    with Store(path) as store:
        assert store.state(inc).playbook.sha256 == BOOK.sha256


def test_an_older_checkpoint_never_replaces_a_newer_one(db):
    path, inc = db
    older = Store(path)
    try:
        older.state(inc, save=False)  # folded up to BIG
        clock = FrozenClock(datetime(2026, 11, 30, 12, tzinfo=UTC))
        with Store(path) as newer:
            for n in range(3):
                commands.add_note(newer, clock, "lee", inc, f"late {n}")
            newer.state(inc, save=False)
            newer._checkpointed[inc] = 0  # due: it writes at BIG + 3
            assert newer.save_checkpoint(inc)
        older._checkpointed[inc] = 0
        older.save_checkpoint(inc)  # at BIG: the newer row stays
    finally:
        older.close()
    assert _row(path)[0] == BIG + 3


WRITER = """
import sys
from tui.core.store import Store
path, inc, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
with Store(path) as store:
    for _ in range(rounds):
        store.state(inc, save=False)
        store._checkpointed[inc] = -10**9  # always due
        store.save_checkpoint(inc)
print("ok")
"""


def test_two_processes_writing_checkpoints_at_once(db):
    path, inc = db
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), inc, "15"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(2)
    ]
    try:
        outs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0 and out.strip() == "ok" and not err, err
    with Store(path) as store:  # the row is whole: it restores to the replayed state
        row = _row(path)
        projector = restore(row[4], inc, store.playbook)
        assert projector.state.last_event_id == row[0] == BIG
    assert canon(projector.state) == _replayed(path, inc)


def test_a_read_only_database_is_never_written_a_checkpoint(shared_dir):  # noqa: F811
    path = shared_dir / "ro" / "incident.db"
    path.parent.mkdir()
    inc = _incident(path)
    with Store(path) as store:
        store.state(inc)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM checkpoints")  # due for whoever reads it next
    conn.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
    conn.close()
    os.chmod(path, 0o444)
    before = digest(path)
    r = run(path, "status", "--oneline", as_other=True)
    assert r.code == 0 and r.out.startswith("INC-1"), r
    assert digest(path) == before and _row(path) is None
    assert sorted(os.listdir(path.parent)) == ["incident.db"]


def test_the_dashboard_writes_its_checkpoint_after_the_first_frame(tmp_path):
    from tui.app.room import Room

    path = tmp_path / "incident.db"
    inc = _incident(path)
    room = Room(path, FrozenClock(datetime(2026, 11, 30, 12, tzinfo=UTC)), "lee")
    try:
        room.open()
        assert room.attach(inc).last_event_id == BIG
        room.poll(force=True)  # the first frame's poll
        assert _row(path) is None  # nothing written on the way to the first frame
        room.poll()
        assert _row(path)[0] == BIG
    finally:
        room.close()
    with Store(path) as store:
        assert canon(store.state(inc)) == _replayed(path, inc)


def test_a_checkpoint_naming_its_playbook_elsewhere_is_refused(db):
    """The playbook's source (where its templates are read from) is the log's, never the
    checkpoint's: one that moves it is refused and the state replayed."""
    path, inc = db
    whole = _replayed(path, inc)
    with sqlite3.connect(path) as conn:
        doc = json.loads(conn.execute("SELECT state FROM checkpoints").fetchone()[0])
        doc["state"][2][1] = "/tmp/elsewhere/playbook.yaml"
        conn.execute("UPDATE checkpoints SET state = ?", (json.dumps(doc),))
    with Store(path) as store:
        s = store.state(inc)
        assert s.playbook.source != "/tmp/elsewhere/playbook.yaml"
        assert canon(s) == whole
    assert "/tmp/elsewhere" not in _row(path)[4]


def test_the_timeline_columns_are_the_entry_and_are_checked():
    from tui.core.state import TimelineEntry
    from tui.core.state.checkpoint import _ENTRY_FIELDS

    assert tuple(f.name for f in dataclasses.fields(TimelineEntry)) == _ENTRY_FIELDS
    projector = Projector("INC-1", resolver)
    projector.apply_all([started(), Event(2, "INC-1", T0, "bob", ev.NOTE, {"text": "hi"})])
    doc = json.loads(dump(projector))
    timeline = next(v for v in doc["state"] if isinstance(v, dict) and "actors" in v)
    for key, bad in (("actor", [0, 7]), ("id", [1, "2"]), ("text", ["x"])):
        broken = json.loads(json.dumps(doc))
        target = next(v for v in broken["state"] if isinstance(v, dict) and "actors" in v)
        target[key] = bad
        with pytest.raises(CheckpointError):
            restore(json.dumps(broken), "INC-1", resolver)
    assert timeline["actors"] == ["alice", "bob"]


def test_warroom_status_leaves_a_checkpoint_and_says_the_same_from_it(tmp_path):
    path = tmp_path / "incident.db"
    _incident(path)
    first = run(path, "status", "--json")  # the real entry point: a reader folds 600 events
    assert first.code == 0, first
    assert _row(path)[0] == BIG
    again = run(path, "status", "--json")  # from the checkpoint
    assert again.code == 0 and again.out == first.out

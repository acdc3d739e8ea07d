"""Opening the database (issue 8, items 10, 11, 13): modes, read-only use, foreign and
damaged files, full disks and undecodable input. The real `warroom` console script on
real SQLite files; read-only use runs it under another uid (root ignores file modes);
a full disk is a real small tmpfs (when mountable) or the kernel's file-size limit."""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import MAJOR, T0, Run, warroom_exe
from tui.core.store import Store, StoreError

NOBODY = 65534
T0_DT = datetime.fromisoformat(T0)
START = ("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _as_other() -> list[str]:
    """A command prefix running as a user without root's privileges (file modes apply)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv (util-linux): cannot drop to another uid")
    prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    probe = subprocess.run([*prefix, warroom_exe(), "--version"], capture_output=True, cwd="/")
    if probe.returncode != 0:
        pytest.skip(f"uid {NOBODY} cannot run {warroom_exe()}: {probe.stderr.decode().strip()}")
    return prefix


def run(db, *args: str, as_other: bool = False, limit_fsize: int | None = None, cwd=None) -> Run:
    """`warroom` on ``db``; as another user (uid 65534 when we are root) or under RLIMIT_FSIZE."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(db), WARROOM_NOW=T0, WARROOM_AS="alice", HOME=str(cwd or "/tmp"))

    def preexec() -> None:
        if limit_fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG), no kill
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_fsize, limit_fsize))

    prefix = _as_other() if as_other else []
    p = subprocess.run(
        [*prefix, warroom_exe(), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or "/",
        preexec_fn=preexec,
        timeout=120,
    )
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    return Run(p.returncode, p.stdout, p.stderr)


def one_line_error(r: Run) -> str:
    assert r.code == 2, f"exit {r.code}\n{r.out}\n{r.err}"
    lines = [line for line in r.err.splitlines() if line]
    assert len(lines) == 1, r.err
    return lines[0]


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def shared_dir():
    """A directory another uid can reach (pytest's tmp_path is 0700 under root's)."""
    d = Path(tempfile.mkdtemp(prefix="warroom-dbopen-", dir="/tmp"))
    os.chmod(d, 0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ----------------------------------------------------------------------- item 10: modes


def test_dangling_symlink_gives_a_0600_database_and_its_wal_and_shm_too(tmp_path, umask_022):
    real = tmp_path / "state" / "real.db"
    real.parent.mkdir()
    link = tmp_path / "warroom.db"
    link.symlink_to(real)  # dangling: the target does not exist yet
    with Store(link) as store:
        store.heartbeat("s1", None, "alice", "", T0_DT)  # a write: -wal and -shm exist now
        assert link.is_symlink() and real.is_file()
        for path in (real, Path(f"{real}-wal"), Path(f"{real}-shm")):
            assert mode_of(path) == 0o600, path
    plain = tmp_path / "plain.db"
    with Store(plain) as store:
        store.heartbeat("s1", None, "alice", "", T0_DT)
        for path in (plain, Path(f"{plain}-wal"), Path(f"{plain}-shm")):
            assert mode_of(path) == 0o600, path


def test_a_database_that_cannot_be_made_whole_is_not_made_at_all(shared_dir):
    """The file is built beside the path and linked in whole: a failed start leaves nothing."""
    db = shared_dir / "incident.db"
    r = run(db, *START, limit_fsize=20_000)  # the kernel refuses writes past 20 kB (EFBIG)
    line = one_line_error(r)
    assert line.startswith(f"warroom: cannot create database {db}:")
    assert sorted(os.listdir(shared_dir)) == []  # no empty file, no temporary left over
    assert run(db, *START).code == 0  # and nothing stands in the way afterwards


# ----------------------------------------------------------------- item 11: what is opened


def test_an_empty_file_is_refused_and_left_empty(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    for args in (START, ("list",), ("check", "war-room")):
        line = one_line_error(run(empty, *args))
        assert line == (
            f"warroom: {empty} is an empty file, not a warroom database (remove it, or name "
            "another path: `warroom start` creates a new database)"
        )
    assert empty.read_bytes() == b""
    assert sorted(os.listdir(tmp_path)) == ["empty.db"]


def test_a_missing_database_is_an_error_for_reading_commands_and_is_not_created(tmp_path):
    missing = Path("/no-such-dir-warroom-test/x.db")
    for args in (("list",), ("list", "--json"), ("status",), ("log",), ("check", "war-room")):
        line = one_line_error(run(missing, *args))
        assert line == (
            f"warroom: no database at {missing} (the directory {missing.parent} does not exist)"
        )
    r = run(missing, "status", "--oneline")
    assert (r.code, r.out) == (2, "warroom: no db\n")
    line = one_line_error(run(missing, *START))
    assert "does not exist" in line

    here = tmp_path / "x.db"
    for args in (
        ("list",),
        ("status", "--oneline"),
        ("log",),
        ("outbox",),
        ("outbox", "retry", "1"),
    ):
        r = run(here, *args)
        assert r.code == 2 and "no database at" in r.err, (args, r)
    assert not here.exists()


def test_foreign_unreadable_and_junk_files_are_a_bad_db_on_the_status_line(tmp_path, shared_dir):
    other = tmp_path / "app.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("PRAGMA user_version=1")  # an SQLite file with no tables, not ours
    before = digest(other)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    for path in (other, junk):
        r = run(path, "status", "--oneline")
        assert (r.code, r.out) == (2, "warroom: bad db\n"), r
        assert "not a warroom database" in one_line_error(r)
        assert "not a warroom database" in one_line_error(run(path, "check", "war-room"))
        assert "not a warroom database" in one_line_error(run(path))  # plain `warroom`, no tty
    assert digest(other) == before  # never turned into a warroom database

    private = shared_dir / "private.db"
    assert run(private, *START).code == 0
    assert mode_of(private) == 0o600
    r = run(private, "status", "--oneline", as_other=True)
    assert (r.code, r.out) == (2, "warroom: bad db\n")
    line = one_line_error(run(private, "list", as_other=True))
    assert line == f"warroom: cannot read database {private}: permission denied"


def _read_only_db(shared_dir: Path, *, dir_mode: int, file_mode: int) -> Path:
    db = shared_dir / "ro" / "incident.db"
    db.parent.mkdir()
    assert run(db, *START).code == 0
    assert run(db, "check", "war-room").code == 0
    os.chmod(db, file_mode)
    os.chmod(db.parent, dir_mode)
    return db


@pytest.mark.parametrize(
    ("dir_mode", "file_mode"),
    [(0o755, 0o644), (0o777, 0o444)],
    ids=["read-only-directory", "read-only-file"],
)
def test_reading_commands_work_on_a_read_only_database(shared_dir, dir_mode, file_mode):
    db = _read_only_db(shared_dir, dir_mode=dir_mode, file_mode=file_mode)
    before = digest(db)
    r = run(db, "list", as_other=True)
    assert r.code == 0 and "INC-1" in r.out, r
    r = run(db, "status", "--oneline", as_other=True)
    assert r.code == 0 and r.out.startswith("INC-1 MAJOR"), r
    assert run(db, "status", "--json", as_other=True).code == 0
    kinds = [e["kind"] for e in run(db, "log", "--json", as_other=True).json()]
    assert "checklist.checked" in kinds
    r = run(db, "postmortem", as_other=True)
    assert r.code == 0 and "API down" in r.out, r

    line = one_line_error(run(db, "check", "ack-status-page", as_other=True))
    assert line == (
        f"warroom: cannot write database {db}: it is read-only for you (the file or its "
        "directory); reading commands still work"
    )
    assert digest(db) == before
    # a reader leaves nothing behind (no -wal/-shm owned by it that would block the owner)
    assert sorted(os.listdir(db.parent)) == ["incident.db"]


def test_a_reader_sees_what_a_live_writer_has_not_checkpointed_yet(shared_dir):
    db = _read_only_db(shared_dir, dir_mode=0o755, file_mode=0o644)
    holder = sqlite3.connect(db)  # the owner's dashboard: keeps -wal and -shm alive
    try:
        holder.execute("SELECT count(*) FROM events").fetchone()
        assert run(db, "check", "ack-status-page").code == 0  # the owner writes
        assert Path(f"{db}-wal").exists()
        kinds = [e["kind"] for e in run(db, "log", "--json", as_other=True).json()]
        assert kinds.count("checklist.checked") == 2
    finally:
        holder.close()


# ------------------------------------------------------------ item 13: conditions users meet


def _corrupt_events(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE type='table' AND name='events'"
        ).fetchone()[0]
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xa5\x5a" * (page_size // 2))


def test_a_damaged_page_is_one_line_and_nothing_is_written(tmp_path):
    db = tmp_path / "incident.db"
    assert run(db, *START).code == 0
    for item in ("war-room", "ack-status-page"):
        assert run(db, "check", item).code == 0
    _corrupt_events(db)
    before = digest(db)
    for args in (("status",), ("log",), ("check", "ack-social"), ("postmortem",)):
        line = one_line_error(run(db, *args))
        assert line.startswith(f"warroom: database {db} is damaged ("), line
        assert line.endswith(f"restore a backup, or salvage it with: sqlite3 {db} .recover")
    r = run(db, "status", "--oneline")
    assert (r.code, r.out) == (2, "warroom: bad db\n")
    assert digest(db) == before


def test_non_utf8_bytes_in_text_options_are_refused_by_name(tmp_path):
    db = tmp_path / "incident.db"
    line = one_line_error(run(db, "start", "-p", str(MAJOR), "-t", "API \udcff down"))
    assert line == (
        "warroom: --title: not valid UTF-8 (the byte 0xff); type the text again or fix the "
        "terminal's encoding"
    )
    assert not db.exists()
    assert run(db, *START).code == 0
    line = one_line_error(run(db, "skip", "brief-leadership", "--reason", "n\udce9ant"))
    assert line.startswith("warroom: --reason: not valid UTF-8 (the byte 0xe9)")
    assert not any(e["kind"] == "checklist.skipped" for e in run(db, "log", "--json").json())
    # file names may hold any bytes: only text is checked
    odd = tmp_path / "caf\udce9.db"
    assert run(odd, *START).code == 0 and run(odd, "list").code == 0


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MiB file system: a tmpfs, when this machine lets us mount one."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root (run as root, or see the EFBIG test)")
    p = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_is_one_line_and_nothing_is_half_written(small_disk):
    db = small_disk / "incident.db"
    assert run(db, *START).code == 0
    filler = _fill(small_disk)
    before = digest(db)
    line = one_line_error(run(db, "check", "war-room"))
    assert line.startswith(f"warroom: database {db}: the disk is full"), line
    line = one_line_error(run(db, "postmortem", "--out", str(small_disk / "pm.md")))
    assert "the disk is full" in line, line
    other = small_disk / "new.db"
    line = one_line_error(run(other, *START))
    assert line.startswith(f"warroom: cannot create database {other}:"), line
    assert digest(db) == before
    # no temporary file, no new database, no half output (SQLite's own -wal/-shm may stay)
    left = set(os.listdir(small_disk)) - {"incident.db-wal", "incident.db-shm"}
    assert left == {"filler", "incident.db"}
    filler.unlink()
    kinds = [e["kind"] for e in run(db, "log", "--json").json()]
    assert "checklist.checked" not in kinds
    assert run(db, "check", "war-room").code == 0  # space again: it works


def test_a_write_the_kernel_refuses_is_one_line_and_rolled_back(tmp_path):
    db = tmp_path / "incident.db"
    assert run(db, *START).code == 0
    before = digest(db)
    line = one_line_error(run(db, "check", "war-room", limit_fsize=4096))
    assert line.startswith(f"warroom: database {db}: "), line
    assert digest(db) == before
    kinds = [e["kind"] for e in run(db, "log", "--json").json()]
    assert "checklist.checked" not in kinds


def test_store_refuses_what_it_did_not_make(tmp_path):
    junk = tmp_path / "x.db"
    junk.write_bytes(b"")
    with pytest.raises(StoreError, match="empty file"):
        Store(junk)
    assert junk.read_bytes() == b""


def test_many_first_openers_at_once_share_one_whole_database(tmp_path):
    """Creation links a finished file into place: racing creators all end up in one database."""
    import threading

    db = tmp_path / "new.db"
    gate = threading.Barrier(6)
    errors: list[BaseException] = []

    def opener(n: int) -> None:
        try:
            gate.wait(timeout=60)
            with Store(db, timeout=30) as store:
                store.heartbeat(f"s{n}", None, f"user{n}", "", T0_DT)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=opener, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with Store(db) as store:
        users = {row[0] for row in store.conn.execute("SELECT user FROM presence")}
    assert users == {f"user{n}" for n in range(6)}
    assert sorted(p for p in os.listdir(tmp_path) if not p.startswith("new.db")) == []


def test_the_dashboard_room_turns_a_damaged_database_into_one_line(tmp_path):
    """The dashboard's Room: an SQLite failure is a StoreError (one-line notification)."""
    from tui.app.room import Room
    from tui.core.clock import FrozenClock

    db = tmp_path / "incident.db"
    assert run(db, *START).code == 0
    assert run(db, "check", "war-room").code == 0
    _corrupt_events(db)
    room = Room(db, FrozenClock(T0_DT), "alice")
    try:
        assert [r.id for r in room.open()] == ["INC-1"]
        with pytest.raises(StoreError) as info:
            room.attach("INC-1")
        assert str(info.value).startswith(f"database {db} is damaged (")
        assert "\n" not in str(info.value)
    finally:
        room.close(wait=30)  # the lock was released: closing does not hang


def test_the_local_status_page_database_is_0600_through_a_dangling_symlink(tmp_path, umask_022):
    from tui.localpage.store import PageStore

    real = tmp_path / "pages" / "page.db"
    real.parent.mkdir()
    link = tmp_path / "page.db"
    link.symlink_to(real)
    PageStore(link, page_id="local", components=["API"])
    assert link.is_symlink() and mode_of(real) == 0o600

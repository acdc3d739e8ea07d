"""The one-liner of ``warroom status --oneline``, from a few facts, and its per-user cache.

tmux runs ``status --oneline`` for every client every few seconds, so most runs ask
a database that has not changed since the last one. The line depends on the clock,
but only through a handful of facts fixed by the event log (:class:`LineFacts`: the
id, severity, phase, when the next update is due and why, the post-mortem's date,
resolution, closing). The full path (:func:`tui.core.report.oneline`) folds the log,
keeps those facts in a small JSON file of the user's own cache (``$XDG_CACHE_HOME``
or ``~/.cache``, ``warroom/oneline-*.json``, mode 0600) under the database's key, and
the next run whose key matches (:func:`cached_line`) says the line from them without
importing the playbook, the projection or the store.

The key: the database's real path, its application id and schema version, its random
instance id, and the last event id (the log only grows; a new incident, a closing, a
reload are events), with warroom's version and :data:`FORMAT`. Anything that does not
match, cannot be read or does not parse is a miss: the full path runs (and says any
error in its usual way). The cache holds nothing secret (what the line shows) and is
never a reason for an error: it is skipped when it cannot be written.

Most runs need not even ask SQLite: once the database's files have been still for
SETTLED_NS, their stat (device, inode, size, mtime of the file and its -wal) is kept
with the facts, and a run that finds the same stat says the line from them (a write
always moves the mtime of what it writes: the -wal, or the file at a checkpoint).

This module imports only durations and text helpers, datetime and json (the fast
path's cost); not typing, not pathlib; the clock's zoneinfo only when the cache did
not keep the wall-clock words; sqlite3 only when the stat moved.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from datetime import datetime, timedelta

from tui.core.durations import format_duration
from tui.core.textsafe import clean_line

TYPE_CHECKING = False  # (not typing's: importing typing costs this path ~3 ms)
if TYPE_CHECKING:
    import sqlite3
    from typing import Any, NamedTuple

    class _Facts(NamedTuple):
        id: str
        severity_title: str
        phase: str | None
        timezone: str
        due_at: datetime | None  # the next update (None: none due)
        due_soon: timedelta  # the playbook's "due soon" window
        closed: bool
        postmortem_at: datetime | None
        resolved_at: datetime | None
        # the wall-clock words of due_at, postmortem_at, resolved_at in the timezone
        # (fixed by the facts: kept in the cache, so a hit needs no zoneinfo)
        shown: tuple[str | None, str | None, str | None] | None = None

else:
    from collections import namedtuple  # (already loaded: functools, re)

    _Facts = namedtuple(
        "_Facts",
        "id severity_title phase timezone due_at due_soon closed postmortem_at resolved_at shown",
        defaults=(None,),
    )

ONELINE_MAX = 80
FORMAT = 2  # bump when LineFacts or what the line says from them changes


class LineFacts(_Facts):  # (not a dataclass: importing dataclasses costs this path ~10 ms)
    """What the one-liner reads of an incident: fixed until the next event."""

    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity_title": self.severity_title,
            "phase": self.phase,
            "timezone": self.timezone,
            "due_at": _iso(self.due_at),
            "due_soon": self.due_soon.total_seconds(),
            "closed": self.closed,
            "postmortem_at": _iso(self.postmortem_at),
            "resolved_at": _iso(self.resolved_at),
            "shown": list(wall_words(self)),
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> LineFacts:
        shown = d.get("shown")
        if shown is not None:
            if not isinstance(shown, list) or len(shown) != 3:
                raise ValueError("shown: three words or nulls")
            shown = tuple(None if w is None else str(w) for w in shown)
        return LineFacts(
            str(d["id"]),
            str(d["severity_title"]),
            None if d["phase"] is None else str(d["phase"]),
            str(d["timezone"]),
            _instant(d["due_at"]),
            timedelta(seconds=float(d["due_soon"])),
            bool(d["closed"]),
            _instant(d["postmortem_at"]),
            _instant(d["resolved_at"]),
            shown,
        )


def wall_words(f: LineFacts) -> tuple[str | None, str | None, str | None]:
    """``14:15``, ``Tue 09:00``, ``13:40``: due_at, postmortem_at and resolved_at on the
    wall clocks of the incident's timezone (from the cache when it kept them)."""
    if f.shown is not None:
        return f.shown
    from tui.core.clock import hhmm, local

    tz = f.timezone
    return (
        hhmm(f.due_at, tz) if f.due_at is not None else None,
        local(f.postmortem_at, tz).strftime("%a %H:%M") if f.postmortem_at is not None else None,
        hhmm(f.resolved_at, tz) if f.resolved_at is not None else None,
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _instant(text: object) -> datetime | None:
    if text is None:
        return None
    at = datetime.fromisoformat(str(text))
    if at.tzinfo is None:
        raise ValueError("a naive instant")
    return at


# ------------------------------------------------------------------------ the line


def _left(seconds: int) -> str:
    if abs(seconds) >= 3600:  # 2d 23h, 5h 12m: as the dashboard's countdown says it
        from tui.core.durations import countdown

        return countdown(seconds)
    return format_duration(timedelta(seconds=seconds))


def seconds_left(f: LineFacts, now: datetime) -> int | None:
    """Seconds to the next update (negative once late), as the countdown counts them."""
    return int((f.due_at - now).total_seconds()) if f.due_at is not None else None


def due_words(f: LineFacts, now: datetime) -> str:
    """``update due 14:15 (12m)``, ``update LATE +4m (due 14:15)``, ``closed``, ..."""
    due_at, pm_at, resolved_at = wall_words(f)
    left = seconds_left(f, now)
    if f.due_at is None or left is None:
        if f.closed:
            return "closed"
        pm = f.postmortem_at
        if pm is not None:
            pm_left = int((pm - now).total_seconds())
            if pm_left < 0:
                return f"post-mortem LATE +{_left(-pm_left)}"
            return f"post-mortem due {pm_at} ({_left(pm_left)})"
        if f.resolved_at:
            return f"resolved {resolved_at}"
        return "no update due"
    at = due_at
    if left < 0:
        return f"update LATE +{_left(-left)} (due {at})"
    soon = " DUE SOON" if timedelta(seconds=left) <= f.due_soon else ""
    return f"update due {at} ({_left(left)}){soon}"


def line_for(f: LineFacts, now: datetime) -> str:
    text = f"{f.id} {f.severity_title} {f.phase}: {due_words(f, now)}"
    return clean_line(text)[:ONELINE_MAX]


def line_of(facts: list[LineFacts], now: datetime) -> str:
    """The most urgent open incident's line (and how many more there are)."""
    if not facts:
        return "warroom: no open incident"

    def urgency(f: LineFacts) -> float:
        left = seconds_left(f, now)
        return left if left is not None else float("inf")

    ordered = sorted(facts, key=urgency)
    line = line_for(ordered[0], now)
    if len(ordered) > 1:
        more = f" (+{len(ordered) - 1} more)"
        line = line[: ONELINE_MAX - len(more)] + more
    return line


# ------------------------------------------------------------------------ the cache


def cache_file(db: str | os.PathLike[str]) -> str | None:
    """Where this user keeps the facts of this database (None: no home to keep them in)."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    real = os.path.realpath(db)
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in os.path.basename(real))
    return os.path.join(
        base, "warroom", f"oneline-{zlib.crc32(real.encode()):08x}-{name[:60]}.json"
    )


def db_key(conn: sqlite3.Connection, db: str | os.PathLike[str]) -> dict[str, Any]:
    """What must not have changed for the cached facts to hold."""
    from tui import __version__

    last = conn.execute("SELECT max(id) FROM events").fetchone()[0]
    instance = conn.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()
    return {
        "format": FORMAT,
        "version": __version__,
        "db": os.path.realpath(db),
        "application_id": conn.execute("PRAGMA application_id").fetchone()[0],
        "schema": conn.execute("PRAGMA user_version").fetchone()[0],
        "instance": instance[0] if instance else None,
        "last_event": last,
    }


def save(db: str | os.PathLike[str], key: dict[str, Any], facts: list[LineFacts]) -> None:
    """Keep the facts under the key; best effort (a cache that cannot be written is skipped)."""
    path = cache_file(db)
    if path is None:
        return
    new = not os.path.exists(path)
    _write(path, {"key": key, "facts": [f.to_json() for f in facts]})
    if new:  # a database the cache did not know: forget the gone ones (not the fast path)
        from tui.core.onelineprune import prune

        prune(os.path.dirname(path), keep=path)


def _write(path: str, kept: dict[str, Any]) -> None:
    data = json.dumps(kept)
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(data)
        os.replace(tmp, path)  # whole or not at all: two clients may write at once
    except OSError:
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(tmp)


# A database file (and its -wal) whose stat was taken at least this long after its last
# change: any later write stamps a later mtime, whatever the file system's clock tick
# (1-2 s on some), so an equal stat proves nothing was written since.
SETTLED_NS = 3_000_000_000


def file_stat(real: str) -> list[list[int] | None]:
    """What a write to the database moves: device, inode, size and mtime of the file and
    of its -wal (None: not there). Not the ctime: SQLite moves the -wal's at every open
    (it chowns it to the database's owner when run as root); not the -shm: readers write it."""
    found: list[list[int] | None] = []
    for path in (real, f"{real}-wal"):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            found.append(None)
            continue
        found.append([st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns])
    return found


def settled(stat: list[list[int] | None], taken_ns: int) -> bool:
    """Every file last changed SETTLED_NS or more before the stat was taken (and not later
    than it: a clock that went back): a later write is bound to show in the stat."""
    return all(one is None or taken_ns - SETTLED_NS >= one[3] for one in stat)


def cached_line(db: str | os.PathLike[str], now: datetime, timeout: float) -> str | None:
    """The line from the cached facts when the database has not changed; else None.

    Two ways to know it has not: the stat of the database and its -wal equal to the one
    kept with the facts (kept only once settled: :func:`settled`) -- no SQLite at all;
    else the key read from the database (:func:`db_key`), and a settled stat that did not
    move while it was read is kept for the next run."""
    path = cache_file(db)
    if path is None or not os.path.isfile(db):
        return None
    try:
        if not _ours(path) or not _ours(os.path.dirname(path)):
            return None
        with open(path, encoding="utf-8") as f:
            kept = json.load(f)
        real = os.path.realpath(db)
        facts = [LineFacts.from_json(d) for d in kept["facts"]]
        if _same_build(kept["key"], real) and kept.get("stat") == file_stat(real):
            return line_of(facts, now)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # a miss: the full path reads the database (and says what is wrong)
    import sqlite3  # (only now: ~1 ms)

    try:
        taken = time.time_ns()
        before = file_stat(real)
        conn = _connect(real, timeout)
        try:
            key = db_key(conn, db)
        finally:
            conn.close()
        if kept["key"] != key:
            return None
        if before == file_stat(real) and settled(before, taken):
            _write(path, {**kept, "stat": before})
        return line_of(facts, now)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, sqlite3.Error):
        return None


def _same_build(key: Any, real: str) -> bool:
    """The kept key was made by this warroom, FORMAT and database path."""
    from tui import __version__

    return (
        isinstance(key, dict)
        and key.get("format") == FORMAT
        and key.get("version") == __version__
        and key.get("db") == real
    )


def _ours(path: str) -> bool:
    """Only a file (and folder) of this user that no one else may write is believed."""
    st = os.stat(path)
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def _connect(real: str, timeout: float) -> sqlite3.Connection:
    """As the store opens it: a file this user may write, as it is; else read-only, and
    immutable when no writer is at work (no -wal), so a reader leaves no -shm behind."""
    import sqlite3

    if os.access(real, os.W_OK) and os.access(os.path.dirname(real) or ".", os.W_OK):
        return sqlite3.connect(real, timeout=timeout)
    from urllib.parse import quote

    uri = f"file:{quote(os.fsencode(real))}?mode=ro"
    if not os.path.exists(f"{real}-wal"):
        uri += "&immutable=1"
    return sqlite3.connect(uri, timeout=timeout, uri=True)

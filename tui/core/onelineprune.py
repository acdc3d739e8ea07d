"""The one-liner's cache folder kept small: files of databases that are gone, removed.

``status --oneline`` keeps one small file per database in the user's cache
(:mod:`tui.core.oneline`). Databases come and go (a drill, a demo, a test run), their
files would stay for ever: :func:`prune` removes the file of every database that no
longer exists, then the least recently written beyond :data:`MAX_FILES`, and a crashed
writer's temporary files. It runs only when a run writes a file for a database the
cache did not know yet (a cache miss on a new database, already the slow path that
opened SQLite), never on the fast path; best effort: it never fails the run.
Only regular files the user owns, named as the cache names them, are touched.
"""

from __future__ import annotations

import json
import os
import time

MAX_FILES = 64  # databases remembered at most (each file is well under 4 KiB)
READ_AT_MOST = 65536  # bytes of a file read to find its database (ours are far smaller)
TMP_AGE_S = 3600  # a temporary file this old belongs to a writer that died


def _database_of(path: str) -> str | None:
    """The database a cache file is for (None: unreadable or not a cache file of ours)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.loads(f.read(READ_AT_MOST))
        db = data["key"]["db"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    return db if isinstance(db, str) and db else None


def prune(folder: str, keep: str = "", max_files: int = MAX_FILES) -> list[str]:
    """Remove from ``folder`` the cache files of databases that no longer exist (and
    files that are not readable cache files), then the oldest beyond ``max_files``;
    never ``keep`` (the file just written). The names removed, for the tests."""
    removed: list[str] = []
    uid = os.getuid() if hasattr(os, "getuid") else None
    now = time.time()
    alive: list[tuple[float, str]] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not entry.is_file(follow_symlinks=False) or (uid is not None and st.st_uid != uid):
            continue
        if name.startswith(".oneline-") and name.endswith(".tmp"):
            if now - st.st_mtime > TMP_AGE_S:
                removed += _unlink(entry.path)
            continue
        if not (name.startswith("oneline-") and name.endswith(".json")):
            continue
        if entry.path == keep:
            continue
        db = _database_of(entry.path)
        if db is None or not os.path.exists(db):
            removed += _unlink(entry.path)
        else:
            alive.append((st.st_mtime, entry.path))
    room = max(0, max_files - (1 if keep else 0))
    alive.sort(reverse=True)  # the most recently written first
    for _, path in alive[room:]:
        removed += _unlink(path)
    return removed


def _unlink(path: str) -> list[str]:
    try:
        os.unlink(path)
    except OSError:
        return []
    return [os.path.basename(path)]

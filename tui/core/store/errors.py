"""Database problems as one line for a person: :class:`StoreError` and :func:`explain`.

Every SQLite failure becomes one line naming the file and the cause -- full disk,
damaged pages, locks, permissions -- and what to do about it.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_TIMEOUT = 5.0  # seconds a write waits for another warroom's lock


class StoreError(Exception):
    """A one-line, user-facing problem with the database."""


def disk_full(path: Path) -> bool:
    """No space left for us beside ``path`` (False when that cannot be told)."""
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False


def explain(
    path: str | os.PathLike[str], exc: BaseException, timeout: float = DEFAULT_TIMEOUT
) -> str:
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
    if disk_full(Path(path)):  # SQLite often says only "disk I/O error"
        return full
    if "unable to open" in text or name.startswith("SQLITE_CANTOPEN"):
        return f"cannot open database {path} ({text}): check the file's and its directory's access"
    if name.startswith("SQLITE_IOERR") or "I/O error" in text:
        return f"database {path}: the disk failed to read or write ({text}); nothing was written"
    return f"database {path}: {text}"

"""A new database, made whole before anyone sees it.

It is built in a private temporary file beside the target (0600, or 0660 and
chgrp'ed when a shared war-room group is asked for), migrated to the current
schema, then hard-linked into place (never over an existing file): the path holds
nothing or a whole database, and the mode holds for every path, also through a
(dangling) symlink, whose target is where the file is made. SQLite gives the
-wal and -shm files the same mode.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import suppress
from pathlib import Path

from tui.core.store.errors import StoreError, disk_full
from tui.core.store.schema import migrate


def default_db_path() -> Path:
    """Where the database is when nobody names one: the user's state directory."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("warroom", appauthor=False)) / "warroom.db"


def _group_id(group: str | None) -> int:
    if not group:
        return -1
    import grp

    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise StoreError(f"unknown group {group!r} for the shared war-room database") from None


def create_database(path: Path, group: str | None) -> None:
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
            migrate(conn, 0)
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
        full = disk_full(path) or getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL"
        reason = "the disk is full" if full else str(exc)
        raise StoreError(f"cannot create database {path}: {reason}") from None
    except OSError as exc:
        if disk_full(path):
            raise StoreError(f"cannot create database {path}: the disk is full") from None
        raise StoreError(f"cannot create database {path}: {exc.strerror or exc}") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with suppress(OSError):
                leftover.unlink()

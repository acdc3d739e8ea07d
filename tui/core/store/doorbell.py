"""A doorbell on the database file: the kernel says when another process wrote it.

A dashboard at rest used to ask SQLite ``PRAGMA data_version`` four times a second
(issue 13: each look wakes the process). With Linux inotify on the database's folder,
the process sleeps until a write to the database, its WAL or its journal; the caller
then asks ``data_version`` once (our own writes ring too, and move nothing there).
Elsewhere (no inotify, or a folder it cannot watch) :meth:`Doorbell.open` returns None
and the caller keeps its timer.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import struct
import sys
from pathlib import Path

IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name
_MASK = IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


class Doorbell:
    """An inotify descriptor watching one database's folder (non-blocking; close it)."""

    def __init__(self, fd: int, names: frozenset[bytes]) -> None:
        self.fd = fd
        self.names = names  # the database, its -wal and -journal

    @classmethod
    def open(cls, database: Path) -> Doorbell | None:
        libc = _libc()
        if libc is None:
            return None
        try:
            fd = int(libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC))
        except AttributeError:
            return None
        if fd < 0:
            return None
        folder = os.fsencode(str(database.resolve().parent))
        if int(libc.inotify_add_watch(fd, folder, _MASK)) < 0:
            os.close(fd)
            return None
        name = os.fsencode(database.name)
        return cls(fd, frozenset({name, name + b"-wal", name + b"-journal"}))

    def fileno(self) -> int:
        return self.fd

    def rang(self) -> bool:
        """Read every waiting event (never blocks): did any touch the database's files?"""
        hit = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return hit
            except OSError:
                return True  # cannot tell: the caller looks (a probe is cheap)
            if not data:
                return hit
            at = 0
            while at + _EVENT.size <= len(data):
                _wd, _mask, _cookie, length = _EVENT.unpack_from(data, at)
                at += _EVENT.size
                name = data[at : at + length].rstrip(b"\0")
                at += length
                hit = hit or name in self.names

    def close(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1

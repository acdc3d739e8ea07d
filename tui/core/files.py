"""Files people hand warroom and files it writes for them: read within a bound, written
whole or not at all, private, never redirected.

:func:`read_bounded` is the one way an input file (a playbook, a customer list)
is read: a regular file only (a FIFO or a device cannot block it), at most
``limit + 1`` bytes read however large the file is, and every refusal a
:class:`ReadRefused` that says which kind it is, so each reader words it for
its own readers. File names and the system's words are made printable first:
a hostile name cannot put terminal escapes on the screen.

:func:`write_atomic` is the one way an output file (post-mortems, offers CSVs)
is written:

* a temporary file with a random name is created beside the target with
  ``O_EXCL | O_NOFOLLOW``: a symlink planted at any name cannot redirect the
  write, and an existing file is never written through;
* its mode is 0600, or the existing target's mode when that is stricter
  (``0600 & mode``): an output file is never more open than its owner alone,
  and a file someone narrowed (0400) stays narrow. Offers files hold billing
  data; the umask neither widens nor narrows it;
* the data is fsync'ed, the file renamed over the target, then the directory
  fsync'ed: after a crash there is the old file or the new one, never a mix;
* a target that is a symbolic link, a directory or anything but a regular file
  is refused: warroom writes the file you name, not where a link points.

Failures raise :class:`WriteError` (an ``OSError``) whose text is one line
naming the target and the cause; the temporary file is gone by then.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path
from typing import Literal

PRIVATE = 0o600

ReadProblem = Literal["directory", "not regular", "unreadable", "too large"]


class ReadRefused(Exception):
    """A file that could not be read whole. ``name`` is the file name made printable;
    ``kind`` says why: ``"directory"``, ``"not regular"`` (a FIFO, a device...),
    ``"unreadable"`` (``reason`` holds the system's words) or ``"too large"`` (``size``
    holds the size seen, more than the limit)."""

    def __init__(self, name: str, kind: ReadProblem, reason: str = "", size: int = 0):
        super().__init__(f"{name}: {reason or kind}")
        self.name = name
        self.kind: ReadProblem = kind
        self.reason = reason
        self.size = size


def printable(text: str) -> str:
    """``text`` with every non-printable character (controls, ESC, bidi overrides) escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def read_bounded(path: str | os.PathLike[str], limit: int) -> tuple[bytes, str]:
    """The bytes of the regular file ``path`` (at most ``limit``) and its printable name.

    Reads at most ``limit + 1`` bytes; raises :class:`ReadRefused` for a directory, anything
    but a regular file, an operating-system error or a file larger than ``limit``.
    """
    try:
        name = printable(os.fsdecode(path))
    except Exception:
        name = printable(repr(path))
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise ReadRefused(name, "directory", "Is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise ReadRefused(name, "not regular", "not a regular file")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ReadRefused(name, "unreadable", printable(reason)) from None
    except (TypeError, ValueError) as exc:  # e.g. a NUL in the path
        raise ReadRefused(name, "unreadable", printable(str(exc))) from None
    if len(data) > limit:
        raise ReadRefused(name, "too large", size=max(len(data), st.st_size))
    return data, name


class WriteError(OSError):
    """A file could not be written; ``str()`` is one line for a person."""

    def __init__(self, path: os.PathLike[str] | str, reason: str, code: int = 0):
        super().__init__(code, reason)
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"


_REASONS = {
    errno.ENOSPC: "the disk is full (nothing was written)",
    errno.EFBIG: "file too large for this system's limit (nothing was written)",
    errno.EDQUOT: "disk quota exceeded (nothing was written)",
}


def os_reason(exc: OSError) -> str:
    """The cause of a failed file operation, in words (full disk, size limit, quota...)."""
    return _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


def target_mode(target: Path) -> int:
    """0600, or the existing regular file's mode when that is stricter."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return PRIVATE
    return PRIVATE & stat.S_IMODE(st.st_mode)


def _check_target(target: Path) -> None:
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WriteError(target, os_reason(exc), exc.errno or 0) from None
    if stat.S_ISLNK(st.st_mode):
        raise WriteError(
            target,
            "it is a symbolic link; name the file itself (warroom does not write through links)",
            errno.ELOOP,
        )
    if stat.S_ISDIR(st.st_mode):
        raise WriteError(target, "it is a directory", errno.EISDIR)
    if not stat.S_ISREG(st.st_mode):
        raise WriteError(target, "it is not a regular file", errno.EINVAL)


def create_temp(directory: Path, stem: str, mode: int = PRIVATE) -> tuple[int, Path]:
    """A new file with a random name in ``directory``: (fd open for writing, path).

    ``O_EXCL | O_NOFOLLOW``: never an existing file, never through a symlink.
    The mode is set exactly (the umask does not change it). Raises OSError.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = directory / f".{stem}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(tmp, flags, mode)
        except FileExistsError:
            continue
        try:
            os.fchmod(fd, mode)
        except OSError:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        return fd, tmp
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(directory))


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the file system allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def write_atomic(path: os.PathLike[str] | str, data: str | bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (see the module doc).

    Text is written as UTF-8 (a lone surrogate becomes "?"). Raises WriteError.
    """
    target = Path(path)
    raw = data if isinstance(data, bytes) else data.encode("utf-8", errors="replace")
    _check_target(target)
    mode = target_mode(target)
    directory = target.parent
    try:
        fd, tmp = create_temp(directory, target.name, mode)
    except OSError as exc:
        raise WriteError(target, os_reason(exc), exc.errno or 0) from None
    try:
        try:
            view = memoryview(raw)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        _check_target(target)  # planted since the first look: still refuse
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, WriteError):
            raise
        if isinstance(exc, OSError):
            raise WriteError(target, os_reason(exc), exc.errno or 0) from None
        raise
    try:
        fsync_dir(directory)
    except OSError as exc:
        raise WriteError(target, os_reason(exc), exc.errno or 0) from None

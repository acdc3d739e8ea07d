"""A dashboard never outlives its terminal (no Textual here).

When the terminal goes away -- SIGHUP (the SSH line dropped, the tmux pane or
server was killed), SIGTERM, a write that fails with EIO/EPIPE, or a tty that
reports hang-up -- the process must end within :data:`GRACE` seconds, whatever
the UI toolkit or a stuck worker thread is doing:

1. the first sign of loss arms a **watchdog** thread that ``os._exit``\\ s the
   process after ``GRACE`` seconds, so nothing can keep it alive;
2. on the main thread (a plain ``signal.signal`` handler, which runs even while
   the main thread waits on a lock) the registered ``on_lost`` callback saves
   the draft straight to the database and asks the app to exit in order;
3. if the main thread never gets there, the watchdog tries the same save
   itself shortly before the deadline (the save is done at most once).

Nothing here spins: the tty monitor sleeps in ``poll()`` until the kernel
reports hang-up, then stops; the watchdog sleeps until its deadline.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, TextIO

GRACE = 1.5  # seconds from losing the terminal to the hard exit (the promise is 2 s)
SAVE_BEFORE = 0.6  # the watchdog's own save attempt starts this long before the deadline


class Lifeline:
    """Ties the process's life to its terminal's. One per dashboard process."""

    def __init__(self, grace: float = GRACE) -> None:
        self.grace = grace
        self.lost = threading.Event()  # set at the first sign of loss (or SIGTERM)
        self.dead = threading.Event()  # the terminal itself is gone: write nothing more
        self.reason = ""
        self.code = 0
        self._on_lost: Callable[[int], None] | None = None
        self._save: Callable[[], None] | None = None
        self._listeners: list[Callable[[], None]] = []
        self._save_lock = threading.Lock()
        self._saved = False
        self._lock = threading.Lock()
        self._quit_watch: threading.Event | None = None

    # set-up -----------------------------------------------------------------------
    def install(self) -> None:
        """Signal handlers and the tty monitor; call on the main thread, early."""
        for sig in (signal.SIGHUP, signal.SIGTERM):
            signal.signal(sig, self._signalled)
        self._watch_signals()
        fds = sorted({fd for fd in (0, 1, 2) if _isatty(fd)})
        if fds:
            threading.Thread(
                target=self._monitor, args=(fds,), name="warroom-tty-monitor", daemon=True
            ).start()

    def on_lost(self, callback: Callable[[int], None]) -> None:
        """``callback(exit_code)`` runs on the main thread when the terminal is lost."""
        self._on_lost = callback

    def on_save(self, save: Callable[[], None]) -> None:
        """The draft save (straight to the database, short busy timeout)."""
        self._save = save

    def on_dead(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs (on any thread) when the terminal is known to be gone."""
        self._listeners.append(listener)

    # what ends the process ----------------------------------------------------------
    def terminal_lost(
        self, reason: str, code: int = 129, *, dead: bool = True, wake_main: bool = True
    ) -> bool:
        """From any thread: arm the watchdog (once). True the first time.

        ``dead`` is False only for SIGTERM: the terminal may still be there, so
        the orderly exit may still restore it.
        """
        if dead and not self.dead.is_set():
            self.dead.set()
            for listener in list(self._listeners):
                with contextlib.suppress(Exception):
                    listener()
        with self._lock:
            if self.lost.is_set():
                return False
            self.reason, self.code = reason, code
            self.lost.set()
            _watchdog(self.grace, code, self.save_once, None)
        if wake_main and threading.current_thread() is not threading.main_thread():
            # the main thread does the save and the orderly exit: wake it with a
            # signal, which also interrupts a wait on a lock or a blocked write
            with contextlib.suppress(OSError, ValueError):
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGHUP)
        return True

    def exit_within(self, seconds: float, code: int) -> None:
        """The app is quitting: end the process after ``seconds`` unless :meth:`exited`."""
        with self._lock:
            if self._quit_watch is None:
                self._quit_watch = threading.Event()
                _watchdog(seconds, code, None, self._quit_watch)

    def exited(self) -> None:
        """The orderly exit finished in time: the quit watchdog stands down."""
        with self._lock:
            if self._quit_watch is not None:
                self._quit_watch.set()

    def save_once(self) -> None:
        """Run the registered save, at most once per process, never raising."""
        if not self._save_lock.acquire(timeout=0.2):
            return  # another thread is saving right now
        try:
            if self._saved or self._save is None:
                return
            self._saved = True
            with contextlib.suppress(Exception):
                self._save()
        finally:
            self._save_lock.release()

    # internals ------------------------------------------------------------------------
    def _signalled(self, signum: int, _frame: FrameType | None) -> None:
        dead = signum != signal.SIGTERM
        self.terminal_lost(f"signal {signal.Signals(signum).name}", 128 + signum, dead=dead)
        self.save_once()
        callback = self._on_lost
        if callback is not None:
            with contextlib.suppress(Exception):
                callback(self.code)

    def _watch_signals(self) -> None:
        """Arm the watchdog from a thread as soon as a signal arrives.

        A Python signal handler runs only when the main thread next executes
        Python code; stuck inside C (SQLite's busy wait, say) it never would.
        The C-level handler also writes the signal number to a wakeup fd, which
        this thread reads, so the watchdog starts (and saves, near its
        deadline) even then.
        """
        try:
            read_end, write_end = os.pipe()
            os.set_blocking(write_end, False)
            signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        except (OSError, ValueError):
            return

        def watch() -> None:
            while True:
                try:
                    data = os.read(read_end, 64)
                except InterruptedError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                for signum in data:
                    if signum in (signal.SIGHUP, signal.SIGTERM):
                        self.terminal_lost(
                            f"signal {signal.Signals(signum).name}",
                            128 + signum,
                            dead=signum != signal.SIGTERM,
                            wake_main=False,  # its handler is already pending there
                        )

        threading.Thread(target=watch, name="warroom-signals", daemon=True).start()

    def _monitor(self, fds: list[int]) -> None:
        """Sleep in poll() until the kernel says the terminal hung up; no busy loop."""
        poller = select.poll()
        for fd in fds:
            poller.register(fd, 0)  # only POLLHUP / POLLERR / POLLNVAL are reported
        gone = select.POLLHUP | select.POLLERR | select.POLLNVAL
        while not self.dead.is_set():
            try:
                events = poller.poll(1000)
            except InterruptedError:
                continue
            except OSError:
                events = [(fds[0], select.POLLERR)]
            if any(mask & gone for _, mask in events):
                self.terminal_lost("the terminal hung up", 129)
                return


def _watchdog(
    seconds: float, code: int, save: Callable[[], None] | None, stand_down: threading.Event | None
) -> None:
    """A daemon thread that ends the process after ``seconds`` (it sleeps, never spins).

    With ``save``, it first tries the draft save itself shortly before the
    deadline, in case the main thread never got to it.
    """

    def run() -> None:
        wait = stand_down.wait if stand_down is not None else _sleep
        if save is not None and seconds > SAVE_BEFORE:
            if wait(seconds - SAVE_BEFORE):
                return
            save()
            seconds_left = SAVE_BEFORE
        else:
            seconds_left = seconds
        if wait(seconds_left):
            return
        # After a lost terminal, flushing could block on a tty nobody drains
        # (a stalled SSH line): the orderly exit had its chance, so just go.
        hard_exit(code, flush=save is None)

    threading.Thread(target=run, name="warroom-watchdog", daemon=True).start()


class TerminalFile:
    """The toolkit's output file: a failed write (EIO, EPIPE) means the terminal is gone.

    The write is reported to the lifeline and every later write is dropped, so
    the writer thread keeps draining its queue instead of dying with the
    exception (which leaves the next writers blocked on a full queue forever).
    """

    def __init__(self, file: TextIO, lifeline: Lifeline) -> None:
        self._file = file
        self._lifeline = lifeline
        self.dead = False

    def _failed(self, exc: BaseException) -> None:
        self.dead = True
        if self._lifeline.dead.is_set():
            return
        detail = getattr(exc, "strerror", None) or type(exc).__name__
        self._lifeline.terminal_lost(f"terminal write failed: {detail}", 129)

    def write(self, text: str) -> int:
        if self.dead or self._lifeline.dead.is_set():
            return len(text)
        try:
            return self._file.write(text)
        except (OSError, ValueError) as exc:
            self._failed(exc)
            return len(text)

    def flush(self) -> None:
        if self.dead or self._lifeline.dead.is_set():
            return
        try:
            self._file.flush()
        except (OSError, ValueError) as exc:
            self._failed(exc)

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def hard_exit(code: int, *, flush: bool = True) -> None:
    """Flush what can be flushed (``flush``), then end the process whatever its threads do."""
    for stream in (sys.stdout, sys.stderr) if flush else ():
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
    os._exit(code)


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _sleep(seconds: float) -> bool:
    threading.Event().wait(max(0.0, seconds))
    return False

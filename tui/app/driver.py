"""The terminal driver: Textual's LinuxDriver, made to survive the loss of its terminal.

Textual issue #6692, measured with py-spy on survivors: on a hang-up the
kernel sends SIGHUP *and* SIGCONT; LinuxDriver's SIGCONT handler "resumes" a
driver that was never suspended and starts a second writer thread. Its first
write to the dead tty raises EIO, the thread dies, and after 30 more writes the
main thread blocks forever in ``Queue.put`` (``App._shutdown`` ->
``disable_input``). Here: SIGCONT resumes only what SIGTSTP suspended; a failed
write means the terminal is gone and later writes are dropped (the writer
never dies); reading a dead tty ends the input thread; closing waits a
bounded time. Without a :class:`~tui.app.lifeline.Lifeline` (tests, Windows)
Textual's own driver is used.
"""

from __future__ import annotations

import contextlib
import sys
from io import TextIOWrapper
from typing import Any, cast

from textual.driver import Driver

from tui.app.lifeline import Lifeline, TerminalFile

CLOSE_WAIT = 0.3  # seconds for the writer thread when the driver closes


def driver_for(lifeline: Lifeline | None) -> type[Driver] | None:
    """The driver class for a dashboard tied to ``lifeline`` (None: Textual's default)."""
    if lifeline is None or sys.platform == "win32":
        return None
    line: Lifeline = lifeline  # (the classes below close over it)
    from textual.drivers.linux_driver import LinuxDriver

    class LifelineDriver(LinuxDriver):
        def __init__(self, app: Any, **kwargs: Any) -> None:
            super().__init__(app, **kwargs)
            if self._file is not None:  # (None only when the process has no stderr)
                # the driver writes through it: it stands in for the terminal's file
                self._file = cast(TextIOWrapper, TerminalFile(self._file, line))
            self._warroom_suspended = False
            line.on_dead(self.exit_event.set)  # the input thread stops reading

        def _sigtstp_application(self, *args: Any) -> None:
            self._warroom_suspended = True
            super()._sigtstp_application(*args)

        def _sigcont_application(self, *args: Any) -> None:
            if self._warroom_suspended and not line.lost.is_set():
                self._warroom_suspended = False
                super()._sigcont_application(*args)

        def run_input_thread(self) -> None:
            try:
                super().run_input_thread()
            except OSError as exc:  # EIO: the terminal is gone; no traceback, no retry
                line.terminal_lost(f"terminal read failed: {exc.strerror}", 129)

        def close(self) -> None:
            writer = self._writer_thread
            if writer is None:
                return
            with contextlib.suppress(Exception):
                writer._queue.put(None, timeout=CLOSE_WAIT)
            writer.join(timeout=CLOSE_WAIT)

    return LifelineDriver

"""A dashboard's background loop on a database connection of its own.

What the delivery thread (:mod:`tui.app.courier`) and the intake thread
(:mod:`tui.app.intake`) share: one daemon thread per app, started once; its own
:class:`~tui.core.store.Store` (a connection is never shared with the UI thread);
a failure to open it or an error that ends the loop said once as an error
notification ("delivery could not start: ...", "queue polling stopped: ..."),
never a traceback; the connection closed however the loop ends; a stop event the
loop watches. Each subclass says whether it is wanted (:meth:`wanted`) and runs
its loop (:meth:`work`), cleaning up what it made itself.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.app.app import WarroomApp
    from tui.core.store import Store


class StoreThread:
    """One per app: :meth:`start` once a dashboard shows, :meth:`stop` on leaving."""

    what = "the background loop"  # in the error: "<what> could not start: ..."
    thread_name = "warroom-background"

    def __init__(self, app: WarroomApp) -> None:
        self._app = app
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wanted(self) -> bool:
        """Whether this app runs the loop at all (the config names what it works on)."""
        raise NotImplementedError

    def work(self, store: Store, stop: threading.Event) -> None:
        """The loop, until ``stop`` is set; it closes what it made (not ``store``)."""
        raise NotImplementedError

    def start(self) -> None:
        """The thread, once (a second call, or an app that does not want it: nothing)."""
        app = self._app
        if self._thread is not None or not self.wanted():
            return
        from tui.core.store import Store

        self._stop = stop = threading.Event()

        def loop() -> None:
            try:
                store = Store(app.room.path, timeout=app.room.timeout)
            except Exception as exc:
                app.from_thread(app.error, f"{self.what} could not start: {exc}")
                return
            try:
                self.work(store, stop)
            except Exception as exc:
                app.from_thread(app.error, f"{self.what} stopped: {type(exc).__name__}: {exc}")
            finally:
                store.close()

        self._thread = threading.Thread(target=loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, wait: float = 0.0) -> None:
        """Ask the loop to end; wait up to ``wait`` seconds for it (a request in flight
        may hang: the thread is a daemon, it never holds up quitting)."""
        if self._stop is not None:
            self._stop.set()
        if wait > 0 and self._thread is not None:
            self._thread.join(timeout=wait)

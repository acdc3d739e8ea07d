"""The intake thread: the support queues polled while the dashboard runs.

A daemon thread with a database connection of its own runs the
:class:`~tui.queues.poller.Poller` loop when the config names queue sources
(``channels:``). Only the process holding the database's ``queue-poller`` lease
polls; every other dashboard tries to take it every few seconds, so when the
holder quits (it releases the lease) or dies (its pid is gone) another one takes
over. A poll that writes an event reaches the panes like any other change
(``PRAGMA data_version``); an error is said once per channel and message (the
queue pane shows each source's state in words). HTTP and commands never touch
the UI thread.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from tui.app.storethread import StoreThread

if TYPE_CHECKING:
    from tui.app.app import WarroomApp
    from tui.core.store import Store
    from tui.queues.poller import Poll


class Intake(StoreThread):
    """One per app: :meth:`start` once a dashboard shows, :meth:`stop` on leaving."""

    what = "queue polling"
    thread_name = "warroom-intake"

    def __init__(self, app: WarroomApp) -> None:
        super().__init__(app)
        self._told: dict[str, str] = {}  # channel -> the error already said

    def wanted(self) -> bool:
        return bool(self._app.config.queue_sources)

    def work(self, store: Store, stop: threading.Event) -> None:
        from tui.queues.poller import Poller

        if store.readonly:  # a reader of a read-only database polls nothing
            return
        poller = Poller(store, self._app.config, self._app.clock)
        try:
            poller.run(stop, report=self._report, trouble=self._trouble)
        finally:
            poller.release()  # the lease given up: another dashboard takes over
            poller.close()

    def stop(self, wait: float = 1.0) -> None:
        """End the loop and give the lease up (waits briefly: a poll in flight may hang)."""
        super().stop(wait)

    def _trouble(self, words: str) -> None:
        """The database failed (locked, full): said once until it recovers."""
        if self._told.get("") == words:
            return
        self._told[""] = words
        self._app.from_thread(
            self._app.notify, f"Queue polling: {words}", severity="warning", markup=False
        )

    def _report(self, poll: Poll) -> None:
        self._told.pop("", None)
        if poll.ok:
            self._told.pop(poll.channel, None)
            return  # the pane and the timeline say it
        assert poll.error is not None
        if self._told.get(poll.channel) == poll.error:
            return
        self._told[poll.channel] = poll.error
        self._app.from_thread(
            self._app.notify,
            f"Queue {poll.channel}: {poll.error}",
            severity="warning",
            timeout=8,
            markup=False,
        )

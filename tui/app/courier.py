"""The delivery thread: the outbox drained to the status pages while the dashboard runs.

A daemon thread with a database connection of its own runs the
:class:`~tui.publish.worker.Deliverer` loop, so HTTP never touches the UI
thread and a request hanging on a dead status page never holds up quitting
(killed mid-request, the row keeps our lease; the next deliverer sees this
process gone and checks the page first). A failed or retried delivery is said
once per row and outcome; a sent one is not (the timeline says it). Started
only when the config names destinations and delivery is on.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from tui.app.storethread import StoreThread

if TYPE_CHECKING:
    from tui.app.app import WarroomApp
    from tui.core.store import Store
    from tui.publish.worker import Attempt, Deliverer


class Courier(StoreThread):
    """One per app: :meth:`start` once a dashboard shows, :meth:`wake` after a
    publish, :meth:`stop` on leaving."""

    what = "delivery"
    thread_name = "warroom-delivery"

    def __init__(self, app: WarroomApp) -> None:
        super().__init__(app)
        self._deliverer: Deliverer | None = None
        self._told: dict[int, str] = {}  # row id -> the outcome already said

    def wanted(self) -> bool:
        return bool(self._app.deliver and self._app.config.destinations)

    def work(self, store: Store, stop: threading.Event) -> None:
        from tui.publish.worker import Deliverer

        deliverer = Deliverer(store, self._app.config, self._app.clock)
        self._deliverer = deliverer
        try:
            deliverer.run(stop=stop, report=self._report)
        finally:
            deliverer.close()

    def wake(self) -> None:
        """Look at the outbox now (a message was just published, approved or retried)."""
        if self._deliverer is not None:
            self._deliverer.wake.set()

    def stop(self, wait: float = 0.0) -> None:
        super().stop(wait)
        self.wake()  # out of its wait between rows at once

    def _report(self, attempt: Attempt) -> None:
        if attempt.outcome == "sent":
            return  # the timeline says it (delivery.sent event)
        if self._told.get(attempt.row_id) == attempt.outcome:
            return  # said once is enough: the outbox screen (o) has the details
        self._told[attempt.row_id] = attempt.outcome
        severity = "error" if attempt.outcome == "failed" else "warning"
        word = "failed" if attempt.outcome == "failed" else "will be retried"
        self._app.from_thread(
            self._app.notify,
            f"Delivery of outbox #{attempt.row_id} {word}: {attempt.detail}",
            severity=severity,
            timeout=8,
            markup=False,
        )

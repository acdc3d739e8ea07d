"""Running the real delivery worker in a test: until the outbox is idle, or fail."""

from __future__ import annotations

import threading

import pytest

from tui.core.clock import SystemClock
from tui.core.config import Config
from tui.core.store import Store
from tui.publish.worker import Attempt, Deliverer


def drain(store: Store, config: Config, timeout: float) -> list[Attempt]:
    """``Deliverer.run(until_idle=True)`` in a thread; its attempts. A hang (or any
    error in the worker) fails the test, and the worker is stopped either way."""
    attempts: list[Attempt] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    deliverer = Deliverer(store, config, SystemClock())

    def run() -> None:
        try:
            deliverer.run(until_idle=True, stop=stop, report=attempts.append)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run, name="deliverer", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        stop.set()
        deliverer.wake.set()
        worker.join(5)
        deliverer.close()
        pytest.fail(f"delivery did not drain within {timeout:g} s; attempts: {attempts}")
    deliverer.close()
    assert not errors, errors
    return attempts

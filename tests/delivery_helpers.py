"""Running the real delivery worker in a test: until the outbox is idle, or fail."""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any

import pytest

from tui.core.clock import SystemClock
from tui.core.config import Config
from tui.core.store import Store
from tui.publish.worker import Attempt, Deliverer

if TYPE_CHECKING:
    from tests.faulty import Fault
    from tests.unit.test_delivery import Rig
    from tests.unit.test_lease import ManualTime


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


def manual_deliverer(store: Store, config: Config, t: ManualTime, **kw: Any) -> Deliverer:
    """A deliverer on the injected clock ``t``: its waits move ``t``, nothing sleeps."""
    return Deliverer(store, config, t, owner="one", sleep=t.sleeper(), monotonic=t.monotonic, **kw)


def paced_gaps(rig: Rig, gap: float) -> list[float]:
    """Three updates published with ``rate_per_second = 1 / gap`` and delivered on an
    injected clock; the gaps between the requests' arrivals, by that clock, at the server."""
    from tests.unit.test_delivery import config_text
    from tests.unit.test_lease import ManualTime

    t = ManualTime()
    stamps: list[float] = []

    def script(method: str, path: str, i: int) -> Fault:
        stamps.append(t.monotonic())  # runs in the proxy as each request arrives
        return None

    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=1 / gap))
    rig.proxy.set_script(script)
    rig.publish(3)
    d = manual_deliverer(rig.store, rig.config, t)
    try:
        outcomes = [d.deliver_one() for _ in range(3)]
    finally:
        d.close()
    assert [a.outcome for a in outcomes if a] == ["sent"] * 3, outcomes
    assert len(stamps) >= 3, stamps
    return [b - a for a, b in itertools.pairwise(stamps)]

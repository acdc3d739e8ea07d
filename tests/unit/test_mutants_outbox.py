"""The delivery policy, pinned where mutation testing found it loose.

The per-destination rate limit is a floor *and* a pace: a page allowing one request per
second gets one per second, not one every two (a slower pace would hold every update back).
Real page emulator and proxy (tests/unit/test_delivery.py's rig); the deliverer's clock is
injected, nothing sleeps for real.
"""

from __future__ import annotations

import itertools

from tests.faulty import Fault
from tests.unit import test_delivery
from tests.unit.test_delivery import Rig, config_text
from tests.unit.test_lease import ManualTime
from tui.publish.worker import Deliverer

rig = test_delivery.rig  # the fixture: a war room, a real page, the faulty proxy
GAP = 0.5  # seconds: rate_per_second = 2


def test_requests_to_one_destination_are_paced_at_the_rate_not_slower(rig: Rig) -> None:
    t = ManualTime()
    stamps: list[float] = []

    def script(method: str, path: str, i: int) -> Fault:
        stamps.append(t.monotonic())  # runs in the proxy as each request arrives
        return None

    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=1 / GAP))
    rig.proxy.set_script(script)
    rig.publish(3)
    d = Deliverer(rig.store, rig.config, t, owner="one", sleep=t.sleeper(), monotonic=t.monotonic)
    try:
        outcomes = [d.deliver_one() for _ in range(3)]
    finally:
        d.close()
    assert [a.outcome for a in outcomes if a] == ["sent"] * 3, outcomes
    assert len(stamps) >= 3, stamps
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    # the injected clock moves only by the deliverer's own waits: each gap is the rate's
    assert all(GAP - 1e-6 <= g <= GAP + 1e-6 for g in gaps), gaps

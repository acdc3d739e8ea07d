"""Delivery under one transient fault, driven synchronously: fast enough for ``make mutation``.

The same promise as ``test_delivery.py``'s fault matrix (after the outbox drains, the page
holds every update EXACTLY ONCE and IN ORDER), with the same real parts -- the real local
status page behind the fault-injecting proxy, the real :class:`Deliverer` and adapter -- but
time injected (:class:`tests.unit.test_lease.ManualTime`): the test calls
:meth:`Deliverer.deliver_one` itself and moves the clock to the next due row, so a retry
waits no real second (the matrix in ``test_delivery.py`` runs the worker's own loop, in real
time, and keeps the faults that need a real wait: a hung connection).
"""

from __future__ import annotations

import pytest

from tests.faulty import Fault, on_method, on_request
from tests.unit import test_delivery
from tests.unit.test_delivery import Rig, config_text
from tests.unit.test_lease import ManualTime
from tui.core.state import DELIVERY_SENT
from tui.publish.worker import Attempt, Deliverer

rig = test_delivery.rig  # the fixture: a war room, a real page, the faulty proxy

FAULTS = [f for f in test_delivery.TRANSIENT if f != "hang-after"]  # a hang needs real time
MOST_STEPS = 50


def drain_now(d: Deliverer, t: ManualTime) -> list[Attempt]:
    """``deliver_one`` until nothing is pending, the clock moved to each next due row."""
    attempts: list[Attempt] = []
    for _ in range(MOST_STEPS):
        attempt = d.deliver_one()
        if attempt is not None:
            attempts.append(attempt)
            continue
        wait = d.seconds_until_due()
        if wait is None:
            return attempts
        t.advance(wait + 0.001)
    pytest.fail(f"the outbox did not drain in {MOST_STEPS} steps: {attempts}")


@pytest.mark.parametrize("where", ["create", "patch"])
@pytest.mark.parametrize("fault", FAULTS)
def test_one_transient_fault_is_retried_and_each_update_lands_once_in_order(
    rig: Rig, fault: str, where: str
) -> None:
    t = ManualTime()
    asked: list[tuple[int, str, float]] = []  # (n, method, injected time) per request
    inner = on_request(1, fault) if where == "create" else on_method("PATCH", 2, fault)

    def script(method: str, path: str, n: int) -> Fault:
        asked.append((n, method, t.monotonic()))
        return inner(method, path, n)

    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=100))
    rig.proxy.set_script(script)
    rig.publish(4)
    d = Deliverer(rig.store, rig.config, t, owner="one", sleep=t.sleeper(), monotonic=t.monotonic)
    try:
        attempts = drain_now(d, t)
    finally:
        d.close()

    rows = rig.rows()
    hit = [s for s in rig.proxy.requests() if s.fault == fault]
    assert len(hit) == 1, rig.proxy.requests()
    assert hit[0].method == ("POST" if where == "create" else "PATCH")
    failed_row = rows[0 if where == "create" else 2].id
    assert [(a.row_id, a.outcome) for a in attempts if a.outcome != "sent"] == [
        (failed_row, "retry")
    ], attempts
    assert [a.row_id for a in attempts if a.outcome == "sent"] == [r.id for r in rows]
    retried = next(r for r in rows if r.id == failed_row)
    assert retried.attempts == 2 and retried.last_error is None
    assert [r.attempts for r in rows if r.id != failed_row] == [1, 1, 1]
    rig.assert_delivered()
    [incident] = rig.page_incidents()
    committed = fault.endswith("-after")  # the page has it: found, not sent again
    assert [a.detail for a in attempts if a.outcome == "sent"] == [
        "found on the status page after a retry" if committed and r.id == failed_row
        else incident["id"]
        for r in rows
    ]  # fmt: skip
    sent = [e.data for e in rig.store.events(rig.incident) if e.kind == DELIVERY_SENT]
    assert [(s["outbox_id"], s["attempts"]) for s in sent] == [(r.id, r.attempts) for r in rows]
    if fault in test_delivery.THROTTLES:  # Retry-After: 1, by the injected clock
        after = [at for n, _m, at in asked if n > hit[0].n]
        assert after and after[0] - asked[hit[0].n - 1][2] >= 1.0, asked

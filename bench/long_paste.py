"""The message check on long pastes: a 60 kB draft is checked in well under 3 s.

A speed, so it is measured here (``make bench``), not asserted in the tests
(tests/unit/test_checks.py checks the same pastes for well-formed findings).
"""

from __future__ import annotations

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MS = 3000.0  # a paste must never freeze the editor's live check
RUNS = 3

# the same pastes as tests/unit/test_checks.py::test_long_pastes_are_checked
PASTES = {
    "intervals": "We'll update you within 30 minutes and " * 1500,
    "clocks": "2:45 PM EST " * 3000,
    "phrases": "technical difficulties " * 2000,
    "topics": "fix " * 5000 + "by 3 PM",
}


def timings() -> list[tuple[str, int, float]]:
    """(paste name, its length, the best of RUNS check times in ms), each paste."""
    from tui.core.playbook import load_playbook
    from tui.publish.checks import check_message

    book = load_playbook(ROOT / "playbooks" / "saas-major-outage.yaml").message_checks
    out = []
    for name, text in PASTES.items():
        best = float("inf")
        for _ in range(RUNS):
            started = time.perf_counter()
            check_message(text, "resolved", "statuspage", book)
            best = min(best, (time.perf_counter() - started) * 1000)
        out.append((name, len(text), best))
    return out


if __name__ == "__main__":
    for name, size, ms in timings():
        print(f"{name:10} {size:6} chars  {ms:8.1f} ms")

"""``make bench``'s "where it goes" note for a crowd over its goal (bench/crowd.py).

Speed is never asserted here: this checks only the arithmetic and the wording the bench
prints from measured rows.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import crowd  # noqa: E402


def _rows(fifty: float) -> list[crowd.Result]:
    return [
        crowd.Result("idle CPU of one dashboard (120×40, 60 s after first paint)", "%", 0.5),
        crowd.Result("idle CPU of a bare Textual app with a clock updated once a second", "%", 0.4),
        crowd.Result("5 dashboards on one database: total idle CPU over 60 s", "%", 3.0),
        crowd.Result("50 dashboards on one database: total idle CPU over 60 s", "%", fifty),
    ]


def test_a_crowd_over_its_goal_is_split_into_its_dashboards_and_what_the_crowd_adds():
    notes: list[str] = []
    crowd.crowd_breakdown(_rows(35.0), notes.append)
    assert len(notes) == 1  # the 5-dashboard row has no goal
    assert "50 × one dashboard at rest (0.50 %" in notes[0]
    assert "= 25.0 %, of which Textual's own frame 20.0 %" in notes[0]
    assert "the other 10.0 % is what a crowd adds" in notes[0]


def test_a_crowd_within_its_goal_gets_no_note():
    notes: list[str] = []
    crowd.crowd_breakdown(_rows(19.0), notes.append)
    assert notes == []

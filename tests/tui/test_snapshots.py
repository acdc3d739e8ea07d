"""SVG snapshots of the dashboard at 80x24 and 120x40 in the countdown's three states.

The clock is frozen and the actor fixed, so the frames are deterministic.
Update them deliberately with: .venv/bin/pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.dashboard_helpers import (
    DUE_SOON,
    LATE,
    ON_TRACK,
    dashboard,
    make_app,
    seeded_db,
    wait_for,
)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("at", [ON_TRACK, DUE_SOON, LATE], ids=["on-track", "due-soon", "late"])
def test_dashboard_snapshot(snap_compare, tmp_path, size, at):
    app = make_app(seeded_db(tmp_path), at=at)

    async def ready(pilot):
        screen = await dashboard(pilot)
        # someone else is in the room: presence comes from the first poll
        await wait_for(lambda: "alice" in str(screen.query_one("#header").render()), pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)

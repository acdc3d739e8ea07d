"""The dashboard's post-mortem screen publishes only after the resolution (Pilot, real DB).

Before the resolution ctrl+o says why in an error notification (the phase, what to do)
and opens no confirmation; nothing is written. Once someone else resolves the incident
(the real ``warroom posted resolved`` in another process), the same key opens the
confirmation with the post-mortem.
"""

from __future__ import annotations

import sqlite3

from screens.postmortem import PostmortemScreen
from screens.publish import PublishScreen
from tests.conftest import CLI
from tests.dashboard_helpers import SEED, dashboard, make_app, seeded_db, wait_for
from tui.core.config import load_config


def _said(app, words: str) -> bool:
    return any(words in str(n.message) for n in app._notifications)


def _events(db) -> int:
    with sqlite3.connect(db) as conn:
        n = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.close()
    return n


async def test_ctrl_o_before_the_resolution_says_why_and_after_it_opens_the_confirmation(
    tmp_path, monkeypatch
):
    db = seeded_db(tmp_path)
    before = _events(db)
    config = tmp_path / "config.yaml"  # a destination to confirm for; nothing is sent
    config.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    base_url: http://127.0.0.1:9/v1\n"
        "    page_id: local\n"
        "    api_key_env: PM_ORDER_UI_KEY\n"
    )
    monkeypatch.setenv("PM_ORDER_UI_KEY", "pm-order-ui-key")
    app = make_app(db, config=load_config(config))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        assert screen.state.resolved_at is None
        phase = screen.state.current_phase()
        assert phase is not None
        await pilot.press("r")
        await wait_for(lambda: isinstance(app.screen, PostmortemScreen), pilot)
        await pilot.press("ctrl+o")
        await wait_for(lambda: _said(app, "is not resolved yet"), pilot)
        (note,) = [n for n in app._notifications if "is not resolved yet" in str(n.message)]
        assert note.severity == "error"
        assert str(note.message) == (
            f"{screen.state.id} is not resolved yet (in the phase \u201c{phase.title}\u201d): "
            "publish the resolution first, then the post-mortem; nothing was queued"
        )
        await pilot.pause(0.2)
        assert isinstance(app.screen, PostmortemScreen)  # no confirmation opened
        assert _events(db) == before

        cli = CLI(tmp_path)
        assert cli.db == db
        cli.ok("posted", "resolved", now=SEED.isoformat())
        await pilot.press("ctrl+o")  # read afresh: the other process's resolution counts
        await wait_for(lambda: isinstance(app.screen, PublishScreen), pilot)
        assert app.screen.preview.purpose == "postmortem"

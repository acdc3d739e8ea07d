"""A post-mortem (and an amends message) goes out after the resolution, never before.

Through the real ``warroom`` entry point against the local status page: before the
resolution each way of publishing one is refused with one line naming the phase and what
to do, exit 2, and nothing is written (no event, no outbox row); after it, the same
command queues the post-mortem.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import MAJOR
from tui.core.playbook import load_playbook
from tui.localpage.serve import BackgroundServer

KEY = "pm-order-key-5150"


@pytest.fixture
def wired(cli, tmp_path):
    server = BackgroundServer(tmp_path / "page.db", api_key=KEY).start()
    config = tmp_path / "config.yaml"
    config.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        f"    base_url: {server.api_base}\n"
        "    page_id: local\n"
        "    api_key_env: PM_ORDER_KEY\n"
        "    rate_per_second: 50\n"
    )
    yield cli, {"WARROOM_CONFIG": str(config), "PM_ORDER_KEY": KEY}
    server.stop()


def written(db) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    conn.close()
    return events, rows


def test_a_postmortem_before_the_resolution_is_refused_in_one_line_and_after_it_queued(
    wired, tmp_path
):
    cli, env = wired
    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    cli.ok("posted", "ack", "--next", "30m")
    phase_id = cli.ok("status", "--json").json()["phase"]
    phase = load_playbook(MAJOR).phase(phase_id)
    assert phase is not None
    before = written(cli.db)
    line = (
        f"INC-1 is not resolved yet (in the phase \u201c{phase.title}\u201d): publish the "
        "resolution first (warroom publish --template resolved --yes), then the "
        "post-mortem; nothing was queued"
    )
    for args in (("postmortem", "publish", "--yes"), ("postmortem", "publish")):
        r = cli.fails(*args, env=env)
        assert r.err.strip().splitlines() == [f"warroom: {line}"], r.err
        assert r.out == ""  # not the preview either
    body = tmp_path / "pm.md"
    body.write_text("Post-mortem: the disk filled up. What we change: alerts at 80%.\n")
    r = cli.fails("publish", "--template", "postmortem", "--body-file", str(body), "--yes", env=env)
    assert "INC-1 is not resolved yet" in r.err and "then the post-mortem" in r.err
    assert len(r.err.strip().splitlines()) == 1
    r = cli.fails("posted", "amends")
    assert "INC-1 is not resolved yet" in r.err and "then the amends message" in r.err
    assert written(cli.db) == before  # no event, no outbox row

    cli.ok("posted", "resolved")
    r = cli.ok("postmortem", "publish", "--yes", env=env)
    assert "queued for status" in r.out
    with sqlite3.connect(cli.db) as conn:
        rows = conn.execute("SELECT purpose, destination FROM outbox").fetchall()
    conn.close()
    assert rows == [("postmortem", "status")]

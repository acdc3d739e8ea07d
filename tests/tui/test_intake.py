"""The dashboard's intake thread: it polls the queues while it holds the lease, and lets go.

A real dashboard under Pilot on a real SQLite file, a command source (a script
counting its calls), and the real `warroom watch --once` in a subprocess as the
other process on the database.
"""

from __future__ import annotations

import os
import subprocess

from tests.conftest import warroom_exe
from tests.dashboard_helpers import DUE_SOON, dashboard, make_app, seeded_db, wait_for
from tui.core.clock import to_iso
from tui.core.config import Config, QueueSource
from tui.core.store import Store
from tui.queues import lease


def _counts(db) -> list[tuple[str, int]]:
    with Store(db) as store:
        return [
            (e.actor, e.data["depth"])
            for e in store.events("INC-1")
            if e.kind == "channel.counts" and e.data["channel"] == "tickets"
        ]


def _watch_once(db, tmp_path) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"channels:\n  tickets: {{source: command, command: ['{tmp_path / 'q.sh'}']}}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(db), WARROOM_NOW=to_iso(DUE_SOON), WARROOM_AS="ops")
    return subprocess.run(
        [warroom_exe(), "watch", "--once", "--config", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


async def test_the_dashboard_polls_while_it_holds_the_lease_and_releases_it(tmp_path):
    db = seeded_db(tmp_path)
    calls = tmp_path / "calls"
    script = tmp_path / "q.sh"
    script.write_text(f'#!/bin/sh\necho x >> "{calls}"\necho 321\n')
    script.chmod(0o755)
    source = QueueSource("tickets", "command", options={"command": (str(script),)})
    app = make_app(db, deliver=False, config=Config(queue_sources=(source,)))
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        await wait_for(lambda: ("queue-poller", 321) in _counts(db), pilot)
        with Store(db) as store:
            holder = lease.current(store, lease.POLLER, DUE_SOON)
        assert holder is not None and holder.pid == os.getpid()
        # another process on the database: told who polls, polls nothing
        r = _watch_once(db, tmp_path)
        assert r.returncode == 0, r
        assert r.stdout.startswith(f"not polled: the queue poller runs in pid {os.getpid()} ")
        assert len(calls.read_text().splitlines()) == 1
    # the dashboard left: the lease is free for the next one
    with Store(db) as store:
        assert lease.current(store, lease.POLLER, DUE_SOON) is None
    r = _watch_once(db, tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "tickets: 321 waiting (unchanged)", r


async def test_no_queue_sources_no_thread(tmp_path):
    db = seeded_db(tmp_path)
    app = make_app(db, deliver=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        assert not app.intake.running

"""The dashboard's background loops (delivery, queue intake) share one scaffold:
started once, their own connection, a failure said in words, stopped on leaving.

Real apps on real SQLite files; the delivery thread against a loopback address where
nothing is queued (it only waits).
"""

from __future__ import annotations

import threading

from tests.dashboard_helpers import dashboard, make_app, seeded_db, wait_for
from tui.core.config import load_config


def _threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t.is_alive()]


def _config(tmp_path, monkeypatch):
    path = tmp_path / "config.yaml"
    path.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    base_url: http://127.0.0.1:9/v1\n"
        "    page_id: local\n"
        "    api_key_env: STORE_THREAD_KEY\n"
    )
    monkeypatch.setenv("STORE_THREAD_KEY", "store-thread-key")
    return load_config(path)


def test_starting_the_courier_twice_runs_one_delivery_thread(tmp_path, monkeypatch):
    db = seeded_db(tmp_path)
    app = make_app(db, config=_config(tmp_path, monkeypatch))
    before = len(_threads("warroom-delivery"))
    try:
        app.courier.start()
        app.courier.start()  # before the first thread has made its deliverer
        assert app.courier.running
        assert len(_threads("warroom-delivery")) == before + 1
    finally:
        app.courier.stop(wait=10)
    assert not app.courier.running  # stop ends the loop (wake cuts its wait short)


async def test_a_database_that_cannot_be_opened_is_said_once_and_nothing_runs(
    tmp_path, monkeypatch
):
    db = seeded_db(tmp_path)
    app = make_app(db, config=_config(tmp_path, monkeypatch), deliver=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        app.room.path = tmp_path  # a directory: the thread's own Store cannot open it
        app.deliver = True
        app.courier.start()
        await wait_for(
            lambda: any("delivery could not start" in str(n.message) for n in app._notifications),
            pilot,
        )
        await wait_for(lambda: not app.courier.running, pilot)
        (note,) = [n for n in app._notifications if "delivery could not start" in str(n.message)]
        assert note.severity == "error" and "Traceback" not in str(note.message)

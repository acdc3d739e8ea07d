"""SVG snapshots of the screens that open over the dashboard, at 80x24 and 120x40.

Pinned: how each screen looks when a person opens it in the real app, by its key,
on a real SQLite file: the publish confirmation with the message check's findings
(a blank left: an error; jargon: a warning), the outbox (one row sent, one failed,
one pending behind it), the post-mortem (parts written, two remedial actions, the
rendered preview), the recovery offers from the sample billing export, the start
screen (title and a metric typed, the severity preview) and the incident picker.

The clock is frozen, the actor and the titles fixed, nothing is delivered over the
network, and no temporary path reaches the screen, so the frames are the same on
every run. A difference is a change of appearance: look at it before accepting it.
Update deliberately, then open the new SVGs and look:
    .venv/bin/pytest tests/tui/test_snapshots_modal.py --snapshot-update
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from screens.dashboard import Dashboard
from screens.form import FormScreen
from screens.outbox import OutboxScreen
from screens.picker import PickerScreen
from screens.postmortem import OffersScreen, PostmortemScreen
from screens.publish import PublishScreen
from screens.start import StartScreen
from tests.dashboard_helpers import DUE_SOON, SEED, dashboard, make_app, seeded_db, wait_for
from tui import commands
from tui.cli.demo import SAMPLE_CUSTOMERS
from tui.core.clock import FrozenClock
from tui.core.config import Config, load_config
from tui.core.playbook import load_playbook
from tui.core.resources import shipped_playbooks_dir
from tui.core.store import Store
from tui.publish import outbox
from tui.widgets.draft import DraftEditor

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
INCIDENT = "INC-1"  # the demo incident seed_demo writes first
UPDATE = (
    "Logins fail for most customers. We are sorry. We are restarting the login service. "
    "We'll post our next update by 2:45 PM EST.\n"
)


async def settled_dashboard(pilot) -> Dashboard:
    """The dashboard after its first poll (presence shown), so nothing behind a dialog moves."""
    screen = await dashboard(pilot)
    await wait_for(lambda: "alice" in str(screen.query_one("#header").render()), pilot)
    await pilot.pause()
    return screen


async def opened(pilot, kind: type, ready=lambda screen: True):
    """Wait for the screen a key opened, and for what it loads in the background.

    The screen's focus has landed, and cursors stop blinking (a half-second timer would
    otherwise decide the frame).
    """
    await wait_for(lambda: isinstance(pilot.app.screen, kind) and ready(pilot.app.screen), pilot)
    # the focus a screen gives on mount lands a moment later: a cursor drawn or not
    await wait_for(lambda: getattr(pilot.app.focused, "screen", None) is pilot.app.screen, pilot)
    for field in pilot.app.screen.query("Input, TextArea"):
        field.cursor_blink = False
    await pilot.pause()
    return pilot.app.screen


def destination_config(folder: Path, monkeypatch) -> Config:
    """One status page destination at a fixed address; tests pass deliver=False."""
    monkeypatch.setenv("SNAPSHOT_PAGE_KEY", "k-not-used")
    config_file = folder / "config.yaml"
    config_file.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    base_url: http://127.0.0.1:9/api/v1\n"
        "    page_id: local\n"
        "    api_key_env: SNAPSHOT_PAGE_KEY\n",
        encoding="utf-8",
    )
    return load_config(config_file)


# --------------------------------------------------------------------------- publish


@pytest.mark.parametrize(
    ("size", "keys"),
    [((80, 24), ()), ((80, 24), ("end",)), ((120, 40), ())],
    ids=["80x24", "80x24-scrolled-to-findings", "120x40"],
)
def test_publish_with_findings_snapshot(snap_compare, tmp_path, monkeypatch, size, keys):
    """At 80x24 the findings are below the message: the second frame scrolls to them."""
    config = destination_config(tmp_path, monkeypatch)  # publishing needs somewhere to go
    app = make_app(seeded_db(tmp_path), at=DUE_SOON, config=config, deliver=False)

    async def ready(pilot):
        screen = await settled_dashboard(pilot)
        editor = screen.query_one(DraftEditor)
        await wait_for(lambda: "[[" in editor.text_area.text, pilot)
        await pilot.press("4", "enter")  # the draft opens for reading: enter edits
        await wait_for(lambda: editor.editing, pilot)
        # the first blank: jargon (a warning); the second stays a blank (an error)
        await pilot.press("ctrl+n", *"A failover runs.", "escape")
        await wait_for(lambda: not editor.editing, pilot)
        await pilot.press("p")
        await opened(pilot, PublishScreen, lambda s: s.errors and s.warnings)
        await pilot.press(*keys)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


# --------------------------------------------------------------------------- outbox


def seeded_outbox(folder: Path, config: Config) -> Path:
    """Three updates queued: the first sent, the second refused, the third waiting behind it."""
    db = seeded_db(folder)
    clock = FrozenClock(DUE_SOON)
    with Store(db) as store:
        for _ in range(3):
            commands.publish(
                store, clock, "dev", INCIDENT, "update", UPDATE, config, accept_warnings=True
            )
            clock.advance(timedelta(minutes=1))
        first = outbox.claim(store, "snapshot", clock.now())
        assert first is not None
        assert outbox.complete(store, first, "snapshot", "sp-incident-1", clock.now())
        second = outbox.claim(store, "snapshot", clock.now())
        assert second is not None
        outbox.fail(store, second, "snapshot", "HTTP 401: the API key was refused", clock.now())
    return db


@SIZES
def test_outbox_snapshot(snap_compare, tmp_path, monkeypatch, size):
    config = destination_config(tmp_path, monkeypatch)
    db = seeded_outbox(tmp_path, config)
    app = make_app(db, at=DUE_SOON + timedelta(minutes=4), config=config, deliver=False)

    async def ready(pilot):
        screen = await settled_dashboard(pilot)
        header = screen.query_one("#header")  # the failed row is named there: wait for it
        await wait_for(lambda: bool(header.problems), pilot)
        await pilot.press("o")
        await opened(pilot, OutboxScreen, lambda s: len(s.rows) == 3)

    assert snap_compare(app, terminal_size=size, run_before=ready)


# --------------------------------------------------------------------------- post-mortem


def seeded_postmortem(folder: Path) -> Path:
    db = seeded_db(folder)
    clock = FrozenClock(SEED + timedelta(minutes=1))
    with Store(db) as store:
        parts = {
            "summary": "For 40 minutes most customers could not log in or use the API.",
            "root_cause": "The primary database ran out of disk: a clean-up job was paused.",
        }
        for field, text in parts.items():
            commands.edit_postmortem(store, clock, "maria", INCIDENT, field, text)
        commands.set_remedial_action(
            store, clock, "maria", INCIDENT, None, "Alert at 80% disk", "lee", "2026-12-04"
        )
        commands.set_remedial_action(
            store, clock, "maria", INCIDENT, None, "Page on a paused clean-up job", "sam",
            "2026-12-11",
        )  # fmt: skip
    return db


@SIZES
def test_postmortem_snapshot(snap_compare, tmp_path, size):
    app = make_app(seeded_postmortem(tmp_path), at=SEED + timedelta(minutes=2))

    def rendered(screen) -> bool:
        return "Rendering" not in str(screen.query_one("#pm-preview").render())

    async def ready(pilot):
        await settled_dashboard(pilot)
        await pilot.press("r")
        await opened(pilot, PostmortemScreen, rendered)

    assert snap_compare(app, terminal_size=size, run_before=ready)


# --------------------------------------------------------------------------- recovery offers


@SIZES
def test_offers_snapshot(snap_compare, tmp_path, monkeypatch, size):
    (tmp_path / "customers.csv").write_text(SAMPLE_CUSTOMERS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # typed as a relative name: no temporary path on screen
    app = make_app(seeded_db(tmp_path))

    async def ready(pilot):
        await settled_dashboard(pilot)
        await pilot.press("f")
        await wait_for(lambda: isinstance(pilot.app.screen, FormScreen), pilot)
        await pilot.press(*"customers.csv", "ctrl+s")
        await opened(pilot, OffersScreen)

    assert snap_compare(app, terminal_size=size, run_before=ready)


# --------------------------------------------------------------------------- start and picker


@SIZES
def test_start_snapshot(snap_compare, tmp_path, size):
    db = tmp_path / "incident.db"
    Store(db).close()  # a war room with no incident: the app opens on the start screen
    app = make_app(db)

    async def ready(pilot):
        screen = await opened(pilot, StartScreen, lambda s: s.loaded)
        await pilot.press(*"Checkout down", "enter", *"12")
        await wait_for(lambda: "Severity" in str(screen.query_one("#preview").render()), pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


@SIZES
def test_picker_snapshot(snap_compare, tmp_path, size):
    db = seeded_db(tmp_path)
    book = load_playbook(shipped_playbooks_dir() / "minor-degradation.yaml")
    with Store(db) as store:
        clock = FrozenClock(SEED - timedelta(minutes=12))
        commands.start(store, clock, "sam", book, "Search results slow in the EU", {})
    app = make_app(db)

    async def ready(pilot):
        await opened(pilot, PickerScreen)

    assert snap_compare(app, terminal_size=size, run_before=ready)

"""A cadence's ``max`` ("never longer than 60m") is kept: a promise beyond it is a warning
to accept at publish (the confirm screen and ``warroom publish`` say so in words), the
countdown never runs past the last update + ``max``, and the draft never proposes a time
beyond it.

The shipped major-outage playbook's acknowledge phase: every 30m, max 60m; the minor one:
every 60m, max 60m. Time is frozen at T0 = 2:00 PM EST.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import MAJOR, MINOR
from tui import commands
from tui.app.room import Room
from tui.core.clock import FrozenClock
from tui.core.config import load_config
from tui.core.errors import CommandError
from tui.core.playbook import load_playbook
from tui.core.state import beyond_max, next_update_due
from tui.core.store import Store
from tui.publish import outbox
from tui.publish.drafting import next_update_time

T0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)  # 2:00 PM EST
APOLOGY = (
    "We're sorry: logins are failing for many of you, and this is our fault. "
    "We're working on a fix now. "
)
FAR = APOLOGY + "We'll post our next update by 3:30 PM EST."  # 90 minutes: max is 60
NEAR = APOLOGY + "We'll post our next update by 2:45 PM EST."  # 45 minutes


def write_config(tmp_path: Path) -> Path:
    """One status page destination (never reached: these tests only queue)."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    base_url: http://127.0.0.1:9/api/v1\n"
        "    page_id: local\n"
        "    api_key_env: M2_CADENCE_UNUSED_KEY\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def room(tmp_path: Path):
    store = Store(tmp_path / "incident.db")
    clock = FrozenClock(T0)
    incident = commands.start(
        store, clock, "alice", load_playbook(MAJOR), "Logins fail", {"core_feature_down": True}
    ).incident_id
    config = load_config(write_config(tmp_path))
    try:
        yield store, clock, incident, config
    finally:
        store.close()


def test_a_promise_beyond_the_cadence_max_is_a_warning_to_accept(room):
    store, clock, incident, config = room
    with pytest.raises(CommandError) as refused:
        commands.publish(store, clock, "alice", incident, "ack", FAR, config)
    words = str(refused.value)
    assert words == (
        "1 warning to accept first: the next update promised for 3:30 PM EST is 1h30m away, "
        "beyond the cadence's max of 1h00m: promise it by 3:00 PM EST at the latest"
    )
    assert outbox.rows(store, incident) == [] and store.state(incident).updates == []

    # an explicit promise is held to the same max
    with pytest.raises(CommandError, match="beyond the cadence's max of 1h00m"):
        commands.publish(
            store,
            clock,
            "alice",
            incident,
            "ack",
            NEAR,
            config,
            promised_next_at=T0 + timedelta(hours=2),
        )

    # accepted, it goes out, and the countdown still keeps to the max, not the promise
    commands.publish(store, clock, "alice", incident, "ack", FAR, config, accept_warnings=True)
    s = store.state(incident)
    assert s.updates[-1].promised_next_at == T0 + timedelta(minutes=90)
    assert next_update_due(s) == (T0 + timedelta(hours=1), "cadence: never longer than 1h00m")


def test_a_promise_within_the_max_goes_out_and_moves_the_countdown(room):
    store, clock, incident, config = room
    commands.publish(store, clock, "alice", incident, "ack", NEAR, config)
    s = store.state(incident)
    assert next_update_due(s) == (T0 + timedelta(minutes=45), "promised in the last update")
    assert beyond_max(s, T0, T0 + timedelta(hours=1)) is None  # max itself is allowed
    assert beyond_max(s, T0, T0 + timedelta(hours=1, seconds=1)) is not None


def test_a_hand_recorded_promise_beyond_max_does_not_stretch_the_countdown(room):
    """A message sent by other means is recorded as it went out; the countdown still
    asks for the next word within the cadence's max."""
    store, clock, incident, _ = room
    commands.record_published(store, clock, "alice", incident, "ack", T0 + timedelta(hours=3))
    s = store.state(incident)
    assert next_update_due(s) == (T0 + timedelta(hours=1), "cadence: never longer than 1h00m")


def test_the_draft_never_proposes_a_time_beyond_the_max(tmp_path: Path):
    """every 60m, max 60m at 2:01 PM: the 5-minute mark after 3:01 PM (3:05 PM) is past
    the max, so the draft proposes 3:00 PM; with every 30m, max 60m: 2:35 PM as before."""
    store = Store(tmp_path / "incident.db")
    try:
        clock = FrozenClock(T0)
        now = T0 + timedelta(minutes=1)
        for path, expected in (
            (MINOR, T0 + timedelta(hours=1)),
            (MAJOR, T0 + timedelta(minutes=35)),
        ):
            incident = commands.start(
                store,
                clock,
                "alice",
                load_playbook(path),
                f"Logins fail ({path.stem})",
                {"core_feature_down": True, "users_affected_pct": 5},
            ).incident_id
            assert next_update_time(store.state(incident), now) == expected, path.stem
    finally:
        store.close()


def test_the_confirm_screen_preview_names_the_max_as_a_warning(room, tmp_path: Path):
    """What the confirm screen shows (Room.preview_publish): a warning in words, which the
    screen asks to accept with its second key before publishing."""
    store, clock, incident, config = room
    r = Room(store.path, clock, "alice")
    try:
        r.open()
        r.attach(incident)
        far = r.preview_publish("ack", FAR, config)
        near = r.preview_publish("ack", NEAR, config)
    finally:
        r.close()
    warned = [f for f in far["findings"] if "cadence's max" in f.message]
    assert len(warned) == 1 and warned[0].severity == "warning", far["findings"]
    assert "promise it by 3:00 PM EST" in warned[0].message
    assert not [f for f in near["findings"] if "cadence's max" in f.message]


def test_warroom_publish_refuses_a_promise_beyond_max_without_accepting(cli, tmp_path: Path):
    env = {"WARROOM_CONFIG": str(write_config(tmp_path))}
    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    body = tmp_path / "far.txt"
    body.write_text(FAR, encoding="utf-8")
    r = cli.fails("publish", "--template", "ack", "--body-file", str(body), "--yes", env=env)
    lines = [line for line in r.err.splitlines() if line]
    assert len(lines) == 1, r.err
    assert "beyond the cadence's max of 1h00m" in lines[0] and "3:00 PM EST" in lines[0]
    assert cli.ok("outbox", "--json", env=env).json() == []
    cli.ok(
        "publish",
        "--template",
        "ack",
        "--body-file",
        str(body),
        "--yes",
        "--accept-warnings",
        env=env,
    )
    status = cli.ok("status", "--json").json()
    assert status["next_update_due"] == "2026-11-27T15:00:00-05:00"  # the max, not 3:30 PM

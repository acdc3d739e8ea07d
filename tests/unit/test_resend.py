"""Sending a message to the destinations it did not reach (the dashboard's ``d``), by
two people at once: once, and the second is told why nothing more was sent.

The guard is in the one command path (``commands.publish(resend_of=...)``), inside
the write transaction, so it holds for any two processes on one database file: the
dashboards, the CLI, or both. Before it, two people pressing ``d`` and ``y`` on two
dashboards queued the update to the same page twice (seen in tmux).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import MAJOR
from tui import commands
from tui.core.clock import FrozenClock
from tui.core.config import load_config
from tui.core.playbook import load_playbook
from tui.core.store import Store
from tui.publish import outbox

T0 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
UPDATE = "We found the cause of the failed logins and are fixing it. Next update by 3:30 PM EST."


@pytest.fixture
def room(tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        "destinations:\n"
        "  - {id: good, type: webhook, url: 'http://127.0.0.1:9/good'}\n"
        "  - {id: bad, type: webhook, url: 'http://127.0.0.1:9/bad'}\n"
        "  - {id: third, type: webhook, url: 'http://127.0.0.1:9/third'}\n"
    )
    playbook = tmp_path / "book.yaml"
    playbook.write_text(
        MAJOR.read_text().replace("due_soon: 5m", "due_soon: 5m\napproval_role: commander")
    )
    (tmp_path / "templates").symlink_to(MAJOR.parent.parent / "templates")
    clock = FrozenClock(T0)
    store = Store(tmp_path / "w.db")
    commands.start(store, clock, "maria", load_playbook(playbook), "Logins fail", {})
    commands.assign(store, clock, "maria", "INC-1", "commander", "maria")
    yield store, clock, load_config(config_file)
    store.close()


def failed_update(store, clock, config) -> int:
    """The commander publishes an update to bad only; it fails for good."""
    commands.publish(
        store, clock, "maria", "INC-1", "update", UPDATE, config,
        destinations=["bad"], accept_warnings=True,
    )  # fmt: skip
    (row,) = outbox.rows(store, "INC-1")
    claimed = outbox.claim(store, "worker-1", clock.now())  # the real worker's path
    assert claimed is not None and claimed.id == row.id
    outbox.fail(store, claimed, "worker-1", "HTTP 401: refused", clock.now())
    return row.id


def resend(store, clock, config, row_id: int, actor: str = "maria", to=("good",)):
    return commands.publish(
        store, clock, actor, "INC-1", "update", UPDATE, config,
        destinations=list(to), accept_warnings=True, resend_of=row_id,
    )  # fmt: skip


def test_two_people_resending_one_message_send_it_once(room):
    store, clock, config = room
    row_id = failed_update(store, clock, config)
    resend(store, clock, config, row_id)
    with pytest.raises(commands.CommandError) as info:
        resend(store, clock, config, row_id, actor="maria")  # the second press
    assert "good already" in str(info.value) and "nothing more to send" in str(info.value)
    sent_to = [r.destination for r in outbox.rows(store, "INC-1")]
    assert sorted(sent_to) == ["bad", "good"]


def test_a_resend_goes_only_where_the_message_is_still_missing(room):
    store, clock, config = room
    row_id = failed_update(store, clock, config)
    resend(store, clock, config, row_id, to=("good",))
    # the other dashboard had offered good and third: third still gets it, good not again
    resend(store, clock, config, row_id, to=("good", "third"))
    sent_to = sorted(r.destination for r in outbox.rows(store, "INC-1"))
    assert sent_to == ["bad", "good", "third"]


def test_a_resend_of_a_resend_counts_the_original_message(room):
    store, clock, config = room
    row_id = failed_update(store, clock, config)
    resend(store, clock, config, row_id, to=("good",))
    good = next(r for r in outbox.rows(store, "INC-1") if r.destination == "good")
    assert outbox.origin_of(store, good.id) == outbox.origin_of(store, row_id)
    assert outbox.holders(store, good.id) == {"good"}  # bad failed: it has not got it
    with pytest.raises(commands.CommandError):
        resend(store, clock, config, good.id, to=("good",))


def test_an_approval_waits_and_sends_only_where_it_is_still_missing(room):
    store, clock, config = room
    row_id = failed_update(store, clock, config)
    asked = resend(store, clock, config, row_id, actor="dev", to=("good", "third"))
    assert "waiting for approval" in asked.message
    clock.advance(timedelta(minutes=1))
    resend(store, clock, config, row_id, to=("third",))  # the commander sent it to third
    commands.decide(store, clock, "maria", "INC-1", None, config, approve=True)
    sent_to = sorted(r.destination for r in outbox.rows(store, "INC-1"))
    assert sent_to == ["bad", "good", "third"]  # third once


def test_the_header_reads_only_unsettled_rows_and_sees_the_same_problems(room):
    """The dashboard's 2-second read skips sent rows; what needs a person is unchanged."""
    store, clock, config = room
    failed_update(store, clock, config)
    commands.publish(
        store, clock, "maria", "INC-1", "update", UPDATE, config,
        destinations=["good", "third"], accept_warnings=True,
    )  # fmt: skip
    sent = outbox.claim(store, "worker-1", clock.now())
    assert sent is not None
    assert outbox.complete(store, sent, "worker-1", "ref-1", clock.now())
    every = outbox.rows(store, "INC-1")
    unsettled = outbox.rows(store, "INC-1", unsettled=True)
    assert sorted(r.state for r in every) == ["failed", "pending", "sent"]
    assert sorted(r.state for r in unsettled) == ["failed", "pending"]
    later = clock.now() + timedelta(hours=1)
    assert [r.id for r in outbox.needs_attention(unsettled, later)] == [
        r.id for r in outbox.needs_attention(every, later)
    ]

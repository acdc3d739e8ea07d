"""warroom approve, reject, outbox cancel and postmortem publish, headless, through the real
entry point on one database (a frozen clock; nothing is delivered: the destination is never
reached, these commands only queue, decide and cancel).

The two-person rule: with ``approval_role: commander`` a message from anyone else waits for
the commander; only they approve (the row is queued then) or send it back with a reason.
Two processes deciding, or cancelling, at once: exactly one does it, the other is told.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLI, MAJOR, warroom_exe

ACK = (
    "We're sorry: logins are failing for many of you, and this is our fault. "
    "We're working on a fix now. We'll post our next update by 2:45 PM EST."
)
UPDATE = (
    "Logins still fail for some of you: a database change went wrong and we're rolling it "
    "back now. We're sorry. We'll post our next update by 2:40 PM EST."
)
RESOLVED = (
    "Logins failed for many of you between 2:00 and 2:08 PM EST because a database change "
    "went wrong; we rolled it back and service has been fully restored as of 2:08 PM EST. "
    "Thank you for your patience, and we're sorry for the disruption. We will publish a "
    "full post-mortem within 72 hours."
)


@pytest.fixture
def room(cli: CLI, tmp_path: Path):
    """An incident under the two-person rule (bob is commander); alice writes."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    base_url: http://127.0.0.1:9/api/v1\n"
        "    page_id: local\n"
        "    api_key_env: M2_HEADLESS_UNUSED_KEY\n",
        encoding="utf-8",
    )
    book = tmp_path / "two-person.yaml"
    book.write_text(
        MAJOR.read_text().replace("due_soon: 5m", "due_soon: 5m\napproval_role: commander"),
        encoding="utf-8",
    )
    env = {"WARROOM_CONFIG": str(config)}
    cli.ok("start", "-p", str(book), "-t", "API down", "-m", "users_affected_pct=12")
    cli.ok("assign", "commander", "bob")
    return cli, env


def body_file(cli: CLI, name: str, text: str) -> str:
    path = cli.cwd / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def rows(cli: CLI, env: dict) -> list[tuple[str, str]]:
    return [(r["purpose"], r["state"]) for r in cli.ok("outbox", "--json", env=env).json()]


def at_once(
    cli: CLI, env: dict, actor: str, *args: str, n: int = 2
) -> list[subprocess.CompletedProcess]:
    """``n`` warroom processes with the same command, started together on one database."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    e.update(WARROOM_DB=str(cli.db), WARROOM_NOW=cli.now, WARROOM_AS=actor, **env)
    procs = [
        subprocess.Popen(
            [warroom_exe(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=e,
            cwd=cli.cwd,
        )
        for _ in range(n)
    ]
    done = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=60)
            done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return done


def test_a_second_person_approves_and_only_then_it_is_queued(room):
    cli, env = room
    ack = body_file(cli, "ack.txt", ACK)
    out = cli.ok("publish", "--template", "ack", "--body-file", ack, "--yes", env=env).out
    assert "waiting for approval by bob" in out
    assert rows(cli, env) == []  # nothing goes out before the second person says yes

    r = cli.fails("approve", env=env)  # the author cannot approve their own message
    assert "only the Incident commander (bob) decides" in r.err
    assert rows(cli, env) == []

    # bob approves from two terminals at once: one approval, one row
    results = at_once(cli, env, "bob", "approve")
    codes = sorted(p.returncode for p in results)
    assert codes == [0, 2], [(p.returncode, p.stdout, p.stderr) for p in results]
    loser = next(p for p in results if p.returncode == 2)
    assert "nothing is waiting for approval" in loser.stderr and "Traceback" not in loser.stderr
    assert rows(cli, env) == [("ack", "pending")]
    status = cli.ok("status", "--json").json()
    assert status["next_update_due"] == "2026-11-27T14:45:00-05:00"  # the approved promise
    assert "bob approved the acknowledgement by alice" in cli.ok("log").out


def test_reject_sends_it_back_with_the_reason_and_queues_nothing(room):
    cli, env = room
    cli.ok("publish", "--body-file", body_file(cli, "ack.txt", ACK), "--yes", env=env)
    cli.ok("approve", actor="bob", env=env)
    upd = body_file(cli, "upd.txt", UPDATE)
    out = cli.ok("publish", "--template", "update", "--body-file", upd, "--yes", env=env).out
    request = out.rsplit(":", 1)[1].strip()
    r = cli.fails("reject", request, "--reason", "say which region", env=env)  # alice: no
    assert "only the Incident commander" in r.err
    out = cli.ok("reject", request, "--reason", "say which region", actor="bob", env=env).out
    assert f"sent back {request}" in out
    assert rows(cli, env) == [("ack", "pending")]  # the update was not queued
    assert "bob sent back an update: say which region" in cli.ok("log").out
    r = cli.fails("approve", request, actor="bob", env=env)  # decided once, for good
    assert f"no pending request {request!r}" in r.err


def test_outbox_cancel_gives_up_a_pending_row_once(room):
    cli, env = room
    cli.ok("publish", "--body-file", body_file(cli, "ack.txt", ACK), "--yes", env=env)
    cli.ok("approve", actor="bob", env=env)
    [row] = cli.ok("outbox", "--json", env=env).json()
    results = at_once(cli, env, "alice", "outbox", "cancel", str(row["id"]))
    assert sorted(p.returncode for p in results) == [0, 2], [
        (p.returncode, p.stdout, p.stderr) for p in results
    ]
    winner = next(p for p in results if p.returncode == 0)
    assert f"outbox {row['id']}: cancelled (it will not be sent)" in winner.stdout
    loser = next(p for p in results if p.returncode == 2)
    assert f"outbox row {row['id']} is cancelled, not failed or pending" in loser.stderr
    assert rows(cli, env) == [("ack", "cancelled")]
    out = cli.ok("deliver", "--until-idle", env=env).out  # nothing left to send
    assert "0 sent" in out
    r = cli.fails("outbox", "cancel", "99", env=env)
    assert "no outbox row 99" in r.err


def test_postmortem_publish_queues_the_report_after_the_resolution(room):
    cli, env = room
    cli.ok("publish", "--body-file", body_file(cli, "ack.txt", ACK), "--yes", env=env)
    cli.ok("approve", actor="bob", env=env)
    res = body_file(cli, "res.txt", RESOLVED)
    cli.ok("publish", "--template", "resolved", "--body-file", res, "--yes", actor="bob", env=env)
    assert cli.ok("status", "--json").json()["postmortem_due"] is not None
    cli.ok("postmortem", "edit", "summary", "--text", "Logins failed for eight minutes.")
    r = cli.fails("postmortem", "publish", actor="bob", env=env)  # shown, not queued
    assert "add --yes" in r.err and "# Incident report: API down" in r.out
    assert [p for p, _ in rows(cli, env)] == ["ack", "resolved"]
    out = cli.ok("postmortem", "publish", "--yes", actor="bob", env=env).out
    assert "queued for status" in out
    assert [p for p, _ in rows(cli, env)] == ["ack", "resolved", "postmortem"]
    status = cli.ok("status", "--json").json()
    assert status["postmortem_due"] is None  # the promise is kept

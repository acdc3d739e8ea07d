"""`warroom watch`: the real entry point, one poller per database, taken over when killed.

Two `warroom watch` processes on one database with a command source that writes
the pid of the process that ran it into a file: only the lease holder polls;
kill -9 the holder and the other takes over (a dead pid on this host frees the
lease at once; the ttl bounds it). Every process is ended in teardown.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.cli.test_cli import start_major
from tests.conftest import MAJOR, warroom_exe

WAIT = 60.0  # generous: a loaded CI box; never a timing assertion


def counter(tmp: Path, name: str = "queue.sh") -> tuple[Path, Path, Path]:
    """A queue script: appends its parent's pid (the watch process) to calls, prints count."""
    calls, count = tmp / "calls", tmp / "count"
    count.write_text("6\n")
    script = tmp / name
    script.write_text(f'#!/bin/sh\necho "$PPID" >> "{calls}"\ncat "{count}"\n')
    script.chmod(0o755)
    return script, calls, count


def config(tmp: Path, body: str) -> Path:
    path = tmp / "config.yaml"
    path.write_text(body)
    return path


def queue_events(db: Path) -> list[tuple[str, dict]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT actor, data FROM events WHERE kind = 'channel.counts' ORDER BY id"
        ).fetchall()
    return [(a, json.loads(d)) for a, d in rows]


def leases(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT name, owner FROM leases").fetchall()


def pids(calls: Path) -> list[int]:
    return [int(x) for x in calls.read_text().split()] if calls.exists() else []


# ------------------------------------------------------------------ --once


def test_no_channels_is_one_line_and_exit_2(cli, tmp_path):
    start_major(cli)
    cfg = config(tmp_path, "destinations: []\n")
    r = cli.fails("watch", "--once", "--config", str(cfg))
    assert r.err.count("\n") == 1 and "no `channels:`" in r.err and str(cfg) in r.err
    r = cli.fails("watch", "--config", str(cfg))
    assert "nothing to watch" in r.err


def test_once_polls_every_source_writes_changes_and_exits_by_outcome(cli, tmp_path):
    incident = start_major(cli)
    script, _, count = counter(tmp_path)
    cfg = config(
        tmp_path,
        "channels:\n"
        f"  tickets: {{source: command, command: ['{script}']}}\n"
        '  chat: {source: command, command: "echo \'{\\"n\\": 2}\'", count: n}\n',
    )
    r = cli.ok("watch", "--once", "--config", str(cfg))
    assert r.out.splitlines() == [
        f"tickets: 6 waiting -> {incident}",
        f"chat: 2 waiting -> {incident}",
    ]
    r = cli.ok("watch", "--once", "--config", str(cfg))
    assert r.out.splitlines() == ["tickets: 6 waiting (unchanged)", "chat: 2 waiting (unchanged)"]
    events = queue_events(cli.db)
    assert [(a, e["channel"], e["depth"]) for a, e in events] == [
        ("queue-poller", "tickets", 6),
        ("queue-poller", "chat", 2),
    ]
    assert leases(cli.db) == []  # released on the way out
    # the timeline says who counted
    assert "queue-poller counted 6 waiting in support tickets" in cli.ok("log").out

    cfg = config(
        tmp_path,
        "channels:\n"
        f"  tickets: {{source: command, command: ['{script}']}}\n"
        "  social: {source: command, command: 'echo nope >&2; exit 3'}\n",
    )
    count.write_text("8\n")
    r = cli("watch", "--once", "--config", str(cfg))
    assert r.code == 1, r
    assert "Traceback" not in r.err
    lines = r.out.splitlines()
    assert lines[0] == f"tickets: 8 waiting -> {incident}"  # the others are polled all the same
    assert lines[1].startswith("social: command: 'echo' failed (exit status 3): nope (retry in ")


def test_no_secret_in_output_or_database(cli, tmp_path):
    from tests.emulators.zendesk import ZendeskEmulator

    start_major(cli)
    token = "zt-" + os.urandom(12).hex()
    server = ZendeskEmulator("bot@acme.example", "the-right-token").start()
    server.echo_auth = True  # a careless server quotes the credentials it refused
    try:
        cfg = config(
            tmp_path,
            "channels:\n"
            f"  tickets: {{source: zendesk, base_url: '{server.url}', email: bot@acme.example, "
            "token_env: ZT_TOKEN, query: 'type:ticket'}\n",
        )
        r = cli("watch", "--once", "--config", str(cfg), env={"ZT_TOKEN": token})
        assert r.code == 1, r
        assert "ZT_TOKEN" in r.out and "401" in r.out
        assert server.requests(), "the source was asked"
    finally:
        server.stop()
    everything = r.out + r.err + Path(cli.db).read_bytes().decode("latin-1")
    wal = Path(f"{cli.db}-wal")
    if wal.exists():
        everything += wal.read_bytes().decode("latin-1")
    assert token not in everything
    import base64

    basic = base64.b64encode(f"bot@acme.example/token:{token}".encode()).decode()
    assert basic not in everything


def test_once_while_another_process_holds_the_lease_says_who(cli, tmp_path):
    start_major(cli)
    script, calls, _ = counter(tmp_path)
    cfg = config(tmp_path, f"channels:\n  tickets: {{source: command, command: ['{script}']}}\n")
    holder = subprocess.Popen(["sleep", "120"])
    try:
        with sqlite3.connect(cli.db) as conn:
            conn.execute(
                "INSERT INTO leases(name, owner, until, since) VALUES (?, ?, ?, ?)",
                (
                    "queue-poller",
                    f"{socket.gethostname()}:{holder.pid}:abcd",
                    "2099-01-01T00:00:00.000000+00:00",
                    "2026-11-27T18:59:00.000000+00:00",
                ),
            )
        r = cli.ok("watch", "--once", "--config", str(cfg))
        assert r.out.strip() == (
            f"not polled: the queue poller runs in pid {holder.pid} on {socket.gethostname()} "
            "(since 2026-11-27T18:59:00+00:00)"
        )
        assert pids(calls) == []
    finally:
        holder.kill()
        holder.wait(timeout=10)
    # its owner is gone: the lease is free
    cli.ok("watch", "--once", "--config", str(cfg))
    assert len(pids(calls)) == 1


# ------------------------------------------------------------------ the loop, two processes


class Watcher:
    """`warroom watch` in the background, its stdout lines collected by a thread."""

    def __init__(self, cli, cfg: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
        env.update(WARROOM_DB=str(cli.db), WARROOM_AS="ops")  # a real clock
        self.proc = subprocess.Popen(
            [warroom_exe(), "watch", "--config", str(cfg)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cli.cwd,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, prefix: str, timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting {prefix!r}; saw {self.seen}")

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def watchers():
    started: list[Watcher] = []
    yield started
    for w in started:
        w.end()


def wait_for(cond, what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_one_poller_per_database_and_a_killed_one_is_taken_over(cli, tmp_path, watchers):
    incident = start_major(cli)
    script, calls, count = counter(tmp_path)
    cfg = config(
        tmp_path, f"channels:\n  tickets: {{source: command, command: ['{script}'], every: 5s}}\n"
    )
    a = Watcher(cli, cfg)
    watchers.append(a)
    a.expect("polling tickets")
    assert a.expect("tickets: 6 waiting") == f"tickets: 6 waiting -> {incident}"
    b = Watcher(cli, cfg)
    watchers.append(b)
    waiting = b.expect("waiting: ")
    assert f"pid {a.proc.pid} on {socket.gethostname()}" in waiting
    wait_for(lambda: len(pids(calls)) >= 3, "three polls by the holder")
    assert set(pids(calls)) == {a.proc.pid}  # b never polled

    os.kill(a.proc.pid, signal.SIGKILL)
    a.proc.wait(timeout=10)
    b.expect("polling tickets")  # within the lease's ttl (30 s); a dead pid: sooner
    wait_for(lambda: b.proc.pid in pids(calls), "a poll by the new holder")
    # an unchanged count after the hand-over: still one event
    assert [e["depth"] for _, e in queue_events(cli.db)] == [6]
    count.write_text("11\n")
    assert b.expect("tickets: 11 waiting") == f"tickets: 11 waiting -> {incident}"
    assert [e["depth"] for _, e in queue_events(cli.db)] == [6, 11]

    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(timeout=WAIT) == 0
    b.expect("stopped (lease released)")
    assert leases(cli.db) == []


def test_sigint_ends_watch_cleanly_and_releases_the_lease(cli, tmp_path, watchers):
    start_major(cli)
    script, _, _ = counter(tmp_path)
    cfg = config(tmp_path, f"channels:\n  tickets: {{source: command, command: ['{script}']}}\n")
    w = Watcher(cli, cfg)
    watchers.append(w)
    w.expect("polling tickets")
    assert leases(cli.db) != []
    w.proc.send_signal(signal.SIGINT)
    assert w.proc.wait(timeout=WAIT) == 0
    w.expect("stopped (lease released)")
    assert leases(cli.db) == []
    assert w.proc.stderr is not None and "Traceback" not in w.proc.stderr.read()


def test_a_person_counting_a_channel_a_live_source_counts_is_told(cli):
    # what someone types is never replaced unseen: the poller's next count wins, so say so
    from datetime import datetime, timedelta

    from tui.core.store import Store
    from tui.queues import status

    cli.ok("start", "-p", str(MAJOR), "-t", "Login fails", "-m", "users_affected_pct=40")
    by_hand = cli.ok("queue", "chat", "12")
    assert "note:" not in by_hand.err  # no source: the person's count is the count
    now = datetime.fromisoformat(cli.now)
    with Store(cli.db) as store:
        status.record(store, "chat", "zendesk", now - timedelta(seconds=20), count=30)
        status.record(store, "social", "command", now - timedelta(seconds=20), error="down")
    counted = cli.ok("queue", "chat", "5")
    assert "chat is counted by its queue source (Zendesk)" in counted.err
    assert "until its next poll" in counted.err
    assert "note:" not in cli.ok("queue", "social", "4").err  # a failing source counts nothing
    later = (now + timedelta(hours=1)).isoformat()
    assert "note:" not in cli.ok("queue", "chat", "6", now=later).err  # silent for an hour

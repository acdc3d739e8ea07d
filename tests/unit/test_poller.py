"""The queue poller: lease, schedule, backoff, events only on change; the command source.

Real SQLite files, real commands (small shell scripts counting their calls in a
file), a real HTTP server on 127.0.0.1 for a 429; time is a FrozenClock the test
moves (the schedule never sleeps here).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import MAJOR, MINOR, process_alive
from tui import commands
from tui.core.clock import FrozenClock
from tui.core.config import Config, QueueSource, load_config
from tui.core.playbook import load_playbook
from tui.core.state import QUEUE
from tui.core.store import Store
from tui.queues import lease, status
from tui.queues.poller import ACTOR, MAX_BACKOFF, Poller, backoff, lease_ttl
from tui.queues.sources import SourceError
from tui.queues.sources import command as command_source

T0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
EVERY = timedelta(seconds=30)


@pytest.fixture(autouse=True)
def _no_warroom_env(monkeypatch):
    for name in [k for k in os.environ if k.startswith("WARROOM_")]:
        monkeypatch.delenv(name)


class Room:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.clock = FrozenClock(T0)
        self.store = Store(tmp / "incident.db")
        self.count_file = tmp / "count"
        self.calls_file = tmp / "calls"
        self.count_file.write_text("5\n")
        self.script = tmp / "queue.sh"
        # prints the number in `count`, one line per call in `calls`
        self.script.write_text(
            f'#!/bin/sh\necho x >> "{self.calls_file}"\ncat "{self.count_file}"\n'
        )
        self.script.chmod(0o755)

    def start(self, book=MAJOR, title="API down") -> str:
        return commands.start(
            self.store, self.clock, "alice", load_playbook(book), title, {}, force=True
        ).incident_id

    def calls(self) -> int:
        return len(self.calls_file.read_text().splitlines()) if self.calls_file.exists() else 0

    def source(self, channel="tickets", every=EVERY, **options) -> QueueSource:
        options.setdefault("command", (str(self.script),))
        return QueueSource(channel, "command", every=every, timeout=5.0, options=options)

    def poller(self, *sources: QueueSource, owner: str | None = None, store=None) -> Poller:
        p = Poller(store or self.store, Config(queue_sources=sources), self.clock, owner)
        assert p.take_lease().owner == p.owner
        return p

    def counts(self, incident_id: str) -> list[dict]:
        rows = self.store.conn.execute(
            "SELECT actor, data FROM events WHERE incident_id = ? AND kind = ? ORDER BY id",
            (incident_id, QUEUE),
        ).fetchall()
        return [{"actor": a, **json.loads(d)} for a, d in rows]


@pytest.fixture
def room(tmp_path):
    r = Room(tmp_path)
    yield r
    r.store.close()


# ------------------------------------------------------------------ events only on change


def test_unchanged_counts_write_one_event_and_a_change_writes_the_next(room):
    inc = room.start()
    p = room.poller(room.source())
    for _ in range(5):
        polls = p.poll_due()
        assert [x.ok for x in polls] == [True]
        room.clock.advance(EVERY)
    assert room.calls() == 5
    events = room.counts(inc)
    assert [(e["actor"], e["channel"], e["depth"]) for e in events] == [(ACTOR, "tickets", 5)]
    room.count_file.write_text("9\n")
    (poll,) = p.poll_due()
    assert poll.written == (inc,) and "9 waiting -> " + inc in poll.line()
    assert [e["depth"] for e in room.counts(inc)] == [5, 9]
    # the state folds it like a typed count, by the poller
    ch = room.store.state(inc).channels["tickets"]
    assert (ch.depth, ch.by) == (9, ACTOR)
    row = status.read_all(room.store)["tickets"]
    assert (row.state, row.count, row.owner) == ("ok", 9, p.owner)
    assert row.next_at == room.clock.now() + EVERY


def test_not_due_is_not_polled_and_every_open_incident_with_the_channel_gets_the_count(room):
    major = room.start()
    other = room.start(title="Second outage")
    minor = room.start(MINOR, "Slow search")  # its playbook has no channels
    closed = room.start(title="Old one")
    commands.close(room.store, room.clock, "alice", closed, force=True)
    p = room.poller(room.source())
    (poll,) = p.poll_due()
    assert set(poll.written) == {major, other}
    assert room.counts(minor) == [] and room.counts(closed) == []
    room.clock.advance(EVERY - timedelta(seconds=1))
    assert p.poll_due() == [] and room.calls() == 1  # not due yet
    room.clock.advance(timedelta(seconds=1))
    assert len(p.poll_due()) == 1 and room.calls() == 2


def test_a_channel_no_open_incident_has_is_skipped_by_the_loop_but_once_polls_it(room):
    room.start(MINOR, "Slow search")
    p = room.poller(room.source("tickets"))
    assert p.poll_due() == [] and room.calls() == 0
    (poll,) = p.poll_all()
    assert poll.ok and poll.written == () and "no open incident uses tickets" in poll.line()
    assert room.calls() == 1


def test_a_person_typing_a_count_is_respected_until_the_source_moves(room):
    inc = room.start()
    commands.set_queue(room.store, room.clock, "bob", inc, "tickets", 40)
    p = room.poller(room.source())
    p.poll_due()  # the source says 5: a change from 40
    assert [(e["actor"], e["depth"]) for e in room.counts(inc)] == [("bob", 40), (ACTOR, 5)]


def test_oldest_is_written_and_compared_too(room):
    inc = room.start()
    out = room.tmp / "out.json"
    out.write_text('{"n": 3, "since": "2026-11-27T18:40:00Z"}')
    src = room.source(command=f"cat {out}", count="n", oldest="since")
    p = room.poller(src)
    p.poll_due()
    room.clock.advance(EVERY)
    p.poll_due()
    out.write_text('{"n": 3, "since": "2026-11-27T18:45:00Z"}')
    room.clock.advance(EVERY)
    p.poll_due()
    got = [(e["depth"], e["oldest_since"]) for e in room.counts(inc)]
    assert got == [(3, "2026-11-27T18:40:00+00:00"), (3, "2026-11-27T18:45:00+00:00")]


def test_set_queue_unless_same_decides_inside_the_write(room, tmp_path):
    """Two pollers in a lease race: both saw the old number; the second writes nothing."""
    inc = room.start()
    other = Store(tmp_path / "incident.db")
    try:
        first = commands.set_queue(room.store, room.clock, ACTOR, inc, "chat", 7, unless_same=True)
        second = commands.set_queue(other, room.clock, ACTOR, inc, "chat", 7, unless_same=True)
        assert first.event_id is not None and second.event_id is None
        third = commands.set_queue(other, room.clock, ACTOR, inc, "chat", 8, unless_same=True)
        assert third.event_id is not None
    finally:
        other.close()
    assert [e["depth"] for e in room.counts(inc)] == [7, 8]


def test_two_pollers_racing_through_one_change_write_it_once(room, tmp_path):
    inc = room.start()
    stores = [Store(tmp_path / "incident.db") for _ in range(2)]
    try:
        pollers = [
            Poller(s, Config(queue_sources=(room.source(),)), room.clock, f"test:{i}")
            for i, s in enumerate(stores)
        ]
        barrier = threading.Barrier(2)
        results: list[bool] = []

        def go(p: Poller) -> None:
            barrier.wait()
            results.append(p._write(inc, "tickets", 12, None))

        threads = [threading.Thread(target=go, args=(p,)) for p in pollers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        for s in stores:
            s.close()
    assert sorted(results) == [False, True]
    assert [e["depth"] for e in room.counts(inc)] == [12]


# ------------------------------------------------------------------ backoff


def test_backoff_doubles_from_every_up_to_the_cap():
    every = timedelta(seconds=30)
    waits = [backoff(every, n).total_seconds() for n in range(1, 8)]
    assert waits == [60, 120, 240, 480, 600, 600, 600]
    assert backoff(every, 1, permanent=True) == MAX_BACKOFF
    assert backoff(every, 1, retry_after=300).total_seconds() == 300  # honoured
    assert backoff(every, 1, retry_after=5).total_seconds() == 60  # never sooner than backoff
    assert backoff(every, 1, retry_after=10**9) == timedelta(hours=1)  # a silly one is capped
    assert backoff(timedelta(hours=1), 3) == timedelta(hours=1)  # never below every


def test_lease_ttl_is_three_intervals_and_at_least_30s(room):
    assert lease_ttl([room.source(every=timedelta(seconds=5))]) == timedelta(seconds=30)
    assert lease_ttl(
        [room.source(every=timedelta(seconds=60)), room.source(every=timedelta(seconds=20))]
    ) == timedelta(seconds=60)


def test_errors_back_off_and_say_when_they_retry_then_a_success_resets(room):
    inc = room.start()
    flag = room.tmp / "fail"
    flag.write_text("")
    script = room.tmp / "flaky.sh"
    script.write_text(
        f'#!/bin/sh\necho x >> "{room.calls_file}"\n'
        f'if [ -e "{flag}" ]; then echo "first line" >&2; echo "upstream \x1b[31mdown\x1b[0m" >&2; '
        "exit 3; fi\necho 4\n"
    )
    script.chmod(0o755)
    p = room.poller(room.source(command=(str(script),)))
    gaps = []
    for _ in range(7):
        (poll,) = p.poll_due()
        assert not poll.ok
        assert poll.error is not None and "exit status 3" in poll.error
        assert poll.error.endswith(": upstream down")  # the last stderr line, cleaned
        gaps.append((poll.next_at - poll.at).total_seconds())
        row = status.read_all(room.store)["tickets"]
        assert row.state == "error" and row.next_at == poll.next_at
        assert "(retry in" in row.words(room.clock.now())
        # not polled again before its time
        room.clock.advance(poll.next_at - poll.at - timedelta(seconds=1))
        assert p.poll_due() == []
        room.clock.advance(timedelta(seconds=1))
    assert gaps == [60, 120, 240, 480, 600, 600, 600]
    assert room.calls() == 7 and room.counts(inc) == []
    flag.unlink()
    (poll,) = p.poll_due()
    assert poll.ok and poll.next_at == room.clock.now() + EVERY
    row = status.read_all(room.store)["tickets"]
    assert (row.state, row.failures, row.count) == ("ok", 0, 4)


def test_a_new_poller_keeps_the_last_ones_schedule(room, tmp_path):
    room.start()
    p = room.poller(room.source(command="exit 9"))
    p.poll_due()
    p.poll_due()  # not due: one call
    p.release()
    other = Store(tmp_path / "incident.db")
    try:
        q = room.poller(room.source(command="exit 9"), store=other)
        assert q.poll_due() == []  # its backoff carried over
        room.clock.advance(timedelta(seconds=60))
        (poll,) = q.poll_due()
        assert (poll.next_at - poll.at).total_seconds() == 120  # second failure
    finally:
        other.close()


class _Throttling(BaseHTTPRequestHandler):
    answers: list[tuple[int, dict[str, str], bytes]] = []
    seen: list[str] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        code, headers, body = self.answers.pop(0) if self.answers else (500, {}, b"{}")
        self.send_response(code)
        for k, v in {"Content-Type": "application/json", **headers}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def throttling_server():
    _Throttling.answers = []
    _Throttling.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_429_retry_after_is_honoured(room, throttling_server, monkeypatch):
    inc = room.start()
    token = "zt-" + os.urandom(8).hex()
    monkeypatch.setenv("ZT_TOKEN", token)
    port = throttling_server.server_address[1]
    cfg = room.tmp / "config.yaml"
    cfg.write_text(
        "channels:\n"
        f"  tickets: {{source: zendesk, base_url: 'http://127.0.0.1:{port}', "
        "email: bot@acme.example, token_env: ZT_TOKEN, query: 'type:ticket', every: 30s}\n"
    )
    config = load_config(cfg)
    _Throttling.answers = [
        (429, {"Retry-After": "300"}, b'{"error": "slow down"}'),
        (200, {}, b'{"count": 17}'),
    ]
    p = Poller(room.store, config, room.clock)
    try:
        assert p.take_lease().owner == p.owner
        (poll,) = p.poll_due()
        assert not poll.ok and "429" in (poll.error or "")
        assert poll.next_at == room.clock.now() + timedelta(seconds=300)
        assert token not in poll.line()
        room.clock.advance(timedelta(seconds=299))
        assert p.poll_due() == []  # the backoff alone (60 s) would have polled by now
        room.clock.advance(timedelta(seconds=1))
        (poll,) = p.poll_due()
        assert poll.ok and poll.count == 17 and poll.written == (inc,)
    finally:
        p.close()
    assert len(_Throttling.seen) == 2


# ------------------------------------------------------------------ the lease


def test_lease_one_holder_renewal_release_and_expiry(room, tmp_path):
    ttl = timedelta(seconds=30)
    a, b = "thishost-a:1:aa", "thishost-b:2:bb"  # another host: its pid is not looked at
    assert lease.take(room.store, "job", a, T0, ttl).owner == a
    assert lease.take(room.store, "job", b, T0, ttl).owner == a
    renewed = lease.take(room.store, "job", a, T0 + timedelta(seconds=20), ttl)
    assert renewed.owner == a and renewed.since == T0
    assert not lease.hold(room.store, "job", b, T0, ttl)
    # a's lease lapses unrenewed at 50 s: b takes it, and a cannot renew any more
    assert lease.take(room.store, "job", b, T0 + timedelta(seconds=50), ttl).owner == b
    assert not lease.hold(room.store, "job", a, T0 + timedelta(seconds=51), ttl)
    assert not lease.release(room.store, "job", a)
    assert lease.release(room.store, "job", b)
    assert lease.current(room.store, "job", T0) is None


def test_a_lease_whose_owner_died_on_this_host_is_free_at_once(room):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        owner = f"{socket.gethostname()}:{proc.pid}:dead"
        ttl = timedelta(minutes=5)
        assert lease.take(room.store, "job", owner, T0, ttl).owner == owner
        holder = lease.take(room.store, "job", "me:1:x", T0, ttl)
        assert holder.owner == owner and holder.pid == proc.pid
        assert holder.words() == f"pid {proc.pid} on {socket.gethostname()}"
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert lease.take(room.store, "job", "me:1:x", T0, ttl).owner == "me:1:x"


def test_only_the_holder_polls(room):
    room.start()
    p = room.poller(room.source(), owner="hostx:1:a")
    q = Poller(room.store, Config(queue_sources=(room.source(),)), room.clock, "hostx:2:b")
    assert q.take_lease().owner == "hostx:1:a" and not q.holding
    p.poll_due()
    assert room.calls() == 1
    # the holder's lease lapses (its host went away): q takes over
    room.clock.advance(p.ttl + timedelta(seconds=1))
    assert q.take_lease().owner == "hostx:2:b"
    assert p.poll_due() == []  # p lost it: it stops before fetching
    assert not p.holding
    assert len(q.poll_due()) == 1 and room.calls() == 2


def test_run_stops_on_the_event_and_releases_the_lease(room):
    room.start()
    p = Poller(room.store, Config(queue_sources=(room.source(),)), room.clock)
    stop = threading.Event()
    polled = threading.Event()
    t = threading.Thread(target=p.run, args=(stop,), kwargs={"report": lambda _: polled.set()})
    t.start()
    try:
        assert polled.wait(30)
    finally:
        stop.set()
        t.join(timeout=30)
    assert not t.is_alive()
    assert lease.current(room.store, lease.POLLER, room.clock.now()) is None


# ------------------------------------------------------------------ the command source


def _src(command, timeout=5.0, **options) -> QueueSource:
    return QueueSource(
        "social", "command", timeout=timeout, options={"command": command, **options}
    )


def test_command_output_a_number_or_json():
    assert command_source.fetch(_src(("echo", "12"))).count == 12
    assert command_source.fetch(_src("printf ' 7\\n'")).count == 7
    assert command_source.fetch(_src("echo 3.0")).count == 3
    r = command_source.fetch(_src("""echo '{"count": 4, "oldest": 1764270000}'"""))
    assert r.count == 4 and r.oldest_since == datetime.fromtimestamp(1764270000, UTC)
    import jmespath

    r = command_source.fetch(
        _src(
            """echo '{"q": {"n": 2, "t": "2026-11-27T18:00:00Z"}}'""",
            count="q.n",
            count_expr=jmespath.compile("q.n"),
            oldest="q.t",
            oldest_expr=jmespath.compile("q.t"),
        )
    )
    assert r.count == 2 and r.oldest_since == datetime(2026, 11, 27, 18, tzinfo=UTC)


def test_a_list_command_runs_without_a_shell(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(SourceError) as e:
        command_source.fetch(_src(("echo", f"1; touch {marker}")))
    assert not marker.exists()
    assert "not a number or JSON" in e.value.message


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("echo lots", "not a number or JSON: 'lots'"),
        ("true", "printed nothing"),
        ("echo -3", "outside 0..1000000"),
        ("echo 2000000", "outside 0..1000000"),
        ("""echo '"x"'""", "not a whole number (str)"),
        ("""echo '{"n": 1}'""", "the key 'count' found nothing"),
        ("""echo '{"count": 1, "oldest": "soon"}'""", "is not a time"),
        ("head -c 70000 /dev/zero | tr '\\0' 1", "more than 64 KiB"),
    ],
)
def test_command_output_that_is_not_a_count_says_why(command, words):
    with pytest.raises(SourceError) as e:
        command_source.fetch(_src(command))
    assert words in e.value.message
    assert len(e.value.message) < 300


def test_command_failure_names_the_status_and_the_last_stderr_line():
    long = "y" * 500
    with pytest.raises(SourceError) as e:
        command_source.fetch(_src(f"echo early >&2; echo '\x1b]0;title\x07{long}' >&2; exit 4"))
    msg = e.value.message
    assert "exit status 4" in msg and "early" not in msg and msg.startswith("command: 'echo'")
    assert "\x1b" not in msg and "\x07" not in msg
    assert msg.endswith("y" * 200) and "y" * 201 not in msg
    with pytest.raises(SourceError) as e:
        command_source.fetch(_src(("/nonexistent/queue-counter",)))
    assert "cannot run" in e.value.message and e.value.permanent


def test_a_command_that_hangs_is_killed_with_its_children(tmp_path):
    pidfile = tmp_path / "child.pid"
    # the child lets go of our pipes: only killing the whole group ends it
    script = f"sleep 300 </dev/null >/dev/null 2>&1 & echo $! > {pidfile}; wait"
    with pytest.raises(SourceError) as e:
        command_source.fetch(_src(script, timeout=0.5))
    assert "did not finish within 0.5s (killed)" in e.value.message
    child = int(pidfile.read_text())
    try:
        deadline = time.monotonic() + 10
        while process_alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(child)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, 9)  # (only if the test failed: nothing outlives it)


def test_a_failing_command_line_is_named_by_its_program_only():
    """A command line may carry a secret (a header, VAR=value): errors name the program."""
    secret = "s3cr3t-" + os.urandom(6).hex()
    with pytest.raises(SourceError) as e:
        command_source.fetch(_src(f"TOKEN={secret} /bin/sh -c 'exit 5' x --header {secret}"))
    assert e.value.message == "command: 'sh' failed (exit status 5)"
    with pytest.raises(SourceError) as e:
        command_source.fetch(_src(("/bin/sh", "-c", "exit 6", secret)))
    assert secret not in e.value.message and "'sh' failed (exit status 6)" in e.value.message


def test_a_hand_over_does_not_poll_twice_in_one_interval(room, tmp_path):
    room.start()
    p = room.poller(room.source())
    assert len(p.poll_due()) == 1
    p.release()
    other = Store(tmp_path / "incident.db")
    try:
        room.clock.advance(timedelta(seconds=10))
        q = room.poller(room.source(), store=other)
        assert q.poll_due() == [] and room.calls() == 1
        room.clock.advance(EVERY - timedelta(seconds=10))
        assert len(q.poll_due()) == 1 and room.calls() == 2
    finally:
        other.close()

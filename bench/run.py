"""``make bench``: how warroom's dashboard and CLI perform on this machine.

Every number comes from real processes (or, for key presses and sync, from the
real app driven by Textual's Pilot), measured next to a Textual baseline in the
same run. The result is a Markdown table on stdout and in
``bench/results/latest.md``. A missed target is a verdict in the table, never a
failure: this script exits 0 unless it cannot run at all.

Progress goes to stderr; the report goes to stdout. ``BENCH_QUICK=1`` leaves out the
50-dashboard crowd and shortens the idle-CPU windows (see ``crowd.py``).
``BENCH_ONLY=paint`` runs the first-paint / peak-RSS rows alone (stdout only:
``latest.md`` keeps the last full run).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

from crowd import log, p95, program_pid, status_kb
from crowd import section as crowd_section
from fixtures import BIG_EVENTS, BIG_TITLE, DEMO_TITLE, build_big_db, build_demo_db
from hello import HELLO_TEXT, ToggleList, ToggleListApp
from lint_agreement import section as lint_section
from long_paste import LIMIT_MS as PASTE_LIMIT_MS
from long_paste import timings as paste_timings
from mutation import last_table as mutation_section
from stages import stage_notes

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.md"
BIN = Path(sys.executable).parent
WARROOM = BIN / "warroom"

PAINT_RUNS = 7  # measured runs per app (after one warm-up each), interleaved
PAINT_TIMEOUT = 20.0  # seconds before a run that never paints counts as failed
RSS_AFTER_PAINT = 1.0  # seconds after first paint before reading VmHWM
POLL_PANE = 0.005
KEY_PRESSES = 40
KEY_WARMUP = 3
KEY_GAP = 0.05  # seconds between presses (direct mode)
SYNC_CHANGES = 25
SYNC_WARMUP = 2
SYNC_TIMEOUT = 5.0
SIZE = (120, 40)

TARGET_PAINT_RATIO = 1.2
TARGET_KEY_MEDIAN_MS = 25.0
TARGET_KEY_P95_MS = 50.0
TARGET_SYNC_P95_MS = 500.0


# ------------------------------------------------------------------------ results


@dataclass
class Measure:
    """One side of a row: a value, or why there is none."""

    value: float | None
    runs: int = 0
    wanted: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass
class Row:
    metric: str
    unit: str
    ours: Measure
    base: Measure | None  # None: no baseline for this metric
    target: str  # "ratio" / "abs" / "" (informational)
    limit: float = 0.0
    digits: int = 0


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def fmt_value(m: Measure | None, unit: str, digits: int) -> str:
    if m is None:
        return "-"
    if not m.ok:
        return "FAILED"
    text = f"{m.value:.{digits}f} {unit}"
    if m.wanted and m.runs < m.wanted:
        text += f" ({m.runs}/{m.wanted} runs)"
    return text


def ratio_of(row: Row) -> float | None:
    if row.base is None or not (row.ours.ok and row.base.ok) or not row.base.value:
        return None
    return row.ours.value / row.base.value  # type: ignore[operator]


def target_text(row: Row) -> str:
    if row.target == "ratio":
        return f"≤ {row.limit:g}×"
    if row.target == "abs":
        return f"≤ {row.limit:g} {row.unit}"
    return "-"


def verdict(row: Row) -> str:
    ratio = ratio_of(row)
    failed = [name for name, m in (("warroom", row.ours), ("baseline", row.base)) if m and not m.ok]
    if row.target == "ratio" and failed:
        return "FAILED (" + ", ".join(failed) + " did not run)"
    if row.target == "abs" and not row.ours.ok:
        return "FAILED (no measurement)"
    partial = ""
    if row.ours.wanted and row.ours.runs < row.ours.wanted:
        partial = f"; {row.ours.wanted - row.ours.runs} run(s) failed"
    if row.target == "ratio":
        assert ratio is not None
        if ratio <= row.limit:
            return "ok" + partial
        over = ratio - row.limit
        return f"MISSED by {over:.2f}× ({over / row.limit:.0%} over)" + partial
    if row.target == "abs":
        value = row.ours.value
        assert value is not None
        if value <= row.limit:
            return "ok" + partial
        over = value - row.limit
        return f"MISSED by {over:.{row.digits}f} {row.unit} ({over / row.limit:.0%} over)" + partial
    if failed:
        return "FAILED (" + ", ".join(failed) + ")"
    return "info" + partial


def render(report: Report, machine: str, when: str) -> str:
    lines = [
        "# warroom benchmark",
        "",
        f"Machine: {machine}",
        f"Date: {when}",
        "",
        "| metric | warroom | baseline | ratio | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for row in report.rows:
        ratio = ratio_of(row)
        lines.append(
            "| "
            + " | ".join(
                [
                    row.metric,
                    fmt_value(row.ours, row.unit, row.digits),
                    fmt_value(row.base, row.unit, row.digits),
                    f"{ratio:.2f}×" if ratio is not None else "-",
                    target_text(row),
                    verdict(row),
                ]
            )
            + " |"
        )
    if report.notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        nproc = os.cpu_count() or 0
    try:
        textual = metadata.version("textual")
    except metadata.PackageNotFoundError:
        textual = "?"
    return (
        f"{platform.platform()}; CPU {cpu}; nproc {nproc}; "
        f"Python {platform.python_version()}; Textual {textual}"
    )


# ------------------------------------------------------------------------ tmux runs


class Tmux:
    """A private tmux server (its own socket) so no one else's sessions are touched."""

    def __init__(self) -> None:
        self.socket = f"warroom-bench-{os.getpid()}"
        self.sessions: set[str] = set()
        self.socket_path: Path | None = None
        self.counter = 0

    def __call__(self, *args: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self) -> None:
        # A keeper session keeps the server up, so no run pays for the server's start.
        keeper = self.new_name("keeper")
        r = self("new-session", "-d", "-x", "80", "-y", "24", "-s", keeper, "exec sleep 3600")
        if r.returncode:
            raise RuntimeError(f"tmux new-session failed: {r.stderr.strip()}")
        self.sessions.add(keeper)
        where = self("display-message", "-p", "-t", keeper, "#{socket_path}").stdout.strip()
        self.socket_path = Path(where) if where else None
        # A pane whose program died stays, so its last screen can be reported.
        self("set-option", "-g", "remain-on-exit", "on")

    def new_name(self, stem: str) -> str:
        self.counter += 1
        return f"wb{os.getpid()}-{stem}-{self.counter}"

    def kill(self, session: str) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self("kill-session", "-t", session)
        self.sessions.discard(session)

    def close(self) -> None:
        for session in list(self.sessions):
            self.kill(session)
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self("kill-server")
        if self.socket_path is not None and self.socket_path.is_socket():
            self.socket_path.unlink(missing_ok=True)  # tmux leaves its socket file behind


@dataclass
class PaintRun:
    seconds: float | None
    rss_kb: int | None
    error: str = ""


def paint_run(tmux: Tmux, stem: str, command: str, markers: Sequence[str]) -> PaintRun:
    """Start ``command`` in a 120x40 tmux pane; time until every marker is on screen."""
    session = tmux.new_name(stem)
    width, height = SIZE
    tmux.sessions.add(session)
    try:
        t0 = time.perf_counter()
        r = tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-s", session, command)
        if r.returncode:
            return PaintRun(None, None, f"tmux new-session failed: {r.stderr.strip()}")
        screen = ""
        while True:
            cap = tmux(
                "capture-pane", "-p", "-t", session, ";",
                "display-message", "-p", "-t", session, "WBDEAD=#{pane_dead}:#{pane_dead_status}",
            )  # fmt: skip
            seen = time.perf_counter()
            lines = cap.stdout.rstrip("\n").split("\n")
            status = lines[-1] if lines and lines[-1].startswith("WBDEAD=") else ""
            screen = "\n".join(lines[:-1] if status else lines)
            if cap.returncode == 0 and all(m in screen for m in markers):
                elapsed = seen - t0
                break
            if status.startswith("WBDEAD=1"):
                code = status.split(":", 1)[1]
                return PaintRun(
                    None, None, f"exited (status {code}) before painting; {_tail(screen)}"
                )
            if cap.returncode and "can't find" in cap.stderr:
                return PaintRun(None, None, f"tmux session vanished: {cap.stderr.strip()}")
            if seen - t0 > PAINT_TIMEOUT:
                return PaintRun(
                    None, None, f"no first paint within {PAINT_TIMEOUT:g} s; {_tail(screen)}"
                )
            time.sleep(POLL_PANE)
        pid_text = tmux("display-message", "-p", "-t", session, "#{pane_pid}").stdout.strip()
        rss = None
        error = ""
        if pid_text.isdigit():
            pid = program_pid(int(pid_text))
            time.sleep(RSS_AFTER_PAINT)
            rss = status_kb(pid, "VmHWM")
            if rss is None:
                error = f"could not read VmHWM of pid {pid} (exited?)"
        else:
            error = "no pane pid"
        return PaintRun(elapsed, rss, error)
    except (OSError, subprocess.SubprocessError) as exc:
        return PaintRun(None, None, f"tmux: {type(exc).__name__}: {exc}")
    finally:
        tmux.kill(session)


def _tail(screen: str, lines: int = 6) -> str:
    shown = [line.rstrip() for line in screen.splitlines() if line.strip()][-lines:]
    return "last screen: " + (" / ".join(shown) if shown else "(blank)")


def measure_paint(tmux: Tmux, big_db: Path, small_db: Path, report: Report) -> None:
    env = "env -u WARROOM_NOW -u TEXTUAL TERM=xterm-256color"

    def warroom_cmd(db: Path) -> str:
        return (
            f"exec {env} WARROOM_DB={shlex.quote(str(db))} WARROOM_AS=bench WARROOM_NO_BELL=1 "
            f"{shlex.quote(str(WARROOM))}"
        )

    hello_cmd = f"exec {env} {shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'hello.py'))}"
    apps: dict[str, tuple[str, list[str]]] = {
        "warroom": (warroom_cmd(big_db), [BIG_TITLE, "Phase checklist"]),
        "hello": (hello_cmd, [HELLO_TEXT]),
        "warroom-demo": (warroom_cmd(small_db), [DEMO_TITLE[:29], "Phase checklist"]),
    }
    names = list(apps)
    runs: dict[str, list[PaintRun]] = {name: [] for name in names}
    for rnd in range(PAINT_RUNS + 1):
        shift = rnd % len(names)
        for name in names[shift:] + names[:shift]:  # interleaved, each first in turn
            command, markers = apps[name]
            run = paint_run(tmux, name, command, markers)
            shown = f"{run.seconds * 1000:.0f} ms" if run.seconds is not None else run.error
            if run.rss_kb is not None:
                shown += f", VmHWM {run.rss_kb / 1024:.1f} MB"
            log(f"first paint {name} {'warm-up' if rnd == 0 else f'run {rnd}'}: {shown}")
            if rnd > 0:
                runs[name].append(run)
            elif run.seconds is None:
                report.notes.append(f"first paint, {name} warm-up run failed: {run.error}")

    def summary(name: str) -> tuple[Measure, Measure]:
        got = runs[name]
        times = [r.seconds * 1000 for r in got if r.seconds is not None]
        rss = [r.rss_kb / 1024 for r in got if r.rss_kb is not None]
        errors = sorted({r.error for r in got if r.error})
        for error in errors:
            report.notes.append(f"first paint / RSS, {name}: {error}")
        if times:
            report.notes.append(
                f"first paint {name} runs (ms): {', '.join(f'{v:.0f}' for v in times)}"
            )
        paint = Measure(statistics.median(times) if times else None, len(times), len(got))
        mem = Measure(statistics.median(rss) if rss else None, len(rss), len(got))
        return paint, mem

    w_paint, w_rss = summary("warroom")
    h_paint, h_rss = summary("hello")
    d_paint, d_rss = summary("warroom-demo")
    report.rows.append(
        Row(
            f"time to first paint, median ({BIG_EVENTS:,}-event incident vs hello world)",
            "ms",
            w_paint,
            h_paint,
            "ratio",
            TARGET_PAINT_RATIO,
        )
    )
    report.rows.append(
        Row(
            "time to first paint, median (small demo incident vs hello world)",
            "ms",
            d_paint,
            h_paint,
            "",
        )
    )
    report.rows.append(
        Row(
            f"peak RSS (VmHWM) {RSS_AFTER_PAINT:g} s after first paint, median "
            f"({BIG_EVENTS:,}-event incident vs hello world)",
            "MB",
            w_rss,
            h_rss,
            "",
            digits=1,
        )
    )
    report.rows.append(
        Row(
            "peak RSS, median (small demo incident vs hello world)",
            "MB",
            d_rss,
            h_rss,
            "",
            digits=1,
        )
    )


# ------------------------------------------------------------------------ in-process (Pilot)


def _plain(prompt: object) -> str:
    return getattr(prompt, "plain", None) or str(prompt)


async def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what} not within {timeout:g} s")
        await asyncio.sleep(0.001)


def _send_key(app, key: str, char: str | None) -> None:
    """A key event down the driver's own path (what its input thread does), no waiting."""
    from textual import events

    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def _one_refresh(pilot) -> None:
    """Process what the screen and its widgets have queued, then composite once.

    This is ``Pilot.pause()`` without its ``wait_for_idle`` sleep (at least 20 ms).
    """
    await pilot._wait_for_screen()
    pilot.app.screen._on_timer_update()


async def _toggle_samples(
    pilot, checklist, option_id: str, is_done: Callable[[], bool], n: int, *, via_pilot: bool
) -> list[float]:
    """Press space ``n`` times; each sample ends after state + prompt flipped and one refresh.

    ``via_pilot``: ``await pilot.press("space")`` ... ``await pilot.pause()``, which include
    Pilot's own idle waits (three ``wait_for_idle`` calls of at least 20 ms each). Otherwise
    the key goes straight to the driver and the end is one refresh without sleeping.
    """
    samples = []
    for _ in range(n):
        want = not is_done()
        mark = "[x]" if want else "[ ]"

        def flipped(want: bool = want, mark: str = mark) -> bool:
            return is_done() == want and mark in _plain(checklist.get_option(option_id).prompt)

        t0 = time.perf_counter()
        if via_pilot:
            await pilot.press("space")
        else:
            _send_key(pilot.app, "space", " ")
        await _wait_for(flipped, 5.0, "the toggle")
        if via_pilot:
            await pilot.pause()
        else:
            await _one_refresh(pilot)
        samples.append((time.perf_counter() - t0) * 1000)
        if checklist.highlighted_option is None or checklist.highlighted_option.id != option_id:
            raise RuntimeError(f"the highlight moved off {option_id}")
        if not via_pilot:
            await asyncio.sleep(KEY_GAP)  # let the app settle between presses, as a person would
    return samples


async def _warroom_app_up(db: Path, config=None):
    from screens.dashboard import Dashboard
    from tui.app.app import WarroomApp
    from tui.app.room import Room
    from tui.core.clock import SystemClock

    app = WarroomApp(Room(db, SystemClock(), "bench"), bell=False, config=config)
    return app, Dashboard


class HangingServer:
    """Accepts connections, reads the request, never answers: a status page that hangs."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list = []
        self.accepted = 0
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)  # keep it open, say nothing

    def close(self) -> None:
        self._stop = True
        for conn in self.held:
            conn.close()
        self.sock.close()


def hanging_setup(db: Path, tmp: Path) -> tuple[HangingServer, object]:
    """An update queued for a destination that hangs on every request."""
    from tui import commands
    from tui.core.clock import SystemClock
    from tui.core.config import load_config
    from tui.core.store import Store

    server = HangingServer()
    os.environ["BENCH_HANG_KEY"] = "bench-key"
    cfg = tmp / "hang-config.yaml"
    cfg.write_text(
        "destinations:\n"
        "  - id: hang\n"
        "    type: statuspage\n"
        f"    base_url: http://127.0.0.1:{server.port}/v1\n"
        "    page_id: p\n"
        "    api_key_env: BENCH_HANG_KEY\n"
        "    timeout: 30\n"
    )
    config = load_config(cfg)
    with Store(db) as store:
        incident = store.incidents()[0].id
        commands.publish(
            store,
            SystemClock(),
            "bench",
            incident,
            "update",
            "We know the cause and are fixing it, sorry. We'll post our next update by 11:55 PM.",
            config,
            accept_warnings=True,
        )
    return server, config


async def _both_ways(
    pilot, checklist, option_id: str, is_done: Callable[[], bool]
) -> dict[str, list[float]]:
    out = {}
    for via_pilot in (False, True):
        samples = await _toggle_samples(
            pilot, checklist, option_id, is_done, KEY_WARMUP + KEY_PRESSES, via_pilot=via_pilot
        )
        out["pilot" if via_pilot else "direct"] = samples[KEY_WARMUP:]
    return out


async def keypress_warroom(db: Path, config=None, hang=None) -> dict[str, list[float]]:
    app, dashboard_type = await _warroom_app_up(db, config)
    async with app.run_test(size=SIZE) as pilot:
        await _wait_for(lambda: isinstance(app.screen, dashboard_type), 20.0, "the dashboard")
        await pilot.pause()
        if hang is not None:  # the delivery thread is inside a request that never ends
            await _wait_for(lambda: hang.accepted > 0, 20.0, "the hanging status page")
        screen = app.screen
        checklist = screen.query_one("#checklist")
        checklist.focus()
        phase = screen.state.current_phase()
        item_id = phase.checklist[0].id
        option_id = f"item:{item_id}"
        checklist.highlighted = checklist.get_option_index(option_id)
        await pilot.pause()
        return await _both_ways(
            pilot, checklist, option_id, lambda: app.screen.state.items[item_id].done
        )


async def keypress_baseline(items: list[tuple[str, str]]) -> dict[str, list[float]]:
    app = ToggleListApp(items)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        checklist = app.query_one(ToggleList)
        key = items[1][0]
        option_id = f"item:{key}"
        checklist.highlighted = checklist.get_option_index(option_id)
        await pilot.pause()
        return await _both_ways(pilot, checklist, option_id, lambda: checklist.done[key])


async def sync_latency(db: Path, incident: str) -> list[float]:
    from tui import commands
    from tui.core.clock import SystemClock
    from tui.core.store import Store

    app, dashboard_type = await _warroom_app_up(db)
    other = Store(db)
    clock = SystemClock()
    rng = random.Random(20251127)
    samples = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _wait_for(lambda: isinstance(app.screen, dashboard_type), 20.0, "the dashboard")
            await pilot.pause()
            item_id = app.screen.state.current_phase().checklist[-1].id
            for _ in range(SYNC_WARMUP + SYNC_CHANGES):
                # land the writes at random points of the poll cycle
                await asyncio.sleep(rng.uniform(0.05, 0.35))
                want = not app.screen.state.items[item_id].done
                t0 = time.perf_counter()
                await asyncio.to_thread(
                    commands.set_item, other, clock, "bench-other", incident, item_id, want
                )
                await _wait_for(
                    lambda want=want: app.screen.state.items[item_id].done == want,
                    SYNC_TIMEOUT,
                    "the change from another connection",
                )
                samples.append((time.perf_counter() - t0) * 1000)
    finally:
        other.close()
    return samples[SYNC_WARMUP:]


def checklist_texts() -> list[tuple[str, str]]:
    from tui.core.playbook import load_playbook
    from tui.core.resources import shipped_playbooks_dir

    book = load_playbook(shipped_playbooks_dir() / "saas-major-outage.yaml")
    return [(i.id, f"{i.text}  {i.owner}") for i in book.items("full")]


def measure_pilot(tmp: Path, report: Report) -> None:
    key_db = tmp / "keys.db"
    build_demo_db(key_db)
    ours: dict[str, list[float]] = {}
    base: dict[str, list[float]] = {}
    try:
        ours = asyncio.run(keypress_warroom(key_db))
    except Exception as exc:
        report.notes.append(f"key press, warroom: {type(exc).__name__}: {exc}")
    try:
        base = asyncio.run(keypress_baseline(checklist_texts()))
    except Exception as exc:
        report.notes.append(f"key press, baseline: {type(exc).__name__}: {exc}")
    hang_db = tmp / "hang.db"
    build_demo_db(hang_db)
    hung: dict[str, list[float]] = {}
    server = None
    try:
        server, config = hanging_setup(hang_db, tmp)
        hung = asyncio.run(keypress_warroom(hang_db, config=config, hang=server))
    except Exception as exc:
        report.notes.append(f"key press while the page hangs: {type(exc).__name__}: {exc}")
    finally:
        if server is not None:
            server.close()
    for name, got in (("warroom", ours), ("baseline", base), ("warroom, page hanging", hung)):
        for mode, samples in got.items():
            log(
                f"key press {name} ({mode}): median {statistics.median(samples):.1f} ms, "
                f"p95 {p95(samples):.1f} ms"
            )

    def m(samples: list[float] | None, fn: Callable[[list[float]], float]) -> Measure:
        return Measure(fn(samples) if samples else None, len(samples or []), KEY_PRESSES)

    label = f"key press → repaint, checklist toggle ({KEY_PRESSES} presses)"
    direct_o, direct_b = ours.get("direct"), base.get("direct")
    report.rows.append(
        Row(
            f"{label}, median",
            "ms",
            m(direct_o, statistics.median),
            m(direct_b, statistics.median),
            "abs",
            TARGET_KEY_MEDIAN_MS,
            1,
        )
    )
    report.rows.append(
        Row(f"{label}, p95", "ms", m(direct_o, p95), m(direct_b, p95), "abs", TARGET_KEY_P95_MS, 1)
    )
    label_h = f"key press → repaint while the status page hangs ({KEY_PRESSES} presses)"
    hang_o = hung.get("direct")
    report.rows.append(
        Row(
            f"{label_h}, median",
            "ms",
            m(hang_o, statistics.median),
            m(direct_b, statistics.median),
            "abs",
            TARGET_KEY_MEDIAN_MS,
            1,
        )
    )
    report.rows.append(
        Row(f"{label_h}, p95", "ms", m(hang_o, p95), m(direct_b, p95), "abs", TARGET_KEY_P95_MS, 1)
    )
    pilot_o, pilot_b = ours.get("pilot"), base.get("pilot")
    for stat, fn in (("median", statistics.median), ("p95", p95)):
        report.rows.append(
            Row(
                f"same, timed with `pilot.press` + `pilot.pause` (Pilot's idle waits), {stat}",
                "ms",
                m(pilot_o, fn),
                m(pilot_b, fn),
                "",
                digits=1,
            )
        )

    sync_db = tmp / "sync.db"
    incident = build_demo_db(sync_db)
    samples: list[float] = []
    try:
        samples = asyncio.run(sync_latency(sync_db, incident))
    except Exception as exc:
        report.notes.append(f"sync latency: {type(exc).__name__}: {exc}")
    if samples:
        log(f"sync: median {statistics.median(samples):.0f} ms, p95 {p95(samples):.0f} ms")
    label = f"cross-dashboard sync latency ({SYNC_CHANGES} changes from another connection)"
    report.rows.append(
        Row(
            f"{label}, p95",
            "ms",
            Measure(p95(samples) if samples else None, len(samples), SYNC_CHANGES),
            None,
            "abs",
            TARGET_SYNC_P95_MS,
        )
    )
    report.rows.append(
        Row(
            f"{label}, median",
            "ms",
            Measure(statistics.median(samples) if samples else None, len(samples), SYNC_CHANGES),
            None,
            "",
        )
    )


# ------------------------------------------------------------------------ main


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> int:
    started = time.perf_counter()
    when = datetime.now().astimezone().isoformat(timespec="seconds")
    machine = machine_line()
    report = Report()
    only_paint = os.environ.get("BENCH_ONLY", "") == "paint"
    load_before = _loadavg()
    if not WARROOM.exists():
        print(f"bench: no warroom console script at {WARROOM} (run: make bench)", file=sys.stderr)
        return 2
    tmux = Tmux()
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as folder:
        tmp = Path(folder)
        big_db = tmp / "big.db"
        t0 = time.perf_counter()
        incident, events = build_big_db(big_db)
        log(f"built {big_db.name}: {incident}, {events} events in {time.perf_counter() - t0:.1f} s")
        report.notes.append(f"big incident: {incident} “{BIG_TITLE}”, {events:,} events")
        try:
            try:
                tmux.start()
            except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
                report.notes.append(f"tmux unavailable, first paint and RSS not measured: {exc}")
            else:
                small_db = tmp / "paint-demo.db"
                build_demo_db(small_db)
                measure_paint(tmux, big_db, small_db, report)
                env = "env -u WARROOM_NOW -u TEXTUAL TERM=xterm-256color"
                report.notes.extend(stage_notes(tmux, big_db, tmp, env))  # where it goes
        finally:
            tmux.close()
        if only_paint:
            report.notes.append(
                "BENCH_ONLY=paint: the paint rows alone; load average (1 min) "
                f"{load_before} at the start, {_loadavg()} at the end (nproc {os.cpu_count()})"
            )
            print(render(report, machine, when), end="")
            return 0
        # issue 13: `status --oneline`, idle CPU, and many dashboards on one database
        for r in crowd_section(tmp, big_db, report.notes.append):
            base = Measure(r.base) if r.has_base else None
            ours = Measure(r.ours, r.runs, r.wanted)
            report.rows.append(Row(r.metric, r.unit, ours, base, r.target, r.limit, r.digits))
        measure_pilot(tmp, report)
        for name, size, ms in paste_timings():  # issue 15: speed lives here, not in tests
            report.rows.append(
                Row(
                    f"message check, {size:,}-char paste ({name})",
                    "ms",
                    Measure(ms),
                    None,
                    "abs",
                    PASTE_LIMIT_MS,
                )
            )
    report.notes.append(
        "first paint: from just before `tmux new-session` until `capture-pane` (polled every "
        f"~{POLL_PANE * 1000:g} ms, one process per poll) shows the markers; "
        "key press: in-process under Pilot, the key event sent through the driver, until the "
        "state and the option's prompt flip, then one refresh (pending messages of the screen "
        "and its widgets processed, one compositor update), no idle sleeps; "
        f"sync: write through a second connection, until the app's state shows it; "
        f"whole run {time.perf_counter() - started:.0f} s"
    )
    text = render(report, machine, when)
    text += "\n" + lint_section()  # issue 12: the message check against our labelled corpus
    text += "\n" + mutation_section()  # issue 15: the last `make mutation` (too slow to rerun here)
    try:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)
    except OSError as exc:
        log(f"could not write {RESULTS}: {exc}")
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

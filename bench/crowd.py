"""The many-dashboard rows of ``make bench`` (issue 13): a war-room host where everyone
runs a dashboard.

* idle CPU of one dashboard (120x40) next to the bare Textual hello app, both started
  in panes of a private tmux server and left alone for ``IDLE_SECONDS`` after their
  first paint; CPU is utime+stime of the program's process from ``/proc/PID/stat``
  (every thread), read before and after;
* 5, 10 and 50 dashboards on one database, 80x24 sessions of one private tmux server,
  started in batches of ``BATCH`` (each batch painted before the next starts) and grown
  in place (5, then 5 more, then 40 more): their total idle CPU, their memory (VmRSS
  at the end of the idle window: median and max), and a change made with the CLI
  (``warroom check``/``uncheck``, a fresh process as a person's shell starts it), from
  the CLI's exit (its write committed) until every pane's ``capture-pane`` shows it
  (all panes captured in rounds, one tmux process per round; the resolution is one
  round, said in the notes);
* ``warroom status --oneline`` on the 10,000-event database: median of ``ONELINE_RUNS``
  runs, interleaved with ``python -c pass`` and ``python -c "import sqlite3"``: as tmux
  runs it (unchanged since the last run: the line's facts from the cache, in a folder of
  the bench's own), and just after a change (an empty cache folder each run).

``BENCH_QUICK=1`` leaves out the 50-dashboard crowd and shortens the idle windows to
``QUICK_IDLE_SECONDS``. Every process started here is ended here (the tmux server, and
any dashboard that outlived it, by its pid).
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fixtures import BIG_EVENTS, DEMO_TITLE, build_demo_db
from hello import CLOCK_TEXT, HELLO_TEXT

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
WARROOM = BIN / "warroom"

IDLE_SECONDS = 60.0
QUICK_IDLE_SECONDS = 20.0
SETTLE = 3.0  # seconds after the first paint before the idle window opens
CROWDS = (5, 10, 50)
QUICK_CROWDS = (5, 10)
BATCH = 5
PAINT_TIMEOUT = 60.0
CHANGES = 10
CHANGE_WARMUP = 1
SEEN_TIMEOUT = 20.0
NEED_MB = 90  # a dashboard's memory while it starts: a crowd that does not fit is not started
ONELINE_RUNS = 20
ITEM = "update-promises-next"  # on the demo incident's current phase: on screen at 80x24
ITEM_TEXT = "Every update names the time"
ONE_SIZE = (120, 40)
CROWD_SIZE = (80, 24)

TARGET_ONE_IDLE_PCT = 0.3
TARGET_CROWD_IDLE_PCT = {50: 20.0}
TARGET_RSS_MB = 40.0
TARGET_SEEN_P95_MS = {50: 1000.0, 5: 500.0}
TARGET_ONELINE_MS = 100.0

TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    """One row, before run.py makes it a Row: warroom's value and the baseline's."""

    metric: str
    unit: str
    ours: float | None
    base: float | None = None
    has_base: bool = False
    target: str = ""  # "abs" / "ratio" / ""
    limit: float = 0.0
    digits: int = 0
    runs: int = 0
    wanted: int = 0


def log(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def cpu_ticks(pid: int) -> int | None:
    """utime + stime of the process (all its threads), in clock ticks."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[11]) + int(fields[12])


def status_kb(pid: int, field: str = "VmRSS") -> int | None:
    """A kB figure from /proc/PID/status (VmRSS: resident now; VmHWM: its peak)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


SHELLS = {"sh", "bash", "dash", "zsh", "env"}


def program_pid(pid: int) -> int:
    """The pane's program: through ``sh -c`` / ``env`` if they did not exec."""
    for _ in range(5):
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            if comm not in SHELLS:
                return pid
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return pid
        if not children:
            return pid
        pid = int(children[0])
    return pid


# ------------------------------------------------------------------------ tmux


class Panes:
    """Sessions of one private tmux server (its own socket), each one program."""

    def __init__(self, stem: str) -> None:
        self.socket = f"warroom-{stem}-{os.getpid()}"
        self.pids: dict[str, int] = {}  # session -> the program's pid
        self.server_pid: int | None = None
        self.counter = 0

    def __call__(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, stem: str, command: str, size: tuple[int, int]) -> str:
        self.counter += 1
        name = f"{stem}{self.counter}"
        width, height = size
        r = self("new-session", "-d", "-x", str(width), "-y", str(height), "-s", name, command)
        if r.returncode:
            raise RuntimeError(f"tmux new-session failed: {r.stderr.strip()}")
        if self.server_pid is None:
            self("set-option", "-g", "remain-on-exit", "on")
            text = self("display-message", "-p", "-t", name, "#{pid}").stdout.strip()
            self.server_pid = int(text) if text.isdigit() else None
        text = self("display-message", "-p", "-t", name, "#{pane_pid}").stdout.strip()
        if text.isdigit():
            self.pids[name] = int(text)
        return name

    def capture(self, names: Sequence[str]) -> dict[str, str]:
        """Every pane's screen, in one tmux process (one round)."""
        args: list[str] = []
        for name in names:
            args += ["display-message", "-p", "-t", name, f"@@WB {name} #{{pane_dead}}", ";"]
            args += ["capture-pane", "-p", "-t", name, ";"]
        out = self(*args[:-1]).stdout
        screens: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in out.split("\n"):
            if line.startswith("@@WB "):
                _, name, dead = line.split(" ")
                current = screens.setdefault(name, [])
                if dead == "1":
                    current.append("@@DEAD")
            elif current is not None:
                current.append(line)
        return {name: "\n".join(lines) for name, lines in screens.items()}

    def resolve(self) -> None:
        """The programs behind the panes' shells (once they have started)."""
        self.pids = {name: program_pid(pid) for name, pid in self.pids.items()}

    def close(self) -> None:
        programs = list(self.pids.values())
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            path = self("display-message", "-p", "#{socket_path}").stdout.strip()
            self("kill-server")
            if path and Path(path).is_socket():
                Path(path).unlink(missing_ok=True)
        deadline = time.monotonic() + 5
        for pid in programs:  # a dashboard that outlived its pane: ended by its pid
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_painted(panes: Panes, names: Sequence[str], markers: Sequence[str]) -> list[str]:
    """Until every pane shows every marker; the panes that did not (with why)."""
    deadline = time.perf_counter() + PAINT_TIMEOUT
    waiting = list(names)
    while waiting and time.perf_counter() < deadline:
        screens = panes.capture(waiting)
        waiting = [
            n
            for n in waiting
            if "@@DEAD" in screens.get(n, "") or not all(m in screens.get(n, "") for m in markers)
        ]
        if waiting:
            time.sleep(0.1)
    return waiting


def idle_cpu(pids: dict[str, int], seconds: float) -> tuple[dict[str, float], float]:
    """Per program: % of one core over ``seconds`` of leaving it alone."""
    before = {n: cpu_ticks(p) for n, p in pids.items()}
    t0 = time.monotonic()
    time.sleep(seconds)
    after = {n: cpu_ticks(p) for n, p in pids.items()}
    elapsed = time.monotonic() - t0
    out = {}
    for name in pids:
        b, a = before[name], after[name]
        if a is not None and b is not None:
            out[name] = (a - b) / TICK / elapsed * 100
    return out, elapsed


# ------------------------------------------------------------------------ commands


def _env() -> str:
    return "env -u WARROOM_NOW -u TEXTUAL TERM=xterm-256color WARROOM_NO_BELL=1"


def dashboard_cmd(db: Path, user: str) -> str:
    return (
        f"exec {_env()} WARROOM_DB={shlex.quote(str(db))} WARROOM_AS={user} "
        f"{shlex.quote(str(WARROOM))}"
    )


def hello_cmd(*args: str) -> str:
    return (
        f"exec {_env()} {shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'hello.py'))}"
        + "".join(f" {shlex.quote(a)}" for a in args)
    )


DASH_MARKERS = [DEMO_TITLE[:20], "Phase checklist"]


# ------------------------------------------------------------------------ one dashboard


def measure_one(tmp: Path, idle: float, results: list[Result], note: Callable[[str], None]):
    """Idle CPU of one 120x40 dashboard and of the hello app, side by side."""
    db = tmp / "idle-one.db"
    build_demo_db(db)
    panes = Panes("idle")
    try:
        ours = panes.start("dash", dashboard_cmd(db, "idle"), ONE_SIZE)
        base = panes.start("hello", hello_cmd(), ONE_SIZE)
        clock = panes.start("clock", hello_cmd("--clock"), ONE_SIZE)
        missing = (
            wait_painted(panes, [ours], DASH_MARKERS)
            + wait_painted(panes, [base], [HELLO_TEXT])
            + wait_painted(panes, [clock], [CLOCK_TEXT])
        )
        panes.resolve()
        if missing:
            note(f"idle CPU, one dashboard: no first paint in {', '.join(missing)}")
        time.sleep(SETTLE)
        log(f"idle CPU: one dashboard and hello, {idle:g} s")
        cpu, elapsed = idle_cpu(panes.pids, idle)
        rss = {n: status_kb(p) for n, p in panes.pids.items()}
    finally:
        panes.close()
    o, b = cpu.get(ours), cpu.get(base)
    log(f"idle CPU: dashboard {o}, hello {b} (% of a core)")
    results.append(
        Result(
            f"idle CPU of one dashboard (120×40, {elapsed:.0f} s after first paint), % of a core",
            "%",
            o if ours not in missing else None,
            b if base not in missing else None,
            True,
            "abs",
            TARGET_ONE_IDLE_PCT,
            2,
        )
    )
    c = cpu.get(clock)
    results.append(
        Result(
            "idle CPU of a bare Textual app with a clock updated once a second (four panes, "
            "120×40): the floor under a countdown, % of a core",
            "%",
            c if clock not in missing else None,
            b if base not in missing else None,
            True,
            "",
            0.0,
            2,
        )
    )
    if o is not None and c is not None and o > TARGET_ONE_IDLE_PCT:
        note(
            f"where one dashboard's idle CPU goes: Textual's own once-a-second frame costs "
            f"{c:.2f} % in the clock app beside it (hello, no timer: "
            f"{'?' if b is None else f'{b:.2f}'} %); a py-spy profile of a dashboard at rest "
            "(60 s at 1 kHz, 5e82bf0; README, 'Performance: a dashboard at rest') puts 287 of "
            "366 main-thread samples in Textual's screen update (rendering 111, handing the "
            "frame to its writer thread 152), 11 in warroom's tick, 1 in the probe; with the "
            "tick off a dashboard costs 0.125 %"
        )
    rss_o, rss_b = rss.get(ours), rss.get(base)
    if rss_o and rss_b:
        note(f"one dashboard at rest: VmRSS {rss_o / 1024:.1f} MB (hello {rss_b / 1024:.1f} MB)")
    return (b, rss_b / 1024 if rss_b else None)


# ------------------------------------------------------------------------ crowds


def _item_state(screen: str) -> bool | None:
    for line in screen.splitlines():
        if ITEM_TEXT in line:
            if "[x]" in line:
                return True
            if "[ ]" in line:
                return False
    return None


def _change(db: Path, done: bool) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(db), WARROOM_AS="bench-cli")
    t0 = time.perf_counter()
    r = subprocess.run(
        [str(WARROOM), "check" if done else "uncheck", ITEM],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if r.returncode:
        raise RuntimeError(f"warroom check: exit {r.returncode}: {r.stderr.strip()[:200]}")
    return time.perf_counter() - t0


def seen_by_all(
    panes: Panes, names: list[str], db: Path, rng: random.Random
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Per change: ms from the CLI's exit (its write committed) until the last pane showed
    it; per pane and change, the same for each pane; the CLI's own run time; each round's
    duration."""
    alls: list[float] = []
    each: list[float] = []
    cli: list[float] = []
    rounds: list[float] = []
    state = _item_state(panes.capture(names[:1]).get(names[0], ""))
    for k in range(CHANGE_WARMUP + CHANGES):
        time.sleep(rng.uniform(0.3, 1.3))  # land the writes at random points of the poll cycle
        want = not state
        took = _change(db, want)
        t1 = time.perf_counter()  # the change is committed: the CLI has exited
        waiting = set(names)
        seen: dict[str, float] = {}
        while waiting:
            r0 = time.perf_counter()
            screens = panes.capture(sorted(waiting))
            now = time.perf_counter()
            rounds.append((now - r0) * 1000)
            for name in list(waiting):
                if _item_state(screens.get(name, "")) == want:
                    seen[name] = (now - t1) * 1000
                    waiting.discard(name)
            if waiting and now - t1 > SEEN_TIMEOUT:
                raise TimeoutError(
                    f"{len(waiting)} of {len(names)} panes never showed change {k} "
                    f"within {SEEN_TIMEOUT:g} s"
                )
        state = want
        if k >= CHANGE_WARMUP:
            alls.append(max(seen.values()))
            each += seen.values()
            cli.append(took * 1000)
    return alls, each, cli, rounds


def measure_crowds(
    tmp: Path,
    crowds: Sequence[int],
    idle: float,
    hello: tuple[float | None, float | None],
    results: list[Result],
    note: Callable[[str], None],
) -> None:
    db = tmp / "crowd.db"
    build_demo_db(db)
    hello_cpu, hello_rss = hello
    panes = Panes("crowd")
    rng = random.Random(20261130)
    names: list[str] = []
    try:
        for size in crowds:
            need = (size - len(names)) * NEED_MB
            free = available_mb()
            if free is not None and free < need:
                note(
                    f"{size} dashboards: not started, the machine cannot hold them "
                    f"({free:.0f} MB available, ~{need} MB needed)"
                )
                _crowd_failed(size, results, "not enough memory")
                break
            log(f"crowd: starting dashboards {len(names) + 1}..{size} in batches of {BATCH}")
            t0 = time.perf_counter()
            failed: list[str] = []
            while len(names) < size:
                batch = [
                    panes.start("d", dashboard_cmd(db, f"crowd{len(names) + i + 1}"), CROWD_SIZE)
                    for i in range(min(BATCH, size - len(names)))
                ]
                failed += wait_painted(panes, batch, DASH_MARKERS)
                names += batch
            panes.resolve()
            if failed:
                note(f"{size} dashboards: {len(failed)} never painted; measured without them")
            live = [n for n in names if n not in failed]
            log(f"crowd {size}: all painted in {time.perf_counter() - t0:.0f} s; idle {idle:g} s")
            time.sleep(SETTLE)
            watch = {n: panes.pids[n] for n in live if n in panes.pids}
            if panes.server_pid is not None:
                watch["@tmux"] = panes.server_pid
            cpu, elapsed = idle_cpu(watch, idle)
            server = cpu.pop("@tmux", None)
            total = sum(cpu.values())
            rss = [r / 1024 for r in (status_kb(watch[n]) for n in cpu) if r is not None]
            log(
                f"crowd {size}: idle CPU total {total:.1f} % of a core "
                f"(tmux server {server if server is not None else float('nan'):.1f} %), "
                f"VmRSS median {statistics.median(rss) if rss else float('nan'):.1f} MB"
            )
            try:
                alls, each, cli, rounds = seen_by_all(panes, live, db, rng)
            except (RuntimeError, TimeoutError, OSError, subprocess.SubprocessError) as exc:
                note(f"{size} dashboards, change seen: {exc}")
                alls, each, cli, rounds = [], [], [], []
            if alls:
                log(
                    f"crowd {size}: change seen by all p50 {statistics.median(alls):.0f} ms, "
                    f"p95 {p95(alls):.0f} ms"
                )
                note(
                    f"{size} dashboards, change seen by all (ms after the CLI exited): "
                    + ", ".join(f"{v:.0f}" for v in alls)
                    + f"; per dashboard p50 {statistics.median(each):.0f} ms; the CLI itself "
                    f"took {statistics.median(cli):.0f} ms (median; from the CLI's start "
                    f"add it); one capture round of "
                    f"{len(live)} panes {statistics.median(rounds):.0f} ms (median: the "
                    "polling resolution)"
                )
            if server is not None:
                note(f"{size} dashboards at rest: the tmux server used {server:.2f} % of a core")
            label = f"{size} dashboards on one database (80×24 tmux sessions)"
            results.append(
                Result(
                    f"{label}: total idle CPU over {elapsed:.0f} s, % of a core "
                    f"(baseline: {size} × the hello app's)",
                    "%",
                    total if cpu else None,
                    hello_cpu * size if hello_cpu is not None else None,
                    True,
                    "abs" if size in TARGET_CROWD_IDLE_PCT else "",
                    TARGET_CROWD_IDLE_PCT.get(size, 0.0),
                    1,
                    len(cpu),
                    size,
                )
            )
            for stat, fn in (("median", statistics.median), ("max", max)):
                results.append(
                    Result(
                        f"{label}: VmRSS per dashboard, {stat} (baseline: the hello app)",
                        "MB",
                        fn(rss) if rss else None,
                        hello_rss,
                        True,
                        "abs",
                        TARGET_RSS_MB,
                        1,
                        len(rss),
                        size,
                    )
                )
            for stat, fn in (("p50", statistics.median), ("p95", p95)):
                goal = TARGET_SEEN_P95_MS.get(size) if stat == "p95" else None
                results.append(
                    Result(
                        f"{label}: a CLI change seen by all ({CHANGES} changes), {stat}",
                        "ms",
                        fn(alls) if alls else None,
                        target="abs" if goal else "",
                        limit=goal or 0.0,
                        runs=len(alls),
                        wanted=CHANGES,
                    )
                )
    finally:
        panes.close()


def _crowd_failed(size: int, results: list[Result], why: str) -> None:
    results.append(
        Result(
            f"{size} dashboards on one database: not measured ({why})",
            "%",
            None,
            target="abs" if size in TARGET_CROWD_IDLE_PCT else "",
            limit=TARGET_CROWD_IDLE_PCT.get(size, 0.0),
        )
    )


# ------------------------------------------------------------------------ --oneline


def measure_oneline(
    tmp: Path, big_db: Path, results: list[Result], note: Callable[[str], None]
) -> None:
    """Interleaved runs: the status line as tmux runs it (the database unchanged since the
    last run: the line's facts from the user's cache), the same after a change (a cache
    folder of its own each run: the full fold), and the two Python baselines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(big_db), WARROOM_AS="bench", XDG_CACHE_HOME=str(tmp / "cache"))
    commands = {
        "warroom": [str(WARROOM), "status", "--oneline"],
        "changed": [str(WARROOM), "status", "--oneline"],
        "pass": [sys.executable, "-c", "pass"],
        "sqlite3": [sys.executable, "-c", "import sqlite3"],
        # what the short way in (tui/entry.py) imports on a cache hit, and nothing else
        "imports": [sys.executable, "-c", "import tui.entry, tui.core.oneline"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    errors: dict[str, str] = {}
    names = list(commands)
    for rnd in range(ONELINE_RUNS + 1):
        shift = rnd % len(names)
        for name in names[shift:] + names[:shift]:
            run_env = env
            if name == "changed":
                run_env = {**env, "XDG_CACHE_HOME": str(tmp / f"cache-cold-{rnd}")}
            t0 = time.perf_counter()
            try:
                r = subprocess.run(
                    commands[name], env=run_env, capture_output=True, text=True, timeout=30
                )
            except subprocess.TimeoutExpired:
                errors[name] = "timed out after 30 s"
                continue
            elapsed = (time.perf_counter() - t0) * 1000
            if r.returncode:
                errors[name] = f"exit {r.returncode}: {(r.stderr or r.stdout).strip()[:200]}"
                continue
            if name == "warroom" and rnd == 0:
                note(f"`warroom status --oneline` printed: {r.stdout.strip()}")
            if rnd > 0:
                times[name].append(elapsed)
    for name, error in errors.items():
        note(f"`status --oneline` runs, {name}: {error}")

    def med(name: str) -> float | None:
        return statistics.median(times[name]) if times[name] else None

    ours = med("warroom")
    log(f"status --oneline: {ours if ours is not None else float('nan'):.0f} ms median")
    note("`status --oneline` runs (ms): " + ", ".join(f"{v:.0f}" for v in times["warroom"]))
    start, imports = med("pass"), med("imports")
    if ours is not None and start is not None and imports is not None:
        note(
            f"`status --oneline` unchanged, where the {ours:.0f} ms go (medians): Python's "
            f"start-up {start:.0f} ms (`python -c pass`), the short way's imports "
            f'{imports - start:.0f} ms (`python -c "import tui.entry, tui.core.oneline"` '
            f"minus start-up), the rest {ours - imports:.0f} ms (the console script, the "
            "argument check, the stat of the database and its -wal, the cache file, the line)"
        )
    note(
        "`status --oneline` after a change (the full fold of the events that can change the "
        "line, then the cache written), runs (ms): "
        + ", ".join(f"{v:.0f}" for v in times["changed"])
    )
    label = (
        f"`warroom status --oneline` ({BIG_EVENTS:,} events, unchanged since the last run), "
        f"median of {ONELINE_RUNS}"
    )
    n = len(times["warroom"])
    results.append(
        Result(
            f"{label} vs `python -c pass`",
            "ms",
            ours,
            med("pass"),
            True,
            "abs",
            TARGET_ONELINE_MS,
            0,
            n,
            ONELINE_RUNS,
        )
    )
    results.append(
        Result(
            f'{label} vs `python -c "import sqlite3"`',
            "ms",
            ours,
            med("sqlite3"),
            True,
            "",
            0.0,
            0,
            n,
            ONELINE_RUNS,
        )
    )
    results.append(
        Result(
            f"`warroom status --oneline` ({BIG_EVENTS:,} events) just after a change (no "
            f"cached facts: the fold), median of {ONELINE_RUNS} vs `python -c pass`",
            "ms",
            med("changed"),
            med("pass"),
            True,
            "",
            0.0,
            0,
            len(times["changed"]),
            ONELINE_RUNS,
        )
    )


# ------------------------------------------------------------------------ the section


def quick() -> bool:
    return os.environ.get("BENCH_QUICK", "") not in ("", "0")


def section(tmp: Path, big_db: Path, note: Callable[[str], None]) -> list[Result]:
    """Every row of this module, in the order the table shows them."""
    results: list[Result] = []
    started = time.perf_counter()
    load = _loadavg()
    measure_oneline(tmp, big_db, results, note)
    if shutil.which("tmux") is None:
        note("tmux not found: the idle CPU and many-dashboard rows were not measured")
        return results
    fast = quick()
    idle = QUICK_IDLE_SECONDS if fast else IDLE_SECONDS
    crowds = QUICK_CROWDS if fast else CROWDS
    hello: tuple[float | None, float | None] = (None, None)
    try:
        hello = measure_one(tmp, idle, results, note)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        note(f"idle CPU, one dashboard: {type(exc).__name__}: {exc}")
    try:
        measure_crowds(tmp, crowds, idle, hello, results, note)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        note(f"many dashboards: {type(exc).__name__}: {exc}")
    crowd_breakdown(results, note)
    note(
        "many dashboards: CPU = utime+stime from /proc/PID/stat of each program (all threads), "
        f"over the idle window opened {SETTLE:g} s after every pane painted; memory = VmRSS at "
        f"its end; started {BATCH} at a time, each batch painted before the next; a change = "
        f"`warroom check`/`uncheck {ITEM}` from a fresh process, timed from its exit (the write "
        "committed) until the tick flips in every pane's capture-pane (a note is not on an 80×24 "
        "screen, a tick is); "
        + ("BENCH_QUICK=1: no 50-dashboard crowd, idle windows shortened; " if fast else "")
        + f"these rows took {time.perf_counter() - started:.0f} s; load average "
        f"(1 min) {load} at their start, {_loadavg()} at their end (others' work on a "
        "shared machine slows both sides of every ratio)"
    )
    return results


def crowd_breakdown(results: Sequence[Result], note: Callable[[str], None]) -> None:
    """Where a crowd's idle CPU goes, for each crowd over its goal: its dashboards' own
    frames (the crowd's size × one dashboard at rest, measured above, and of that the
    clock app's share: Textual's) and the rest (each one's poll after everyone else's
    heartbeat, the database's locks)."""
    one = next((r.ours for r in results if r.metric.startswith("idle CPU of one")), None)
    clock = next((r.ours for r in results if "with a clock" in r.metric), None)
    if one is None:
        return
    for r in results:
        if "total idle CPU" not in r.metric or r.ours is None:
            continue
        size = int(r.metric.split()[0])
        goal = TARGET_CROWD_IDLE_PCT.get(size)
        if goal is None or r.ours <= goal:
            continue
        own = size * one
        textual = f", of which Textual's own frame {size * clock:.1f} %" if clock else ""
        note(
            f"where {size} dashboards' {r.ours:.1f} % goes: {size} × one dashboard at rest "
            f"({one:.2f} % at 120×40; the crowd runs at 80×24) = {own:.1f} %{textual}; "
            f"the other {max(r.ours - own, 0.0):.1f} % is "
            f"what a crowd adds: each dashboard polls after everyone else's presence heartbeat "
            f"({size} per 30 s, ~1 ms each) and the database's locks"
        )


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except (OSError, IndexError):
        return "?"

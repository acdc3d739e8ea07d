from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOKS = ROOT / "playbooks"
MAJOR = PLAYBOOKS / "saas-major-outage.yaml"
MINOR = PLAYBOOKS / "minor-degradation.yaml"
T0 = "2026-11-27T19:00:00+00:00"  # 2:00 PM EST


def run_pytest(
    test_file: Path, *, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh process on one test file, this suite's conftest (its guards) loaded."""
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest"]
    return subprocess.run(
        [*argv, str(test_file)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )


def warroom_exe() -> str:
    exe = Path(sys.executable).parent / "warroom"
    found = str(exe) if exe.exists() else shutil.which("warroom")
    assert found, "the warroom console script is not installed"
    return found


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


class CLI:
    """The real `warroom` entry point in a subprocess, on a private DB and a frozen clock."""

    def __init__(self, tmp_path: Path):
        self.db = tmp_path / "incident.db"
        self.now = T0
        self.actor = "alice"
        self.cwd = tmp_path

    def __call__(
        self,
        *args: str,
        now: str | None = None,
        actor: str | None = None,
        env: dict | None = None,
        input: str | None = None,
        timeout: float = 60,
    ) -> Run:
        e = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
        e.update(
            WARROOM_DB=str(self.db), WARROOM_NOW=now or self.now, WARROOM_AS=actor or self.actor
        )
        e.update(env or {})
        p = subprocess.run(
            [warroom_exe(), *args],
            capture_output=True,
            text=True,
            env=e,
            cwd=self.cwd,
            input=input,
            timeout=timeout,
        )
        return Run(p.returncode, p.stdout, p.stderr)

    def ok(self, *args: str, **kw) -> Run:
        r = self(*args, **kw)
        assert r.code == 0, f"warroom {' '.join(args)} -> {r.code}\n{r.out}\n{r.err}"
        assert "Traceback" not in r.err
        return r

    def fails(self, *args: str, **kw) -> Run:
        r = self(*args, **kw)
        assert r.code == 2, f"warroom {' '.join(args)} -> {r.code}, expected 2\n{r.out}\n{r.err}"
        assert "Traceback" not in r.err and "Traceback" not in r.out
        lines = [line for line in r.err.splitlines() if line]
        assert lines, "an error must say what is wrong"
        return r


@pytest.fixture
def cli(tmp_path) -> CLI:
    return CLI(tmp_path)


# the caller's shell must not steer a test: its war room, its colours, its tmux
CALLER_ONLY = ("NO_COLOR", "TMUX", "TMUX_PANE")


@pytest.fixture(autouse=True)
def _no_caller_environment(monkeypatch, tmp_path_factory):
    """Every test starts without the caller's WARROOM_* variables (WARROOM_DB,
    WARROOM_AS, WARROOM_NO_BELL, ...), NO_COLOR or tmux's TMUX: a test that needs
    one sets it itself. Processes the test starts (the CLI, tmux servers) inherit
    this clean environment. The status line's cache goes to the run's own folder,
    never the runner's home (XDG_CACHE_HOME)."""
    for name in [k for k in os.environ if k.startswith("WARROOM_") or k in CALLER_ONLY]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


# ------------------------------------------------------------ system tools (tmux, chromium)
INSTALL_HINT = "run .ci/install-test-tools as root (apt-get install -y {package})"


def require_tool(*names: str, package: str) -> str:
    """The tool's path; a missing tool skips the test with the install command (fails under CI).

    ``make test`` runs .ci/install-test-tools first, which installs what it can.
    """
    found = next((p for p in map(shutil.which, names) if p), None)
    if found:
        return found
    hint = f"{names[0]} is not installed: " + INSTALL_HINT.format(package=package)
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"{hint} (CI=true: a missing tool fails instead of skipping)", pytrace=False)
    pytest.skip(hint)


# ------------------------------------------------------------ no process outlives the suite
def _proc(pid: int, name: str) -> bytes:
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read()
    except OSError:
        return b""


def process_alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped does not count)."""
    stat = _proc(pid, "stat")
    if not stat:
        return False
    state = stat[stat.rfind(b")") + 2 :].split(b" ", 1)[0]
    return state not in (b"Z", b"X")


def warroom_processes(under: Path | None = None) -> list[int]:
    """Live `warroom` processes started by this test run.

    Those descended from this pytest process, and those whose WARROOM_DB lies
    under ``under`` (pytest's temporary directories: tmux and ssh-like launches
    are not our descendants).
    """
    me = os.getpid()
    parents: dict[int, int] = {}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        stat = _proc(pid, "stat")
        if stat:
            with_ppid = stat[stat.rfind(b")") + 2 :].split(b" ")
            parents[pid] = int(with_ppid[1]) if len(with_ppid) > 1 else 0
        argv = _proc(pid, "cmdline").split(b"\0")[:2]
        if pid == me or not any(os.path.basename(a) == b"warroom" for a in argv):
            continue
        if not process_alive(pid):
            continue
        found.append(pid)
    mine = []
    for pid in found:
        p, seen = parents.get(pid, 0), 0
        while p > 1 and p != me and seen < 64:
            p, seen = parents.get(p, 0), seen + 1
        env = _proc(pid, "environ").split(b"\0")
        db = next((e[len(b"WARROOM_DB=") :] for e in env if e.startswith(b"WARROOM_DB=")), b"")
        ours_by_db = under is not None and db.startswith(os.fsencode(str(under)) + b"/")
        if p == me or ours_by_db:
            mine.append(pid)
    return mine


def _base_temp(config) -> Path | None:
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return None
    try:
        return factory.getbasetemp()
    except Exception:
        return None


def pytest_sessionfinish(session, exitstatus):
    """The suite leaves no process behind: a warroom still running now is a failure."""
    import signal
    import time

    base = _base_temp(session.config)
    deadline = time.monotonic() + 5  # a dashboard told to go has 2 s; give it more
    left = warroom_processes(base)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = warroom_processes(base)
    if not left:
        return
    lines = []
    for pid in left:
        cmd = _proc(pid, "cmdline").replace(b"\0", b" ").decode(errors="replace").strip()
        lines.append(f"  pid {pid}: {cmd}")
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    text = "warroom processes left running by the test suite (now killed):\n" + "\n".join(lines)
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(text, red=True)
    else:
        sys.stderr.write(text + "\n")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED

"""`warroom tmux` through the real entry point, against a private tmux server.

Each test gets its own socket (``-L warroom-test-…``) and kills that server in
teardown, waiting for every pane process (the dashboards) to end. The user's
tmux config is kept out (HOME is the test's directory), and so are the
caller's WARROOM_* variables and $TMUX.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import warroom_exe
from tests.tmux_server import TmuxServer


class Room:
    """`warroom tmux -L SOCKET` runs, and what the private server holds afterwards."""

    def __init__(self, tmp_path: Path):
        self.server = TmuxServer()
        self.socket = self.server.socket
        self.tmp = tmp_path
        self.db = tmp_path / "war room (1) #2's" / "incident.db"  # quoting is tested too
        self.db.parent.mkdir()

    def env(self, **extra: str) -> dict[str, str]:
        e = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
        e.pop("TMUX", None)
        e.update(HOME=str(self.tmp), WARROOM_DB=str(self.db), WARROOM_NO_BELL="1")
        e.update(extra)
        return e

    def warroom(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [warroom_exe(), "tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            env=env or self.env(),
            cwd=self.tmp,
            timeout=60,
            check=False,
        )

    def ok(self, *args: str, **kw) -> str:
        p = self.warroom(*args, **kw)
        assert p.returncode == 0, f"warroom tmux {args} -> {p.returncode}\n{p.stdout}\n{p.stderr}"
        assert "Traceback" not in p.stderr
        return p.stdout

    def tmux(self, *args: str, check: bool = True) -> str:
        return self.server.run(*args, check=check)

    def sessions(self) -> list[str]:
        return self.tmux("list-sessions", "-F", "#{session_name}").split()

    def windows(self, session: str = "warroom") -> list[str]:
        return self.tmux("list-windows", "-t", f"={session}", "-F", "#{window_name}").split()

    def option(self, name: str, session: str = "warroom", window: str | None = None) -> str:
        if window:
            return self.tmux("show-options", "-wv", "-t", f"={session}:={window}", name).strip()
        return self.tmux("show-options", "-v", "-t", f"={session}:", name).strip()

    def close(self) -> None:
        panes = self.tmux("list-panes", "-a", "-F", "#{pane_pid}", check=False).split()
        self.server.pids += [int(p) for p in panes]
        self.server.close()  # kills the server, waits for every pane process to end


@pytest.fixture
def room(tmp_path):
    r = Room(tmp_path)
    yield r
    r.close()


def test_twice_is_one_room_with_the_windows_the_environment_and_the_status_line(room):
    first = room.ok()
    assert "war room created: tmux session warroom" in first
    second = room.ok()
    assert "war room joined" in second
    assert room.sessions() == ["warroom"]
    assert room.windows() == ["dashboard", "shell"]
    env = room.tmux("show-environment", "-t", "=warroom", "WARROOM_DB").strip()
    assert env == f"WARROOM_DB={room.db}"
    # the dashboard window runs the real dashboard on this database
    start = room.tmux("display", "-p", "-t", "=warroom:=dashboard", "#{pane_start_command}")
    assert "dashboard" in start and str(room.db) in start.replace("\\", "")
    # the status line: #(...) runs the oneline command, stored as a user option
    assert room.option("status-right").startswith("#(#{@warroom-oneline})")
    assert room.option("status-interval") == "5"
    oneline = room.option("@warroom-oneline")
    words = shlex.split(oneline.split(" | ")[0])
    assert words == [warroom_exe(), "--db", str(room.db), "status", "--oneline"]
    # and that command, run by a shell as tmux runs it, reads this database: the incident
    # opened in it (not "no db": the dashboard window may already have made the file)
    opened = subprocess.run(
        [
            warroom_exe(),
            "--db",
            str(room.db),
            "start",
            "--playbook",
            "saas-major-outage",
            "--title",
            "Room check",
        ],
        capture_output=True,
        text=True,
        env=room.env(),
        timeout=30,
    )
    assert opened.returncode == 0, opened.stderr
    ran = subprocess.run(
        ["sh", "-c", oneline], capture_output=True, text=True, env=room.env(), timeout=30
    )
    assert ran.stdout.strip().startswith("INC-1 "), ran.stdout
    # the bell: from any window to every client, sound and message
    assert room.option("bell-action") == "any"
    assert room.option("visual-bell") == "both"
    assert room.option("monitor-bell", window="dashboard") == "on"


def test_options_are_the_sessions_own_never_global(room):
    room.ok()
    room.tmux("new-session", "-d", "-s", "mine")
    seen = room.tmux("display", "-p", "-t", "=mine:", "#{status-interval} #{status-right}")
    assert seen.startswith("15 ") and "warroom" not in seen  # tmux's defaults
    assert room.tmux("show-options", "-gv", "status-interval").strip() == "15"
    assert "@warroom-oneline" not in room.tmux("show-options", "-g")
    assert room.tmux("show-options", "-gv", "bell-action").strip() == "any"  # tmux's default
    assert room.tmux("show-options", "-gv", "visual-bell").strip() == "off"


def test_print_prints_the_commands_and_creates_nothing(room):
    out = room.ok("--print", "--attach")
    assert out.startswith(f"tmux -L {room.socket} new-session -d -s warroom -n dashboard")
    assert "new-window -d -S -t =warroom: -n shell" in out
    assert "status-interval 5" in out
    assert "attach-session -t =warroom" in out
    assert shlex.quote(f"WARROOM_DB={room.db}") in out  # shell-quoted: copy and run it
    # nothing was created: no server is running on the socket
    gone = subprocess.run(
        ["tmux", "-L", room.socket, "list-sessions"], capture_output=True, text=True, check=False
    )
    assert gone.returncode != 0


def test_printed_commands_make_the_room_when_run(room):
    script = room.ok("--print")
    subprocess.run(["sh", "-c", script], check=True, env=room.env(), timeout=30)
    assert room.sessions() == ["warroom"]
    assert room.windows() == ["dashboard", "shell"]
    room.ok()  # joins what the printed commands made
    assert room.windows() == ["dashboard", "shell"]


def test_a_lost_window_comes_back_and_nothing_doubles(room):
    room.ok()
    room.tmux("kill-window", "-t", "=warroom:=dashboard")  # someone quit the dashboard
    assert room.windows() == ["shell"]
    assert "joined" in room.ok()
    assert sorted(room.windows()) == ["dashboard", "shell"]


def test_joins_a_session_made_by_hand(room):
    room.tmux("new-session", "-d", "-s", "warroom")  # `tmux new -s warroom`, then warroom tmux
    room.ok()
    assert room.sessions() == ["warroom"]
    windows = room.windows()
    assert len(windows) == 3 and windows[1:] == ["dashboard", "shell"]  # theirs is kept
    env = room.tmux("show-environment", "-t", "=warroom", "WARROOM_DB").strip()
    assert env == f"WARROOM_DB={room.db}"
    assert room.option("status-interval") == "5"


def test_joining_keeps_the_rooms_database_and_says_so(room, tmp_path):
    room.ok()
    other = tmp_path / "other.db"
    p = room.warroom(env=room.env(WARROOM_DB=str(other)))
    assert p.returncode == 0, p.stderr
    assert f"runs on {room.db}, not {other}" in p.stderr
    env = room.tmux("show-environment", "-t", "=warroom", "WARROOM_DB").strip()
    assert env == f"WARROOM_DB={room.db}"


def test_config_goes_to_the_dashboard_and_the_shell(room, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("destinations: []\n")
    room.ok("--config", str(config))
    env = room.tmux("show-environment", "-t", "=warroom", "WARROOM_CONFIG").strip()
    assert env == f"WARROOM_CONFIG={config}"
    start = room.tmux("display", "-p", "-t", "=warroom:=dashboard", "#{pane_start_command}")
    assert "--config" in start


def test_two_at_once_make_one_room(room):
    results: list[subprocess.CompletedProcess[str]] = []

    def run() -> None:
        results.append(room.warroom())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert room.sessions() == ["warroom"]
    assert room.windows() == ["dashboard", "shell"]


def test_another_session_name_is_another_room(room):
    room.ok()
    room.ok("--session", "drill")
    assert sorted(room.sessions()) == ["drill", "warroom"]
    assert room.windows("drill") == ["dashboard", "shell"]


def test_a_bad_session_name_is_one_line_and_exit_2(room):
    p = room.warroom("--session", "war:room")
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "--session" in p.stderr
    assert "Traceback" not in p.stderr


def test_attach_without_a_terminal_says_how_and_leaves_the_room_ready(room):
    p = room.warroom("--attach")
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1
    assert f"tmux -L {room.socket} attach-session -t =warroom" in p.stderr
    assert room.windows() == ["dashboard", "shell"]


def test_tmux_missing_is_one_line_with_the_install_command(room, tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    p = room.warroom(env=room.env(PATH=str(bare)))
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1
    assert "tmux is not installed" in p.stderr and "apt-get install -y tmux" in p.stderr


def test_print_works_without_tmux(room, tmp_path):
    """--print runs nothing, so it needs no tmux: the commands can go to another host."""
    bare = tmp_path / "bin"
    bare.mkdir()
    p = room.warroom("--print", env=room.env(PATH=str(bare)))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"tmux -L {room.socket} new-session -d -s warroom")


def test_a_socket_tmux_cannot_make_is_one_line_and_exit_2(room, tmp_path):
    where = tmp_path / "no-such-dir" / "tmux.sock"
    p = subprocess.run(
        [warroom_exe(), "tmux", "-S", str(where)],
        capture_output=True,
        text=True,
        env=room.env(),
        timeout=60,
        check=False,
    )
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert p.stderr.startswith("warroom: tmux could not set up the room:")
    assert str(where) in p.stderr
    assert not where.exists()


def test_print_on_an_existing_room_prints_the_join(room):
    room.ok()
    out = room.ok("--print")
    assert "new-session" not in out
    assert "new-window -d -S -t =warroom: -n dashboard" in out
    assert room.windows() == ["dashboard", "shell"]


def test_joining_with_another_config_keeps_the_rooms_and_says_so(room, tmp_path):
    room.ok()
    config = tmp_path / "mine.yaml"
    config.write_text("destinations: []\n")
    p = room.warroom("--config", str(config))
    assert p.returncode == 0, p.stderr
    assert f"runs with no config, not {config}" in p.stderr
    assert "WARROOM_CONFIG" not in room.tmux("show-environment", "-t", "=warroom")


def test_the_shell_finds_this_warroom_when_it_is_not_on_path(room):
    # a venv nobody activated: the room's shell must still run `warroom`
    folder = os.path.dirname(warroom_exe())
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != folder)
    room.ok(env=room.env(PATH=path, SHELL="/bin/sh"))
    found = room.tmp / "found"
    room.tmux("send-keys", "-t", "=warroom:=shell", f"command -v warroom > {found}", "Enter")
    import time

    for _ in range(200):  # the shell starts, then writes the file (a wait, not a timing claim)
        if found.exists() and found.read_text().strip():
            break
        time.sleep(0.05)
    assert found.read_text().strip() == os.path.join(folder, "warroom")

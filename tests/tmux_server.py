"""A private tmux server for one test: its own socket, killed with everything it ran.

Never the default socket (a test must not touch the tmux a person is using,
nor leave anything in it). ``close()`` kills the server, then waits for every
process started in it to end; one that does not is killed and reported.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

from tests.conftest import process_alive, require_tool, warroom_exe

LEFT_AFTER = 5.0  # seconds a dashboard may take to go once its terminal is gone


def warroom_command(db: Path, actor: str = "erin", extra_env: dict | None = None) -> list[str]:
    env = {
        "WARROOM_DB": str(db),
        "WARROOM_AS": actor,
        "WARROOM_NO_BELL": "1",
        "TERM": "xterm-256color",
        **(extra_env or {}),
    }
    return ["env", *(f"{k}={v}" for k, v in env.items()), warroom_exe()]


class TmuxServer:
    def __init__(self) -> None:
        self.exe = require_tool("tmux", package="tmux")
        self.socket = f"warroom-test-{uuid.uuid4().hex[:10]}"
        self.pids: list[int] = []  # every pane process we started

    def run(self, *args: str, check: bool = True) -> str:
        return subprocess.run(
            [self.exe, "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=30,
        ).stdout

    def new_session(self, name: str, command: list[str], width: int = 120, height: int = 40) -> int:
        """A detached session running ``command`` (kept on screen after it exits); its pid."""
        out = self.run(
            "start-server",
            ";",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
            ";",
            "new-session",
            "-d",
            "-P",
            "-F",
            "#{pane_pid}",
            "-s",
            name,
            "-x",
            str(width),
            "-y",
            str(height),
            *command,
        )
        pid = int(out.strip())
        self.pids.append(pid)
        return pid

    def keep_alive(self) -> None:
        """A session that holds the server up while test sessions come and go
        (tmux exits with its last session; a new one then races the exit)."""
        self.new_session("keep", ["cat"])

    def new_window(self, session: str, command: list[str]) -> int:
        out = self.run("new-window", "-d", "-P", "-F", "#{pane_pid}", "-t", session, *command)
        pid = int(out.strip())
        self.pids.append(pid)
        return pid

    def kill_server(self) -> None:
        self.run("kill-server", check=False)

    def alive(self) -> list[int]:
        return [pid for pid in self.pids if process_alive(pid)]

    def wait_all_gone(self, timeout: float = LEFT_AFTER) -> list[int]:
        """The pane processes still running after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        left = self.alive()
        while left and time.monotonic() < deadline:
            time.sleep(0.05)
            left = self.alive()
        return left

    def close(self) -> None:
        """Kill the server; a process of ours that outlives it is killed, then reported."""
        self.kill_server()
        left = self.wait_all_gone()
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        assert not left, f"processes outlived their tmux server by {LEFT_AFTER:g} s: {left}"

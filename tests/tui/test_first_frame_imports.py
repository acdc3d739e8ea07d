"""The dashboard's first frame waits for nothing it does not show (issue 13, first paint).

The real ``warroom dashboard`` on a real terminal (a pty, 120x40), with a status page
configured: the set of modules loaded when the dashboard's first frame has been
composed and handed to the terminal's writer must not hold the machinery that only
later work needs -- Jinja2 (the draft's template), httpx and the destination adapters
(the delivery thread), the message check's rules, the queue poller, the local status
page, Markdown, the other screens. Each of those costs import time and memory before
the first paint, or shares the GIL with it from a thread. Behaviour, not speed: what
is loaded, not how long it took (the time is in ``make bench``).
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

from tests.conftest import MAJOR, warroom_exe

# What the first frame must not wait for (a module, or a package and all below it).
NOT_BEFORE_FIRST_FRAME = (
    "jinja2",
    "markupsafe",
    "httpx",
    "httpcore",
    "markdown_it",
    "starlette",
    "uvicorn",
    "tui.core.templating",
    "tui.publish.checks",
    "tui.publish.destinations",
    "tui.publish.worker",
    "tui.queues.poller",
    "tui.localpage",
    "tui.amends",
    "screens.confirm",
    "screens.form",
    "screens.help",
    "screens.outbox",
    "screens.picker",
    "screens.postmortem",
    "screens.publish",
    "screens.reply",
    "screens.start",
    "screens.versions",
)

# Run in the dashboard's own process: the module set at the dashboard's first frame.
PROBE = r"""
import json, sys
from pathlib import Path

import textual.screen

out = Path(sys.argv[1])
compositor_refresh = textual.screen.Screen._compositor_refresh


def first_frame(self):
    compositor_refresh(self)  # the frame is rendered and queued for the terminal here
    if type(self).__name__ == "Dashboard" and not out.exists():
        out.write_text(json.dumps(sorted(sys.modules)))
        self.app.exit()


textual.screen.Screen._compositor_refresh = first_frame
from tui.cli import main

sys.exit(main(["dashboard"]))
"""

WAIT = 60.0  # seconds for the first frame on a loaded 2-core CI machine (a bound, not a timing)


def _env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WARROOM_", "TEXTUAL"))}
    env.update(
        WARROOM_DB=str(tmp_path / "w.db"),
        WARROOM_AS="tester",
        WARROOM_NO_BELL="1",
        WARROOM_CONFIG=str(tmp_path / "config.yaml"),
        FIRST_FRAME_KEY="not-a-real-key",
        HOME=str(tmp_path),
        TERM="xterm-256color",
    )
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


def _first_frame_modules(tmp_path) -> set[str]:
    (tmp_path / "config.yaml").write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    base_url: http://127.0.0.1:9/v1\n"  # (never reached before the frame)
        "    page_id: local\n"
        "    api_key_env: FIRST_FRAME_KEY\n"
    )
    env = _env(tmp_path)
    subprocess.run(
        [warroom_exe(), "start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=9"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    out = tmp_path / "modules.json"
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(out)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    os.close(follower)
    screen = b""
    try:
        deadline = time.monotonic() + WAIT
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:  # drain the terminal, or a full pty would stall the writer
                try:
                    screen = (screen + os.read(leader, 65536))[-20000:]
                except OSError:  # the process closed its end
                    break
        assert out.exists(), f"no first frame; the terminal showed: {screen[-2000:]!r}"
        return set(json.loads(out.read_text()))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        os.close(leader)


def test_the_first_frame_loads_none_of_the_later_machinery(tmp_path):
    modules = _first_frame_modules(tmp_path)
    # the probe saw the real dashboard: Textual and the dashboard's screen are loaded
    assert {"textual.app", "screens.dashboard", "tui.widgets.draft"} <= modules
    early = sorted(
        m
        for m in modules
        for heavy in NOT_BEFORE_FIRST_FRAME
        if m == heavy or m.startswith(heavy + ".")
    )
    assert early == [], f"loaded before the dashboard's first frame: {early}"

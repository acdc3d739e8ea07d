"""Tests never see the caller's WARROOM_* variables, NO_COLOR or TMUX (tests/conftest.py).

A person runs the suite from the shell they work in: WARROOM_DB points at a real
war room, WARROOM_NO_BELL or NO_COLOR are set, TMUX names their tmux. None of it
may change what a test sees, nor reach a process a test starts.
"""

from __future__ import annotations

import os

from tests.conftest import run_pytest

INNER = """
import os
import subprocess
import sys


def test_inner():
    assert not [k for k in os.environ if k.startswith("WARROOM_")]
    assert "NO_COLOR" not in os.environ and "TMUX" not in os.environ
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(sorted(os.environ))"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "WARROOM_" not in child and "NO_COLOR" not in child and "'TMUX'" not in child
"""


def test_the_callers_environment_never_reaches_a_test(tmp_path):
    inner = tmp_path / "test_inner.py"
    inner.write_text(INNER)
    outside = tmp_path / "theirs.db"
    env = {
        **os.environ,
        "WARROOM_DB": str(outside),
        "WARROOM_AS": "intruder",
        "WARROOM_NO_BELL": "1",
        "WARROOM_CONFIG": str(tmp_path / "nope.yaml"),
        "NO_COLOR": "1",
        "TMUX": "/tmp/not-a-socket,1,0",
    }
    r = run_pytest(inner, env=env, timeout=120)
    assert "1 passed" in r.stdout, r.stdout + r.stderr
    assert not outside.exists()  # the caller's war room was never opened

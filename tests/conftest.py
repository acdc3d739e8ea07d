from __future__ import annotations

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

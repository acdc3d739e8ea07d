"""The domain core and the CLI path import no Textual (and nothing heavy they do not need)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import MAJOR

TUI = Path(__file__).resolve().parents[2] / "tui"
UI_PACKAGES = ("app", "widgets")  # the only layers that may import Textual
CORE = sorted(
    ".".join(p.relative_to(TUI).with_suffix("").parts).removesuffix(".__init__")
    for p in TUI.rglob("*.py")
    if p.relative_to(TUI).parts[0] not in UI_PACKAGES and p.name != "__main__.py"
)

PROBE = r"""
import importlib, json, sys, os
for name in sys.argv[1].split(","):
    importlib.import_module("tui." + name if name != "__init__" else "tui")
from tui.cli import main
for args in json.loads(sys.argv[2]):
    main(args)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def loaded(tmp_path, runs: list[list[str]], modules: list[str] = CORE) -> set[str]:
    env = {"WARROOM_DB": str(tmp_path / "w.db"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    p = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(modules), json.dumps(runs)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return set(json.loads(p.stdout.strip().splitlines()[-1]))


def test_core_modules_import_no_textual(tmp_path):
    assert {"core.state", "core.store", "core.playbook", "publish.outbox"} <= set(CORE)
    modules = loaded(tmp_path, [])
    assert "textual" not in modules and "rich" not in modules


def test_cli_path_stays_light(tmp_path):
    runs = [
        ["start", "-p", str(MAJOR), "-t", "x", "-m", "users_affected_pct=9"],
        ["check", "war-room"],
        ["status", "--json"],
        ["status", "--oneline"],
        ["log"],
        ["playbook", "check", str(MAJOR)],
    ]
    # The embedded status page is its own small web app (Starlette, Jinja2): not on the CLI path.
    domain = [m for m in CORE if not m.startswith("localpage")]
    modules = loaded(tmp_path, runs, domain)
    for heavy in ("textual", "rich", "httpx", "jinja2"):
        assert heavy not in modules, f"the CLI path imported {heavy}"

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


ONELINE_PROBE = r"""
import json, sys
from tui.cli import main
code = main(["status", "--oneline"])
print(json.dumps([code, sorted(sys.modules)]))
"""


def test_status_oneline_imports_only_what_its_line_needs(tmp_path):
    """A tmux status line runs it for every client every few seconds: a database that has
    not changed since the last run is answered from the cache with the CLI, sqlite3 and
    the clock; the first run (the full fold) still needs the playbook's YAML, no more."""
    env = {
        "WARROOM_DB": str(tmp_path / "w.db"),
        "WARROOM_AS": "alice",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    start = ["start", "-p", str(MAJOR), "-t", "x", "-m", "users_affected_pct=9"]
    loaded(tmp_path, [start], ["__init__"])

    def run() -> set[str]:
        p = subprocess.run(
            [sys.executable, "-c", ONELINE_PROBE], capture_output=True, text=True, env=env
        )
        code, modules = json.loads(p.stdout.strip().splitlines()[-1])
        assert code == 0, p.stderr
        return set(modules)

    first, again = run(), run()
    never = {"textual", "rich", "httpx", "jinja2", "sqlite_utils", "tui.commands"}
    assert not never & first and not never & again
    assert "yaml" in first and "tui.core.store" in first  # the full fold, the cache kept
    unchanged = {"yaml", "dataclasses", "tui.core.store", "tui.core.state", "tui.core.playbook"}
    assert not unchanged & again, unchanged & again

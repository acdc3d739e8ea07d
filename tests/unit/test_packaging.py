"""The wheel ships its data: playbooks and templates under tui/_data, and a working entry point.

The wheel is built with pip (hatchling is the build backend; pip may fetch it for build
isolation), then unzipped and run from a directory that is not the repository, so the
repository's top-level playbooks/ and templates/ cannot be found by accident.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

TIMEOUT = 600  # building may have to download hatchling

DATA_FILES = (
    "tui/_data/playbooks/saas-major-outage.yaml",
    "tui/_data/playbooks/minor-degradation.yaml",
    "tui/_data/templates/ack.statuspage.md.j2",
    "screens/__init__.py",
    "tui/localpage/templates/page.html.j2",
    "tui/app/warroom.tcss",
    "tui/app/modals.tcss",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    p = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert p.returncode == 0, f"pip wheel failed\n{p.stdout}\n{p.stderr}"
    wheels = sorted(out.glob("warroom-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, Path]:
    """(the unzipped wheel, a working directory outside the repository)."""
    base = tmp_path_factory.mktemp("installed")
    site = base / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    work = base / "work"
    work.mkdir()
    return site, work


def run_python(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    # the unzipped wheel must come before everything else: the repository is also installed
    # (editable) into this virtual environment
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["WARROOM_DB"] = str(cwd / "incident.db")
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )


def test_wheel_contains_data_and_entry_point(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for name in DATA_FILES:
            assert name in names, f"{name} is missing from {wheel.name}"
        entry_points = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert len(entry_points) == 1, entry_points
        text = zf.read(entry_points[0]).decode("utf-8")
    lines = [line.replace(" ", "") for line in text.splitlines()]
    assert "[console_scripts]" in lines
    assert "warroom=tui.entry:main" in lines  # the short way in for `status --oneline`


def test_unzipped_wheel_is_the_one_imported(installed):
    site, work = installed
    p = run_python(
        site,
        work,
        "-c",
        "import tui, tui.core.resources as r; "
        "print(tui.__file__); print(r.shipped_playbooks_dir())",
    )
    assert p.returncode == 0, p.stderr
    module, playbooks = p.stdout.splitlines()
    assert Path(module).resolve().is_relative_to(site.resolve()), module
    assert Path(playbooks).resolve() == (site / "tui" / "_data" / "playbooks").resolve()


def test_installed_wheel_lists_and_checks_shipped_playbooks(installed):
    site, work = installed
    assert not (work / "playbooks").exists()

    p = run_python(site, work, "-m", "tui", "playbook", "list")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    names = [line.split()[0] for line in p.stdout.splitlines() if line.strip()]
    assert "saas-major-outage" in names and "minor-degradation" in names
    assert "invalid" not in p.stdout

    p = run_python(site, work, "-m", "tui", "playbook", "check", "saas-major-outage")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("saas-major-outage: ok"), p.stdout
    assert p.stderr == ""


def test_installed_wheel_version(installed):
    site, work = installed
    p = run_python(site, work, "-m", "tui", "--version")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "warroom 0.1.0"

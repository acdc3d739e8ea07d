"""A browser (headless Chromium) sees a published update.

Chromium comes from Debian's packages via .ci/install-test-tools (``make test``
runs it); without it the browser test skips naming the install command, and
under CI=true it fails.
"""

from __future__ import annotations

import subprocess

from tests.conftest import MAJOR, require_tool
from tui import commands
from tui.core.clock import SystemClock
from tui.core.config import load_config
from tui.core.playbook import load_playbook
from tui.core.store import Store
from tui.localpage.serve import BackgroundServer
from tui.publish.worker import Deliverer

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """Skips naming the install command when chromium is missing (fails under CI=true)."""
    return require_tool("chromium", "chromium-browser", package="chromium")


def test_published_update_shows_in_a_browser(tmp_path, monkeypatch):
    browser = chromium()  # first: a missing browser skips before anything starts
    key = "browser-test-key-77"
    monkeypatch.setenv("BROWSER_PAGE_KEY", key)
    server = BackgroundServer(tmp_path / "page.db", api_key=key, page_name="Acme Status").start()
    try:
        (tmp_path / "config.yaml").write_text(
            "destinations:\n"
            "  - id: status\n"
            "    type: statuspage\n"
            f"    base_url: {server.api_base}\n"
            "    page_id: local\n"
            "    api_key_env: BROWSER_PAGE_KEY\n"
        )
        config = load_config(tmp_path / "config.yaml")
        clock = SystemClock()
        body = (
            "We're aware that logins fail for most customers <b>not bold</b>, and we're **so "
            "sorry**. We know you rely on us. We'll update you within 30 minutes."
        )
        with Store(tmp_path / "w.db") as store:
            incident = commands.start(
                store,
                clock,
                "dev",
                load_playbook(MAJOR),
                "Login outage",
                {"users_affected_pct": 40},
            ).incident_id
            commands.publish(store, clock, "dev", incident, "ack", body, config)
            Deliverer(store, config, clock).run(until_idle=True)
        profile = tmp_path / "chrome-profile"
        dom = subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--dump-dom",
                server.url + "/",
            ],
            capture_output=True,
            text=True,
            timeout=90,
        ).stdout
        assert "Login outage" in dom
        assert "logins fail for most customers" in dom
        assert "&lt;b&gt;not bold&lt;/b&gt;" in dom  # user text is escaped, never markup
        assert "<strong>so sorry</strong>" in dom and "**" not in dom  # Markdown rendered
        assert "<title>Acme Status</title>" in dom  # never "Acme Status status"
        assert "data-update-id" in dom
        assert key not in dom
        shot = tmp_path / "page.png"
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                "--window-size=1000,800",
                server.url + "/",
            ],
            capture_output=True,
            timeout=90,
        )
        assert shot.exists() and shot.stat().st_size > 5000
    finally:
        server.stop()


def run_without_tools(tmp_path, ci: str | None):
    """This file's browser test in a fresh pytest whose PATH has no chromium (nor tmux)."""
    import os
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(tmp_path / "empty-bin")
    if ci is not None:
        env["CI"] = ci
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            __file__,
            "-k",
            "test_published_update_shows_in_a_browser",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=300,
    )


def test_a_missing_browser_skips_naming_the_install_command(tmp_path):
    r = run_without_tools(tmp_path, None)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 skipped" in r.stdout and "apt-get install -y chromium" in r.stdout, r.stdout


def test_a_missing_browser_fails_under_ci(tmp_path):
    r = run_without_tools(tmp_path, "true")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed" in r.stdout and "apt-get install -y chromium" in r.stdout, r.stdout

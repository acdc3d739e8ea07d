"""A browser (headless Chromium, from Debian's packages via .ci/run) sees a published update."""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import MAJOR
from tui import commands
from tui.clock import SystemClock
from tui.config import load_config
from tui.delivery import Deliverer
from tui.page.serve import BackgroundServer
from tui.playbook import load_playbook
from tui.store import Store

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
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is required (installed by .ci/run)"
    return found


def test_published_update_shows_in_a_browser(tmp_path, monkeypatch):
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
                chromium(),
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
                chromium(),
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

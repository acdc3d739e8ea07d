"""draft, publish, deliver, outbox, page serve via the real entry point; config; templates."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime

import httpx
import pytest

from tests.conftest import MAJOR, warroom_exe
from tui.cli.demo import seed_demo
from tui.core.clock import FrozenClock
from tui.core.config import ConfigError, load_config
from tui.core.playbook import load_playbook
from tui.core.state import Event, Projector
from tui.core.store import Store
from tui.localpage.serve import BackgroundServer
from tui.publish.drafting import find_blanks, render

KEY = "cli-page-key-31337"
LINE = re.compile(r"^[^:]+:\d+:\d+: .+$")


@pytest.fixture
def page(tmp_path):
    server = BackgroundServer(tmp_path / "page.db", api_key=KEY).start()
    yield server
    server.stop()


@pytest.fixture
def wired(cli, page, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        f"    base_url: {page.api_base}\n"
        "    page_id: local\n"
        "    api_key_env: CLI_PAGE_KEY\n"
        "    rate_per_second: 50\n"
    )
    env = {"WARROOM_CONFIG": str(config), "CLI_PAGE_KEY": KEY}
    return cli, env


def test_draft_publish_deliver_end_to_end(wired, page):
    cli, env = wired
    real_now = datetime.now(UTC).isoformat()
    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12", now=real_now)
    draft = cli.ok("draft", "--json", env=env, now=real_now).json()
    assert draft["purpose"] == "ack" and draft["kind"] == "statuspage"
    blanks = [f for f in draft["findings"] if f["rule"] == "blank"]
    assert blanks and all(f["severity"] == "error" for f in blanks)
    assert draft["text"][blanks[0]["start"] : blanks[0]["end"]].startswith("[[")

    r = cli.fails("publish", "--yes", env=env, now=real_now)
    assert "error: blank" in r.err and "refused" in r.err
    name = find_blanks(draft["text"])[0].description
    r = cli.fails("publish", "--set", f"{name}=Logins fail.", env=env, now=real_now)
    assert "add --yes" in r.err  # checked and clean, but not confirmed
    r = cli.fails("publish", "--set", "nope=x", "--yes", env=env, now=real_now)
    assert "no blank 'nope'" in r.err
    cli.ok("publish", "--set", f"{name}=Logins fail.", "--yes", env=env, now=real_now)
    rows = cli.ok("outbox", "--json", env=env).json()
    assert [(r["state"], r["destination"], r["purpose"]) for r in rows] == [
        ("pending", "status", "ack")
    ]
    out = cli.ok("deliver", "--until-idle", env=env, now=real_now).out
    assert "1 sent" in out
    rows = cli.ok("outbox", "--json", env=env).json()
    assert rows[0]["state"] == "sent" and rows[0]["attempts"] == 1
    incidents = httpx.get(
        f"{page.api_base}/pages/local/incidents", headers={"Authorization": f"OAuth {KEY}"}
    ).json()
    assert len(incidents) == 1 and "Logins fail." in incidents[0]["incident_updates"][0]["body"]
    status = cli.ok("status", "--json", now=real_now).json()
    assert status["updates"][0]["via"] == "status"
    assert status["next_update_due"] is not None and status["overdue"] is False
    log = cli.ok("log", now=real_now).out
    assert "The acknowledgement reached status" in log
    for text in (log, cli.ok("status", "--json").out, cli.ok("outbox", "--json", env=env).out):
        assert KEY not in text


def test_publish_from_a_file_with_warnings(wired):
    cli, env = wired
    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    body = cli.cwd / "body.txt"
    body.write_text(
        "We're aware logins fail and we're so sorry. We know you rely on us. Our failover "
        "is running. We'll post our next update by 2:45 PM EST."
    )
    r = cli.fails("publish", "--body-file", str(body), "--yes", env=env)
    assert "warning: jargon" in r.err and "--accept-warnings" in r.err
    cli.ok("publish", "--body-file", str(body), "--yes", "--accept-warnings", env=env)
    status = cli.ok("status", "--json").json()
    # the promise in the text moves the countdown: 2:45 PM EST
    assert status["next_update_due"] == "2026-11-27T14:45:00-05:00"
    r = cli.fails(
        "publish",
        "--body-file",
        str(body),
        "--destination",
        "nowhere",
        "--yes",
        "--accept-warnings",
        env=env,
    )
    assert "unknown destination 'nowhere'" in r.err


def test_no_config_means_a_clear_refusal(cli, tmp_path):
    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    body = tmp_path / "b.txt"
    body.write_text("We're aware and so sorry; we know you rely on us. Next update by 2:45 PM.")
    r = cli.fails(
        "publish", "--body-file", str(body), "--yes", env={"WARROOM_CONFIG": str(tmp_path / "x")}
    )
    assert "cannot read" in r.err


def test_config_errors_name_file_line_and_column(cli, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    page_id: p1\n"
        "    api_key: sk_live_123\n"
        "    colour: red\n"
        "  - id: status\n"
        "    type: pagerduty\n"
        "    page_id: p2\n"
        "    api_key_env: KEY\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(config)
    lines = str(info.value).splitlines()
    assert all(LINE.match(line) for line in lines), lines
    text = "\n".join(lines)
    assert ":5:14: never put an API key in the config" in text
    assert "sk_live_123" not in text
    assert ":6:5: unknown key 'colour'" in text
    assert ":7:" in text and "duplicate destination id 'status'" in text
    assert "unknown destination type 'pagerduty'" in text
    cli.ok("start", "-p", str(MAJOR), "-t", "x", "-m", "users_affected_pct=9")
    r = cli.fails("publish", "--yes", env={"WARROOM_CONFIG": str(config)})
    assert "sk_live_123" not in r.err and "never put an API key" in r.err


def test_page_serve_command(tmp_path):
    env = {**os.environ, "WARROOM_PAGE_KEY": KEY, "WARROOM_DB": str(tmp_path / "w.db")}
    r = subprocess.run(
        [warroom_exe(), "page", "serve", "--port", "0"],
        env={k: v for k, v in env.items() if k != "WARROOM_PAGE_KEY"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2 and "WARROOM_PAGE_KEY" in r.stderr
    proc = subprocess.Popen(  # port 0: a free port, bound at once and said (no race)
        [warroom_exe(), "page", "serve", "--port", "0", "--name", "Acme"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        found = re.match(r"status page on http://127\.0\.0\.1:([1-9][0-9]*)/ ", first)
        assert found, (first, proc.poll())
        port = int(found.group(1))
        deadline = time.monotonic() + 20
        while True:
            try:
                summary = httpx.get(f"http://127.0.0.1:{port}/api/v2/summary.json").json()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the page never came up"
                time.sleep(0.1)
        assert summary["page"]["name"] == "Acme"
        assert summary["status"]["indicator"] == "none"
        r = httpx.get(f"http://127.0.0.1:{port}/v1/pages/local/incidents")
        assert r.status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert KEY not in out + err


def test_page_serve_on_a_taken_port_says_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = {**os.environ, "WARROOM_PAGE_KEY": KEY, "WARROOM_DB": str(tmp_path / "w.db")}
        r = subprocess.run(
            [warroom_exe(), "page", "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines == [f"warroom: cannot listen on 127.0.0.1:{port}: Address already in use"], lines
    assert r.stdout == ""  # no URL of a page that is not there


# ------------------------------------------------------------------------------ templates


def demo_state(tmp_path):
    with Store(tmp_path / "d.db") as store:
        seed_demo(store, datetime(2026, 11, 27, 19, 0, tzinfo=UTC))
        return store.state("INC-1")


@pytest.mark.parametrize(
    ("purpose", "kind"),
    [
        (purpose, kind)
        for purpose, kinds in load_playbook(MAJOR).templates.items()
        if purpose != "channel_reply"
        for kind in kinds
    ],
)
def test_every_template_renders_and_passes_the_check_once_filled(tmp_path, purpose, kind):
    from tui.publish.checks import check_message

    state = demo_state(tmp_path)
    now = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    text = render(state, purpose, kind, now)
    assert text.strip()
    assert "{{" not in text and "{%" not in text
    filled = text
    for blank in reversed(find_blanks(text)):
        filled = filled[: blank.start] + "Logins fail" + filled[blank.end :]
    errors = [
        f
        for f in check_message(filled, purpose, kind, state.book.message_checks)
        if f.severity == "error"
    ]
    assert not errors, (purpose, kind, errors, filled)
    if kind == "social":
        assert len(filled.strip()) <= 280
    if kind == "email":
        assert filled.startswith("Subject: ")


def test_template_error_is_one_line(tmp_path):
    from tui.core.playbook import PlaybookError
    from tui.publish.drafting import DraftError

    book_dir = tmp_path / "pb"
    (book_dir / "templates").mkdir(parents=True)
    template = book_dir / "templates" / "ack.statuspage.md.j2"
    (book_dir / "book.yaml").write_text(MAJOR.read_text())
    # a syntax error: the playbook is refused when it is loaded (templates are compiled)
    template.write_text("Hello {{ nope }} {% if %}")
    with pytest.raises(PlaybookError) as refused:
        load_playbook(book_dir / "book.yaml")
    assert "ack.statuspage.md.j2" in str(refused.value) and "\n" not in str(refused.value)
    # an error only rendering finds: one line too
    template.write_text("Hello {{ nope.attribute }}")
    book = load_playbook(book_dir / "book.yaml")
    projector = Projector("INC-1", lambda sha, source: book)
    t0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    state = projector.apply_all(
        [
            Event(
                1,
                "INC-1",
                t0,
                "a",
                "incident.started",
                {"title": "x", "playbook_sha": book.sha256, "metrics": {"users_affected_pct": 9}},
            )
        ]
    )
    with pytest.raises(DraftError) as info:
        render(state, "ack", "statuspage", FrozenClock(t0).now())
    assert "ack.statuspage.md.j2" in str(info.value) and "\n" not in str(info.value)

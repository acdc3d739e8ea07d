"""``warroom destinations`` and ``warroom destinations check`` through the real entry point.

Against the local status page (the real server, on loopback): OK with the right
key; a wrong key is a 401 in words; a port where nothing listens is
"unreachable"; a server that echoes the key back has it redacted. The key is
never printed. Exit status 0 (all OK), 1 (any failed), 2 (bad config or ID).
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tui.localpage.serve import BackgroundServer

KEY = "sk-live-destcheck-7f3a91c2e4"
WRONG = "sk-live-wrongkey-0b1d2e3f4a"
LINE = re.compile(r"^[^:]+:\d+:\d+: .+$")


@pytest.fixture
def page(tmp_path):
    server = BackgroundServer(tmp_path / "page.db", api_key=KEY).start()
    yield server
    server.stop()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port where nothing listens: bound and never listening for the whole
    test (a connection is refused, and no other process can take the port meanwhile)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield int(s.getsockname()[1])


class _Echo(BaseHTTPRequestHandler):
    """Answers 401 quoting the request's Authorization header (a careless proxy)."""

    def do_GET(self) -> None:
        body = json.dumps(
            {"message": f"bad credentials: {self.headers.get('Authorization', '')}"}
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join(10)


def statuspage(dest_id: str, base: str, env: str = "DEST_KEY") -> str:
    return (
        f"  - id: {dest_id}\n"
        "    type: statuspage\n"
        f"    base_url: {base}\n"
        "    page_id: local\n"
        f"    api_key_env: {env}\n"
        "    timeout: 5\n"
    )


def write(tmp_path, *items: str) -> dict[str, str]:
    config = tmp_path / "config.yaml"
    text = "destinations:\n" + "".join(items) if items else "destinations: []\n"
    config.write_text(text, encoding="utf-8")
    return {"WARROOM_CONFIG": str(config), "DEST_KEY": KEY, "WRONG_KEY": WRONG}


def no_key(*texts: str) -> None:
    for text in texts:
        for key in (KEY, WRONG):
            assert key not in text and key[8:20] not in text, text


def test_check_says_ok_when_the_page_accepts_the_key(cli, page, tmp_path):
    env = write(tmp_path, statuspage("status", page.api_base))
    r = cli("destinations", "check", env=env)
    assert r.code == 0, (r.out, r.err)
    assert r.out.startswith("status (statuspage): OK — page ")
    assert "(local) answers; the key is accepted" in r.out
    no_key(r.out, r.err)


def test_a_wrong_key_is_a_401_in_words_and_exit_1(cli, page, tmp_path):
    env = write(tmp_path, statuspage("status", page.api_base, env="WRONG_KEY"))
    r = cli("destinations", "check", env=env)
    assert r.code == 1, (r.out, r.err)
    line = r.out.strip()
    assert line.startswith("status (statuspage): the credentials were refused (HTTP 401")
    assert line.endswith("check $WRONG_KEY")
    assert "OK" not in line and "Traceback" not in r.err
    no_key(r.out, r.err)


def test_an_unreachable_port_is_said_in_words(cli, closed_port, tmp_path):
    env = write(tmp_path, statuspage("status", f"http://127.0.0.1:{closed_port}/v1"))
    r = cli("destinations", "check", env=env)
    assert r.code == 1, (r.out, r.err)
    assert r.out.startswith("status (statuspage): unreachable: could not connect")
    no_key(r.out, r.err)


def test_a_key_echoed_by_the_server_is_never_printed(cli, echo, tmp_path):
    env = write(tmp_path, statuspage("status", echo))
    r = cli("destinations", "check", env=env)
    assert r.code == 1, (r.out, r.err)
    assert "the credentials were refused (HTTP 401: bad credentials: [redacted]" in r.out
    no_key(r.out, r.err)


def test_every_destination_is_checked_and_one_failure_makes_exit_1(
    cli, page, closed_port, tmp_path
):
    env = write(
        tmp_path,
        statuspage("status", page.api_base),
        statuspage("down", f"http://127.0.0.1:{closed_port}/v1"),
        statuspage("nokey", page.api_base, env="UNSET_KEY_VAR"),
    )
    r = cli("destinations", "check", env=env)
    assert r.code == 1, (r.out, r.err)
    lines = r.out.splitlines()
    assert [line.split(" ")[0] for line in lines] == ["status", "down", "nokey"]
    assert "OK — " in lines[0] and "unreachable" in lines[1]
    assert lines[2] == (
        "nokey (statuspage): destination 'nokey': environment variable UNSET_KEY_VAR is not set"
    )
    only = cli("destinations", "check", "status", env=env)  # just the one named
    assert only.code == 0 and only.out.count("\n") == 1, (only.out, only.err)
    no_key(r.out, r.err, only.out, only.err)


def test_an_unknown_id_or_a_bad_config_or_none_is_exit_2(cli, page, tmp_path):
    env = write(tmp_path, statuspage("status", page.api_base))
    r = cli.fails("destinations", "check", "nowhere", env=env)
    assert "unknown destination 'nowhere' (configured: status)" in r.err
    bad = write(tmp_path, statuspage("status", page.api_base) + "    colour: red\n")
    r = cli.fails("destinations", "check", env=bad)
    assert all(LINE.match(line) for line in r.err.splitlines()), r.err
    assert ":8:5: unknown key 'colour'" in r.err and r.out == ""
    empty = write(tmp_path)
    r = cli.fails("destinations", "check", env=empty)
    assert "no destinations configured" in r.err


def test_the_list_names_id_type_and_guarantee(cli, tmp_path):
    env = write(
        tmp_path,
        statuspage("status", "http://127.0.0.1:9/v1"),
        "  - {id: sink, type: webhook, url: 'http://127.0.0.1:9/hook'}\n",
    )
    for args in (("destinations",), ("destinations", "list")):
        r = cli.ok(*args, env=env)
        rows = [line.split() for line in r.out.splitlines()]
        assert rows[0] == ["status", "statuspage", "exactly-once", "http://127.0.0.1:9"], rows
        assert rows[1][:2] == ["sink", "webhook"] and len(rows) == 2, rows

"""Keys stay secret: a key is checked when it is read (one line, printable ASCII), a bad
key fails its row once with a message that names where the key came from (never the
key), and a key a server echoes back is redacted before anything is cut, stored or
printed.

Everything runs through the real ``warroom deliver`` / ``warroom outbox`` entry points
against a real local status page behind the fault-injecting proxy (:mod:`tests.faulty`),
which can echo the ``Authorization`` header it received. After each scenario the
database file (with its WAL), stdout and stderr are searched for the key and for every
8-character slice of it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.faulty import on_request
from tests.unit import test_delivery
from tests.unit.test_delivery import KEY_ENV, Rig, _file_bytes, body, config_text, purpose
from tui.core.state import DELIVERY_FAILED
from tui.publish import outbox
from tui.publish.destinations.redaction import redact

rig = test_delivery.rig  # the fixture: a war room, a real page, the faulty proxy

SLICE = 8


def slices(key: str) -> list[str]:
    return [key[i : i + SLICE] for i in range(len(key) - SLICE + 1)]


def assert_no_trace(key: str, *texts: str, files: tuple[Path, ...] = ()) -> None:
    """Neither the key nor any 8-character slice of it is in the texts or files."""
    for text in texts:
        assert key not in text, text
        leaked = [s for s in slices(key) if s in text]
        assert not leaked, f"fragments of the key {leaked} in: {text}"
    for path in files:
        data = _file_bytes(path)
        assert key.encode("utf-8") not in data, f"the key is in {path}"
        leaked = [s for s in slices(key) if s.encode("utf-8") in data]
        assert not leaked, f"fragments of the key {leaked} in {path}"


def publish_cli(rig: Rig, n: int) -> list[str]:
    outputs = []
    for _ in range(n):
        i = len(rig.bodies) + 1
        r = rig.warroom(
            "publish",
            "--template",
            purpose(i),
            "--body-file",
            "-",
            "--accept-warnings",
            "--yes",
            stdin=body(i),
        )
        assert r.returncode == 0, (r.stdout, r.stderr)
        rig.bodies.append(body(i))
        outputs += [r.stdout, r.stderr]
    return outputs


def deliver(rig: Rig, **env: str):
    """`warroom deliver --until-idle`: must end (a bad key is not retried forever)."""
    r = rig.warroom("deliver", "--until-idle", timeout=60, **env)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    return r


def outbox_views(rig: Rig) -> tuple[list[dict], list[str]]:
    js = rig.warroom("outbox", "--json")
    text = rig.warroom("outbox")
    assert js.returncode == 0 and text.returncode == 0, (js.stderr, text.stderr)
    return json.loads(js.stdout), [js.stdout, js.stderr, text.stdout, text.stderr]


def failed_events(rig: Rig) -> list:
    return [e for e in rig.store.events(rig.incident) if e.kind == DELIVERY_FAILED]


# --------------------------------------------------------------- keys checked when read


def test_a_key_file_with_a_comment_line_fails_the_row_once_naming_the_file(rig: Rig):
    key_file = rig.tmp / "statuspage.key"
    key_file.write_text(f"{rig.key}\n# rotated 2026-11\n", encoding="utf-8")
    os.chmod(key_file, 0o600)
    rig.use_config(config_text(rig.proxy.api_base, key=f"api_key_file: {key_file}"))
    outputs = publish_cli(rig, 2)

    run = deliver(rig)

    rows, views = outbox_views(rig)
    assert [r["state"] for r in rows] == ["failed", "pending"], rows
    error = rows[0]["last_error"]
    assert str(key_file) in error and "line" in error, error
    assert rows[0]["attempts"] == 1, "failed once, not retried"
    assert rig.proxy.requests() == [], "nothing was sent with a broken key"
    assert "failed" in run.stdout and str(key_file) in run.stdout, run.stdout
    assert [e.data["outbox_id"] for e in failed_events(rig)] == [rows[0]["id"]]
    rig.store.close()
    assert_no_trace(rig.key, *outputs, run.stdout, run.stderr, *views, files=(rig.store.path,))

    # the fix: the key alone in the file; the row is retried and everything goes out
    key_file.write_text(rig.key + "\n", encoding="utf-8")
    assert rig.warroom("outbox", "retry", str(rows[0]["id"])).returncode == 0
    deliver(rig)
    rows, _ = outbox_views(rig)
    assert [r["state"] for r in rows] == ["sent", "sent"], rows


@pytest.mark.parametrize("where", ["env", "file"])
@pytest.mark.parametrize(
    "bad",
    ["sk-live-ключ-{key}", "{key}\u00a0", "sk\tlive-{key}", "{key}\x1b[0m", "{key} # old"],
    ids=["cyrillic", "nbsp", "tab", "escape", "comment"],
)
def test_a_key_that_is_not_printable_ascii_fails_the_row_without_a_crash(rig: Rig, where, bad):
    key = bad.format(key=rig.key)
    env = {}
    if where == "env":
        env[KEY_ENV] = key
        source = KEY_ENV
    else:
        key_file = rig.tmp / "statuspage.key"
        key_file.write_text(key + "\n", encoding="utf-8")
        os.chmod(key_file, 0o600)
        rig.use_config(config_text(rig.proxy.api_base, key=f"api_key_file: {key_file}"))
        source = str(key_file)
    publish_cli(rig, 1)

    run = deliver(rig, **env)  # exit 0, not 70

    rows, views = outbox_views(rig)
    assert rows[0]["state"] == "failed", rows
    error = rows[0]["last_error"]
    assert source in error, error
    assert "ASCII" in error or "line" in error or "space" in error, error
    assert rig.proxy.requests() == []
    rig.store.close()
    assert_no_trace(rig.key, run.stdout, run.stderr, *views, files=(rig.store.path,))


def test_a_key_with_a_trailing_newline_and_blank_lines_is_fine(rig: Rig):
    key_file = rig.tmp / "statuspage.key"
    key_file.write_text(f"{rig.key}\r\n\n", encoding="utf-8")
    os.chmod(key_file, 0o600)
    rig.use_config(config_text(rig.proxy.api_base, key=f"api_key_file: {key_file}"))
    publish_cli(rig, 2)

    deliver(rig)

    rig.assert_delivered()
    assert all(s.authorization == f"OAuth {rig.key}" for s in rig.proxy.requests())


# ------------------------------------------------------------- echoed keys are redacted


@pytest.mark.parametrize("at", ["straddling-the-cut", "start", "far"])
def test_a_key_echoed_by_the_server_leaves_no_fragment_anywhere(rig: Rig, at):
    """The proxy answers 401 repeating the Authorization header after other text; with
    the key straddling character 200 of the message, a cut before the redaction kept
    all but one of its characters."""
    prefix = len("Could not authenticate with OAuth ")
    rig.proxy.echo_offset = {
        "straddling-the-cut": 201 - len(rig.key) - prefix,
        "start": 0,
        "far": 400,
    }[at]
    rig.proxy.set_script(on_request(1, "401-echo"))
    outputs = publish_cli(rig, 1)

    run = deliver(rig)

    hit = rig.proxy.requests()[0]
    assert hit.fault == "401-echo" and hit.authorization == f"OAuth {rig.key}"
    rows, views = outbox_views(rig)
    assert rows[0]["state"] == "failed" and "401" in rows[0]["last_error"], rows
    assert failed_events(rig)
    rig.store.close()
    assert_no_trace(rig.key, *outputs, run.stdout, run.stderr, *views, files=(rig.store.path,))


def test_redact_removes_the_key_its_encodings_and_its_fragments():
    key = "sk-live-0f3a9c2b7d1e4f6a8b9c0d1e2f3a4b5c/+="
    from base64 import b64encode
    from urllib.parse import quote

    texts = [
        f"x {key} y",
        f"auth=OAuth%20{quote(key, safe='')}",
        "Basic " + b64encode(f":{key}".encode()).decode(),
        b64encode(key.encode()).decode(),
        f"...{key[:20]}",  # the server cut it itself
        f"{key[-12:]} tail",
    ]
    for text in texts:
        out = redact(text, key)
        assert "[redacted]" in out, (text, out)
        assert_no_trace(key, out)
    assert redact("Could not authenticate", key) == "Could not authenticate"
    assert redact("nothing here", "") == "nothing here"


def test_the_outbox_keeps_no_key_after_an_echo_then_a_fix(rig: Rig):
    """Echo, retry, deliver: the whole story through the CLI, the key nowhere on disk."""
    rig.proxy.echo_offset = 150
    rig.proxy.set_script(on_request(1, "401-echo"))
    outputs = publish_cli(rig, 2)
    outputs += [deliver(rig).stdout]
    rows, views = outbox_views(rig)
    assert [r["state"] for r in rows] == ["failed", "pending"]
    outbox.retry(rig.store, rows[0]["id"], "alice", rig.clock.now())
    outputs += [deliver(rig).stdout]
    rig.assert_delivered()
    _, more = outbox_views(rig)
    rig.store.close()
    assert_no_trace(rig.key, *outputs, *views, *more, files=(rig.store.path,))


def test_a_key_file_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    """Reading a named pipe would wait forever for a writer (a hung deliverer)."""
    import threading

    from tui.core.config import Destination, SecretError

    fifo = tmp_path / "statuspage.key"
    os.mkfifo(fifo, 0o600)
    dest = Destination("local", "statuspage", "http://127.0.0.1:9/v1", "p", api_key_file=str(fifo))
    result: list = []

    def read() -> None:
        try:
            result.append(dest.api_key())
        except SecretError as exc:
            result.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(20)
    if reader.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "wb"):
            pass
        reader.join(5)
        pytest.fail("reading the key file blocked on a FIFO")
    assert isinstance(result[0], SecretError), result
    assert str(fifo) in str(result[0]) and "regular file" in str(result[0])

"""Queue sources against strict local emulators (real HTTP over 127.0.0.1).

Each HTTP source (zendesk, freshdesk, intercom, json) is built from a real config
file by the real loader and polled with a real ``httpx.Client``: a good count and
the oldest waiting; a refused credential names the variable and never the value
(also when the server echoes it back); 429 carries Retry-After; an HTML page, a
hang, an answer over 1 MiB, a closed port and a count that is not a whole number
are each one line of words.
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.emulators.freshdesk import FreshdeskEmulator
from tests.emulators.intercom import IntercomEmulator
from tests.emulators.queuebase import QueueEmulator
from tests.emulators.queuejson import JsonQueueEmulator
from tests.emulators.zendesk import ZendeskEmulator
from tui.core.config import QueueSource, load_config
from tui.queues.sources import Reading, SourceError, fetcher

ENV = "WARROOM_TEST_QUEUE_SECRET"
EMAIL = "bot@acme.example"
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
KINDS = ("zendesk", "freshdesk", "intercom", "json")


def secret_value(kind: str) -> str:
    # a header value may hold a space (the json source's "Bearer ...")
    body = "s3cr3t-" + os.urandom(12).hex()
    return f"Bearer {body}" if kind == "json" else body


@dataclass
class Case:
    kind: str
    title: str
    emu: QueueEmulator
    good: str  # the secret the emulator accepts
    write: Callable[..., QueueSource]  # (**extra keys) -> the source, from a real config file
    expect: Reading  # what the populated emulator counts
    set_count: Callable[[Any], None]  # make the answer's count this JSON value


def _source(tmp_path, text: str) -> QueueSource:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    sources = load_config(path, required=True).queue_sources
    assert len(sources) == 1
    return sources[0]


def _flow(extra: dict[str, Any]) -> str:
    """``, key: value`` for each key (a None value leaves the key out)."""
    return "".join(f", {k}: {v}" for k, v in extra.items() if v is not None)


def _zendesk(tmp_path) -> Case:
    good = secret_value("zendesk")
    emu = ZendeskEmulator(EMAIL, good).start()
    emu.add("open", ("outage",), T0 - timedelta(minutes=5), "login fails")
    emu.add("new", ("outage", "vip"), T0 - timedelta(minutes=42), "cannot log in")
    emu.add("pending", ("outage",), T0 - timedelta(minutes=17), "still down?")
    emu.add("solved", ("outage",), T0 - timedelta(hours=3), "old and solved")
    emu.add("open", ("billing",), T0 - timedelta(hours=5), "an invoice")

    def write(**extra: Any) -> QueueSource:
        spec = {
            "source": "zendesk",
            "base_url": f"'{emu.url}'",
            "email": EMAIL,
            "token_env": ENV,
            "query": "'type:ticket status<solved tags:outage'",
            "oldest": "true",
            "timeout": 1,
            **extra,
        }
        return _source(tmp_path, "channels:\n  tickets: {" + _flow(spec)[2:] + "}\n")

    def set_count(value: Any) -> None:
        emu.count_override = value

    return Case(
        "zendesk", "Zendesk", emu, good, write, Reading(3, T0 - timedelta(minutes=42)), set_count
    )


def _freshdesk(tmp_path) -> Case:
    good = secret_value("freshdesk")
    emu = FreshdeskEmulator(good).start()
    emu.add(2, ("outage",), T0 - timedelta(minutes=9))
    emu.add(2, ("outage",), T0 - timedelta(minutes=31))
    emu.add(2, ("other",), T0 - timedelta(hours=2))
    emu.add(5, ("outage",), T0 - timedelta(hours=4))

    def write(**extra: Any) -> QueueSource:
        spec = {
            "source": "freshdesk",
            "base_url": f"'{emu.url}'",
            "api_key_env": ENV,
            "query": "\"status:2 AND tag:'outage'\"",
            "timeout": 1,
            **extra,
        }
        return _source(tmp_path, "channels:\n  tickets: {" + _flow(spec)[2:] + "}\n")

    def set_count(value: Any) -> None:
        emu.total_override = value

    return Case(
        "freshdesk",
        "Freshdesk",
        emu,
        good,
        write,
        Reading(2, T0 - timedelta(minutes=31)),
        set_count,
    )


def _intercom(tmp_path) -> Case:
    good = secret_value("intercom")
    emu = IntercomEmulator(good).start()
    epoch = int(T0.timestamp())
    emu.add("open", epoch - 300)
    emu.add("open", epoch - 1500)
    emu.add("snoozed", epoch - 9000)
    emu.add("closed", epoch - 20000)

    def write(**extra: Any) -> QueueSource:
        spec = {
            "source": "intercom",
            "base_url": f"'{emu.url}'",
            "token_env": ENV,
            "oldest": "true",
            "timeout": 1,
            **extra,
        }
        return _source(tmp_path, "channels:\n  chat: {" + _flow(spec)[2:] + "}\n")

    def set_count(value: Any) -> None:
        emu.total_override = value

    return Case(
        "intercom",
        "Intercom",
        emu,
        good,
        write,
        Reading(2, T0 - timedelta(seconds=1500)),
        set_count,
    )


def _json(tmp_path) -> Case:
    good = secret_value("json")
    emu = JsonQueueEmulator({"Authorization": good}).start()
    emu.document = {"data": {"waiting": 7, "oldest_waiting": "2026-11-30T11:48:00Z"}}

    def write(**extra: Any) -> QueueSource:
        spec = {
            "source": "json",
            "url": f"'{emu.url}/queue'",
            "headers_env": "{Authorization: " + ENV + "}",
            "count": "data.waiting",
            "oldest": "data.oldest_waiting",
            "timeout": 1,
            **extra,
        }
        return _source(tmp_path, "channels:\n  chat: {" + _flow(spec)[2:] + "}\n")

    def set_count(value: Any) -> None:
        emu.document = {"data": {"waiting": value}}

    return Case(
        "json", "JSON source", emu, good, write, Reading(7, T0 - timedelta(minutes=12)), set_count
    )


MAKERS = {"zendesk": _zendesk, "freshdesk": _freshdesk, "intercom": _intercom, "json": _json}


@pytest.fixture(params=KINDS)
def case(request, tmp_path, monkeypatch) -> Iterator[Case]:
    c = MAKERS[request.param](tmp_path)
    monkeypatch.setenv(ENV, c.good)
    try:
        yield c
    finally:
        c.emu.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


def poll(source: QueueSource, client: httpx.Client) -> Reading:
    return fetcher(source.source)(source, client)


def fails(source: QueueSource, client: httpx.Client) -> SourceError:
    with pytest.raises(SourceError) as info:
        poll(source, client)
    err = info.value
    assert "\n" not in err.message and "Traceback" not in err.message
    return err


def never_shows(secret: str, text: str) -> None:
    """No form of the secret (as is, base64 as a Basic credential, any 8-character
    piece of it) is in ``text``."""
    core = secret.removeprefix("Bearer ")
    forms = [core, base64.b64encode(f"{core}:X".encode()).decode()]
    forms.append(base64.b64encode(f"{EMAIL}/token:{core}".encode()).decode())
    for form in forms:
        for i in range(len(form) - 7):
            assert form[i : i + 8] not in text, (form, text)


# -- every HTTP source --------------------------------------------------------------------


def test_a_good_count_and_the_oldest_waiting(case, client):
    assert poll(case.write(), client) == case.expect


def test_refused_credentials_name_the_variable_never_the_secret(case, client, monkeypatch):
    wrong = secret_value(case.kind)
    monkeypatch.setenv(ENV, wrong)
    case.emu.echo_auth = True  # the server quotes the Authorization header it got
    err = fails(case.write(), client)
    assert err.message.startswith(f"{case.title}: 401 — check {ENV}"), err.message
    assert err.permanent and err.retry_after is None
    assert "[redacted]" in err.message  # the echo was there, and is gone
    never_shows(wrong, err.message)
    never_shows(case.good, err.message)


def test_429_says_rate_limited_and_carries_retry_after(case, client):
    case.emu.fault = "429"
    err = fails(case.write(), client)
    assert err.message.startswith(f"{case.title}: 429 — rate limited"), err.message
    assert err.retry_after == 17 and not err.permanent


def test_an_html_page_is_not_json(case, client):
    case.emu.fault = "garbage"
    err = fails(case.write(), client)
    assert err.message.startswith(f"{case.title}: not JSON (HTTP 200: <html>"), err.message
    assert not err.permanent


def test_a_server_that_hangs_is_a_timeout_in_words(case, client):
    case.emu.fault = "hang"
    err = fails(case.write(), client)
    assert err.message == f"{case.title}: no answer within 1s"
    assert not err.permanent


def test_an_answer_over_one_mib_is_not_read(case, client):
    case.emu.fault = "huge"
    err = fails(case.write(), client)
    assert err.message.startswith(f"{case.title}: the answer is larger than 1 MiB"), err.message


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("many", "text ('many')"),
        (3.5, "a fractional number (3.5)"),
        (True, "a boolean (true)"),
        ([1, 2], "a list"),
    ],
)
def test_a_count_that_is_not_a_whole_number_names_the_type(case, client, value, found):
    case.set_count(value)
    err = fails(case.write(), client)
    assert found in err.message and "not a whole number" in err.message, err.message
    field = {"zendesk": "count", "freshdesk": "total", "intercom": "total_count"}
    what = field.get(case.kind, "count path 'data.waiting'")
    assert err.message.startswith(f"{case.title}: {what} is {found}"), err.message


def test_a_count_out_of_range_is_refused(case, client):
    for value in (-1, 1_000_001):
        case.set_count(value)
        err = fails(case.write(), client)
        assert f"is {value}, outside 0..1000000" in err.message, err.message
    case.set_count(1_000_000.0)  # a whole number written as a float is a count
    assert poll(case.write(), client).count == 1_000_000


def test_a_closed_port_is_could_not_connect(case, client, tmp_path):
    with socket.socket() as s:  # bound and never listening: refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        if case.kind == "json":
            source = case.write(url=f"'http://127.0.0.1:{port}/queue'")
        else:
            source = case.write(base_url=f"'http://127.0.0.1:{port}'")
        err = fails(source, client)
    assert err.message.startswith(f"{case.title}: could not connect"), err.message


def test_an_unset_variable_is_named_and_nothing_is_sent(case, client, monkeypatch):
    monkeypatch.delenv(ENV)
    err = fails(case.write(), client)
    assert ENV in err.message and "is not set" in err.message and err.permanent
    assert err.message.startswith(f"{case.title}: "), err.message
    assert case.emu.requests() == []


# -- Zendesk ------------------------------------------------------------------------------


@pytest.fixture
def zendesk(tmp_path, monkeypatch) -> Iterator[Case]:
    c = _zendesk(tmp_path)
    monkeypatch.setenv(ENV, c.good)
    try:
        yield c
    finally:
        c.emu.stop()


def test_zendesk_counts_with_the_count_call_and_asks_the_oldest_sorted(zendesk, client):
    poll(zendesk.write(), client)
    count, oldest = zendesk.emu.requests()
    assert count.path == "/api/v2/search/count"
    assert count.query == {"query": "type:ticket status<solved tags:outage"}
    assert oldest.path == "/api/v2/search"
    assert oldest.query["sort_by"] == "created_at" and oldest.query["sort_order"] == "asc"
    assert oldest.query["per_page"] == "1"


def test_zendesk_without_oldest_makes_one_call(zendesk, client):
    assert poll(zendesk.write(oldest="false"), client) == Reading(3, None)
    assert len(zendesk.emu.requests()) == 1


def test_zendesk_a_refused_query_is_permanent_with_zendesks_words(zendesk, client):
    err = fails(zendesk.write(query="'status:nonsense'"), client)
    assert err.message == (
        "Zendesk: 400 — the request was refused (InvalidSearchParameter: unknown status 'nonsense')"
    )
    assert err.permanent


def test_zendesk_reads_the_token_from_a_private_file(zendesk, client, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV)
    token = tmp_path / "zendesk.token"
    token.write_text(zendesk.good + "\n")
    token.chmod(0o600)
    assert poll(zendesk.write(token_env=None, token_file=f"'{token}'"), client) == zendesk.expect


def test_zendesk_refuses_a_token_file_others_can_read(zendesk, client, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV)
    token = tmp_path / "zendesk.token"
    token.write_text(zendesk.good)
    token.chmod(0o644)
    err = fails(zendesk.write(token_env=None, token_file=f"'{token}'"), client)
    assert err.message == f"Zendesk: token file {token} must be private (mode 0600; it is 0644)"
    assert zendesk.emu.requests() == []


# -- Freshdesk ----------------------------------------------------------------------------


def test_freshdesk_sends_the_query_in_double_quotes(tmp_path, monkeypatch, client):
    c = _freshdesk(tmp_path)
    monkeypatch.setenv(ENV, c.good)
    try:
        poll(c.write(), client)
        (seen,) = c.emu.requests()
        assert seen.query == {"query": "\"status:2 AND tag:'outage'\""}
    finally:
        c.emu.stop()


def test_freshdesk_oldest_is_unknown_past_the_first_page(tmp_path, monkeypatch, client):
    c = _freshdesk(tmp_path)
    monkeypatch.setenv(ENV, c.good)
    try:
        for i in range(40):
            c.emu.add(2, ("outage",), T0 - timedelta(minutes=60 + i))
        assert poll(c.write(), client) == Reading(42, None)
    finally:
        c.emu.stop()


# -- Intercom -----------------------------------------------------------------------------


def test_intercom_sends_its_version_and_the_open_conversations_query(tmp_path, monkeypatch, client):
    import json

    c = _intercom(tmp_path)
    monkeypatch.setenv(ENV, c.good)
    try:
        assert poll(c.write(oldest="false"), client) == Reading(2, None)
        (seen,) = c.emu.requests()
        assert seen.headers["intercom-version"] == "2.11"
        assert json.loads(seen.body) == {
            "query": {"field": "open", "operator": "=", "value": True},
            "pagination": {"per_page": 1},
        }
    finally:
        c.emu.stop()


def test_intercom_a_query_from_the_config(tmp_path, monkeypatch, client):
    c = _intercom(tmp_path)
    monkeypatch.setenv(ENV, c.good)
    try:
        query = (
            "{operator: OR, value: [{field: state, operator: '=', value: open}, "
            "{field: state, operator: '=', value: snoozed}]}"
        )
        reading = poll(c.write(query=query), client)
        assert reading == Reading(3, T0 - timedelta(seconds=9000))
    finally:
        c.emu.stop()


# -- the generic JSON source ------------------------------------------------------------


@pytest.fixture
def jsonq(tmp_path, monkeypatch) -> Iterator[Case]:
    c = _json(tmp_path)
    monkeypatch.setenv(ENV, c.good)
    try:
        yield c
    finally:
        c.emu.stop()


def test_json_a_path_that_finds_nothing_says_so(jsonq, client):
    jsonq.emu.document = {"data": {"queued": 3}}
    err = fails(jsonq.write(), client)
    assert err.message == "JSON source: count path 'data.waiting' found nothing in the answer"
    assert err.permanent


def test_json_oldest_in_epoch_seconds_and_null(jsonq, client):
    epoch = int((T0 - timedelta(minutes=3)).timestamp())
    jsonq.emu.document = {"data": {"waiting": 2, "oldest_waiting": epoch}}
    assert poll(jsonq.write(), client) == Reading(2, T0 - timedelta(minutes=3))
    jsonq.emu.document = {"data": {"waiting": 0, "oldest_waiting": None}}
    assert poll(jsonq.write(), client) == Reading(0, None)
    jsonq.emu.document = {"data": {"waiting": 1, "oldest_waiting": "yesterday"}}
    err = fails(jsonq.write(), client)
    assert err.message == (
        "JSON source: oldest path 'data.oldest_waiting' is text ('yesterday'), "
        "not a time (ISO 8601 or Unix epoch seconds)"
    )


def test_json_a_secret_url_from_the_environment_is_never_shown(tmp_path, monkeypatch, client):
    token = "urltok-" + os.urandom(10).hex()
    emu = JsonQueueEmulator({}, url_token=token).start()
    try:
        emu.document = {"waiting": 4}
        monkeypatch.setenv("WARROOM_TEST_QUEUE_URL", f"{emu.url}/queue?token={token}")
        text = (
            "channels:\n  chat: {source: json, url_env: WARROOM_TEST_QUEUE_URL, "
            "count: waiting, timeout: 10}\n"
        )
        assert poll(_source(tmp_path, text), client) == Reading(4, None)
        wrong = "urltok-" + os.urandom(10).hex()
        monkeypatch.setenv("WARROOM_TEST_QUEUE_URL", f"{emu.url}/queue?token={wrong}")
        emu.echo_auth = True  # it quotes the URL it was asked
        err = fails(_source(tmp_path, text), client)
        assert err.message.startswith(
            "JSON source: 401 — check WARROOM_TEST_QUEUE_URL (unauthorized (got ; url [redacted]"
        ), err.message
        assert wrong[:8] not in err.message.replace("urltok-", "") and wrong not in err.message
        never_shows(wrong, err.message)
    finally:
        emu.stop()


def test_json_a_header_variable_with_a_newline_is_refused_without_its_value(
    jsonq, client, monkeypatch
):
    monkeypatch.setenv(ENV, "Bearer abc\nX-Evil: 1")
    err = fails(jsonq.write(), client)
    assert err.message == (
        f"JSON source: environment variable {ENV} holds more than one line; it must "
        "hold the Authorization header alone (no comment, no second key)"
    )
    assert "abc" not in err.message and jsonq.emu.requests() == []


def test_server_words_in_an_error_are_one_clean_line(jsonq, client, monkeypatch):
    monkeypatch.setenv(ENV, "Bearer wrong-but-harmless")
    jsonq.emu.unauthorized = "token\x1b[2J\x1b]0;owned\x07 expired\nsee\r\nhttps://help.example"
    err = fails(jsonq.write(), client)
    assert err.message == (
        f"JSON source: 401 — check {ENV} (token expired see https://help.example)"
    )

"""Destination types in the config: strict per-type keys, secrets read at send time, payloads.

Every type's good config parses to the values the adapters read (``options``,
``page_id``, defaults); each kind of mistake is one ``FILE:LINE:COL`` line at the
mistake naming what that type allows; a secret (key, webhook URL, signing secret,
SMTP password) is read from its variable or 0600 file at every call, and its value
never appears in an error. The outbox payload carries purpose, the publish
event's time, the promised next update and the incident's title.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import MAJOR
from tui import commands
from tui.core.clock import FrozenClock
from tui.core.config import (
    TYPE_KEYS,
    TYPES,
    ConfigError,
    Destination,
    SecretError,
    load_config,
)
from tui.core.playbook import load_playbook
from tui.core.store import Store
from tui.publish import outbox

LINE = re.compile(r"^[^:]+:\d+:\d+: .+$")

GOOD = """\
destinations:
  - {id: status, type: statuspage, page_id: abc123, api_key_env: SP_KEY, components: {API: c1}}
  - {id: ins, type: instatus, page_id: p1, api_key_env: IN_KEY, notify_subscribers: false}
  - {id: cach, type: cachet, base_url: "http://cachet.local/api/v1", version: 2,
     api_key_env: CA_KEY, components: {API: 3}}
  - {id: cach3, type: cachet, base_url: "http://cachet.local/api", api_key_env: CA_KEY}
  - {id: os, type: openstatus, page_id: 12, api_key_env: OS_KEY}
  - {id: bs, type: betterstack, status_page_id: 123, api_key_env: BS_KEY, components: {API: 77}}
  - {id: ops-chat, type: slack, url_env: SLACK_WEBHOOK_URL}
  - {id: mm, type: mattermost, url_file: /tmp/nowhere/mm.url}
  - {id: teams, type: teams, url_env: TEAMS_URL, components: [API, Web]}
  - {id: dc, type: discord, url: "http://127.0.0.1:9/hook"}
  - {id: partners, type: webhook, url: "https://hooks.partner.example/warroom",
     secret_env: WEBHOOK_SECRET}
  - {id: sink, type: webhook, url: "http://127.0.0.1:9/sink"}
  - {id: customers, type: email, host: smtp.acme.example, port: 587, starttls: true,
     username: status-bot, password_env: SMTP_PASSWORD, from: "status@acme.example",
     to: ["ops-digest@acme.example"], to_file: enterprise-contacts.txt}
  - {id: tls, type: email, host: localhost, port: 465, from: a@b.example, to: x@y.example}
"""


def load(tmp_path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def problems(tmp_path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    lines = str(info.value).splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    return lines


def test_every_type_has_a_key_table_and_a_good_config_parses(tmp_path):
    assert set(TYPE_KEYS) == set(TYPES)
    cfg = load(tmp_path, GOOD)
    d = {dest.id: dest for dest in cfg.destinations}
    assert {dest.type for dest in cfg.destinations} == set(TYPES)
    assert d["status"].base_url == "https://api.statuspage.io/v1"
    assert dict(d["status"].components) == {"API": "c1"}
    assert d["ins"].base_url == "https://api.instatus.com" and d["ins"].page_id == "p1"
    assert d["ins"].notify_subscribers is False
    assert dict(d["cach"].options) == {"version": 2} and dict(d["cach"].components) == {"API": "3"}
    assert dict(d["cach3"].options) == {"version": 3}  # 3 by default
    assert d["os"].base_url == "https://api.openstatus.dev/v1" and d["os"].page_id == "12"
    assert d["bs"].base_url == "https://uptime.betterstack.com/api/v2"
    assert d["bs"].page_id == "123"  # status_page_id goes in page_id
    assert dict(d["dc"].options) == {"url": "http://127.0.0.1:9/hook"}
    assert dict(d["ops-chat"].options) == {}  # the real hook URL is a secret, not an option
    assert dict(d["teams"].components) == {"API": "API", "Web": "Web"}  # names only
    assert d["partners"].options["url"] == "https://hooks.partner.example/warroom"
    mail = d["customers"].options
    assert (mail["host"], mail["port"], mail["starttls"], mail["tls"]) == (
        "smtp.acme.example",
        587,
        True,
        False,
    )
    assert mail["username"] == "status-bot" and mail["from"] == "status@acme.example"
    assert mail["to"] == ("ops-digest@acme.example",)
    assert mail["to_file"] == "enterprise-contacts.txt"
    tls = d["tls"].options
    assert (tls["port"], tls["tls"], tls["starttls"], tls["to"]) == (
        465,
        True,
        False,
        ("x@y.example",),
    )
    assert tls["username"] is None and tls["to_file"] is None


def test_no_secret_value_is_ever_in_the_config_object(tmp_path, monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.example/T000/B000/sekrit-xyz")
    monkeypatch.setenv("SMTP_PASSWORD", "pw-sekrit-xyz")
    cfg = load(tmp_path, GOOD)
    assert "sekrit" not in repr(cfg)


# (config lines for ONE destination, "LINE:COL", what the one line must say, and must not)
MISTAKES = [
    (  # the key table of THAT type: slack takes no page_id
        "  - {id: a, type: slack, url_env: U, page_id: p}\n",
        "2:38",
        "unknown key 'page_id' in a slack destination (allowed: id, type, url, url_env, "
        "url_file, components, rate_per_second, timeout, stale_after)",
    ),
    (
        "  - {id: a, type: slack, url: 'http://127.0.0.1:9/', url_env: U}\n",
        "2:5",
        "a slack destination needs exactly one of url_env or url_file",
    ),
    ("  - {id: a, type: discord}\n", "2:5", "a discord destination needs exactly one of url_env"),
    ("  - {id: a, type: teams, url: 'ftp://x'}\n", "2:31", "url must start with https://"),
    ("  - {id: a, type: webhook}\n", "2:5", "a webhook destination is missing required key 'url'"),
    (
        "  - {id: a, type: webhook, url: 'http://h/', secret: s3cr3t-value}\n",
        "2:54",
        "never put the signing secret in the config: use secret_env",
    ),
    (
        "  - {id: a, type: webhook, url: 'http://h/', secret_env: S, secret_file: /x}\n",
        "2:5",
        "a webhook destination needs exactly one of secret_env or secret_file",
    ),
    (
        "  - {id: a, type: webhook, url: 'http://h/', secret_env: 'not a name'}\n",
        "2:58",
        "secret_env must be the NAME of an environment variable",
    ),
    (
        "  - {id: a, type: email, host: h, to: x@y.example}\n",
        "2:5",
        "an email destination is missing required key 'from'",
    ),
    (
        "  - {id: a, type: email, host: h, from: a@b.example}\n",
        "2:5",
        "an email destination needs to (addresses) and/or to_file",
    ),
    (
        "  - {id: a, type: email, host: h, from: a@b.example, to: x@y.example, username: u}\n",
        "2:81",
        "username and password_env (or password_file) go together",
    ),
    (
        "  - {id: a, type: email, host: h, from: a@b.example, to: x@y.example, password_env: P}\n",
        "2:5",
        "username and password_env (or password_file) go together",
    ),
    (
        "  - {id: a, type: email, host: h, from: a@b.example, to: x@y.example,"
        " password: hunter2}\n",
        "2:81",
        "never put a password in the config: use password_env",
    ),
    (
        "  - {id: a, type: email, host: h, from: a@b.example, to: x@y.example, port: 70000}\n",
        "2:77",
        "port must be a number from 1 to 65535",
    ),
    (
        "  - {id: a, type: email, host: h, from: a@b.example, to: x@y.example, tls: true, "
        "starttls: true}\n",
        "2:92",
        "starttls and tls exclude each other",
    ),
    (
        "  - {id: a, type: email, host: h, from: nobody, to: x@y.example}\n",
        "2:41",
        "from must be an email address",
    ),
    (
        "  - {id: a, type: email, host: h, from: a@b.example, to: [x@y.example, bob]}\n",
        "2:72",
        "'bob' in to is not an email address",
    ),
    (
        "  - {id: a, type: cachet, base_url: 'http://c/api', api_key_env: K, version: 4}\n",
        "2:78",
        "version must be 2 (Cachet 2.x, base_url ending in /api/v1) or 3",
    ),
    (
        "  - {id: a, type: cachet, api_key_env: K}\n",
        "2:5",
        "a cachet destination is missing required key 'base_url'",
    ),
    (
        "  - {id: a, type: openstatus, page_id: main, api_key_env: K}\n",
        "2:40",
        "page_id must be a number (openstatus page ids are numbers)",
    ),
    (
        "  - {id: a, type: openstatus, page_id: 1, api_key_env: K, notify_subscribers: true}\n",
        "2:59",
        "unknown key 'notify_subscribers' in an openstatus destination",
    ),
    (
        "  - {id: a, type: betterstack, page_id: 1, status_page_id: 1, api_key_env: K}\n",
        "2:32",
        "unknown key 'page_id' in a betterstack destination (allowed: id, type, base_url, "
        "status_page_id,",
    ),
    (
        "  - {id: a, type: instatus, page_id: p}\n",
        "2:5",
        "an instatus destination needs exactly one of api_key_env or api_key_file",
    ),
    (
        "  - {id: a, type: instatus, page_id: p, api_key_env: K, api_key: sk-live-abcdef123456}\n",
        "2:66",
        "never put an API key in the config: use api_key_env",
    ),
]


@pytest.mark.parametrize(("item", "where", "says"), MISTAKES)
def test_each_mistake_is_one_line_at_its_place_naming_what_is_allowed(tmp_path, item, where, says):
    lines = problems(tmp_path, "destinations:\n" + item)
    assert len(lines) == 1, lines
    assert f":{where}: {says}" in lines[0], lines
    for value in ("s3cr3t-value", "hunter2", "sk-live-abcdef123456"):
        assert value not in lines[0]


def test_statuspage_messages_are_the_ones_scripts_know(tmp_path):
    lines = problems(
        tmp_path,
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    colour: red\n"
        "  - {id: other, type: statuspage, page_id: p, api_key_env: K, api_key_file: /k}\n",
    )
    assert lines == [
        f"{tmp_path / 'config.yaml'}:2:5: a destination is missing required key 'page_id'",
        f"{tmp_path / 'config.yaml'}:2:5: a destination needs exactly one of api_key_env or "
        "api_key_file",
        f"{tmp_path / 'config.yaml'}:4:5: unknown key 'colour' in a destination (allowed: id, "
        "type, base_url, page_id, api_key_env, api_key_file, components, notify_subscribers, "
        "rate_per_second, timeout, stale_after)",
        f"{tmp_path / 'config.yaml'}:5:5: a destination needs exactly one of api_key_env or "
        "api_key_file",
    ]


def test_secrets_are_read_at_send_time(tmp_path, monkeypatch):
    for name in ("SP_KEY", "SLACK_WEBHOOK_URL", "WEBHOOK_SECRET", "SMTP_PASSWORD"):
        monkeypatch.setenv(name, f"{name.lower()}-one")
    cfg = load(tmp_path, GOOD)
    status, chat = cfg.destination("status"), cfg.destination("ops-chat")
    hook, mail = cfg.destination("partners"), cfg.destination("customers")
    assert status and chat and hook and mail
    assert status.api_key() == status.secret("api_key") == "sp_key-one"
    assert chat.secret("url") == "slack_webhook_url-one"
    assert hook.secret("secret") == "webhook_secret-one"
    assert mail.secret("password") == "smtp_password-one"
    for name in ("SP_KEY", "SLACK_WEBHOOK_URL", "WEBHOOK_SECRET", "SMTP_PASSWORD"):
        monkeypatch.setenv(name, f"{name.lower()}-two")  # rotated after the config was loaded
    assert status.api_key() == "sp_key-two"
    assert chat.secret("url") == "slack_webhook_url-two"
    assert hook.secret("secret") == "webhook_secret-two"
    assert mail.secret("password") == "smtp_password-two"
    monkeypatch.delenv("SLACK_WEBHOOK_URL")
    with pytest.raises(SecretError, match="environment variable SLACK_WEBHOOK_URL is not set"):
        chat.secret("url")


def test_a_secret_file_is_read_at_send_time_and_must_be_private(tmp_path):
    url_file = tmp_path / "mm.url"
    url_file.write_text("https://chat.example/hooks/first\n")
    url_file.chmod(0o600)
    cfg = load(tmp_path, GOOD.replace("/tmp/nowhere/mm.url", str(url_file)))
    mm = cfg.destination("mm")
    assert mm is not None
    assert mm.secret("url") == "https://chat.example/hooks/first"
    url_file.write_text("https://chat.example/hooks/second\n")
    assert mm.secret("url") == "https://chat.example/hooks/second"
    url_file.chmod(0o644)
    with pytest.raises(SecretError) as info:
        mm.secret("url")
    assert f"webhook URL file {url_file} must be private (mode 0600; it is 0644)" in str(info.value)
    assert "hooks/second" not in str(info.value)


def test_optional_secrets_not_configured_are_none(tmp_path):
    cfg = load(tmp_path, GOOD)
    assert cfg.destination("sink").secret("secret") is None  # type: ignore[union-attr]
    assert cfg.destination("tls").secret("password") is None  # type: ignore[union-attr]
    assert cfg.destination("dc").secret("url") is None  # type: ignore[union-attr]
    bare = Destination("x", "statuspage", "http://127.0.0.1:9/v1", "p")  # no key anywhere
    with pytest.raises(SecretError, match="no key configured"):
        bare.api_key()
    with pytest.raises(ValueError):
        bare.secret("token")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("https://hooks.example/T0/B0/sekrit-one two", "must be printable ASCII without spaces"),
        ("https://hooks.example/sekrit-line-one\nsecond-sekrit-line", "more than one line"),
        ("https://hooks.example/sekrit-é", "must be printable ASCII"),
    ],
)
def test_a_bad_secret_is_refused_without_quoting_it(tmp_path, monkeypatch, value, says):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", value)
    chat = load(tmp_path, GOOD).destination("ops-chat")
    assert chat is not None
    with pytest.raises(SecretError) as info:
        chat.secret("url")
    text = str(info.value)
    assert says in text and "environment variable SLACK_WEBHOOK_URL" in text
    assert "sekrit" not in text and "hooks.example" not in text


def test_the_payload_carries_purpose_the_event_time_the_promise_and_the_title(tmp_path):
    t0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    clock = FrozenClock(t0)
    store = Store(tmp_path / "incident.db")
    try:
        cfg = load(tmp_path, GOOD)
        book = load_playbook(MAJOR)
        incident = commands.start(
            store, clock, "alice", book, "Logins fail", {"users_affected_pct": 12}
        ).incident_id
        clock.advance(timedelta(minutes=4, seconds=30))
        commands.publish(
            store,
            clock,
            "alice",
            incident,
            "ack",
            "We are investigating failed logins. We'll update you by 2:45 PM EST.",
            cfg,
            destinations=["status", "ops-chat"],
            accept_warnings=True,
        )
        clock.advance(timedelta(minutes=20))
        commands.publish(
            store,
            clock,
            "alice",
            incident,
            "update",
            "We found the cause: an expired certificate. We'll update you by 3:15 PM EST.",
            cfg,
            destinations=["status"],
            accept_warnings=True,
        )
        rows = outbox.rows(store, incident)
    finally:
        store.close()
    first, chat, second = rows
    assert first.payload["purpose"] == "ack" and second.payload["purpose"] == "update"
    assert first.payload["at"] == "2026-11-27T19:04:30.000Z" == chat.payload["at"]
    assert second.payload["at"] == "2026-11-27T19:24:30.000Z"  # its own event's time
    assert first.payload["next_update_at"] == "2026-11-27T19:45:00.000Z"
    assert first.payload["incident_title"] == "Logins fail"
    assert first.payload["status"] == "investigating" and first.payload["components"] == {
        "c1": "major_outage"
    }
    assert chat.payload["component_names"] == {}  # the chat config names no components
    assert set(second.payload) >= {"purpose", "at", "next_update_at", "incident_title", "name"}


def test_the_key_tables_name_no_secret_as_a_plain_key():
    for kind, spec in TYPE_KEYS.items():
        assert "api_key" not in spec.keys and "password" not in spec.keys, kind
        assert "secret" not in spec.keys, kind
        for name in spec.secrets:
            assert f"{name}_env" in spec.keys and f"{name}_file" in spec.keys, kind


def test_stale_after_is_a_duration_per_destination(tmp_path):
    config = load(
        tmp_path,
        "destinations:\n"
        "  - {id: a, type: webhook, url: 'http://127.0.0.1:9/a', stale_after: 30m}\n"
        "  - {id: b, type: webhook, url: 'http://127.0.0.1:9/b'}\n",
    )
    waits = {d.id: d.stale_after for d in config.destinations}
    assert waits == {"a": timedelta(minutes=30), "b": timedelta(minutes=10)}
    for bad in ("0m", "2d", "soon", "10"):
        (line,) = problems(
            tmp_path,
            f"destinations:\n  - {{id: a, type: webhook, url: 'http://x.example/', "
            f"stale_after: {bad}}}\n",
        )
        assert ":2:" in line and "stale_after must be a duration from 1m to 24h" in line, line

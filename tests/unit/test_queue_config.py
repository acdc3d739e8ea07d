"""The config's ``channels:`` (queue sources): what is admitted, and every problem at
FILE:LINE:COL -- through the loader, and through the real ``warroom`` entry point
(exit 2, one line per problem, no traceback, no secret)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tui.core.config import ConfigError, QueueSource, SecretError, load_config

LINE = re.compile(r"^[^:]+:\d+:\d+: .+$")
SECRET = "sk-live-queue-do-not-print-4b8c1e"


def load(tmp_path: Path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, required=True)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    out = [f"{p.line}:{p.col}: {p.message}" for p in info.value.problems]
    for line in str(info.value).splitlines():
        assert LINE.match(line), line
    return out


def one(tmp_path: Path, text: str) -> str:
    (found,) = problems(tmp_path, text)
    return found


ISSUE_EXAMPLE = """\
channels:
  tickets: {source: zendesk, subdomain: acme, email: "bot@acme.example", token_env: ZENDESK_TOKEN,
            query: "type:ticket status<solved tags:outage"}
  chat:    {source: json, url: "https://chat.internal/queue", headers_env: {Authorization: CHAT_AUTH},
            count: "data.waiting", oldest: "data.oldest_waiting"}     # JMESPath expressions
  social:  {source: command, command: ["./social-queue"], every: 30s}
"""  # noqa: E501 (the example as the issue writes it)


def test_the_issue_example_loads_in_file_order(tmp_path):
    tickets, chat, social = load(tmp_path, ISSUE_EXAMPLE).queue_sources
    assert isinstance(tickets, QueueSource)
    assert (tickets.channel, tickets.source, tickets.line) == ("tickets", "zendesk", 2)
    assert tickets.every == timedelta(seconds=60) and tickets.timeout == 10.0
    assert tickets.options["base_url"] == "https://acme.zendesk.com"
    assert tickets.options["email"] == "bot@acme.example"
    assert tickets.options["query"] == "type:ticket status<solved tags:outage"
    assert tickets.options["oldest"] is False
    assert dict(tickets.secret_refs) == {"token": ("ZENDESK_TOKEN", None)}
    assert chat.options["url"] == "https://chat.internal/queue"
    assert dict(chat.options["headers_env"]) == {"Authorization": "CHAT_AUTH"}
    # compiled once, when the config is read
    assert chat.options["count_expr"].search({"data": {"waiting": 4}}) == 4
    assert chat.options["oldest"] == "data.oldest_waiting"
    assert social.every == timedelta(seconds=30)
    assert social.options["command"] == ("./social-queue",)
    assert social.options["argv"] == ("./social-queue",)


def test_every_source_with_its_options(tmp_path):
    text = """\
channels:
  fd: {source: freshdesk, domain: acme, api_key_file: ~/.fd-key, query: "status:2 AND tag:'outage'"}
  fd2: {source: freshdesk, domain: support.acme.example, api_key_env: FD_KEY, query: "status:2"}
  ic: {source: intercom, token_env: IC_TOKEN, every: 5s, timeout: 3}
  ic2:
    source: intercom
    token_env: IC_TOKEN
    base_url: http://127.0.0.1:8080/
    oldest: true
    query:
      operator: AND
      value:
        - {field: open, operator: "=", value: true}
        - {field: tag_ids, operator: IN, value: ["17", "18"]}
  sh: {source: command, command: "./q --json | tail -1", count: depth, every: 1h}
"""
    fd, fd2, ic, ic2, sh = load(tmp_path, text).queue_sources
    assert fd.options["base_url"] == "https://acme.freshdesk.com"
    assert dict(fd.secret_refs) == {"api_key": (None, "~/.fd-key")}
    assert fd2.options["base_url"] == "https://support.acme.example"
    assert ic.options["base_url"] == "https://api.intercom.io"
    assert ic.options["query"] == {"field": "open", "operator": "=", "value": True}
    assert (ic.every, ic.timeout) == (timedelta(seconds=5), 3.0)
    assert ic2.options["base_url"] == "http://127.0.0.1:8080"
    assert ic2.options["oldest"] is True
    assert ic2.options["query"] == {
        "operator": "AND",
        "value": [
            {"field": "open", "operator": "=", "value": True},
            {"field": "tag_ids", "operator": "IN", "value": ["17", "18"]},
        ],
    }
    assert sh.options["argv"] == ("/bin/sh", "-c", "./q --json | tail -1")
    assert sh.options["count"] == "depth" and sh.every == timedelta(hours=1)


def test_no_channels_is_no_sources(tmp_path):
    assert load(tmp_path, "destinations: []\n").queue_sources == ()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "{source: zendesk, subdomain: acme, email: a@b.c, token_env: T, query: q, colour: red}",
            "2:@colour: unknown key 'colour' in a zendesk source (allowed: source, every, timeout, "
            "subdomain, base_url, email, token_env, token_file, query, oldest)",
        ),
        (
            "{every: 30s}",
            "2:@{: channel 'tickets' is missing required key 'source' "
            "(zendesk, freshdesk, intercom, json, command)",
        ),
        (
            "{source: jira}",
            "2:@jira: unknown source 'jira' "
            "(supported: zendesk, freshdesk, intercom, json, command)",
        ),
        (
            "{source: json, url: 'https://q.example/x'}",
            "2:@{: a json source is missing required key 'count'",
        ),
        (
            "{source: json, url: 'http://q.example/x', count: n}",
            "2:@'http://q.example/x': url must start with https:// "
            "(http:// only for 127.0.0.1 or localhost)",
        ),
        ("{source: json, count: n}", "2:@{: a json source needs exactly one of url or url_env"),
        (
            "{source: json, url: 'https://q.example', count: 'data.['}",
            "2:@'data.[': count is not a JMESPath expression: it ends too soon ('data.[')",
        ),
        (
            "{source: json, url: 'https://q.example', count: n, oldest: 'a b'}",
            "2:@'a b': oldest is "
            "not a JMESPath expression: Unexpected token: b at character 3 of 'a b'",
        ),
        (
            "{source: json, url: 'https://q.example', count: n, headers_env: {'Bad Header': V}}",
            "2:@'Bad Header': 'Bad Header' is not a header name",
        ),
        (
            "{source: json, url: 'https://q.example', count: n, headers_env: {X-Key: 'not a var'}}",
            "2:@'not a var': headers_env X-Key must be the NAME of an environment variable",
        ),
        (
            "{source: command, command: []}",
            "2:@[]: command is an empty list: give the program and its arguments",
        ),
        (
            "{source: command, command: echo 3, every: 2s}",
            "2:@2s: every must be a duration from 5s to 1h (such as 30s or 2m)",
        ),
        (
            "{source: command, command: echo 3, every: 2h}",
            "2:@2h: every must be a duration from 5s to 1h (such as 30s or 2m)",
        ),
        (
            "{source: command, command: echo 3, every: often}",
            "2:@often: every must be a duration from 5s to 1h (such as 30s or 2m)",
        ),
        (
            "{source: command, command: echo 3, timeout: 0}",
            "2:@0}: timeout must be a number of seconds from 1 to 120",
        ),
        (
            "{source: zendesk, email: a@b.c, token_env: T, query: q}",
            "2:@{: a zendesk source needs exactly one of subdomain or base_url",
        ),
        (
            "{source: zendesk, subdomain: a, base_url: 'https://x', email: a@b.c, token_env: T, "
            "query: q}",
            "2:@{: a zendesk source needs exactly one of subdomain or base_url",
        ),
        (
            "{source: zendesk, subdomain: acme.zendesk.com, email: a@b.c, token_env: T, query: q}",
            "2:@acme.zendesk.com: subdomain must be the name before .zendesk.com "
            "(acme for acme.zendesk.com)",
        ),
        (
            "{source: zendesk, subdomain: a, email: a@b.c, query: q}",
            "2:@{: a zendesk source needs exactly one of token_env or token_file",
        ),
        (
            "{source: zendesk, subdomain: a, email: a@b.c, token_env: T, token_file: f, query: q}",
            "2:@{: a zendesk source needs exactly one of token_env or token_file",
        ),
        (
            "{source: zendesk, subdomain: a, email: a@b.c, token_env: $TOKEN, query: q}",
            "2:@$TOKEN: token_env must be the NAME of an environment variable",
        ),
        (
            "{source: zendesk, subdomain: a, email: nobody, token_env: T, query: q}",
            "2:@nobody: email must be the agent's email address (bot@acme.example)",
        ),
        (
            "{source: zendesk, subdomain: a, email: a@b.c, token_env: T, query: q, oldest: 1}",
            "2:@1}: oldest must be true or false",
        ),
        (
            "{source: freshdesk, domain: 'https://acme.freshdesk.com', api_key_env: K, query: q}",
            "2:@'https://acme.freshdesk.com': domain must be acme or acme.freshdesk.com "
            "(no https://, no path)",
        ),
        (
            "{source: freshdesk, domain: acme, api_key_env: K, query: '\"status:2\"'}",
            "2:@'\"status:2\"': "
            "query must be Freshdesk filter syntax without double quotes, at most 512 characters "
            "(status:2 AND tag:'outage'); warroom adds the quotes",
        ),
        (
            "{source: intercom, token_env: T, query: 'open'}",
            "2:@'open': query must be an Intercom "
            "search query: {field: open, operator: '=', value: true}, or {operator: AND, "
            "value: [...]}",
        ),
        (
            "{source: intercom, token_env: T, query: {field: open, operator: is, value: true}}",
            "2:@is,: operator must be one of =, !=, IN, NIN, <, >, ~, !~, ^, $",
        ),
        (
            "{source: intercom, token_env: T, base_url: 'https://api.intercom.io?x=1'}",
            "2:@'https://api.intercom.io?x=1': base_url must be a plain address "
            "(no query, fragment or user)",
        ),
        ("3", "2:@3: channel 'tickets' must be a mapping with a 'source' key"),
    ],
)
def test_each_problem_at_its_place(tmp_path, spec, expected):
    """``expected`` is ``2:@ANCHOR: message``: the problem is on line 2, at the column
    where ANCHOR first starts in that line."""
    line = f"  tickets: {spec}"
    anchor, message = re.fullmatch(r"2:@(.+?): (.*)", expected, re.S).groups()
    col = line.index(anchor) + 1
    assert one(tmp_path, f"channels:\n{line}\n") == f"2:{col}: {message}"


def test_a_channel_id_follows_the_playbook_rules(tmp_path):
    found = one(tmp_path, "channels:\n  Live Chat: {source: command, command: x}\n")
    assert found == "2:3: channel id 'Live Chat' must be lowercase letters, digits, '-' or '_'"


def test_channels_must_be_a_mapping(tmp_path):
    found = one(tmp_path, "channels:\n  - {source: command, command: x}\n")
    assert found.startswith("2:3: channels must map a channel id to its queue source")


@pytest.mark.parametrize(
    ("kind", "key", "hint"),
    [
        ("zendesk", "token", "use token_env (an environment variable) or token_file"),
        ("freshdesk", "api_key", "use api_key_env (an environment variable) or api_key_file"),
        ("intercom", "token", "use token_env (an environment variable) or token_file"),
        ("json", "headers", "use headers_env (header name -> the environment variable"),
    ],
)
def test_a_secret_written_as_a_value_is_refused_without_quoting_it(tmp_path, kind, key, hint):
    value = f"{{Authorization: '{SECRET}'}}" if key == "headers" else f"'{SECRET}'"
    text = f"channels:\n  q:\n    source: {kind}\n    {key}: {value}\n"
    found = problems(tmp_path, text)
    refused = [p for p in found if hint in p]
    assert refused and refused[0].startswith("4:"), found
    assert all(SECRET not in p for p in found)


def test_every_problem_of_every_channel_is_told_in_order(tmp_path):
    text = (
        "channels:\n"
        "  a: {source: command, command: x, every: 1s}\n"
        "  b: {source: json, url: 'https://x.example', count: '[['}\n"
        "  c: {source: nope}\n"
        "destinations:\n"
        "  - {id: d, type: webhook, url: 'http://127.0.0.1:9/h', colour: red}\n"
    )
    found = problems(tmp_path, text)
    assert [p.split(":")[0] for p in found] == ["2", "3", "4", "6"], found


def test_the_secret_is_read_at_poll_time_and_named_never_shown(tmp_path, monkeypatch):
    monkeypatch.delenv("WARROOM_TEST_Q_TOKEN", raising=False)
    (src,) = load(
        tmp_path,
        "channels:\n  t: {source: intercom, token_env: WARROOM_TEST_Q_TOKEN}\n",
    ).queue_sources
    with pytest.raises(
        SecretError, match=r"^channel 't': environment variable WARROOM_TEST_Q_TOKEN is not set$"
    ):
        src.secret("token")
    monkeypatch.setenv("WARROOM_TEST_Q_TOKEN", f"{SECRET}\n")
    assert src.secret("token") == SECRET
    monkeypatch.setenv("WARROOM_TEST_Q_TOKEN", f"{SECRET} trailing words")
    with pytest.raises(SecretError) as info:
        src.secret("token")
    assert SECRET not in str(info.value) and "without spaces" in str(info.value)


def test_header_values_may_hold_a_space_but_one_line(tmp_path, monkeypatch):
    (src,) = load(
        tmp_path,
        "channels:\n  c: {source: json, url: 'https://x.example/q', count: n, "
        "headers_env: {Authorization: WARROOM_TEST_Q_AUTH}}\n",
    ).queue_sources
    monkeypatch.setenv("WARROOM_TEST_Q_AUTH", f"Bearer {SECRET}")
    assert src.headers() == {"Authorization": f"Bearer {SECRET}"}
    monkeypatch.setenv("WARROOM_TEST_Q_AUTH", f"Bearer {SECRET}\x1b[2J")
    with pytest.raises(SecretError) as info:
        src.headers()
    assert SECRET not in str(info.value) and "character 41 is not" in str(info.value)


# -- through the real entry point ---------------------------------------------------------


def test_the_cli_says_every_problem_at_file_line_col_and_exits_2(cli, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "channels:\n"
        "  tickets:\n"
        "    source: zendesk\n"
        "    subdomain: acme\n"
        "    email: bot@acme.example\n"
        f"    token: {SECRET}\n"
        "    query: type:ticket\n"
        "  chat:\n"
        "    source: json\n"
        "    url: https://chat.example/queue\n"
        "    count: data.[waiting\n"
        "destinations: []\n",
        encoding="utf-8",
    )
    r = cli.fails("destinations", env={"WARROOM_CONFIG": str(config)})
    lines = r.err.strip().splitlines()
    assert all(LINE.match(line) for line in lines), r.err
    assert lines == [
        f"{config}:3:5: a zendesk source needs exactly one of token_env or token_file",
        f"{config}:6:12: never put a token in the config: use token_env (an environment "
        "variable) or token_file (a 0600 file)",
        f"{config}:11:12: count is not a JMESPath expression: it ends too soon ('data.[waiting')",
    ], r.err
    assert SECRET not in r.err and SECRET not in r.out and r.out == ""


def test_the_cli_refuses_an_unknown_top_level_key_listing_channels(cli, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("queues:\n  a: {source: command, command: x}\n", encoding="utf-8")
    r = cli.fails("destinations", env={"WARROOM_CONFIG": str(config)})
    assert r.err.strip() == (
        f"{config}:1:1: unknown key 'queues' in the config "
        "(allowed: destinations, keymap, channels)"
    )


def test_the_readme_queue_sources_example_loads(tmp_path):
    from tests.conftest import ROOT

    text = (ROOT / "README.md").read_text()
    section = text.split("### Queue sources: `channels:` in the config", 1)[1].split("\n### ")[0]
    (block,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    sources = load(tmp_path, block).queue_sources
    assert [(s.channel, s.source) for s in sources] == [
        ("tickets", "zendesk"),
        ("email", "freshdesk"),
        ("chat", "intercom"),
        ("forum", "json"),
        ("social", "command"),
    ]

"""A chat webhook's host is shown, its path (the token) never: ``warroom destinations``.

The whole hook URL is read from a secret (url_env), so a redaction against the whole URL
used to eat the host too ("[redacted]:443"). The host (hooks.slack.com) is no secret and
is what a person checks; the path and query are. Through the real entry point, against a
loopback listener (TCP only: a chat hook has no read-only call) and a name that cannot
resolve (``.invalid``).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tui.publish.destinations.redaction import REDACTED, secret_url_parts, url_origin

SEGMENTS = ("services", "T0AAAA1Z", "B0BBBB2Y", "xoxTokenSecret4242", "sig=Zq9Kk2Lm")
PATH = "/services/T0AAAA1Z/B0BBBB2Y/xoxTokenSecret4242?sig=Zq9Kk2Lm"


@pytest.fixture
def listener() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel's backlog; nothing answers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def config(tmp_path, *hooks: tuple[str, str]) -> dict[str, str]:
    path = tmp_path / "config.yaml"
    lines = ["destinations:\n"]
    env = {"WARROOM_CONFIG": str(path)}
    for n, (kind, url) in enumerate(hooks):
        lines.append(f"  - {{id: {kind}{n}, type: {kind}, url_env: HOOK_{n}}}\n")
        env[f"HOOK_{n}"] = url
    path.write_text("".join(lines), encoding="utf-8")
    return env


def no_path(*texts: str) -> None:
    for text in texts:
        for segment in SEGMENTS:
            assert segment not in text, text


def test_the_check_names_the_hooks_host_and_never_its_path(cli, tmp_path, listener):
    env = config(
        tmp_path,
        ("slack", f"http://localhost:{listener}{PATH}"),
        ("mattermost", f"http://localhost:{listener}{PATH}"),
        ("teams", f"https://hooks.teams.invalid{PATH}"),
    )
    r = cli(
        "destinations", "check", env=env
    )  # the .invalid name fails: exit 1, the others say reachable
    assert r.code == 1, r.err
    lines = r.out.splitlines()
    assert lines[0].startswith(
        f"slack0 (slack): OK — reachable: TCP (plain http, no TLS) to localhost:{listener};"
    )
    assert lines[1].startswith(
        "mattermost1 (mattermost): OK — reachable: TCP (plain http, no TLS) "
        f"to localhost:{listener};"
    )
    assert lines[2].startswith("teams2 (teams): cannot reach hooks.teams.invalid:443: "), lines[2]
    assert REDACTED not in r.out
    no_path(r.out, r.err)


def test_the_list_names_each_hooks_scheme_and_host_only(cli, tmp_path):
    env = config(
        tmp_path,
        ("slack", f"https://hooks.slack.invalid{PATH}"),
        ("discord", f"https://discord.invalid:8443/api/webhooks/1234567/{SEGMENTS[3]}"),
    )
    r = cli.ok("destinations", env=env)
    rows = [line.split() for line in r.out.splitlines()]
    assert rows[0][0] == "slack0" and rows[0][-1] == "https://hooks.slack.invalid", rows
    assert rows[1][0] == "discord1" and rows[1][-1] == "https://discord.invalid:8443", rows
    no_path(r.out, r.err)


@pytest.mark.parametrize(
    ("url", "secret", "shown"),
    [
        (f"https://hooks.slack.com{PATH}", [PATH, "sig=Zq9Kk2Lm"], "https://hooks.slack.com"),
        (
            "https://u:pa55w0rd@hooks.example.com/x/tok3n",
            ["u:pa55w0rd", "/x/tok3n"],
            "https://hooks.example.com",
        ),
        (
            "https://hooks.example.com/p/\u00e9l\u00e8ve-t\u00f6ken",
            ["/p/\u00e9l\u00e8ve-t\u00f6ken"],
            "https://hooks.example.com",
        ),
        ("not a url at all\nsecond line", ["not a url at all\nsecond line"], "?"),
    ],
)
def test_a_hook_urls_secret_is_its_path_query_and_password(url, secret, shown):
    parts = secret_url_parts(url)
    for piece in secret:
        assert piece in parts
    assert url_origin(url) == shown
    assert all("hooks." not in p for p in parts)  # the host is never among the secrets


def test_the_confirm_screen_names_the_chat_hooks_host_and_never_its_path(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from tests.dashboard_helpers import seeded_db
    from tui.core.config import load_config
    from tui.core.store import Store
    from tui.publish.preview import describe
    from tui.publish.publishing import plan

    path = tmp_path / "config.yaml"
    path.write_text(
        "destinations:\n"
        "  - {id: ops, type: slack, url_env: H5_SLACK}\n"
        "  - {id: room, type: discord, url_env: H5_DISCORD}\n"
        "  - {id: unset, type: mattermost, url_env: H5_UNSET}\n"
    )
    monkeypatch.setenv("H5_SLACK", f"https://hooks.slack.com{PATH}")
    monkeypatch.setenv("H5_DISCORD", f"https://discord.com/api/webhooks/1234567/{SEGMENTS[3]}")
    monkeypatch.delenv("H5_UNSET", raising=False)
    config = load_config(path)
    with Store(seeded_db(tmp_path)) as store:
        state = store.state(store.incidents()[0].id)
    at = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    plans = plan(state, config, "update", "Logins fail.", incident_key="k", at=at)
    shown = {p.destination.id: describe(p.destination, p.payload).lines for p in plans}
    assert shown["ops"][0].startswith("chat at https://hooks.slack.com:"), shown["ops"]
    assert shown["room"][0].startswith("chat at https://discord.com:"), shown["room"]
    assert shown["unset"][0].startswith("chat:")  # not readable now: said at send
    no_path(*("\n".join(lines) for lines in shown.values()))

"""Canned replies: rendered from the latest published update, outdated after a newer one,
copies recorded as events; inside tmux its paste buffer (whatever set-clipboard), else
OSC 52, else (TERM=dumb, tmux refusing) the file.

Real parts: a SQLite file, the shipped playbook and templates, commands.publish (the
webhook destinations are only queued, never sent), a private tmux server.
"""

from __future__ import annotations

import base64
import os
import select
import stat
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import MAJOR
from tests.tmux_server import TmuxServer
from tui import commands
from tui.app import clipboard
from tui.commands.replies import record_reply_copied
from tui.core.clock import FrozenClock, wall
from tui.core.config import load_config
from tui.core.errors import CommandError
from tui.core.playbook import load_playbook
from tui.core.store import Store
from tui.queues.replies import NOTHING_PUBLISHED, ReplyError, copy_words, reply

T0 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
ACK = (
    "We're aware that logins fail for many customers and we're so sorry. "
    "We're working on it. Next update by 9:30 AM EST."
)
UPDATE = "We found the cause of the failed logins and are fixing it. Next update by 10:00 AM EST."


@pytest.fixture
def room(tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        "destinations:\n  - {id: hook, type: webhook, url: 'http://127.0.0.1:9/x'}\n"
    )
    playbook = tmp_path / "book.yaml"
    playbook.write_text(MAJOR.read_text())
    clock = FrozenClock(T0)
    store = Store(tmp_path / "w.db")
    commands.start(store, clock, "maria", load_playbook(playbook), "Logins fail", {})
    yield store, clock, load_config(config_file)
    store.close()


def publish(store, clock, config, purpose: str, body: str, promised: datetime) -> int:
    out = commands.publish(
        store, clock, "maria", "INC-1", purpose, body, config,
        promised_next_at=promised, accept_warnings=True,
    )  # fmt: skip
    assert out.event_id is not None
    return out.event_id


def test_reply_renders_from_the_latest_published_update_and_its_promise(room):
    store, clock, config = room
    promised = T0 + timedelta(minutes=30)
    ack = publish(store, clock, config, "ack", ACK, promised)
    later = T0 + timedelta(minutes=12)  # a time computed now would be another one
    r = reply(store.state("INC-1"), "chat", later)
    assert r.based_on == ack and r.based_on_at == T0 and r.based_on_purpose == "ack"
    assert r.tone == "Helpful, but honest about limits."
    assert r.next_update_at == promised
    assert f"next update is due by {wall(promised, 'America/New_York')}" in r.text
    assert "9:30 AM EST" in r.text  # (the promise, in the customers' zone)
    assert "https://status.acme.example" in r.text and "Logins fail" in r.text
    assert r.notice == "" and r.outdated is False and r.copied is None
    social = reply(store.state("INC-1"), "social", later)
    assert len(social.text.strip()) <= 280 and "(next one by 9:30 AM EST)" in social.text


def test_before_any_update_it_renders_what_the_playbook_knows_and_says_so(room):
    store, _, _ = room
    r = reply(store.state("INC-1"), "tickets", T0 + timedelta(minutes=1))
    assert r.based_on is None and r.notice == NOTHING_PUBLISHED
    # the first phase's deadline (15m after detection in the shipped playbook)
    assert r.next_update_at == T0 + timedelta(minutes=15)
    assert "9:15 AM EST" in r.text and "[[" not in r.text


def test_a_copy_is_an_event_and_a_newer_update_makes_it_outdated(room):
    store, clock, config = room
    ack = publish(store, clock, config, "ack", ACK, T0 + timedelta(minutes=30))
    clock.advance(timedelta(minutes=2))
    record_reply_copied(store, clock, "sam", "INC-1", "chat", ack, "osc52")
    s = store.state("INC-1")
    assert s.reply_copies["chat"].by == "sam" and s.reply_copies["chat"].based_on == ack
    assert copy_words(s, "chat") == ("reply copied 09:02 by sam", False)
    assert copy_words(s, "tickets") is None
    assert s.timeline[-1].text == f"sam copied the live chat canned reply (from message #{ack})"
    assert reply(s, "chat", clock.now()).outdated is False

    clock.advance(timedelta(minutes=10))
    newer = publish(store, clock, config, "update", UPDATE, T0 + timedelta(minutes=60))
    s = store.state("INC-1")
    assert copy_words(s, "chat") == ("reply copied 09:02 by sam", True)
    r = reply(s, "chat", clock.now())
    assert r.outdated is True and r.based_on == newer
    assert "10:00 AM EST" in r.text and "9:30 AM EST" not in r.text


def test_a_copy_must_name_a_published_message_of_the_incident(room):
    store, clock, _ = room
    with pytest.raises(CommandError, match="#999 is not a message published in INC-1"):
        record_reply_copied(store, clock, "sam", "INC-1", "chat", 999, "osc52")
    with pytest.raises(CommandError, match="unknown way of copying"):
        record_reply_copied(store, clock, "sam", "INC-1", "chat", None, "fax")
    with pytest.raises(CommandError, match=r"unknown channel 'nope' \(channels: tickets, chat"):
        record_reply_copied(store, clock, "sam", "INC-1", "nope", None, "file")
    assert store.state("INC-1").reply_copies == {}


def test_unknown_channel_and_a_broken_template_are_one_line(room, tmp_path):
    store, clock, _ = room
    with pytest.raises(
        ReplyError, match=r"unknown channel 'nope' \(channels: tickets, chat, social\)"
    ):
        reply(store.state("INC-1"), "nope", clock.now())
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "reply.social.txt.j2").write_text("Hi {{ there(\n")
    with pytest.raises(ReplyError, match=r"^template .*reply\.social\.txt\.j2 line 1: "):
        reply(store.state("INC-1"), "social", clock.now())


def test_hostile_text_in_the_reply_is_literal_and_escape_free(room, tmp_path):
    store, clock, config = room
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "reply.chat.txt.j2").write_text(
        "Latest: {{ update }}\nTone: {{ tone }} / {{ channel }}\n"
    )
    body = "[bold red]Fixed[/] \x1b]52;c;ZXZpbA==\x07 soon. Next update by 9:30 AM EST."
    publish(store, clock, config, "ack", body, T0 + timedelta(minutes=30))
    r = reply(store.state("INC-1"), "chat", clock.now())
    assert "[bold red]Fixed[/]" in r.text  # markup stays text
    assert "\x1b" not in r.text and "\x07" not in r.text
    assert "Tone: Helpful, but honest about limits. / Live chat" in r.text


# ----------------------------------------------------------------- the clipboard


def test_osc52_carries_the_text_in_base64():
    seq = clipboard.osc52("Hi — there\n")
    assert seq.startswith("\x1b]52;c;") and seq.endswith("\a")
    assert base64.b64decode(seq[7:-1]).decode() == "Hi — there\n"


def test_blocker_names_dumb_terminals():
    assert "TERM=dumb" in (clipboard.blocker({"TERM": "dumb"}) or "")
    assert clipboard.blocker({"TERM": "xterm-256color"}) is None


@pytest.fixture
def tmux():
    server = TmuxServer()
    server.keep_alive()
    yield server
    server.close()


def _tmux_env(server: TmuxServer) -> str:
    return server.run("display", "-p", "-t", "keep", "#{socket_path},1,0").strip()


@pytest.mark.parametrize("value", ["external", "off", "on"])  # external: tmux's default
def test_inside_tmux_the_reply_goes_to_its_paste_buffer_whatever_set_clipboard(
    tmux, value, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    tmux.run("set-option", "-s", "set-clipboard", value)
    env = {"TERM": "dumb", "TMUX": _tmux_env(tmux)}  # (TERM does not matter to tmux)
    placed = clipboard.place("INC-1", "chat", "Hi \u2014 there,\nsee [b]this[/b]\n", env)
    assert placed.how == "tmux" and placed.why == "" and placed.path == ""
    assert placed.where.startswith("tmux's paste buffer (prefix ] to paste)")
    # the unnamed buffer prefix ] pastes: exactly the text, no trailing newline
    assert tmux.run("show-buffer") == "Hi \u2014 there,\nsee [b]this[/b]"
    assert not (tmp_path / "state").exists()  # no file


@pytest.mark.parametrize("value", ["external", "off"])
def test_tmux_passes_the_reply_on_to_the_attached_terminal(tmux, value, tmp_path, monkeypatch):
    """load-buffer -w: tmux itself writes OSC 52 to the terminal a person attached with
    (here a pseudo-terminal we read), even where it drops a program's own OSC 52."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    tmux.run("set-option", "-s", "set-clipboard", value)
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "TMUX"} | {"TERM": "xterm-256color"}
    client = subprocess.Popen(
        [tmux.exe, "-L", tmux.socket, "attach", "-t", "keep"],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    try:
        deadline = time.monotonic() + 10
        while "attached" not in tmux.run("list-clients"):
            assert time.monotonic() < deadline, "the client never attached"
            time.sleep(0.05)
        placed = clipboard.place("INC-1", "chat", "Hi there\n", {"TMUX": _tmux_env(tmux)})
        assert placed.how == "tmux" and placed.where.endswith("and the terminal clipboard")
        wanted = clipboard.osc52("Hi there").replace("52;c;", "52;;").encode()
        seen = b""
        while wanted not in seen:
            assert time.monotonic() < deadline, f"no OSC 52 reached the terminal: {seen[-200:]!r}"
            if select.select([master], [], [], 0.1)[0]:
                seen += os.read(master, 65536)
    finally:
        tmux.kill_server()
        try:
            client.wait(5)
        except subprocess.TimeoutExpired:
            client.kill()
            client.wait()
        os.close(master)


def test_where_tmux_cannot_take_it_the_file_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    env = {"TERM": "screen", "TMUX": f"{tmp_path}/nothing,1,0"}
    placed = clipboard.place("INC-1", "chat", "Hi there\n", env)
    assert placed.how == "file" and placed.why.startswith("tmux refused it (")
    assert "\n" not in placed.why
    assert placed.path == str(tmp_path / "state" / "warroom" / "replies" / "reply-INC-1-chat.txt")
    assert Path(placed.path).read_text() == "Hi there\n"


def test_outside_tmux_osc52_unless_the_terminal_is_dumb(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    placed = clipboard.place("INC-1", "chat", "Hi\n", {"TERM": "xterm-256color"})
    assert placed.how == "osc52" and not (tmp_path / "state").exists()
    placed = clipboard.place("INC-1", "chat", "Hi\n", {"TERM": "dumb"})
    assert placed.how == "file" and "TERM=dumb" in placed.why and placed.path


def test_tmux_before_3_2_loads_the_buffer_without_passing_it_on(tmux):
    assert clipboard.tmux_version() is not None
    assert not clipboard.onward((3, 1)) and clipboard.onward((3, 2)) and clipboard.onward(None)
    assert clipboard.to_tmux("old", _tmux_env(tmux), (3, 1)) is None  # no -w: still loads
    assert tmux.run("show-buffer") == "old"
    assert "tmux 3.1 cannot pass it on" in clipboard.tmux_words((3, 1))
    assert clipboard.tmux_words((3, 3)).endswith("and the terminal clipboard")


def test_the_fallback_file_is_private_and_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = clipboard.write_reply("INC-1", "../chat", "Hi there\n")
    assert path.parent == tmp_path / "state" / "warroom" / "replies"
    assert path.name == "reply-INC-1-.._chat.txt"
    assert path.read_text() == "Hi there\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) & 0o077 == 0

"""`warroom reply CHANNEL` through the real entry point: print, --json, --record, --copy
(where OSC 52 cannot work: the 0600 file, named), two processes on one database."""

from __future__ import annotations

import os
import stat
import threading

from tests.conftest import MAJOR

ACK_AT = "2026-11-27T19:05:00+00:00"
UPDATE_AT = "2026-11-27T19:30:00+00:00"


def start(cli, title: str = "Logins fail") -> None:
    cli.ok("start", "-p", str(MAJOR), "-t", title, "-m", "users_affected_pct=12")


def events(cli) -> int:
    return len(cli.ok("log", "--json", "--all").json())


def test_reply_prints_the_text_and_json_and_writes_nothing(cli):
    start(cli)
    cli.ok("posted", "ack", "--next", "30m", now=ACK_AT)  # promises 19:35 UTC = 2:35 PM EST
    before = events(cli)
    r = cli.ok("reply", "chat", now=UPDATE_AT)
    assert r.out.startswith("Hi there, thanks for your patience.")
    assert "our next update is due by 2:35 PM EST" in r.out  # the promise, not a new time
    assert "https://status.acme.example" in r.out and r.err == ""
    j = cli.ok("reply", "social", "--json", now=UPDATE_AT).json()
    assert j["channel"] == "social" and j["tone"] == "Present, responsive, directive."
    assert j["based_on"] == 2 and j["based_on_at"] == ACK_AT  # (1 start, 3 the ack's tick)
    assert j["next_update_at"] == "2026-11-27T19:35:00+00:00"
    assert j["outdated"] is False and j["copied_by"] is None and j["notice"] == ""
    assert "(next one by 2:35 PM EST)" in j["text"]
    assert events(cli) == before  # reading writes nothing


def test_before_any_update_it_says_what_the_reply_is_based_on(cli):
    start(cli)
    r = cli.ok("reply", "tickets")
    assert "Hi there," in r.out
    assert (
        r.err
        == "warroom: no update published yet \u2014 the reply says only what the playbook knows\n"
    )


def test_unknown_channel_is_one_line_listing_the_channels(cli):
    start(cli)
    r = cli.fails("reply", "phone")
    assert r.err == "warroom: unknown channel 'phone' (channels: tickets, chat, social)\n"
    assert r.out == ""


def test_a_newer_update_from_another_process_makes_the_copy_outdated(cli):
    start(cli)
    cli.ok("posted", "ack", "--next", "30m", now=ACK_AT)
    taken = cli.ok("reply", "chat", "--record", actor="sam", now="2026-11-27T19:06:00+00:00")
    assert "Hi there" in taken.out
    j = cli.ok("reply", "chat", "--json").json()
    assert j["copied_by"] == "sam" and j["outdated"] is False
    # a second process, another person: a newer update
    cli.ok("posted", "update", "--next", "45m", actor="bob", now=UPDATE_AT)
    j = cli.ok("reply", "chat", "--json", now=UPDATE_AT).json()
    assert j["outdated"] is True and j["copied_by"] == "sam"
    assert j["based_on"] > 3 and j["next_update_at"] == "2026-11-27T20:15:00+00:00"
    assert "3:15 PM EST" in j["text"]
    r = cli.ok("reply", "chat", now=UPDATE_AT)
    assert "the last copy (sam) was from an older update" in r.err
    log = cli.ok("log").out
    assert "sam printed the live chat canned reply (from message #2)" in log


def test_copy_where_osc52_cannot_work_writes_a_private_file_and_says_so(cli, tmp_path):
    start(cli)
    cli.ok("posted", "ack", "--next", "30m", now=ACK_AT)
    env = {"TERM": "dumb", "XDG_STATE_HOME": str(tmp_path / "state")}
    r = cli.ok("reply", "tickets", "--copy", env=env, actor="sam", now=UPDATE_AT)
    target = tmp_path / "state" / "warroom" / "replies" / "reply-INC-1-tickets.txt"
    why = "TERM=dumb: this terminal takes no OSC 52"
    assert r.err == f"warroom: cannot copy here: {why}; the reply is in {target}\n"
    assert r.out == "INC-1: Support tickets: reply written to a file\n"
    assert target.read_text().startswith("Hi there,\n\nThank you for getting in touch")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert (
        "sam copied the support tickets canned reply to a file (from message #2)"
        in cli.ok("log").out
    )


def test_hostile_title_is_printed_literally(cli):
    start(cli, "Logins [bold]fail[/bold] \x1b[2J\x1b]52;c;ZXZpbA==\x07 now")
    r = cli.ok("reply", "chat")
    assert "Logins [bold]fail[/bold]" in r.out
    assert "\x1b" not in r.out and "\x07" not in r.out
    j = cli.ok("reply", "chat", "--json").json()
    assert "\x1b" not in j["text"] and "[bold]fail[/bold]" in j["text"]


def test_two_people_copy_at_once_both_are_recorded(cli):
    start(cli)
    cli.ok("posted", "ack", "--next", "30m", now=ACK_AT)
    results: dict[str, object] = {}

    def take(actor: str) -> None:
        results[actor] = cli("reply", "chat", "--record", actor=actor, now=UPDATE_AT)

    threads = [threading.Thread(target=take, args=(a,)) for a in ("sam", "kim")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.code == 0 for r in results.values()), results  # type: ignore[attr-defined]
    log = cli.ok("log").out
    assert "sam printed the live chat canned reply" in log
    assert "kim printed the live chat canned reply" in log
    assert cli.ok("reply", "chat", "--json").json()["copied_by"] in ("sam", "kim")

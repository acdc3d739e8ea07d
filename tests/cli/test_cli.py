"""The headless CLI through the real `warroom` entry point, in subprocesses."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading

from tests.conftest import MAJOR, MINOR

LATER = "2026-11-27T19:20:00+00:00"  # 20 minutes after T0


def start_major(cli, *extra: str, **kw) -> str:
    r = cli.ok(
        "start",
        "--playbook",
        str(MAJOR),
        "--title",
        "API and dashboard down",
        "--metric",
        "users_affected_pct=12",
        *extra,
        **kw,
    )
    return r.out.strip()


def test_scripted_incident_end_to_end(cli):
    incident = start_major(cli)
    assert incident == "INC-1"
    cli.ok("assign", "commander", "alice")
    cli.ok("assign", "comms", "bob")
    cli.ok("check", "war-room")
    cli.ok("check", "ack-status-page", actor="bob", now="2026-11-27T19:05:00+00:00")
    cli.ok("metric", "customers_affected=340", "core_feature_down=true")
    cli.ok("posted", "ack", "--next", "30m", now="2026-11-27T19:08:00+00:00")
    # four items still open: moving on anyway records each as skipped ("forced")
    cli.ok("phase", "next", "--force", now="2026-11-27T19:09:00+00:00")

    status = cli.ok("status", "--json", now="2026-11-27T19:10:00+00:00").json()
    assert status["id"] == "INC-1"
    assert status["title"] == "API and dashboard down"
    assert status["severity"] == "major"
    assert status["phase"] == "diagnose"
    # times are ISO 8601 with the customers' offset (America/New_York, EST)
    assert status["started_at"] == "2026-11-27T14:00:00-05:00"
    assert status["next_update_due"] == "2026-11-27T14:38:00-05:00"  # the promise: 19:08 + 30m
    assert status["overdue"] is False
    assert status["roles"]["commander"] == "alice"
    assert status["roles"]["comms"] == "bob"
    assert status["roles"]["support"] is None
    assert status["metrics"] == {
        "users_affected_pct": 12,
        "customers_affected": 340,
        "core_feature_down": True,
    }
    items = {i["id"]: i for i in status["checklist"]}
    assert items["war-room"]["done"] and items["war-room"]["by"] == "alice"
    assert items["ack-status-page"] == {
        **items["ack-status-page"],
        "done": True,
        "by": "bob",
        "at": "2026-11-27T14:05:00-05:00",
        "phase": "acknowledge",
    }
    assert items["ack-social"]["done"] is False and items["ack-social"]["skipped"] is True
    assert items["ack-social"]["reason"] == "forced" and items["ack-social"]["by"] == "alice"
    assert items["cause-identified"]["done"] is False and items["cause-identified"]["by"] is None
    phases = {p["id"]: p for p in status["phases"]}
    assert phases["acknowledge"]["state"] == "done"
    assert phases["acknowledge"]["missed"] is False
    assert phases["acknowledge"]["met_at"] == "2026-11-27T14:08:00-05:00"

    log = cli.ok("log").out.splitlines()
    assert len(log) == 12
    assert "alice opened INC-1" in log[0] and "MAJOR" in log[0]
    assert "alice made bob comms lead" in log[2]
    assert "bob ticked" in log[4]
    assert "Customers affected = 340" in log[5]
    assert "promising the next update by 2:38 PM EST" in log[6]
    assert all("(moved on with it open: forced)" in line for line in log[7:11])
    assert "Diagnostic & transparent updates" in log[11] and log[11].endswith("(forced)")
    entries = cli.ok("log", "--json").json()
    assert [e["kind"] for e in entries][:2] == ["incident.started", "role.assigned"]
    assert entries[0]["actor"] == "alice"

    listing = cli.ok("list", "--json").json()
    assert [r["id"] for r in listing] == ["INC-1"]


def test_countdown_goes_late_and_oneline_says_so(cli):
    start_major(cli)
    on_track = cli.ok("status", "--oneline", now="2026-11-27T19:03:00+00:00").out.strip()
    assert on_track == "INC-1 MAJOR acknowledge: update due 14:15 (12m)"
    soon = cli.ok("status", "--oneline", now="2026-11-27T19:11:00+00:00").out.strip()
    assert soon.endswith("(4m) DUE SOON")
    late = cli.ok("status", "--oneline", now="2026-11-27T19:19:30+00:00").out.strip()
    assert late == "INC-1 MAJOR acknowledge: update LATE +4m (due 14:15)"
    assert len(late) <= 80
    status = cli.ok("status", "--json", now="2026-11-27T19:19:30+00:00").json()
    assert status["overdue"] is True and status["update_state"] == "LATE"
    assert status["phases"][0]["missed"] is True


def test_cadence_without_promise_and_resolution(cli):
    start_major(cli)
    cli.ok("posted", "ack", now="2026-11-27T19:10:00+00:00")  # no promise: the cadence rules
    s = cli.ok("status", "--json", now="2026-11-27T19:11:00+00:00").json()
    assert s["next_update_due"] == "2026-11-27T14:40:00-05:00"
    assert s["next_update_reason"].startswith("cadence")
    cli.ok("posted", "update", "--next", "14:55", now="2026-11-27T19:30:00+00:00")
    s = cli.ok("status", "--json", now="2026-11-27T19:31:00+00:00").json()
    assert s["next_update_due"] == "2026-11-27T14:55:00-05:00"
    cli.ok("posted", "resolved", now="2026-11-27T19:40:00+00:00")
    s = cli.ok("status", "--json", now="2026-11-27T21:00:00+00:00").json()
    assert s["next_update_due"] is None and s["overdue"] is False
    assert s["resolved_at"] == "2026-11-27T14:40:00-05:00"
    r = cli.fails("posted", "update", "--next", "30m", now="2026-11-27T19:41:00+00:00")
    assert "already resolved" in r.err


def test_severity_follows_the_rules(cli):
    r = cli.ok(
        "start", "--playbook", str(MAJOR), "--title", "slow search", "-m", "error_rate_pct=2"
    )
    incident = r.out.strip()
    s = cli.ok("status", "--json").json()
    assert s["severity"] == "minor" and s["protocol"] == "light"
    assert "amends" not in [p["id"] for p in s["phases"]]
    cli.ok("metric", "core_feature_down=yes")
    s = cli.ok("status", "--json", "--incident", incident).json()
    assert s["severity"] == "major" and s["protocol"] == "full"
    assert "amends" in [p["id"] for p in s["phases"]]
    assert "severity MINOR \u2192 MAJOR" in cli.ok("log").out


def test_shipped_playbook_by_name_and_detected_at(cli):
    r = cli.ok(
        "start",
        "--playbook",
        "minor-degradation",
        "--title",
        "Slow exports",
        "--detected-at=13:40",  # customers' zone (EST): 20 minutes before T0
    )
    assert r.out.strip() == "INC-1"
    s = cli.ok("status", "--json").json()
    assert s["detected_at"] == "2026-11-27T13:40:00-05:00"
    assert s["severity"] == "minor"
    # acknowledge deadline is 30m after detection in this playbook
    assert s["next_update_due"] == "2026-11-27T14:10:00-05:00"


def test_bad_input_is_one_line_exit_2_and_writes_nothing(cli):
    start_major(cli)
    before = cli.ok("log", "--json").json()
    cases = [
        (("check", "no-such-item"), "no checklist item 'no-such-item'"),
        (("assign", "janitor", "bob"), "unknown role 'janitor'"),
        (("assign", "comms", "bob smith"), "not a user name"),
        (("metric", "mood=7"), "unknown metric 'mood'"),
        (("metric", "users_affected_pct=lots"), "must be a number"),
        (("metric", "users_affected_pct=140"), "percentage from 0 to 100"),
        (("metric", "core_feature_down=maybe"), "true/false"),
        (("metric", "customers_affected=-3"), "cannot be negative"),
        (("metric", "customers_affected=2.5"), "whole number"),
        (("metric", "noequals"), "NAME=VALUE"),
        (("posted", "update", "--next=-5m"), "must be in the future"),
        (("posted", "update", "--next", "-5m"), "must be in the future"),  # -5m is a value
        (("posted", "update", "--next", "25:99"), "not a time of day"),
        (("status", "--incident", "INC-99"), "no incident 'INC-99'"),
        (("note", "   "), "must not be empty"),
    ]
    for args, message in cases:
        r = cli.fails(*args)
        assert message in r.err, (args, r.err)
        assert len(r.err.strip().splitlines()) == 1, r.err
    assert cli.ok("log", "--json").json() == before


def test_usage_errors_exit_2(cli):
    r = cli("frobnicate")
    assert r.code == 2 and "invalid choice" in r.err
    r = cli("start", "--title", "x")
    assert r.code == 2 and "--playbook" in r.err


def test_several_open_incidents_need_naming(cli):
    start_major(cli)
    cli.ok("start", "--playbook", str(MINOR), "--title", "Slow exports")
    r = cli.fails("check", "war-room")
    assert "2 incidents are open" in r.err and "INC-1" in r.err and "INC-2" in r.err
    cli.ok("check", "war-room", "--incident", "INC-1")
    cli.ok("check", "name-commander", "-i", "2")
    listing = cli.ok("list").out
    assert "INC-1" in listing and "INC-2" in listing
    # the status bar shows the most urgent one and says there are more
    line = cli.ok("status", "--oneline").out.strip()
    assert line.startswith("INC-1 ") and line.endswith("(+1 more)") and len(line) <= 80
    cli.ok("close", "-i", "INC-2", "--force")  # never resolved: closing it needs --force
    assert [r["id"] for r in cli.ok("list", "--json").json()] == ["INC-1"]
    assert [r["id"] for r in cli.ok("list", "--all", "--json").json()] == ["INC-1", "INC-2"]
    cli.ok("check", "ack-social")  # one open incident again: no --incident needed
    r = cli.fails("check", "name-commander", "-i", "INC-2")
    assert "INC-2 is closed" in r.err


def test_phase_next_stops_at_the_last_phase(cli):
    start_major(cli)
    for _ in range(3):
        cli.ok("phase", "next", "--force")
    r = cli.fails("phase", "next", "--force")
    assert "last phase" in r.err
    assert cli.ok("status", "--json").json()["phase"] == "amends"


def test_checking_twice_writes_one_event(cli):
    start_major(cli)
    cli.ok("check", "war-room")
    r = cli.ok("check", "war-room", actor="bob")
    assert "already ticked by alice" in r.out
    kinds = [e["kind"] for e in cli.ok("log", "--json").json()]
    assert kinds.count("checklist.checked") == 1
    cli.ok("uncheck", "war-room", actor="bob")
    item = next(i for i in cli.ok("status", "--json").json()["checklist"] if i["id"] == "war-room")
    assert item["done"] is False


def test_database_file_is_private_and_wal(cli):
    start_major(cli, env={})
    mode = stat.S_IMODE(os.stat(cli.db).st_mode)
    assert mode == 0o600
    with sqlite3.connect(cli.db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_shared_group_database_is_0660(cli):
    import grp

    group = grp.getgrgid(os.getgid()).gr_name
    r = cli.fails("list", env={"WARROOM_GROUP": group})  # reading: never creates
    assert "no database at" in r.err and not cli.db.exists()
    start_major(cli, env={"WARROOM_GROUP": group})
    st = os.stat(cli.db)
    assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == os.getgid()
    other = cli.db.with_name("other.db")
    r = cli.fails(
        "--db",
        str(other),
        "start",
        "-p",
        str(MAJOR),
        "-t",
        "x",
        "-m",
        "users_affected_pct=9",
        env={"WARROOM_GROUP": "no-such-group-xyz"},
    )
    assert "unknown group" in r.err and not other.exists()


def test_refuses_newer_schema_and_foreign_files(cli, tmp_path):
    start_major(cli)
    with sqlite3.connect(cli.db) as conn:
        conn.execute("PRAGMA user_version=99")
    r = cli.fails("status")
    assert "newer warroom" in r.err and "schema 99" in r.err

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    r = cli.fails("--db", str(junk), "status")
    assert "not a warroom database" in r.err

    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers(id)")
    r = cli.fails("--db", str(other), "check", "war-room")
    assert "not a warroom database" in r.err
    with sqlite3.connect(other) as conn:  # untouched
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["customers"]

    r = cli.fails("--db", str(tmp_path), "status")
    assert "is a directory" in r.err


def test_lock_held_past_the_timeout(cli):
    start_major(cli)
    conn = sqlite3.connect(cli.db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        r = cli.fails("check", "war-room", "--incident", "INC-1", env={"WARROOM_TIMEOUT": "0.3"})
        assert "locked" in r.err
        # reading never waits on a writer (WAL)
        cli.ok("status", "--json")
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert not any(e["kind"] == "checklist.checked" for e in cli.ok("log", "--json").json())


def test_concurrent_ticks_lose_nothing(cli):
    start_major(cli)
    items = ["war-room", "ack-status-page", "ack-social", "tickets-auto-ack", "pause-auto-replies"]
    results = []

    def tick(item, who):
        results.append(cli("check", item, actor=who))

    threads = [
        threading.Thread(target=tick, args=(item, who))
        for item in items
        for who in ("alice", "bob")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.code == 0 for r in results), [r.err for r in results if r.code]
    events = cli.ok("log", "--json").json()
    checked = [e for e in events if e["kind"] == "checklist.checked"]
    assert len(checked) == len(items)  # each item ticked exactly once
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_hostile_text_is_shown_literally(cli):
    title = "DB down \x1b]0;pwned\x07 [red]boom[/red] \x1b[2J"
    r = cli.ok("start", "-p", str(MAJOR), "-t", title, "-m", "users_affected_pct=9")
    cli.ok("note", "see [@click=app.quit]here[/] \x1b[31mred\x1b[0m")
    for args in (("status",), ("log",), ("list",), ("status", "--oneline")):
        out = cli.ok(*args).out
        assert "\x1b" not in out and "\x07" not in out
        assert "[red]boom[/red]" in out or args == ("status", "--oneline")
    assert "[@click=app.quit]here[/]" in cli.ok("log").out
    assert r.out.strip() == "INC-1"
    # JSON keeps the stored text, escaped by the JSON encoder
    assert cli.ok("status", "--json").json()["title"] == "DB down  [red]boom[/red]"


def test_as_names_the_actor_and_now_is_injectable(cli):
    start_major(cli)
    cli.ok("--as", "statusbot", "check", "war-room")
    entry = cli.ok("log", "--json").json()[-1]
    assert entry["actor"] == "statusbot"
    r = cli("status", env={"WARROOM_NOW": "yesterday"})
    assert r.code == 2 and "WARROOM_NOW" in r.err


def test_reload_playbook_is_an_event(cli, tmp_path):
    book = tmp_path / "book.yaml"
    text = MAJOR.read_text()
    book.write_text(text.replace("due_soon: 5m", "due_soon: 10m"))
    (tmp_path / "templates").symlink_to(MAJOR.parent.parent / "templates")
    cli.ok("start", "-p", str(book), "-t", "x", "-m", "users_affected_pct=9")
    r = cli.ok("playbook", "reload")
    assert "has not changed" in r.out
    book.write_text(text.replace("due_soon: 5m", "due_soon: 15m"))
    cli.ok("playbook", "reload")
    assert cli.ok("log", "--json").json()[-1]["kind"] == "playbook.reloaded"
    line = cli.ok("status", "--oneline", now="2026-11-27T19:01:00+00:00").out
    assert "DUE SOON" in line  # 14 minutes left, inside the new 15m warning
    # a playbook that drops the current phase is refused, and nothing changes
    broken = text.replace("id: acknowledge", "id: acknowledge-now").replace(
        "[acknowledge,", "[acknowledge-now,"
    )
    book.write_text(broken)
    r = cli.fails("playbook", "reload")
    assert "drops what this incident uses" in r.err


def test_no_incident_messages(cli):
    # no database yet: reading commands say so (exit 2) and create nothing
    r = cli.fails("list")
    assert r.err == f"warroom: no database at {cli.db} (start an incident first)\n"
    r = cli("status", "--oneline")
    assert (r.code, r.out) == (2, "warroom: no db\n")
    r = cli.fails("status")
    assert "no database" in r.err
    r = cli.ok()
    assert "warroom start" in r.out
    assert not cli.db.exists()
    # a database without an open incident: the status line says so calmly
    start_major(cli)
    cli.ok("close", "--force", "--incident", "INC-1")
    assert "no open incidents" in cli.ok("list").out
    r = cli.ok("status", "--oneline")
    assert r.out == "warroom: no open incident\n"


def test_queues_and_actions(cli):
    start_major(cli)
    cli.ok("queue", "tickets", "40")
    cli.ok("posted", "ack", "--next", "30m", now="2026-11-27T19:05:00+00:00")
    cli.ok("queue", "tickets", "95", "--oldest", "12m", now="2026-11-27T19:20:00+00:00")
    cli.ok("action", "chat", "swamped-notice", "on")
    r = cli.ok("action", "chat", "swamped-notice", "on")
    assert "already on" in r.out
    s = cli.ok("status", "--json").json()
    tickets = s["channels"]["tickets"]
    assert tickets["depth"] == 95 and tickets["trend"] == 55
    assert tickets["oldest_since"] == "2026-11-27T14:08:00-05:00"
    assert s["channels"]["chat"]["actions"]["swamped-notice"] is True
    assert s["channels"]["tickets"]["actions"]["outage-auto-ack"] is True  # playbook default
    for args, message in [
        (("queue", "fax", "3"), "unknown channel 'fax'"),
        (("queue", "tickets", "-1"), "from 0 to"),
        (("queue", "tickets", "many"), "whole number"),
        (("action", "chat", "dance", "on"), "no action 'dance'"),
    ]:
        assert message in cli.fails(*args).err
    assert "live chat" in cli.ok("log").out


def test_resolution_moves_to_amends_and_counts_to_the_post_mortem(cli):
    start_major(cli)
    cli.ok("posted", "ack", "--next", "30m", now="2026-11-27T19:05:00+00:00")
    cli.ok("phase", "next", "--force", now="2026-11-27T19:06:00+00:00")
    for item in ("cause-identified", "update-promises-next", "social-replies"):
        cli.ok("check", item, now="2026-11-27T21:40:00+00:00")
    cli.ok("skip", "chat-notice", "--reason", "chat never overflowed")
    cli.ok("check", "restore-auto-replies", now="2026-11-27T21:45:00+00:00")
    cli.ok("posted", "resolved", now="2026-11-27T21:47:00+00:00")  # 4:47 PM EST
    s = cli.ok("status", "--json", now="2026-11-27T22:00:00+00:00").json()
    assert s["phase"] == "amends"  # the checklist moved on with the resolution
    assert s["next_update_due"] is None
    assert s["postmortem_due"] == "2026-11-30T16:47:00-05:00"  # 72 hours later
    assert s["postmortem_overdue"] is False
    line = cli.ok("status", "--oneline", now="2026-11-27T22:00:00+00:00").out.strip()
    assert "post-mortem due Mon 16:47" in line and len(line) <= 80
    late = cli.ok("status", "--oneline", now="2026-11-30T22:00:00+00:00").out.strip()
    assert "post-mortem LATE +13m" in late
    cli.ok("posted", "postmortem", now="2026-11-30T20:00:00+00:00")
    s = cli.ok("status", "--json", now="2026-11-30T22:00:00+00:00").json()
    assert s["postmortem_due"] is None

"""The post-mortem document: built from a scripted incident through the real core.

The Markdown and HTML renderings are compared with golden files. To regenerate
them after a deliberate change, run

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/unit/test_postmortem.py

then read ``tests/golden/postmortem.md`` and ``tests/golden/postmortem.html``
carefully (they are what customers read) before committing them.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui import commands
from tui.amends import postmortem as pm
from tui.core.clock import FrozenClock
from tui.core.playbook import load_playbook
from tui.core.resources import shipped_playbooks_dir, shipped_templates_dir
from tui.core.store import Store

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
BOOK = load_playbook(shipped_playbooks_dir() / "saas-major-outage.yaml")
DIRS = [shipped_templates_dir()]
DETECTED = datetime(2026, 11, 27, 18, 58, tzinfo=UTC)  # 1:58 PM EST
NOW = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)  # 5:00 PM EST: when the report is made
SCRIPT = "<script>alert(1)</script>"


def _at(clock: FrozenClock, hh: int, mm: int) -> FrozenClock:
    """Set the clock to HH:MM EST on the incident day."""
    clock.set(datetime(2026, 11, 27, hh + 5, mm, tzinfo=UTC))
    return clock


def scripted(store: Store) -> str:
    """A whole outage: opened MINOR, raised to MAJOR, one late update, resolved, written up."""
    clock = FrozenClock(DETECTED)
    c = _at(clock, 14, 2)
    inc = commands.start(
        store,
        c,
        "maria",
        BOOK,
        "API and dashboard unavailable",
        {"users_affected_pct": 3, "error_rate_pct": 12},
        detected_at=DETECTED,
    ).incident_id
    commands.assign(store, _at(clock, 14, 3), "maria", inc, "commander", "maria")
    commands.assign(store, _at(clock, 14, 3), "maria", inc, "comms", "dev")
    commands.set_item(store, _at(clock, 14, 4), "maria", inc, "war-room", True)
    commands.save_draft(store, _at(clock, 14, 6), "dev", inc, "ack", "We're on it")
    commands.record_published(
        store,
        _at(clock, 14, 10),
        "dev",
        inc,
        "ack",
        datetime(2026, 11, 27, 19, 40, tzinfo=UTC),  # 2:40 PM EST
        note="status page, Twitter and LinkedIn",
    )
    commands.set_queue(store, _at(clock, 14, 12), "sam", inc, "tickets", 40)
    commands.set_item(store, _at(clock, 14, 13), "dev", inc, "ack-social", True)
    commands.skip_item(
        store, _at(clock, 14, 14), "maria", inc, "brief-leadership", "the VP was in the room"
    )
    # two support items still open: moving on anyway records them as skipped ("forced")
    commands.advance_phase(store, _at(clock, 14, 15), "maria", inc, force=True)
    commands.add_note(
        store, _at(clock, 14, 20), "lee", inc, "The main database stopped accepting new data"
    )
    commands.set_metrics(
        store,
        _at(clock, 14, 25),
        "lee",
        inc,
        ["users_affected_pct=38", "core_feature_down=true", "customers_affected=1240"],
    )
    commands.set_queue(store, _at(clock, 14, 30), "sam", inc, "tickets", 140)
    commands.set_queue(store, _at(clock, 14, 30), "sam", inc, "chat", 25)
    # 9 minutes after the promised 2:40 PM
    commands.record_published(
        store,
        _at(clock, 14, 49),
        "dev",
        inc,
        "update",
        datetime(2026, 11, 27, 20, 15, tzinfo=UTC),  # 3:15 PM EST
    )
    commands.set_queue(store, _at(clock, 15, 0), "sam", inc, "tickets", 60)
    commands.set_item(store, _at(clock, 15, 5), "lee", inc, "cause-identified", True)
    # before the promised 3:15 PM
    commands.record_published(
        store,
        _at(clock, 15, 10),
        "dev",
        inc,
        "update",
        datetime(2026, 11, 27, 20, 40, tzinfo=UTC),  # 3:40 PM EST
    )
    commands.set_metrics(store, _at(clock, 15, 30), "lee", inc, ["users_affected_pct=0"])
    commands.set_item(store, _at(clock, 15, 31), "dev", inc, "update-promises-next", True)
    commands.set_item(store, _at(clock, 15, 31), "sam", inc, "social-replies", True)
    commands.skip_item(
        store, _at(clock, 15, 32), "sam", inc, "chat-notice", "live chat never overflowed"
    )
    commands.record_published(store, _at(clock, 15, 35), "dev", inc, "resolved", None)
    # publishing the resolution ticks what it says (fix, thanks, post-mortem promise) and
    # moves the checklist on -- up to the resolve phase, whose auto-replies are still paused
    parts = {
        "summary": (
            "For 1 hour and 37 minutes on November 27, most customers could not use the API "
            "or the dashboard. Nothing was lost, and everything works again."
        ),
        "root_cause": (
            "Our main database stopped accepting new data when its disk filled up. "
            f"The warning sign was hidden: **markdown** and {SCRIPT} stay as text."
        ),
        "trigger": "A routine clean-up job was paused by mistake the night before.",
        "why": (
            "Nothing warned us when the disk passed 90% full, so the first sign "
            "was the outage itself."
        ),
    }
    for i, (field, text) in enumerate(parts.items()):
        commands.edit_postmortem(store, _at(clock, 16, i), "lee", inc, field, text)
    commands.set_remedial_action(
        store,
        _at(clock, 16, 10),
        "lee",
        inc,
        None,
        "Alert the on-call engineer when the disk passes 80% full",
        owner="lee",
        due="2026-12-04",
    )
    commands.set_remedial_action(
        store,
        _at(clock, 16, 12),
        "maria",
        inc,
        None,
        "Check that the clean-up job ran, every morning",
        owner="sam",
        due="2026-12-01",
        status="in progress",
    )
    return inc


@pytest.fixture
def incident(tmp_path):
    with Store(tmp_path / "w.db") as store:
        inc = scripted(store)
        yield store, inc


def report_of(store: Store, inc: str, now: datetime = NOW) -> pm.Report:
    return pm.build(store.state(inc), list(store.events(inc)), now)


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1 once"
    assert text == path.read_text(encoding="utf-8")


def test_markdown_matches_golden(incident):
    store, inc = incident
    check_golden("postmortem.md", pm.render(report_of(store, inc), "md", DIRS))


def test_html_matches_golden(incident):
    store, inc = incident
    check_golden("postmortem.html", pm.render(report_of(store, inc), "html", DIRS))


def test_json_has_the_four_parts_and_the_promise_checks(incident):
    store, inc = incident
    data = json.loads(pm.render(report_of(store, inc), "json", DIRS))
    assert data["incident_id"] == inc
    assert data["timeline"] and data["impact"] and len(data["actions"]) == 2
    assert "**markdown**" in data["root_cause"] and SCRIPT in data["root_cause"]
    assert data["trigger"].startswith("A routine clean-up job")
    assert data["why"].startswith("Nothing warned us")
    # remedial actions by due date
    assert [a["due"] for a in data["actions"]] == ["2026-12-01", "2026-12-04"]
    promises = data["promises"]
    assert [p["status"] for p in promises] == ["late", "on time", "on time"]
    late, on_time = promises[0], promises[1]
    assert late["on_time"] is False and late["minutes_late"] == 9
    assert late["promised_at"] == "2026-11-27T14:40:00-05:00"
    assert late["kept_at"] == "2026-11-27T14:49:00-05:00"
    assert late["text"] == "promised by 2:40 PM EST, next update 2:49 PM EST: 9 minutes late"
    assert on_time["on_time"] is True
    assert on_time["text"] == "promised by 3:15 PM EST, next update 3:10 PM EST: on time"
    assert promises[2]["text"].endswith("resolution announced 3:35 PM EST: on time")
    assert "Promised update times kept: 2 of 3; one came 9 minutes late." in data["impact"]


def test_html_escapes_what_people_wrote(incident):
    store, inc = incident
    html = pm.render(report_of(store, inc), "html", DIRS)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "**markdown**" in html  # shown as typed, not turned into markup
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    assert html.rstrip().endswith("</html>")


def test_markdown_table_cells_stay_on_one_line(tmp_path):
    with Store(tmp_path / "w.db") as store:
        clock = FrozenClock(DETECTED)
        inc = commands.start(store, clock, "maria", BOOK, "x", {"users_affected_pct": 9})
        inc = inc.incident_id
        commands.set_remedial_action(store, clock, "lee", inc, None, "Split a | b", owner="lee")
        md = pm.render(report_of(store, inc), "md", DIRS)
    assert "| Split a \\| b | lee | — | Open |" in md


def test_times_are_in_the_customers_zone(incident):
    store, inc = incident
    report = report_of(store, inc)
    assert report.timezone == "America/New_York"
    assert report.detected == "Nov 27, 1:58 PM EST"
    assert report.resolved == "Nov 27, 3:35 PM EST"
    assert report.duration == "1h 37m"
    assert report.generated_at == "Nov 27, 5:00 PM EST"
    assert report.postmortem_due == "Monday, Nov 30, 3:35 PM EST"
    first = report.timeline[0]
    assert first.when == "Nov 27, 1:58 PM EST" and first.text == "We detected the problem."
    assert all(line.when.endswith(" EST") for line in report.timeline)


def test_timeline_is_plain_english_without_internal_noise(incident):
    store, inc = incident
    texts = [line.text for line in report_of(store, inc).timeline]
    assert (
        "We acknowledged the outage publicly on the status page; we promised the first "
        "update by 2:40 PM EST." in texts
    )
    assert (
        "We posted an update, 9 minutes later than we had promised; we promised the next one "
        "by 3:15 PM EST." in texts
    )
    assert "Note from lee: The main database stopped accepting new data." in texts
    assert any(t.startswith("The incident was raised to MAJOR") for t in texts)
    assert "Service was restored and we announced it." in texts
    # moving on says only that (no "identified the cause"), with what was left undone
    assert (
        "The team moved on to diagnostic and transparent updates with 2 checklist steps not "
        "done: \u201cTurn on the outage auto-acknowledgement for support tickets\u201d and "
        "\u201cPause non-critical auto-replies\u201d (forced)." in texts
    )
    assert (
        "The step \u201cBrief leadership on impact and the next update time\u201d was skipped "
        "by maria: the VP was in the room." in texts
    )
    assert "The team moved on to resolution and post-mortem commitment." in texts
    assert not any("identified the cause" in t or "problem was fixed" in t for t in texts)
    joined = "\n".join(texts)
    for noise in ("ticked", "draft", "counted", "role", "post-mortem's", "remedial"):
        assert noise not in joined
    # the fix lowered users_affected_pct, but not the severity: no line for it
    assert not any("lowered" in t for t in texts)


def test_impact_lines(incident):
    store, inc = incident
    impact = report_of(store, inc).impact
    assert impact[0] == "Duration: 1h 37m, from 1:58 PM EST to 3:35 PM EST."
    assert "Users affected: 38% at the worst, 0% at the end." in impact
    assert "Customers affected: 1,240." in impact
    assert "Severity: MAJOR (opened as MINOR)." in impact
    assert "Support tickets: up to 140 contacts waiting for an answer at once." in impact
    assert "Live chat: up to 25 contacts waiting for an answer at once." in impact
    assert (
        "Updates published: 4 (the acknowledgement, 2 updates and the resolution announcement)."
        in impact
    )


def test_nothing_written_yet_is_visible(tmp_path):
    with Store(tmp_path / "w.db") as store:
        clock = FrozenClock(DETECTED)
        inc = commands.start(
            store, clock, "maria", BOOK, "Slow dashboard", {"users_affected_pct": 9}
        ).incident_id
        clock.advance(timedelta(minutes=70))
        report = report_of(store, inc, clock.now())
        md = pm.render(report, "md", DIRS)
        html = pm.render(report, "html", DIRS)
    assert report.resolved is None and report.duration == "ongoing (1h 10m so far)"
    assert report.postmortem_due is None and report.promises == []
    assert md.count("_Not written yet._") == 3
    assert "_Summary not written yet._" in md
    assert "_None recorded yet._" in md
    assert "**Trigger:** _Not written yet._" in md
    assert html.count("Not written yet.") == 3 and "None recorded yet." in html
    assert "Updates published: none yet." in report.impact


def test_a_promise_that_never_came(tmp_path):
    with Store(tmp_path / "w.db") as store:
        clock = FrozenClock(DETECTED)
        inc = commands.start(store, clock, "maria", BOOK, "x", {"users_affected_pct": 9})
        inc = inc.incident_id
        commands.record_published(store, clock, "dev", inc, "ack", DETECTED + timedelta(minutes=30))
        events = list(store.events(inc))
        state = store.state(inc)
        early = pm.build(state, events, DETECTED + timedelta(minutes=10))
        later = pm.build(state, events, DETECTED + timedelta(minutes=45))
    assert early.promises[0].status == "not due yet"
    assert "Promised update times" not in "\n".join(early.impact)
    assert later.promises[0].status == "never came" and later.promises[0].kept_at is None
    assert later.promises[0].text == "promised by 2:28 PM EST: never came"
    assert "Promised update times kept: 0 of 1; one never came." in later.impact


def test_build_is_deterministic(incident):
    store, inc = incident
    state, events = store.state(inc), list(store.events(inc))
    first = pm.build(state, events, NOW)
    again = pm.build(state, list(reversed(events)), NOW)
    assert first == again
    for fmt in pm.FORMATS:
        assert pm.render(first, fmt, DIRS) == pm.render(again, fmt, DIRS)


def test_unknown_format_is_a_clear_error(incident):
    store, inc = incident
    with pytest.raises(pm.PostmortemError, match="unknown format"):
        pm.render(report_of(store, inc), "pdf", DIRS)


def test_markdown_keeps_peoples_html_as_text(incident):
    """Markdown passes raw HTML to whoever renders it: people's words stay words."""
    store, inc = incident
    md = pm.render(report_of(store, inc), "md", DIRS)
    assert SCRIPT not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "**markdown**" in md  # Markdown itself is theirs to use

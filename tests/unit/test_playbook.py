"""Playbook validation: strict, typed, every problem as FILE:LINE:COL."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MAJOR, MINOR
from tui.core import conditions as cond
from tui.core.playbook import PlaybookError, load_playbook, parse_playbook

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$")

MINIMAL = """\
warroom_playbook: 1
name: Tiny
roles:
  - {id: commander, title: Incident commander}
metrics:
  - {id: users_affected_pct, type: percent}
severity:
  - id: major
    protocol: full
    when: users_affected_pct >= 5
protocols:
  full: [ack]
phases:
  - id: ack
    title: Acknowledge
    deadline: 15m
    cadence: {every: 30m, max: 60m}
    checklist:
      - {id: post, text: Post it, owner: commander}
"""


def problems(text: str, name: str = "book.yaml") -> list[tuple[int, int, str]]:
    with pytest.raises(PlaybookError) as info:
        parse_playbook(text.encode(), name)
    out = []
    for line in str(info.value).splitlines():
        m = LINE.match(line)
        assert m, f"not FILE:LINE:COL: {line!r}"
        assert m["file"] == name
        out.append((int(m["line"]), int(m["col"]), m["msg"]))
    return out


def test_shipped_playbooks_are_valid_and_complete():
    major = load_playbook(MAJOR)
    assert [r.id for r in major.roles] == [
        "commander",
        "comms",
        "support",
        "engineering",
        "liaison",
    ]
    assert major.timezone == "America/New_York"
    ack = major.phase("acknowledge")
    assert ack.deadline == timedelta(minutes=15)
    assert ack.cadence.every == timedelta(minutes=30) and ack.cadence.max == timedelta(hours=1)
    assert major.postmortem_within == timedelta(hours=72)
    assert [c.id for c in major.channels] == ["tickets", "chat", "social"]
    assert major.classify({"users_affected_pct": 5}).id == "major"
    assert major.classify({"users_affected_pct": 4, "core_feature_down": True}).id == "major"
    assert major.classify({"users_affected_pct": 4}).id == "minor"
    assert major.classify({}).id == "watch"
    policy = major.recovery
    assert policy.credit_pct(timedelta(minutes=20)) == Decimal(5)
    assert policy.credit_pct(timedelta(hours=5)) == Decimal(15)
    assert policy.credit_pct(timedelta(days=3)) == Decimal(20)
    assert policy.trial_buffer == timedelta(days=2)
    assert set(policy.plans) == {"free", "trial", "standard", "enterprise"}
    assert "consultation" in policy.plans["enterprise"]
    minor = load_playbook(MINOR)
    assert minor.name == "Minor degradation" and minor.phase("acknowledge").deadline == timedelta(
        minutes=30
    )


def test_models_are_frozen():
    book = load_playbook(MAJOR)
    with pytest.raises(AttributeError):
        book.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        book.protocols["full"] = ()  # type: ignore[index]


def test_minimal_playbook_loads_with_defaults():
    book = parse_playbook(MINIMAL.encode(), "tiny.yaml")
    assert book.timezone == "UTC" and book.due_soon == timedelta(minutes=5)
    assert book.items("full")[0].owner == "commander"


def test_every_problem_is_reported_with_its_position():
    text = """\
warroom_playbook: 1
name: Broken
roles:
  - {id: commander, title: Incident commander}
  - {id: commander, title: Again}
metrics:
  - {id: users_affected_pct, type: percent}
severity:
  - id: major
    protocol: full
    when: users_pct >= 5
  - id: minor
    protocol: fast
    when: users_affected_pct == true
protocols:
  full: [ack, nope]
phases:
  - id: ack
    title: Acknowledge
    deadlin: 15m
    cadence: {every: 90m, max: 60m}
    checklist:
      - {id: post, text: Post it, owner: comms}
"""
    found = problems(text)
    assert found == sorted(found)
    by_line = {(line, col): msg for line, col, msg in found}
    assert "duplicate role id 'commander' (first at line 4)" in by_line[(5, 10)]
    assert "undefined metric 'users_pct'" in by_line[(11, 11)]
    assert "did you mean 'users_affected_pct'" in by_line[(11, 11)]
    assert "unknown protocol 'fast'" in by_line[(13, 15)]
    assert "compare it with a number" in by_line[(14, 11)]
    assert "unknown phase 'nope'" in by_line[(16, 15)]
    assert (
        "unknown key 'deadlin'" in by_line[(20, 5)]
        and "did you mean 'deadline'" in by_line[(20, 5)]
    )
    assert "over its maximum" in by_line[(21, 22)]
    assert "owned by undefined role 'comms'" in by_line[(23, 42)]
    assert len(found) == 8


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("name: Tiny", "name: Tiny\ncolour: red"), "unknown key 'colour' in the playbook"),
        (("name: Tiny\n", ""), "missing required key 'name'"),
        (("deadline: 15m", "deadline: 15"), "must be a duration like 15m"),
        (("deadline: 15m", "deadline: soon"), "not a duration: 'soon'"),
        (("deadline: 15m", "deadline: 1h1h"), "given twice"),
        (("when: users_affected_pct >= 5", "when: users_affected_pct >> 5"), "not a condition"),
        (("when: users_affected_pct >= 5", "when: os.system('x')"), "not a condition"),
        (("when: users_affected_pct >= 5", "when: {any: [], all: []}"), "exactly one of"),
        (("warroom_playbook: 1", "warroom_playbook: 2"), "must be 1"),
        (("id: ack\n", "id: Ack!\n"), "must be an id"),
        (("name: Tiny", "name: Tiny\ntimezone: Mars/Olympus"), "unknown time zone"),
        (("full: [ack]", "full: [ack, ack]"), "listed twice"),
        (
            (
                "name: Tiny",
                "name: Tiny\nchannels: [{id: chat, title: Chat}]\n"
                "templates: {ack: {statuspage: a.j2}}",
            ),
            "no canned reply",
        ),
    ],
)
def test_single_mistakes(change, message):
    old, new = change
    assert old in MINIMAL
    found = problems(MINIMAL.replace(old, new, 1))
    assert any(message in msg for _, _, msg in found), found


def test_missing_template_file_is_reported(tmp_path):
    book = tmp_path / "book.yaml"
    book.write_text(
        MINIMAL + "templates:\n  ack:\n    statuspage: nowhere.md.j2\n"
        "    social: ack.social.txt.j2\n"
    )
    with pytest.raises(PlaybookError) as info:
        load_playbook(book)
    lines = str(info.value).splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{book}:22:17: template 'nowhere.md.j2' for ack/statuspage")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "nowhere.md.j2").write_text("hello")
    assert load_playbook(book).templates["ack"]["statuspage"] == "nowhere.md.j2"


def test_conditions_grammar():
    c = cond.parse_comparison("users_affected_pct >= 5")
    assert c == cond.Compare("users_affected_pct", ">=", 5)
    assert cond.evaluate(c, {"users_affected_pct": 5})
    assert not cond.evaluate(c, {"users_affected_pct": 4.9})
    assert not cond.evaluate(c, {})  # not reported yet
    flag = cond.parse_comparison("core_feature_down == true")
    assert cond.evaluate(flag, {"core_feature_down": True})
    assert not cond.evaluate(flag, {"core_feature_down": 1})  # a number is not a bool
    both = cond.AllOf((c, flag))
    assert both.describe() == "users_affected_pct >= 5 and core_feature_down == true"
    for bad in ("x >= true", "x = 5", "5 >= x", "x >= 5 or 1", "__import__('os') == 1"):
        with pytest.raises(cond.ConditionSyntaxError):
            cond.parse_comparison(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_only_ever_raises_playbook_error(text):
    try:
        parse_playbook(text.encode("utf-8"), "fuzz.yaml")
    except PlaybookError as exc:
        for line in str(exc).splitlines():
            assert LINE.match(line), line


yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                ["id", "name", "roles", "phases", "when", "any", "title", "severity", "x"]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(yaml_values)
def test_arbitrary_yaml_structures_only_ever_raise_playbook_error(value):
    import yaml

    text = yaml.safe_dump({"warroom_playbook": 1, "name": "x", "roles": value, "phases": value})
    with contextlib.suppress(PlaybookError):
        parse_playbook(text.encode(), "fuzz.yaml")

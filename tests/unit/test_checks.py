"""Message checks: the article's good and bad messages, spans, limits, and robustness."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.core.playbook import MessageChecks, load_playbook
from tui.core.vocabulary import DESTINATION_KINDS, REQUIREMENTS
from tui.core.vocabulary import TEMPLATE_PURPOSES as PURPOSES
from tui.publish.checks import ERROR, RULES, WARNING, Finding, check_message, has_errors

ROOT = Path(__file__).resolve().parents[2]
BOOK = load_playbook(ROOT / "playbooks" / "saas-major-outage.yaml").message_checks
DEFAULT = MessageChecks()
CHECKS = {"book": BOOK, "default": DEFAULT}

# The article's messages.
BAD_ACK = "We are experiencing technical difficulties."
BETTER_ACK = (
    "We're aware of a major service disruption impacting our platform. We know you rely on us, "
    "and we're urgently investigating. We'll update you within 30 minutes. "
    "We are so sorry for the disruption."
)
UPDATE = (
    "We've identified the issue as a database cluster failure. Our team is executing a "
    "failover procedure. We expect another update by 2:15 PM EST."
)
RESTORED = "Service has been fully restored as of 4:47 PM EST."
THANKS = "Thank you for your patience..."
POSTMORTEM = "We will publish a detailed incident report within 72 hours."
RESOLUTION = f"{RESTORED} {THANKS} {POSTMORTEM}"
SAYS = "Invoices could not be downloaded from the billing page."


def rules(findings: list[Finding]) -> Counter:
    return Counter((f.rule, f.severity) for f in findings)


E, W = ERROR, WARNING

TABLE = [
    # id, text, purpose, checks, expected (rule, severity) multiset
    (
        "bad-ack-default",
        BAD_ACK,
        "ack",
        "default",
        [
            ("requires.next_update", E),
            ("requires.apology", W),
            ("requires.ownership", W),
            ("robotic", W),
        ],
    ),
    (
        "bad-ack-playbook",
        BAD_ACK,
        "ack",
        "book",
        [
            ("requires.next_update", E),
            ("requires.apology", W),
            ("requires.ownership", W),
            ("forbidden_phrase", W),
        ],
    ),
    ("better-ack-default", BETTER_ACK, "ack", "default", []),
    ("better-ack-playbook", BETTER_ACK, "ack", "book", []),
    ("better-ack-curly", BETTER_ACK.replace("'", "’"), "ack", "book", []),
    ("update-playbook", UPDATE, "update", "book", [("jargon", W), ("jargon", W)]),
    ("resolution-default", RESOLUTION, "resolved", "default", []),
    ("resolution-playbook", RESOLUTION, "resolved", "book", []),
    (
        "resolution-no-restore",
        f"{THANKS} {POSTMORTEM}",
        "resolved",
        "book",
        [("requires.restore_time", E)],
    ),
    (
        "resolution-no-thanks",
        f"{RESTORED} {POSTMORTEM}",
        "resolved",
        "book",
        [("requires.thanks", E)],
    ),
    (
        "resolution-no-postmortem",
        f"{RESTORED} {THANKS}",
        "resolved",
        "book",
        [("requires.postmortem_promise", E)],
    ),
    (
        "resolution-postmortem-without-deadline",
        f"{RESTORED} {THANKS} We will publish a detailed incident report.",
        "resolved",
        "book",
        [("requires.postmortem_promise", W)],
    ),
    (
        "resolution-postmortem-by-monday",
        f"{RESTORED} {THANKS} Our post-mortem will be out by Monday.",
        "resolved",
        "book",
        [],
    ),
    (
        "resolution-empty",
        "",
        "resolved",
        "book",
        [("requires.restore_time", E), ("requires.thanks", E), ("requires.postmortem_promise", E)],
    ),
    # next_update: concrete times pass, vague ones and timestamps do not
    ("update-clock-ampm", "We'll update you by 2:45 PM.", "update", "book", []),
    ("update-clock-24h", "Next update at 14:45.", "update", "book", []),
    ("update-clock-tz", "We'll post our next update by 2:45pm EST.", "update", "book", []),
    ("update-within", "We'll update you within 30 minutes.", "update", "book", []),
    ("update-in-minutes", "We'll update you in 45 minutes.", "update", "book", []),
    ("update-in-an-hour", "You'll hear from us again in an hour.", "update", "book", []),
    ("update-time-first", "By 3 PM we'll post another update.", "update", "book", []),
    ("update-markdown", "**Next update:** 2:45 PM EST", "update", "book", []),
    (
        "update-soon",
        "We'll update you soon.",
        "update",
        "book",
        [("requires.next_update", E), ("robotic", W)],
    ),
    (
        "update-shortly",
        "More shortly.",
        "update",
        "book",
        [("requires.next_update", E), ("robotic", W)],
    ),
    (
        "update-asap",
        "We'll update you as soon as possible.",
        "update",
        "book",
        [("requires.next_update", E), ("robotic", W)],
    ),
    (
        "update-few-minutes",
        "Update in a few minutes.",
        "update",
        "book",
        [("requires.next_update", E), ("robotic", W)],
    ),
    (
        "update-timestamp",
        "This began at 1:05 PM EST.",
        "update",
        "book",
        [("requires.next_update", E)],
    ),
    (
        "update-heading-time",
        "**Update on Checkout** · 1:30 PM EST\n\nPayments are failing.",
        "update",
        "book",
        [("requires.next_update", E)],
    ),
    (
        "update-fix-time-is-not-update-time",
        "We expect a fix by 3 PM.",
        "update",
        "book",
        [("requires.next_update", W), ("fix_time_promise", W)],
    ),
    # fix promises
    ("fix-by", "We expect a fix by 3 PM.", "channel_reply", "book", [("fix_time_promise", W)]),
    ("fixed-by", "It should be fixed by 3 PM.", "channel_reply", "book", [("fix_time_promise", W)]),
    (
        "resolved-within",
        "We hope to have this resolved within 2 hours.",
        "channel_reply",
        "book",
        [("fix_time_promise", W)],
    ),
    ("back-up-by", "We'll be back up by 4:00.", "channel_reply", "book", [("fix_time_promise", W)]),
    (
        "restored-in",
        "Service will be restored in 30 minutes.",
        "channel_reply",
        "book",
        [("fix_time_promise", W)],
    ),
    ("eta", "ETA for the fix: 5 PM.", "channel_reply", "book", [("fix_time_promise", W)]),
    ("no-eta-is-honest", "We don't have an ETA yet.", "channel_reply", "book", []),
    ("restored-as-of", RESTORED, "channel_reply", "book", []),
    ("next-update-by", "Our next update is due by 2:45 PM.", "channel_reply", "book", []),
    (
        "fix-then-update",
        "We're working on a fix and will update you by 3 PM.",
        "channel_reply",
        "book",
        [],
    ),
    ("past-fix", "The issue was fixed by 3 PM.", "channel_reply", "book", []),
    # empty gestures
    (
        "charity",
        "We'll donate to charity on behalf of our users.",
        "channel_reply",
        "default",
        [("empty_gesture", W)],
    ),
    (
        "charity-amends-playbook",
        "We're sorry. We'll donate to charity on behalf of our users.",
        "amends",
        "book",
        [("empty_gesture", W), ("forbidden_phrase", W)],
    ),
    (
        "trees",
        "We will plant a tree for every customer.",
        "postmortem",
        "book",
        [("empty_gesture", W)],
    ),
    (
        "credit-is-fine",
        "We're sorry. We'd like to offer you a 10% service credit.",
        "amends",
        "book",
        [],
    ),
    ("amends-no-apology", "Here is a 10% credit.", "amends", "book", [("requires.apology", W)]),
    # robotic phrases
    (
        "robotic-investigating",
        "We're investigating the issue.",
        "channel_reply",
        "default",
        [("robotic", W)],
    ),
    (
        "investigating-a-component-is-still-generic",
        "We're investigating the issue with card payments.",
        "channel_reply",
        "default",
        [("robotic", W)],
    ),
    (
        "investigating-a-symptom",
        "We're investigating why card payments are declined at checkout.",
        "channel_reply",
        "default",
        [],
    ),
    (
        "robotic-patient",
        "Please be patient at this time. Sorry for any inconvenience.",
        "channel_reply",
        "default",
        [("robotic", W), ("robotic", W), ("robotic", W)],
    ),
    (
        "forbidden-not-also-robotic",
        "Sorry for any inconvenience.",
        "channel_reply",
        "book",
        [("forbidden_phrase", W)],
    ),
    # blanks
    (
        "blank",
        "We'll update you by [[ time ]].",
        "update",
        "book",
        [("blank", E), ("requires.next_update", E)],
    ),
]


@pytest.mark.parametrize(
    ("text", "purpose", "checks", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in TABLE],
)
def test_findings(text, purpose, checks, expected):
    if purpose in ("ack", "update", "resolved") and text and ("robotic", W) not in expected:
        # a status message must say what is wrong or it is robotic (test_checks_classes.py):
        # these rows are about the other rules, so each says it first
        text = f"{SAYS} {text}"
    findings = check_message(text, purpose, "statuspage", CHECKS[checks])
    assert rules(findings) == Counter(expected), [(f.rule, f.message) for f in findings]


@pytest.mark.parametrize(
    ("text", "rule", "words"),
    [
        (UPDATE, "jargon", ["cluster", "failover"]),
        (BAD_ACK, "forbidden_phrase", ["technical difficulties"]),
        ("We expect a fix by 3 PM.", "fix_time_promise", ["fix by 3 PM"]),
        ("Back up by 4:00, we hope.", "fix_time_promise", ["Back up by 4:00"]),
        ("Service will be restored in 30 minutes.", "fix_time_promise", ["restored in 30 minutes"]),
        ("Our ETA is 5 PM.", "fix_time_promise", ["ETA"]),
        (
            "We'll donate to charity on behalf of our users.",
            "empty_gesture",
            ["donate to charity on behalf of our users"],
        ),
        (
            "We're sorry. We apologize for any inconvenience. Technical Difficulties!",
            "forbidden_phrase",
            ["We apologize for any inconvenience", "Technical Difficulties"],
        ),
        ("a [[ one ]] and [[two]]", "blank", ["[[ one ]]", "[[two]]"]),
    ],
)
def test_spans_are_the_offending_words(text, rule, words):
    findings = check_message(text, "channel_reply", "statuspage", BOOK)
    assert [text[f.start : f.end] for f in findings if f.rule == rule] == words


def test_blanks_are_errors_with_exact_spans():
    text = "We're aware: [[ what customers are seeing ]]. Next: [[time]]"
    findings = [f for f in check_message(text, "channel_reply", "email", BOOK) if f.rule == "blank"]
    first = text.index("[[ what")
    second = text.index("[[time]]")
    assert [(f.start, f.end, f.severity) for f in findings] == [
        (first, first + len("[[ what customers are seeing ]]"), ERROR),
        (second, second + len("[[time]]"), ERROR),
    ]
    assert "what customers are seeing" in findings[0].message
    assert has_errors(findings)


def test_blank_words_are_not_checked():
    text = "[[ the failover cluster, technical difficulties ]] https://status.example.com/k8s"
    findings = check_message(text, "channel_reply", "email", BOOK)
    assert [f.rule for f in findings] == ["blank"]


@pytest.mark.parametrize(
    ("text", "kind", "checks", "span"),
    [
        ("x" * 300, "social", "book", (280, 300)),
        ("x" * 300, "social", "default", (280, 300)),
        ("x" * 281 + "\n\n  ", "social", "book", (280, 281)),
        ("x" * 280 + "\n\n  ", "social", "book", None),
        ("x" * 300, "statuspage", "book", None),
        ("x" * 300, "webhook", "book", None),
        ("x" * 25001, "statuspage", "book", (25000, 25001)),
    ],
)
def test_length(text, kind, checks, span):
    found = [
        (f.start, f.end, f.severity)
        for f in check_message(text, "channel_reply", kind, CHECKS[checks])
        if f.rule == "length"
    ]
    assert found == ([] if span is None else [(*span, ERROR)])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Please clean the room.", []),
        ("The OOM killer stopped it.", ["OOM"]),
        ("an oom event", ["oom"]),
        ("I left my iPod at home.", []),
        ("We restarted the pods.", ["pods"]),
        ("A pod's memory.", ["pod"]),
        ("A podcast about it.", []),
        ("Clustered and clusters.", ["clusters"]),
        ("The p99 latency rose.", ["p99"]),  # latency is an ordinary word
        ("dns, DNS and Dns.", ["dns", "DNS", "Dns"]),
        ("Our kubernetes-based setup.", ["kubernetes"]),
        ("We shipped a hotfix.", ["hotfix"]),
    ],
)
def test_jargon_is_whole_words(text, words):
    found = [
        text[f.start : f.end]
        for f in check_message(text, "channel_reply", "email", BOOK)
        if f.rule == "jargon"
    ]
    assert found == words
    jargon = [f for f in check_message(text, "ack", "email", BOOK) if f.rule == "jargon"]
    assert all("customer words" in f.suggestion and f.severity == WARNING for f in jargon)


def test_the_playbooks_words_replace_the_defaults():
    checks = MessageChecks(
        forbidden_phrases=("rest assured",),
        jargon=("widget",),
        require={"update": ("apology",)},
        max_length={"email": 10},
    )
    text = "The widget cluster is fine, rest assured. Update soon."
    found = rules(check_message(text, "update", "email", checks))
    assert found == Counter(
        [("forbidden_phrase", W), ("jargon", W), ("requires.apology", W), ("length", E)]
    )
    # a purpose the playbook's require section leaves out has no requirements
    assert check_message("ok", "amends", "statuspage", checks) == []


def test_errors_first_then_by_start():
    text = "Sorry for any inconvenience. The cluster is down. [[ more ]]"
    findings = check_message(text, "ack", "statuspage", BOOK)
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=lambda s: s != ERROR)
    for group in (ERROR, WARNING):
        starts = [f.start for f in findings if f.severity == group]
        assert starts == sorted(starts)
    assert findings[0].rule in ("requires.next_update", "blank")


def test_has_errors():
    assert not has_errors([])
    assert not has_errors(check_message(BETTER_ACK, "ack", "statuspage", BOOK))
    assert has_errors(check_message(BAD_ACK, "ack", "statuspage", BOOK))
    assert not has_errors(check_message(UPDATE, "update", "statuspage", BOOK))


def test_messages_quote_the_words_and_suggest_a_fix():
    by_rule = {f.rule: f for f in check_message(BAD_ACK, "ack", "statuspage", DEFAULT)}
    assert "technical difficulties" in by_rule["robotic"].message
    assert "2:45 PM" in by_rule["requires.next_update"].suggestion
    vague = check_message("We'll update you soon.", "update", "statuspage", BOOK)[0]
    assert "soon" in vague.message


def test_import_is_pure_and_cheap():
    probe = (
        "import sys, json; import tui.publish.checks; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    modules = set(json.loads(out.strip().splitlines()[-1]))
    for heavy in ("textual", "rich", "jinja2", "httpx"):
        assert heavy not in modules


# --------------------------------------------------------------------------- properties

FRAGMENTS = [
    BAD_ACK,
    BETTER_ACK,
    UPDATE,
    RESOLUTION,
    "[[ blank ]]",
    "[[",
    "]]",
    "by 2:45 PM EST",
    "within 30 minutes",
    "fix by 3 PM",
    "ETA",
    "on behalf of our users",
    "donate",
    "https://status.example.com/pods.",
    "cluster",
    "OOM",
    "\n\n",
    "\n",
    ". ",
    "p.m.",
    "’",
    "\u2028",
    "\x00",
]
messy_text = st.one_of(
    st.text(),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=5), max_size=12).map("".join),
)
arbitrary_checks = st.builds(
    MessageChecks,
    forbidden_phrases=st.lists(st.text(max_size=8), max_size=3).map(tuple),
    jargon=st.lists(st.text(max_size=6), max_size=3).map(tuple),
    require=st.dictionaries(
        st.sampled_from(PURPOSES),
        st.lists(st.sampled_from(REQUIREMENTS), max_size=4).map(tuple),
        max_size=3,
    ),
    max_length=st.dictionaries(st.sampled_from(DESTINATION_KINDS), st.integers(0, 400), max_size=2),
)


def assert_well_formed(text: str, findings: list[Finding]) -> None:
    for f in findings:
        assert f.rule in RULES
        assert f.severity in (ERROR, WARNING)
        assert 0 <= f.start <= f.end <= len(text)
        for line in (f.message, f.suggestion):
            assert line and line == line.strip()
            assert len(line.splitlines()) == 1
    keys = [(f.severity != ERROR, f.start) for f in findings]
    assert keys == sorted(keys)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=messy_text,
    purpose=st.sampled_from((*PURPOSES, "unknown")),
    kind=st.sampled_from((*DESTINATION_KINDS, "chat")),
    checks=st.sampled_from([BOOK, DEFAULT]) | arbitrary_checks,
)
def test_never_raises_and_findings_are_well_formed(text, purpose, kind, checks):
    findings = check_message(text, purpose, kind, checks)
    assert_well_formed(text, findings)
    assert has_errors(findings) == any(f.severity == ERROR for f in findings)


@settings(max_examples=200, deadline=None)
@given(text=messy_text)
def test_phrase_findings_span_their_words(text):
    for f in check_message(text, "ack", "social", BOOK):
        about_words = f.rule != "robotic" or (f.start, f.end) != (0, 0)  # or the whole message
        if about_words and f.rule in (
            "blank",
            "forbidden_phrase",
            "robotic",
            "jargon",
            "fix_time_promise",
        ):
            assert f.end > f.start
            assert text[f.start : f.end].strip()
        if f.rule == "blank":
            assert text[f.start : f.start + 2] == "[[" and text[f.end - 2 : f.end] == "]]"


@pytest.mark.parametrize(
    "text",
    [
        "We'll update you within 30 minutes and " * 1500,
        "2:45 PM EST " * 3000,
        "technical difficulties " * 2000,
        "fix " * 5000 + "by 3 PM",
    ],
    ids=["intervals", "clocks", "phrases", "topics"],
)
def test_long_pastes_are_checked(text):
    # their speed is a row of `make bench` (bench/long_paste.py), not a timed assertion
    assert_well_formed(text, check_message(text, "resolved", "statuspage", BOOK))


def test_labels_say_what_the_message_has_whatever_the_purpose_requires():
    from tui.publish.checks import LABELS, labels

    got = labels(f"{SAYS} {RESOLUTION}", "update", BOOK)
    assert list(got) == list(LABELS)
    assert got["restore_time"] and got["thanks"] and got["postmortem_promise"]
    assert not got["apology"] and not got["robotic"]
    assert got["next_update"]  # the incident report, promised within 72 hours
    assert labels(RESOLUTION, "resolved", BOOK)["robotic"]  # it never says what was wrong
    ack = labels(f"{SAYS} {BETTER_ACK}", "resolved", BOOK)
    assert ack["apology"] and ack["ownership"] and ack["next_update"] and not ack["robotic"]
    assert labels(BAD_ACK, "ack", BOOK)["robotic"]

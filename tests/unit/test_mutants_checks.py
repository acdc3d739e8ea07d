"""The message check's findings, pinned word for word where mutation testing found them loose.

The messages are the hand-written ones of ``tests/corpus/`` (copied into
``tests/unit/mutants_checks.json`` when it was written, so a change to the corpus does not move
this test). For each, every finding the check gives -- rule, severity, span, and the sentence and
suggestion a person reads in the draft pane and ``warroom lint`` -- is compared with the file.
The findings were produced by the rules of commit time and reviewed as a whole; a change to any
of them is a change users see, so it is made on purpose: regenerate with
``.venv/bin/python -m tests.unit.test_mutants_checks`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MAJOR
from tui.core.playbook import MessageChecks, load_playbook
from tui.publish.checks import Finding, check_message
from tui.publish.checks.findings import quote
from tui.publish.checks.length import length_finding

GOLDEN = Path(__file__).with_name("mutants_checks.json")
BOOK = load_playbook(MAJOR).message_checks
NAMES = ("Acme Cloud", "API", "Dashboard")  # a page's component names: never jargon


def findings(text: str, purpose: str, kind: str) -> list[list[object]]:
    return [
        [f.rule, f.severity, f.start, f.end, f.message, f.suggestion]
        for f in check_message(text, purpose, kind, BOOK, NAMES)
    ]


def _cases() -> list[dict[str, object]]:
    # missing only while it is being written (see the module's docstring)
    return json.loads(GOLDEN.read_text()) if GOLDEN.exists() else []


@pytest.mark.parametrize("case", _cases(), ids=lambda c: str(c["id"]))
def test_each_message_gets_the_findings_it_got_when_reviewed(case: dict[str, object]) -> None:
    assert GOLDEN.exists()
    text, purpose, kind = str(case["text"]), str(case["purpose"]), str(case["kind"])
    assert findings(text, purpose, kind) == case["findings"]


def test_too_long_says_by_how_much() -> None:
    checks = MessageChecks(max_length={"social": 10})
    [f] = length_finding("x" * 25 + "   ", "social", checks)
    assert (f.rule, f.start, f.end) == ("length", 10, 25)
    assert f.message == "too long for social: 25 characters, the limit is 10"
    assert f.suggestion == "cut at least 15 characters; keep the next-update time"
    assert length_finding("x" * 10 + "  ", "social", checks) == []
    [f] = length_finding("x", "social", MessageChecks(max_length={"social": 0}))
    assert (f.start, f.end, f.message) == (
        0,
        1,
        "too long for social: 1 characters, the limit is 0",
    )
    assert isinstance(f, Finding)


def test_a_quote_is_cut_on_one_line_without_the_space_before_the_ellipsis() -> None:
    assert quote("short") == "“short”"
    assert quote("  padded words  ") == "“padded words”"
    assert quote("abcd efgh", limit=6) == "“abcd…”"  # not "abcd …"
    assert quote(" ab cd ef", limit=5) == "“ab c…”"
    assert quote("a\nb") == "“a b”"


if __name__ == "__main__":
    from tests.corpus.load import HERE, load

    out = []
    for path in (HERE / "messages.yaml", HERE / "heldout.yaml"):
        for m in load(path):
            kinds = ["statuspage", "social"] if m.purpose in ("ack", "update") else ["statuspage"]
            for kind in kinds:
                out.append(
                    {
                        "id": f"{path.stem}:{m.id}:{kind}",
                        "purpose": m.purpose,
                        "kind": kind,
                        "text": m.text,
                        "findings": findings(m.text, m.purpose, kind),
                    }
                )
    GOLDEN.write_text(json.dumps(out, indent=0, ensure_ascii=False) + "\n")
    print(f"wrote {GOLDEN}: {len(out)} cases")


def test_warroom_lint_never_calls_a_configured_page_component_jargon(tmp_path: Path) -> None:
    from tui.core.config import load_config
    from tui.publish.checks.lint import lint, page_names

    path = tmp_path / "config.yaml"
    path.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    page_id: abc123\n"
        "    api_key_env: M1_NO_SUCH_KEY\n"
        "    components: {Kubernetes Hosting: c1, API: c2}\n"
        "  - id: status2\n"
        "    type: statuspage\n"
        "    page_id: def456\n"
        "    api_key_env: M1_NO_SUCH_KEY\n"
        "    components: {API: c3, DNS: c4}\n"
    )
    config = load_config(path)
    assert page_names(config) == ("Kubernetes Hosting", "API", "DNS")
    assert page_names(None) == ()
    book = load_playbook(MAJOR)
    text = "Kubernetes Hosting and DNS are down. We're sorry. Next update by 3 PM."
    jargon = [f for f in lint(text, "update", "statuspage", book) if f.rule == "jargon"]
    assert len(jargon) == 2  # without the page's names: both are jargon
    named = [f for f in lint(text, "update", "statuspage", book, config) if f.rule == "jargon"]
    assert named == []
    [blank] = lint("  \n", "update", "statuspage", book, config)
    assert (blank.rule, blank.severity, blank.message) == ("blank", "error", "the message is empty")


def test_an_eta_in_a_later_sentence_is_flagged_after_one_already_flagged() -> None:
    text = "The ETA for the fix is 5 PM. We will share another ETA after that."
    promises = [
        (f[2], f[3]) for f in findings(text, "update", "statuspage") if f[0] == "fix_time_promise"
    ]
    # the first sentence once (its fix time), then the second sentence's ETA
    assert promises == [(16, 27), (text.rindex("ETA"), text.rindex("ETA") + 3)]


@pytest.mark.parametrize(
    "text",
    [
        "Errors started at 2:02 PM. Everything was restored at 4:47 PM.",
        "We said it should be restored by 3 PM. Everything was restored at 4:47 PM.",
    ],
)
def test_the_restore_time_is_found_after_other_clock_times(text: str) -> None:
    rules = [f[0] for f in findings(text, "resolved", "statuspage")]
    assert "requires.restore_time" not in rules
    # and without the restore clause, it is missing
    first = text.split(". ")[0] + "."
    assert "requires.restore_time" in [f[0] for f in findings(first, "resolved", "statuspage")]


# sentence and paragraph edges, two-letter words, the root-cause paragraph ------------------


def rules(text: str, purpose: str) -> list[str]:
    return [str(f[0]) for f in findings(text, purpose, "statuspage")]


def test_a_link_ending_a_sentence_leaves_its_full_stop_a_sentence_end() -> None:
    """The full stop after a URL ends the sentence: the next one's restore time is not read
    as part of "We will keep watching ..." (a promise, then a missing restore time)."""
    text = (
        "Logins work again for all of you. We will keep watching "
        "https://status.acme.io/incidents/42. Restored at 3:15 PM; this was our fault and we "
        "are sorry. Thank you for your patience. We will publish a post-mortem within five days."
    )
    assert findings(text, "resolved", "statuspage") == []


def test_a_deadline_opening_the_message_counts_for_the_post_mortem() -> None:
    text = (
        "In 3 days we will publish a post-mortem. Logins work again for all of you since "
        "3:15 PM; this was our fault and we are sorry. Thank you for your patience."
    )
    assert findings(text, "resolved", "statuspage") == []


def test_a_deadline_in_another_paragraph_is_not_the_post_mortems() -> None:
    """ "within two hours" (how fast it was fixed) is in the paragraph before the promise."""
    text = (
        "Logins work again for all of you since 3:15 PM, fixed within two hours of the first "
        "report; this was our fault and we are sorry.\n\n"
        "We will publish a post-mortem. Thank you for your patience."
    )
    found = findings(text, "resolved", "statuspage")
    assert [(f[0], f[1], f[4]) for f in found] == [
        (
            "requires.postmortem_promise",
            "warning",
            "the post-mortem promise has no deadline: customers cannot hold you to it",
        )
    ]


def test_two_letter_words_do_not_make_a_template_specific() -> None:
    """ "Hi" and "ok" say nothing about what is wrong: still robotic."""
    text = "Hi, we are aware of an issue and are investigating, ok."
    assert "robotic" in rules(text, "update")
    assert "robotic" in rules("We are aware of an issue and are investigating.", "update")


def test_jargon_is_allowed_only_in_the_paragraph_that_tells_the_root_cause() -> None:
    """The last paragraph promises a post-mortem "on what happened": the first paragraph's
    "cluster" is still jargon to a customer."""
    text = (
        "Logins work again for all of you since 3:15 PM after we moved traffic to a new "
        "cluster. This was our fault and we are sorry; thank you for your patience.\n\n"
        "We will publish a post-mortem on what happened within five days."
    )
    found = findings(text, "resolved", "statuspage")
    start = text.index("cluster")
    assert [(f[0], f[2], f[3]) for f in found] == [("jargon", start, start + len("cluster"))]
    # told in the paragraph itself, the root cause may use its own words
    told = text.replace("cluster.", "cluster; the root cause was a bad cluster setting.")
    assert "jargon" not in rules(told, "resolved")


# the third sample (250 mutants) ------------------------------------------------------------


def test_a_quote_keeps_60_characters_and_cuts_the_61st() -> None:
    assert quote("x" * 60) == "“" + "x" * 60 + "”"
    assert quote("x" * 61) == "“" + "x" * 59 + "…”"


def test_a_blank_an_empty_text_and_a_gesture_say_what_to_do() -> None:
    text = "Logins fail [[ what customers see ]] since 2:05 PM."
    blank = [f for f in findings(text, "update", "statuspage") if f[0] == "blank"]
    assert blank == [
        [
            "blank",
            "error",
            12,
            36,
            "unfilled blank: “what customers see”",
            "replace the [[ … ]] with your own words before publishing",
        ]
    ]
    from tui.publish.checks.lint import lint

    [empty] = lint("  \n", "update", "statuspage", load_playbook(MAJOR))
    assert empty.suggestion == (
        "write what customers see, what you are doing and when you will update them"
    )
    # "on behalf of our customers" counts only in the gesture's own sentence
    gesture = "We will donate to charity. On behalf of our customers, we are sorry."
    assert findings(gesture, "amends", "email") == [
        [
            "empty_gesture",
            "warning",
            8,
            25,
            "an empty gesture, unrelated to the outage: “donate to charity”",
            "make amends tied to the failure: a service credit, a trial extension, or a call "
            "with an engineer",
        ]
    ]


def test_an_eta_after_an_honest_no_eta_is_still_flagged() -> None:
    text = "We don't have an ETA yet. We will share an ETA with you at noon."
    promises = [(f[2], f[3]) for f in findings(text, "update", "statuspage") if f[0] != "robotic"]
    assert (text.rindex("ETA"), text.rindex("ETA") + 3) in promises


@pytest.mark.parametrize(
    "text",
    [
        # the clause ends with its sentence: the next sentence's failure is not in it
        "Uploads were processed at 4:47 PM. Logins still fail; we are sorry.",
        # nor does it start in an earlier sentence's clause
        "Errors hit uploads; they fail for some of you. Uploads were processed at 4:47 PM.",
        # a clause right after a semicolon with no space
        "Logins failed at 2:05 PM;restored at 4:47 PM.",
    ],
)
def test_the_restore_time_is_read_in_its_own_clause(text: str) -> None:
    assert "requires.restore_time" not in rules(text, "resolved")


@pytest.mark.parametrize(
    "text",
    [
        "Everything is back to normal and monitored until 5:00 PM.",  # how long it is watched
        "Everything is back to normal, with a post-mortem by 5:00 PM Friday.",  # the report's
    ],
)
def test_a_monitoring_or_report_time_is_not_the_restore_time(text: str) -> None:
    assert "requires.restore_time" in rules(text, "resolved")


def test_hyphenated_template_words_do_not_make_a_message_specific() -> None:
    text = "Hi, we are aware of an issue and are investigating; again-already, closely-continued."
    assert "robotic" in rules(text, "update")


def test_what_happened_paragraph_may_use_technical_words() -> None:
    text = (
        "Logins work again since 3:15 PM. Thank you for your patience; sorry. We will publish "
        "a post-mortem within 5 days.\n\nHere is what happened: a cluster lost its disks."
    )
    assert findings(text, "resolved", "statuspage") == []


def test_a_resolution_that_explains_cause_and_remedy_is_its_own_write_up() -> None:
    from tui.publish.checks.requirements import has_postmortem_promise
    from tui.publish.checks.scan import Scan

    text = (
        "Logins failed because a certificate expired at 2:05 PM. We renewed it at 4:47 PM and "
        "added an alert 30 days before expiry."
    )
    assert has_postmortem_promise(Scan(text))  # the default purpose: a resolution
    assert not has_postmortem_promise(Scan(text), "update")


@pytest.mark.parametrize(("distance", "has_deadline"), [(200, True), (201, False)])
def test_a_post_mortem_deadline_counts_within_200_characters(
    distance: int, has_deadline: bool
) -> None:
    """The deadline is looked for up to 200 characters after the promise: "within 3d"
    ending at 200 counts, at 201 it does not (only its "within 3" is in reach)."""
    head = (
        "Logins work again for all of you since 3:15 PM; this was our fault and we are "
        "sorry. Thank you for your patience. We will publish a post-mortem"
    )
    words = ", covering the timeline, what failed and what we are changing"
    pad = (words * 4)[: distance - len(" within 3d")].ljust(distance - len(" within 3d"))
    text = head + pad + " within 3d."
    assert text.index(" within 3d") + len(" within 3d") - len(head) == distance
    found = findings(text, "resolved", "statuspage")
    assert (found == []) == has_deadline, found


# the words that make a message specific: which capitalised words are names ---------------


def _content(text: str) -> list[str]:
    from tui.publish.checks.scan import Scan
    from tui.publish.checks.substance import content_words

    return content_words(Scan(text), 0, len(text))


def test_a_sentence_after_a_generic_mention_starts_afresh() -> None:
    # "Issues with payments" is a generic mention (left out); "Refunds" then starts a
    # sentence like any other: a content word, not the tail of a name
    assert _content("Issues with payments. Refunds are delayed for several customers.") == [
        "refunds",
        "delayed",
    ]


def test_a_capitalised_word_after_a_version_number_is_a_name() -> None:
    # "2.4" is no sentence end: "Checkout" inside the sentence is a product's name
    assert _content("After the 2.4 Checkout release, refunds fail.") == [
        "release",
        "refunds",
        "fail",
    ]


@pytest.mark.parametrize("newline", ["\r\n", "\n\n"])
def test_a_word_alone_on_its_line_is_not_a_name_with_the_next_lines_first_word(
    newline: str,
) -> None:
    assert _content(f"Checkout{newline}We restarted the database.") == [
        "checkout",
        "restarted",
        "database",
    ]


def test_a_word_before_a_slash_and_a_capital_is_still_a_content_word() -> None:
    # "Checkout/Billing": only a capital after a space makes a run of names
    assert _content("Checkout/Billing pages fail for some customers.")[:1] == ["checkout"]


def test_the_first_cause_is_looked_for_in_its_own_sentence() -> None:
    from tui.publish.checks.scan import Scan
    from tui.publish.checks.substance import first_cause

    text = "Logins failed because a config change removed the session key. We rolled it back."
    end = text.index(".") + 1
    assert first_cause(Scan(text), 0, end) == (text.index("because"), text.index("because") + 8)


def test_a_monitoring_time_is_no_restore_time_cue() -> None:
    from tui.publish.checks.requirements import restore_time_cue
    from tui.publish.checks.scan import Scan
    from tui.publish.checks.times import promised_times

    scan = Scan("Monitoring continues until 11:30 UTC.")
    times = promised_times(scan)
    assert [t.topic for t in times] == ["monitor"]
    assert restore_time_cue(scan, times) is None


def test_a_negation_after_an_eta_does_not_take_the_promise_back() -> None:
    # "we don't have an ETA" is honest; a "not" in the next sentence is not about the ETA
    from tui.publish.checks.promises import fix_promises
    from tui.publish.checks.scan import Scan
    from tui.publish.checks.times import promised_times

    text = "We now have an ETA from our provider. Logins do not work yet."
    scan = Scan(text)
    found = fix_promises(scan, promised_times(scan))
    assert [(f.rule, f.start, f.end) for f in found] == [
        ("fix_time_promise", text.index("ETA"), text.index("ETA") + 3)
    ]


def test_a_jargon_word_listed_twice_is_one_finding() -> None:
    # a playbook listing "Kubernetes" and "kubernetes": the word is flagged once
    import dataclasses

    from tui.publish.checks.scan import Scan
    from tui.publish.checks.tone import jargon

    checks = dataclasses.replace(BOOK, jargon=("Kubernetes", "kubernetes"), jargon_allow=())
    text = "A Kubernetes node failed and logins are slow."
    found = jargon(Scan(text), checks, "update")
    assert [(f.start, f.end, f.message) for f in found] == [(2, 12, "jargon: “Kubernetes”")]


@pytest.mark.parametrize(
    "text",
    [
        "Logins failed at 10:02 UTC; we checked again at 10:40 UTC.",
        "We checked again at 10:40 UTC; logins failed at 10:02 UTC.",
    ],
)
def test_a_failure_in_the_next_clause_does_not_hide_a_possible_restore_time(text: str) -> None:
    # clauses end at semicolons: 10:40 is asked about ("is that the restore time?"), 10:02
    # is when it broke
    from tui.publish.checks.requirements import restore_time_cue
    from tui.publish.checks.scan import Scan
    from tui.publish.checks.times import promised_times

    scan = Scan(text)
    at = text.index("10:40")
    assert restore_time_cue(scan, promised_times(scan)) == (at, at + len("10:40 UTC"))


def test_a_name_at_a_sentence_end_does_not_make_the_next_sentence_s_first_word_a_name() -> None:
    # found by mutation testing (content_words__mutmut_44): the flag carried over the full stop
    assert _content("We contacted Stripe. Refunds are delayed.") == [
        "contacted",
        "refunds",
        "delayed",
    ]


def test_a_word_touching_a_blank_is_not_inside_it() -> None:
    # found by mutation testing (Spans.overlaps__mutmut_10): a span that ends where a word
    # starts does not cover it -- jargon right after "]]" is still named
    rules = [
        f[0]
        for f in findings(
            "We are fixing the [[ what ]]DNS errors. Next update in 30 minutes.",
            "update",
            "statuspage",
        )
    ]
    assert rules.count("blank") == 1
    assert "jargon" in rules

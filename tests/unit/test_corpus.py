"""The labelled corpus (tests/corpus): its shape, its size, the check's verdict on hard cases.

The corpus is written and labelled apart from the rules (tests/corpus/README.md);
the cases at the bottom assert that :func:`tui.publish.checks.labels` and
:func:`check_message` agree with our labels on the classes of phrasing the issue
names. ``bench/lint_agreement.py`` measures the whole corpus.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.corpus.load import CORPUS, LABELS, PURPOSES, STAGES, CorpusError, Message, load
from tui.core.playbook import load_playbook
from tui.publish.checks import ERROR, check_message, labels

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def bench_lint_agreement() -> subprocess.CompletedProcess[str]:
    """``bench/lint_agreement.py`` run alone, once for this module and test_heldout."""
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "lint_agreement.py")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


BOOK = load_playbook(ROOT / "playbooks" / "saas-major-outage.yaml").message_checks
MESSAGES = load()
BY_ID = {m.id: m for m in MESSAGES}
PREFIX = {"ack": "ack-", "update": "upd-", "resolved": "res-"}


# ------------------------------------------------------------------ shape and size


def test_the_file_loads_every_message_with_all_seven_labels() -> None:
    raw = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["messages"]
    assert len(raw) == len(MESSAGES) >= 150
    for entry in raw:
        assert set(entry["labels"]) == set(LABELS), entry["id"]
        assert all(isinstance(v, bool) for v in entry["labels"].values()), entry["id"]


def test_ids_are_unique_stable_and_say_the_purpose() -> None:
    ids = [m.id for m in MESSAGES]
    assert len(ids) == len(set(ids))
    for m in MESSAGES:
        assert m.id.startswith(PREFIX[m.purpose]), m.id
        assert m.id[4:].isdigit() and len(m.id) == 7, m.id
        assert (m.stage in STAGES) == (m.purpose == "update"), m.id
        assert m.style.strip() and m.text.strip(), m.id


# The counts as of this corpus: a message may be added, none removed or relabelled
# without this table changing with it (so the corpus never shrinks unnoticed).
FLOOR: dict[str, dict[str, tuple[int, int]]] = {  # purpose -> label -> (yes, no)
    "ack": {
        "apology": (60, 76),
        "ownership": (105, 31),
        "next_update": (80, 56),
        "restore_time": (0, 136),
        "thanks": (12, 124),
        "postmortem_promise": (2, 134),
        "robotic": (53, 83),
    },
    "update": {
        "apology": (32, 131),
        "ownership": (145, 18),
        "next_update": (105, 58),
        "restore_time": (25, 138),
        "thanks": (20, 143),
        "postmortem_promise": (5, 158),
        "robotic": (49, 114),
    },
    "resolved": {
        "apology": (63, 69),
        "ownership": (55, 77),
        "next_update": (27, 105),
        "restore_time": (81, 51),
        "thanks": (61, 71),
        "postmortem_promise": (73, 59),
        "robotic": (46, 86),
    },
}


def test_counts_per_purpose_and_label_never_shrink() -> None:
    per_purpose = Counter(m.purpose for m in MESSAGES)
    assert per_purpose["ack"] >= 90
    assert per_purpose["update"] >= 116
    assert per_purpose["resolved"] >= 84
    stages = Counter(m.stage for m in MESSAGES if m.purpose == "update")
    assert min(stages[s] for s in STAGES) >= 34
    counts = Counter((m.purpose, name, m.labels[name]) for m in MESSAGES for name in LABELS)
    for purpose, table in FLOOR.items():
        for name, (yes, no) in table.items():
            assert counts[(purpose, name, True)] >= yes, (purpose, name, "yes")
            assert counts[(purpose, name, False)] >= no, (purpose, name, "no")


def test_balance_robotic_about_a_third_and_both_classes_where_they_make_sense() -> None:
    robotic = sum(m.labels["robotic"] for m in MESSAGES)
    assert 0.25 <= robotic / len(MESSAGES) <= 0.45
    for purpose in PURPOSES:
        mine = [m for m in MESSAGES if m.purpose == purpose]
        for name in LABELS:
            if purpose == "ack" and name == "restore_time":
                continue  # nothing has come back yet
            values = {m.labels[name] for m in mine}
            assert values == {True, False}, (purpose, name)
    assert len({m.style.split(",")[0] for m in MESSAGES}) >= 8  # several companies' voices


def _write(tmp_path: Path, entries: list[dict[str, object]]) -> Path:
    path = tmp_path / "messages.yaml"
    path.write_text(yaml.safe_dump({"messages": entries}), encoding="utf-8")
    return path


GOOD: dict[str, object] = {
    "id": "ack-999",
    "purpose": "ack",
    "style": "Test Co, terse",
    "text": "Logins fail with a 500. We're on it; next update at 10:00 UTC.",
    "labels": dict.fromkeys(LABELS, False),
}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"labels": {k: False for k in LABELS if k != "thanks"}}, "labels must be exactly"),
        ({"labels": {**dict.fromkeys(LABELS, False), "robotic": "yes"}}, "true or false"),
        ({"purpose": "update"}, "needs a stage"),
        ({"stage": "monitoring"}, "only updates have a stage"),
        ({"purpose": "postmortem"}, "is not one of"),
        ({"colour": "red"}, "unknown field colour"),
        ({"text": "  "}, "text must be a non-empty string"),
    ],
)
def test_the_loader_refuses_a_malformed_entry_naming_it(
    tmp_path: Path, change: dict[str, object], words: str
) -> None:
    with pytest.raises(CorpusError, match=words) as caught:
        load(_write(tmp_path, [{**GOOD, **change}]))
    assert "ack-999" in str(caught.value)


def test_the_loader_refuses_a_duplicate_id(tmp_path: Path) -> None:
    assert [m.id for m in load(_write(tmp_path, [GOOD]))] == ["ack-999"]
    with pytest.raises(CorpusError, match="ack-999 appears twice"):
        load(_write(tmp_path, [GOOD, GOOD]))


# ------------------------------------------------------------------ the bench's arithmetic

sys.path.insert(0, str(ROOT / "bench"))
from lint_agreement import cohen_kappa, markdown, measure  # noqa: E402


def test_kappa_is_one_for_perfect_agreement_zero_for_chance_and_undefined_when_pe_is_one() -> None:
    assert cohen_kappa(10, 0, 0, 10) == pytest.approx(1.0)
    # the held-out robotic figures: 1 of 21 caught, 8 of 9 warnings wrong, n = 96
    held_out = cohen_kappa(tp=1, fp=8, fn=20, tn=67)
    assert held_out is not None and abs(held_out) < 0.1
    assert cohen_kappa(5, 5, 5, 5) == pytest.approx(0.0)
    assert cohen_kappa(0, 3, 3, 0) == pytest.approx(-1.0)
    assert cohen_kappa(0, 0, 0, 12) is None  # both say "no" to everything: pe == 1
    assert cohen_kappa(0, 0, 0, 0) is None


def test_the_bench_counts_a_blocking_error_on_an_element_labelled_present() -> None:
    # A message that plainly has a restore time, labelled so, and one labelled
    # (wrongly, on purpose) as having a post-mortem promise it does not have.
    honest = Message(
        "res-901",
        "resolved",
        None,
        "Test Co",
        "Service has been fully restored as of 4:47 PM EST. Thank you for your patience. "
        "We will publish a detailed incident report within 72 hours.",
        {**dict.fromkeys(LABELS, False), "restore_time": True, "thanks": True},
    )
    liar = Message(
        "res-902",
        "resolved",
        None,
        "Test Co",
        "Service has been fully restored as of 4:47 PM EST. Thank you for your patience.",
        {**dict.fromkeys(LABELS, False), "restore_time": True, "thanks": True,
         "postmortem_promise": True},
    )  # fmt: skip
    result = measure([honest, liar])
    assert not result.error
    assert result.blocking == ["res-902: requires.postmortem_promise"]
    assert result.overall["postmortem_promise"].fn == 1  # res-902: labelled yes, not found
    assert result.overall["restore_time"].tp == 2
    table = markdown(result, misses=True)
    assert "| restore_time | 2 | 2 | 2 | 0 | 0 | 0 | 100.0 % |" in table
    assert "res-902: requires.postmortem_promise" in table


def test_bench_lint_agreement_runs_alone_on_the_whole_corpus() -> None:
    done = bench_lint_agreement()
    assert done.returncode == 0, done.stderr
    assert f"{len(MESSAGES)} hand-labelled messages" in done.stdout
    for name in LABELS:
        assert f"| {name} | {len(MESSAGES)} |" in done.stdout
    assert "Error-severity requires.* findings" in done.stdout


def test_bench_measures_another_labelled_file_and_refuses_a_bad_one(tmp_path: Path) -> None:
    # A held-out set stays with whoever holds it: --corpus measures it in the same format.
    held_out = _write(tmp_path, [GOOD])
    script = str(ROOT / "bench" / "lint_agreement.py")
    done = subprocess.run(
        [sys.executable, script, "--corpus", str(held_out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert f"1 hand-labelled messages ({held_out})" in done.stdout
    assert "| apology | 1 | 0 |" in done.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"messages": [{**GOOD, "labels": {"apology": True}}]}))
    done = subprocess.run(
        [sys.executable, script, "--corpus", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "bad.yaml ack-999: labels must be" in done.stderr
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------ individual cases


def verdict(message_id: str) -> tuple[Message, dict[str, bool], list[tuple[str, str]]]:
    m = BY_ID[message_id]
    found = labels(m.text, m.purpose, BOOK)
    findings = [(f.rule, f.severity) for f in check_message(m.text, m.purpose, "statuspage", BOOK)]
    return m, found, findings


def errors(findings: list[tuple[str, str]]) -> set[str]:
    return {rule for rule, severity in findings if severity == ERROR}


@pytest.mark.parametrize(
    ("message_id", "label"),
    [
        ("ack-002", "robotic"),  # the product's pre-filled investigating sentence
        ("ack-015", "robotic"),  # "technical difficulties. Updates to follow."
        ("ack-058", "robotic"),  # a concrete next update does not rescue "this issue"
        ("upd-024", "robotic"),  # "The issue has been identified and a fix is being implemented."
        ("res-002", "robotic"),  # "This incident has been resolved."
        ("upd-014", "robotic"),  # "At this time" inside a specific update: NOT robotic
        ("ack-039", "robotic"),  # "latency" as a plain word, explained: NOT robotic
        ("ack-003", "ownership"),  # "Our team is on it"
        ("ack-052", "ownership"),  # aware and will update, no action: absent
        ("upd-008", "next_update"),  # "by 15:00 UTC, or sooner if" - the concrete one wins
        ("ack-025", "next_update"),  # "more soon": absent
        ("res-040", "restore_time"),  # "10:11–13:25 CET": the end of the range
        ("res-041", "restore_time"),  # "From 12:10 to 12:12 PM PDT"
        ("res-042", "restore_time"),  # "Between 10:11 and 13:25 UTC"
        ("upd-056", "restore_time"),  # "We deployed a fix at 18:05 UTC": history, absent
        ("res-001", "postmortem_promise"),  # cause and remediation in the message itself
        ("res-035", "postmortem_promise"),  # a cause without a remediation: absent
        ("res-010", "postmortem_promise"),  # "A full post-mortem will follow on our blog."
        ("ack-038", "apology"),  # "We regret the disruption"
        ("upd-004", "thanks"),  # "We appreciate your patience."
    ],
)
def test_the_check_agrees_with_the_label_on_a_hard_case(message_id: str, label: str) -> None:
    m, found, _ = verdict(message_id)
    assert found[label] == m.labels[label], f"{message_id} {label}: {m.note or m.text}"


def test_concrete_time_beside_or_sooner_if_does_not_block_an_update() -> None:
    for message_id in ("upd-008", "upd-077", "ack-022"):
        _, _, findings = verdict(message_id)
        assert "requires.next_update" not in errors(findings), message_id


def test_a_resolution_explaining_cause_and_remediation_with_an_apology_is_not_blocked() -> None:
    # res-001: no thanks (an apology stands in), no promise (it explains itself).
    _, _, findings = verdict("res-001")
    assert errors(findings) == set()


def test_a_post_mortem_promise_without_a_deadline_is_no_error() -> None:
    _, _, findings = verdict("res-010")
    assert errors(findings) == set()


def test_a_past_tense_fix_time_is_not_a_promised_fix_time() -> None:
    for message_id in ("upd-056", "upd-079", "upd-041"):
        _, _, findings = verdict(message_id)
        assert "fix_time_promise" not in {rule for rule, _ in findings}, message_id


def test_latency_as_a_plain_word_is_not_jargon() -> None:
    for message_id in ("ack-039", "res-050"):
        m, _, _ = verdict(message_id)
        spans = [
            m.text[f.start : f.end].lower()
            for f in check_message(m.text, m.purpose, "statuspage", BOOK)
            if f.rule == "jargon"
        ]
        assert "latency" not in spans, message_id


def test_the_bare_templates_are_blocked_where_an_element_is_missing() -> None:
    _, _, findings = verdict("ack-017")  # "Service disruption. Investigating."
    assert "requires.next_update" in errors(findings)
    _, _, findings = verdict("res-002")  # "This incident has been resolved."
    assert {"requires.restore_time", "requires.postmortem_promise"} <= errors(findings)


def test_no_blocking_error_on_an_element_the_corpus_says_is_present() -> None:
    wrong = []
    for m in MESSAGES:
        for f in check_message(m.text, m.purpose, "statuspage", BOOK):
            element = f.rule.removeprefix("requires.")
            if f.severity == ERROR and f.rule.startswith("requires.") and m.labels.get(element):
                wrong.append(f"{m.id}: {f.rule}")
    assert wrong == []

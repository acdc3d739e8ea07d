"""The held-out set (tests/corpus/heldout.yaml): it loads, and ``make bench`` prints it.

The set is never used to tune the rules, so nothing here asserts how well the check
agrees with it -- only that it is the labelled set the README describes, and that the
bench shows its numbers in a second table, labelled held-out.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.corpus.load import LABELS, load
from tests.unit.test_corpus import bench_lint_agreement

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = ROOT / "tests" / "corpus" / "heldout.yaml"


def test_the_held_out_set_is_sixty_labelled_messages_apart_from_the_corpus():
    messages = load(HELD_OUT)
    assert len(messages) == 60
    assert Counter(m.purpose for m in messages) == {"ack": 21, "update": 21, "resolved": 18}
    corpus = load()
    assert not {m.id for m in messages} & {m.id for m in corpus}
    # only a hosted status page's pre-filled sentence, which companies post word for word
    shared = {m.text for m in messages} & {m.text for m in corpus}
    assert shared == {"A fix has been implemented and we are monitoring the results."}
    assert not {m.style.split(",")[0] for m in messages} & {m.style.split(",")[0] for m in corpus}
    for name in LABELS:  # both classes of every label are there
        assert {m.labels[name] for m in messages} == {True, False}, name


def test_the_bench_prints_the_held_out_table_after_the_corpus():
    done = bench_lint_agreement()
    assert done.returncode == 0, done.stderr
    corpus = done.stdout.index("## Message check vs. our labelled corpus")
    held_out = done.stdout.index("## Message check vs. the held-out set (held-out)")
    assert corpus < held_out
    table = done.stdout[held_out:]
    assert "60 hand-labelled messages (tests/corpus/heldout.yaml)" in table
    assert "never used to tune them" in table
    for name in LABELS:
        assert f"| {name} | 60 |" in table


HELD_OUT_2 = ROOT / "tests" / "corpus" / "heldout2.yaml"


def test_the_second_held_out_set_is_ninety_messages_apart_from_the_rest():
    messages = load(HELD_OUT_2)
    assert len(messages) == 90
    assert Counter(m.purpose for m in messages) == {"ack": 30, "update": 30, "resolved": 30}
    others = load() + load(HELD_OUT)
    assert not {m.id for m in messages} & {m.id for m in others}
    companies = {m.style.split(",")[0] for m in messages}
    assert not companies & {m.style.split(",")[0] for m in others}
    for name in LABELS:
        assert {m.labels[name] for m in messages} == {True, False}, name


def test_the_bench_prints_the_second_held_out_table_last():
    done = bench_lint_agreement()
    assert done.returncode == 0, done.stderr
    first = done.stdout.index("## Message check vs. the held-out set (held-out)")
    second = done.stdout.index("## Message check vs. the second held-out set (held-out)")
    assert first < second
    table = done.stdout[second:]
    assert "90 hand-labelled messages (tests/corpus/heldout2.yaml)" in table
    for name in LABELS:
        assert f"| {name} | 90 |" in table

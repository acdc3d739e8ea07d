"""How well the message check agrees with our labelled corpus (issue 12).

Loads ``tests/corpus/messages.yaml`` (written and labelled by hand, apart from
the rules), runs :func:`tui.publish.checks.labels` on every message with the
shipped ``saas-major-outage`` playbook's checks, and compares, label by label:
agreement %, Cohen's kappa (computed here: ``(po - pe) / (1 - pe)``), and the
confusion counts TP/FP/FN/TN (positive: the element is present / the message is
robotic). It also counts the findings that must never happen: an error-severity
``requires.*`` finding from :func:`tui.publish.checks.check_message` on a
message whose label says that element is present.

Runs in seconds, no network, no database. ``make bench`` appends its tables: the
corpus's, then the held-out set's (``tests/corpus/heldout.yaml``, labelled
held-out: never used to tune the rules); alone::

    .venv/bin/python bench/lint_agreement.py            # both tables
    .venv/bin/python bench/lint_agreement.py --misses   # and every disagreement, by id
    .venv/bin/python bench/lint_agreement.py --corpus held-out.yaml   # another labelled file
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from tests.corpus.load import HERE as CORPUS_DIR  # noqa: E402
from tests.corpus.load import LABELS, PURPOSES, CorpusError, Message, load  # noqa: E402

if TYPE_CHECKING:
    from tui.core.playbook import MessageChecks

TARGET_AGREEMENT = 0.95  # every label
TARGET_KAPPA = {"robotic": 0.8}
HELD_OUT = CORPUS_DIR / "heldout.yaml"  # never tuned on: a second table
HELD_OUT_2 = CORPUS_DIR / "heldout2.yaml"  # the second held-out set: a third table
KIND = "statuspage"  # the destination kind for check_message (length limits only)

Labeller = Callable[[str, str], dict[str, bool]]


# ------------------------------------------------------------------ the statistics


@dataclass
class Confusion:
    """Counts for one label; positive = the label is true."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)  # "id (labelled X, check says Y)"

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def add(self, labelled: bool, found: bool, message_id: str = "") -> None:
        if labelled and found:
            self.tp += 1
        elif found:
            self.fp += 1
        elif labelled:
            self.fn += 1
        else:
            self.tn += 1
        if labelled != found and message_id:
            self.misses.append(message_id)

    @property
    def agreement(self) -> float | None:
        return (self.tp + self.tn) / self.n if self.n else None

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(self.tp, self.fp, self.fn, self.tn)


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float | None:
    """Cohen's kappa of two raters on one yes/no question: ``(po - pe) / (1 - pe)``.

    ``po`` is the observed agreement, ``pe`` the agreement expected by chance from
    each rater's own rate of "yes". None when it is undefined: no items, or
    ``pe == 1`` (both raters gave one and the same answer to every item, so
    chance alone explains the agreement and there is nothing to measure).
    """
    n = tp + fp + fn + tn
    if n == 0:
        return None
    po = (tp + tn) / n
    labelled_yes, found_yes = (tp + fn) / n, (tp + fp) / n
    pe = labelled_yes * found_yes + (1 - labelled_yes) * (1 - found_yes)
    if pe >= 1.0:
        return None
    return (po - pe) / (1 - pe)


# ------------------------------------------------------------------ the measurement


@dataclass
class Result:
    n: int
    overall: dict[str, Confusion]
    by_purpose: dict[str, dict[str, Confusion]]
    blocking: list[str]  # "id: requires.X" errors on an element labelled present
    seconds: float = 0.0
    error: str = ""  # why nothing could be measured


def _checks() -> MessageChecks:
    from tui.core.playbook import load_playbook

    return load_playbook(ROOT / "playbooks" / "saas-major-outage.yaml").message_checks


def measure(messages: Sequence[Message] | None = None) -> Result:
    """Run the check on every message; never raises (a failure is ``Result.error``)."""
    started = time.perf_counter()
    messages = list(load() if messages is None else messages)
    overall = {name: Confusion() for name in LABELS}
    by_purpose = {p: {name: Confusion() for name in LABELS} for p in PURPOSES}
    blocking: list[str] = []
    try:
        from tui.publish.checks import ERROR, check_message, labels
    except ImportError as exc:
        return Result(len(messages), overall, by_purpose, blocking, error=f"import: {exc}")
    checks = _checks()
    for m in messages:
        try:
            found = labels(m.text, m.purpose, checks)
            findings = check_message(m.text, m.purpose, KIND, checks)
        except Exception as exc:  # a check that raises is a result, not a crash
            return Result(
                len(messages),
                overall,
                by_purpose,
                blocking,
                error=f"{m.id}: {type(exc).__name__}: {exc}",
            )
        for name in LABELS:
            got = bool(found.get(name, False))
            want = m.labels[name]
            tag = f"{m.id} (labelled {'yes' if want else 'no'})"
            overall[name].add(want, got, tag)
            by_purpose[m.purpose][name].add(want, got)
        for f in findings:  # only requires.*: a robotic finding on a robotic message is right
            element = f.rule.removeprefix("requires.")
            if f.severity == ERROR and f.rule.startswith("requires.") and m.labels.get(element):
                blocking.append(f"{m.id}: {f.rule}")
    return Result(
        len(messages), overall, by_purpose, blocking, seconds=time.perf_counter() - started
    )


# ------------------------------------------------------------------ the table


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def _kappa(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def verdict(name: str, c: Confusion) -> str:
    problems = []
    agreement = c.agreement
    if agreement is None or agreement < TARGET_AGREEMENT:
        problems.append(f"agreement below {TARGET_AGREEMENT:.0%}")
    if name in TARGET_KAPPA:
        kappa = c.kappa
        if kappa is None or kappa < TARGET_KAPPA[name]:
            problems.append(f"kappa below {TARGET_KAPPA[name]:g}")
    return "MISSED (" + "; ".join(problems) + ")" if problems else "ok"


HELD_OUT_NOTE = (
    "Held-out: written and labelled apart from the rules, never used to tune them; "
    "the numbers from before any tuning are in tests/corpus/README.md."
)


def markdown(
    result: Result,
    misses: bool = False,
    source: str = "tests/corpus/messages.yaml",
    title: str = "Message check vs. our labelled corpus",
    note: str = "",
) -> str:
    """The agreement table in Markdown (the bench's second section)."""
    lines = [
        f"## {title}",
        "",
        f"{result.n} hand-labelled messages ({source}), checked with the "
        "shipped saas-major-outage playbook; positive = the element is present "
        "(robotic: the message is robotic)." + (f" {note}" if note else ""),
        "",
    ]
    if result.error:
        return "\n".join([*lines, f"FAILED: {result.error}"]) + "\n"
    lines += [
        "| label | n | labelled yes | TP | FP | FN | TN | agreement | kappa | target | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in LABELS:
        c = result.overall[name]
        target = f"≥ {TARGET_AGREEMENT:.0%}"
        if name in TARGET_KAPPA:
            target += f", κ ≥ {TARGET_KAPPA[name]:g}"
        lines.append(
            f"| {name} | {c.n} | {c.tp + c.fn} | {c.tp} | {c.fp} | {c.fn} | {c.tn} | "
            f"{_pct(c.agreement)} | {_kappa(c.kappa)} | {target} | {verdict(name, c)} |"
        )
    lines += ["", "Agreement by purpose:", ""]
    lines += ["| purpose | n | " + " | ".join(LABELS) + " |"]
    lines += ["|---|---|" + "---|" * len(LABELS)]
    for purpose in PURPOSES:
        row = result.by_purpose[purpose]
        n = row[LABELS[0]].n
        cells = " | ".join(_pct(row[name].agreement) for name in LABELS)
        lines.append(f"| {purpose} | {n} | {cells} |")
    count = len(result.blocking)
    lines += [
        "",
        f"Error-severity requires.* findings on a message labelled as having that element: "
        f"{count} (target 0){': ' + ', '.join(result.blocking) if count else ''}.",
        f"Whole run {result.seconds:.1f} s.",
    ]
    if misses:
        lines += ["", "Disagreements (message id, our label):", ""]
        for name in LABELS:
            got = result.overall[name].misses
            if got:
                lines.append(f"- {name} ({len(got)}): " + ", ".join(got))
    return "\n".join(lines) + "\n"


def _measured(path: Path | None) -> Result:
    try:
        return measure(None if path is None else load(path))
    except Exception as exc:  # a corpus that cannot be read is one line in the table
        return Result(0, {}, {}, [], error=f"{type(exc).__name__}: {exc}")


def section(misses: bool = False) -> str:
    """The Markdown section for ``make bench``: the corpus's table, then the two held-out
    sets' (a file that cannot be read is one line)."""
    return (
        markdown(_measured(None), misses=misses)
        + "\n"
        + markdown(
            _measured(HELD_OUT),
            misses=misses,
            source="tests/corpus/heldout.yaml",
            title="Message check vs. the held-out set (held-out)",
            note=HELD_OUT_NOTE,
        )
        + "\n"
        + markdown(
            _measured(HELD_OUT_2),
            misses=misses,
            source="tests/corpus/heldout2.yaml",
            title="Message check vs. the second held-out set (held-out)",
            note=HELD_OUT_NOTE,
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--misses", action="store_true", help="list every disagreement by id")
    parser.add_argument(
        "--corpus",
        type=Path,
        metavar="FILE",
        help="another labelled file in the same format (a held-out set)",
    )
    args = parser.parse_args(argv)
    if args.corpus is None:
        print(section(misses=args.misses), end="")
        return 0
    try:
        messages = load(args.corpus)
    except (OSError, CorpusError, yaml.YAMLError) as exc:
        print(f"lint_agreement: {args.corpus}: {exc}", file=sys.stderr)
        return 2
    title = f"Message check vs. {args.corpus.name}"
    print(markdown(measure(messages), args.misses, str(args.corpus), title), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

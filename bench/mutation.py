"""``make mutation``: mutation testing of warroom's core with mutmut 3, one module at a time.

Each module below is mutated in its own scratch copy of the tree (``.mutation/<name>/``,
git-ignored), with mutmut's config written into that copy's ``pyproject.toml``: the module's
files are the only ones mutated, and only that module's unit tests run against each mutant (not
the whole 13-minute suite). mutmut forks a child per mutant and caps its CPU time, so a mutant
that loops forever counts as a timeout (a kill), not a hang.

A module with more mutants than ``--sample`` (default 120; ``MUTATION_SAMPLE``) is sampled
deterministically (every k-th mutant by name); the table then says "sampled N of M".

    python bench/mutation.py                    # every module, smallest first
    python bench/mutation.py offers.money       # one module
    python bench/mutation.py --report           # print the last results, run nothing

The table goes to stdout and to ``bench/results/mutation.md`` (with its date and commit);
``make bench`` prints that last table (mutation is too slow for every bench run). Survivors are
listed under the table; each one either gets a test or a line in tests/README.md
("Equivalent mutants"). Exit 0 unless the run itself cannot start.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
RESULTS = ROOT / "bench" / "results" / "mutation.md"
RAW = ROOT / "bench" / "results" / "mutation.json"
BIN = Path(sys.executable).parent
TARGET = 85.0


@dataclass(frozen=True)
class Module:
    name: str
    sources: tuple[str, ...]  # files mutated (repo-relative)
    tests: tuple[str, ...]  # the fast unit tests run against each mutant
    skip: str = ""  # a pytest -k expression leaving out the slow ones (they run in make test)


# 300,000-row files and the dashboard's refusal screen: ~40-130 s each under mutmut
SLOW_OFFERS = "not 300000 and not dashboard"
# test_delivery's fault matrix in real time (Retry-After and backoff really waited: up to
# 2 s each); test_delivery_sync runs the same faults on an injected clock. The hung
# connection (a real timeout) stays.
SLOW_OUTBOX = "not (still_delivers_exactly_once and not hang)"

MODULES: tuple[Module, ...] = (
    Module(
        "state.phases",
        ("tui/core/state/phases.py",),
        ("tests/unit/test_state.py", "tests/unit/test_mutants_projection.py"),
    ),
    Module(
        "publish.retry",
        ("tui/publish/retry.py",),
        ("tests/unit/test_backoff_schedule.py", "tests/unit/test_mutants_retry.py"),
    ),
    Module(
        "offers.money",
        ("tui/amends/offers/money.py",),
        ("tests/unit/test_offers.py", "tests/unit/test_mutants_offers.py"),
        SLOW_OFFERS,
    ),
    Module(
        "state.countdown",
        ("tui/core/state/countdown.py",),
        (
            "tests/unit/test_state.py",
            "tests/unit/test_cadence_max.py",
            "tests/unit/test_mutants_projection.py",
        ),
    ),
    Module(
        "offers",
        (
            "tui/amends/offers/compute.py",
            "tui/amends/offers/cells.py",
            "tui/amends/offers/results.py",
            "tui/amends/offers/customer_list.py",
        ),
        ("tests/unit/test_offers.py", "tests/unit/test_mutants_offers.py"),
        SLOW_OFFERS,
    ),
    Module(
        "playbook.validation",
        ("tui/core/playbook/validation/*.py",),
        (
            "tests/unit/test_playbook.py",
            "tests/unit/test_cadence_max.py",
            "tests/unit/test_mutants_validation.py",
        ),
    ),
    Module(
        "publish.checks",
        ("tui/publish/checks/*.py",),
        (
            "tests/unit/test_checks.py",
            "tests/unit/test_checks_classes.py",
            "tests/unit/test_article_examples.py",
            "tests/unit/test_mutants_checks.py",
        ),
    ),
    Module(
        "publish.outbox",
        ("tui/publish/outbox.py", "tui/publish/worker.py"),
        (
            "tests/unit/test_delivery.py",
            "tests/unit/test_delivery_sync.py",
            "tests/unit/test_backoff_schedule.py",
            "tests/unit/test_oneline_bugs.py",
            "tests/unit/test_attention.py",
            "tests/unit/test_mutants_outbox.py",
            "tests/unit/test_lease.py",
            "tests/unit/test_resend.py",
        ),
        SLOW_OUTBOX,
    ),
)

KILLED = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout"}
KILLED[255] = "timeout"


@dataclass
class Result:
    name: str
    total: int = 0  # mutants generated
    tried: int = 0  # mutants run (sample)
    killed: int = 0
    timeout: int = 0
    survived: list[str] = field(default_factory=list)
    other: int = 0  # no tests / suspicious / not checked
    seconds: float = 0.0
    error: str = ""

    @property
    def score(self) -> float | None:
        judged = self.killed + self.timeout + len(self.survived)
        return None if not judged else 100.0 * (self.killed + self.timeout) / judged


def log(text: str) -> None:
    print(f"[mutation] {text}", file=sys.stderr, flush=True)


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(module: Module) -> Path:
    """A scratch copy of the tree with mutmut's config for this module only."""
    work = WORK / module.name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("tui", "screens", "tests", "playbooks", "templates"):
        if (ROOT / part).exists():
            shutil.copytree(ROOT / part, work / part, ignore=ignore)
    tests = [t for t in module.tests if (ROOT / t).exists()]
    base = (ROOT / "pyproject.toml").read_text()
    base = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", base)
    config = "\n".join(
        [
            "",
            "[tool.mutmut]",
            'source_paths = ["tui"]',
            f"only_mutate = {toml_list(list(module.sources))}",
            'also_copy = ["screens", "playbooks", "templates"]',
            f"pytest_add_cli_args_test_selection = {toml_list(tests)}",
            "pytest_add_cli_args = "
            + toml_list(
                ["-p", "no:cacheprovider", "-q", "-x"]
                + (["-k", module.skip] if module.skip else [])
            ),
            "",
        ]
    )
    (work / "pyproject.toml").write_text(base + config)
    return work


def mutmut(work: Path, *names: str, jobs: int = 1) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [str(BIN / "mutmut"), "run", "--max-children", str(jobs), *names],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )


def read_meta(work: Path) -> dict[str, int | None]:
    codes: dict[str, int | None] = {}
    for meta in (work / "mutants").rglob("*.meta"):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    return codes


def run_module(module: Module, sample: int, jobs: int = 1) -> Result:
    result = Result(module.name)
    started = time.monotonic()
    work = prepare(module)
    # First pass: generate the mutants and collect which tests cover what, run no mutant.
    first = mutmut(work, "no_such_mutant_xyz")
    codes = read_meta(work)
    if not codes:
        said = (first.stderr or first.stdout).strip().splitlines()
        result.error = (said[-1] if said else "no mutants")[:200]
        return result
    names = sorted(codes)
    result.total = len(names)
    if len(names) > sample:
        step = len(names) / sample
        names = [names[int(i * step)] for i in range(sample)]
    result.tried = len(names)
    log(f"{module.name}: {result.tried} of {result.total} mutants")
    done = mutmut(work, *names, jobs=jobs)
    codes = read_meta(work)
    for name in names:
        code = codes.get(name)
        status = KILLED.get(code) if code is not None else None
        if status == "killed":
            result.killed += 1
        elif status == "timeout":
            result.timeout += 1
        elif code in (0, 5, 33):  # survived, or no test covers it: not killed either way
            result.survived.append(name)
        else:
            result.other += 1
    if result.other == result.tried:
        result.error = (done.stderr or done.stdout).strip()[-200:]
    result.seconds = time.monotonic() - started
    return result


def _listed(heading: str) -> set[str]:
    """Mutant names in one section of tests/README.md."""
    try:
        text = (ROOT / "tests" / "README.md").read_text()
    except OSError:
        return set()
    section = text.split(heading, 1)[-1] if heading in text else ""
    section = section.split("\n## ", 1)[0]
    return set(re.findall(r"`([\w.ǁ]+__mutmut_\d+)`", section))


def equivalents() -> set[str]:
    """Mutant names tests/README.md lists as equivalent (its "Equivalent mutants" section)."""
    return _listed("## Equivalent mutants")


def killed_since() -> set[str]:
    """Survivors of the last run that a test added after it kills (tests/README.md's
    "Survivors killed since their run"): named under the table, the score unchanged
    until the module runs again."""
    return _listed("## Survivors killed since their run")


def render(results: list[dict[str, object]], when: str, rev: str) -> str:
    listed, since = equivalents(), killed_since()
    lines = [
        "## Mutation score (the last `make mutation`)",
        "",
        f"Last `make mutation`: {when}, commit {rev} (mutmut, one module at a time, "
        "each against its own unit tests). Too slow for every `make bench`: this is "
        "the last run's table. Score: (killed + timeout) / (killed + timeout + survived); "
        "an equivalent mutant (listed in tests/README.md with its reason) counts as survived.",
        "",
        "| module | mutants | tried | killed | timeout | survived | of which equivalent "
        "| other | score | target | verdict | run (UTC, commit) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    survivors: list[str] = []
    later: list[str] = []
    for r in results:
        total, tried = int(str(r["total"])), int(str(r["tried"]))
        killed, timeout = int(str(r["killed"])), int(str(r["timeout"]))
        surv = [str(x) for x in r["survived"]]  # type: ignore[attr-defined]
        equivalent = [x for x in surv if x in listed]
        judged = killed + timeout + len(surv)
        score = 100.0 * (killed + timeout) / judged if judged else None
        if r.get("error"):
            verdict = f"FAILED ({r['error']})"
        elif score is None:
            verdict = "FAILED (no mutant judged)"
        elif score >= TARGET:
            verdict = "ok"
        else:
            verdict = f"MISSED by {TARGET - score:.1f} points"
        tried_text = str(tried) if tried == total else f"sampled {tried} of {total}"
        lines.append(
            f"| {r['name']} | {total} | {tried_text} | {killed} | {timeout} | {len(surv)} "
            f"| {len(equivalent)} | {r['other']} | {'-' if score is None else f'{score:.1f} %'} "
            f"| ≥ {TARGET:g} % | {verdict} | {r.get('run', '-')} |"
        )
        survivors += [f"{r['name']}: `{x}`" for x in surv if x not in listed and x not in since]
        later += [f"{r['name']}: `{x}`" for x in surv if x not in listed and x in since]
    if later:
        lines += [
            "",
            "Survivors killed since their run by a test added after it (tests/README.md; the "
            "score counts them as survived until the module runs again):",
            "",
        ]
        lines += [f"- {x}" for x in later]
    if survivors:
        lines += [
            "",
            "Survivors not yet killed nor listed as equivalent "
            "(`mutmut show NAME` in .mutation/<module>/):",
            "",
        ]
        lines += [f"- {x}" for x in survivors]
    return "\n".join(lines) + "\n"


def last_table() -> str:
    if not RESULTS.exists():
        return (
            "## Mutation score\n\nNo results yet: run `make mutation` (slow: minutes per "
            "module, so `make bench` only prints the last run's table).\n"
        )
    return RESULTS.read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module names (default: all)")
    parser.add_argument("--sample", type=int, default=int(os.environ.get("MUTATION_SAMPLE", 120)))
    parser.add_argument(
        "--jobs", type=int, default=1, help="mutants run at once (default 1: a shared machine)"
    )
    parser.add_argument("--render", action="store_true", help="rewrite the table, run nothing")
    parser.add_argument("--report", action="store_true", help="print the last table only")
    args = parser.parse_args(argv)
    if args.report:
        sys.stdout.write(last_table())
        return 0
    if args.render:  # the table again from the last raw results (after listing equivalents)
        raw = json.loads(RAW.read_text())
        text = render(raw["modules"], raw["date"], raw["commit"])
        RESULTS.write_text(text)
        sys.stdout.write(text)
        return 0
    known = {m.name: m for m in MODULES}
    unknown = [n for n in args.modules if n not in known]
    if unknown:
        print(f"unknown module {unknown[0]!r}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    if not (BIN / "mutmut").exists():
        print("mutmut is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 2
    chosen = [known[n] for n in args.modules] if args.modules else list(MODULES)
    fresh: dict[str, dict[str, object]] = {}
    for module in chosen:
        log(f"{module.name}: preparing")
        r = run_module(module, args.sample, args.jobs)
        log(f"{module.name}: score {r.score} in {r.seconds:.0f} s")
        fresh[module.name] = {
            "name": r.name,
            "total": r.total,
            "tried": r.tried,
            "killed": r.killed,
            "timeout": r.timeout,
            "survived": r.survived,
            "other": r.other,
            "error": r.error,
            "run": f"{datetime.now(UTC):%Y-%m-%d %H:%M} {commit()}",
        }
    previous: dict[str, dict[str, object]] = {}
    if RAW.exists():  # read at the end: the other modules' rows as the last run left them
        previous = {r["name"]: r for r in json.loads(RAW.read_text())["modules"]}
    previous.update(fresh)
    order = [m.name for m in MODULES]
    rows = [previous[n] for n in order if n in previous]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rev = commit()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RAW.write_text(json.dumps({"date": when, "commit": rev, "modules": rows}, indent=1))
    text = render(rows, when, rev)
    RESULTS.write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``make mutation``'s driver (bench/mutation.py): its table and the equivalent mutants it reads.

The mutation run itself is minutes per module and belongs in ``make mutation``; these check,
in well under a second, what the table says from a run's results, and that every equivalent
mutant tests/README.md lists names a module the driver mutates.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("mutation_driver", ROOT / "bench" / "mutation.py")
assert SPEC is not None and SPEC.loader is not None
mutation = importlib.util.module_from_spec(SPEC)
sys.modules["mutation_driver"] = mutation  # dataclasses look their module up
SPEC.loader.exec_module(mutation)


def test_every_listed_equivalent_mutant_is_of_a_mutated_module() -> None:
    listed = mutation.equivalents()
    assert len(listed) >= 10
    sources = [
        s.removesuffix(".py").removesuffix("*").replace("/", ".")
        for m in mutation.MODULES
        for s in m.sources
    ]
    for name in listed:
        module = name.split(".x", 1)[0]  # tui.pkg.module.x_function__mutmut_N
        assert any(module.startswith(s.rstrip(".")) for s in sources), name


def test_the_table_scores_each_module_against_85_percent_and_names_the_unexplained() -> None:
    equivalent = sorted(mutation.equivalents())[0]
    rows = [
        {
            "name": "a",
            "total": 10,
            "tried": 10,
            "killed": 9,
            "timeout": 0,
            "survived": [equivalent],
            "other": 0,
            "error": "",
        },
        {
            "name": "b",
            "total": 500,
            "tried": 40,
            "killed": 30,
            "timeout": 2,
            "survived": ["tui.x.x_f__mutmut_1"] * 8,
            "other": 1,
            "error": "",
            "run": "2026-11-30 15:00 abc1234",
        },
        {
            "name": "c",
            "total": 0,
            "tried": 0,
            "killed": 0,
            "timeout": 0,
            "survived": [],
            "other": 0,
            "error": "no mutants",
        },
    ]
    text = mutation.render(rows, "2026-11-30 15:00 UTC", "abc1234")
    lines = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| ")}
    assert lines["| a"] == "| a | 10 | 10 | 9 | 0 | 1 | 1 | 0 | 90.0 % | ≥ 85 % | ok | - |"
    assert lines["| b"] == (
        "| b | 500 | sampled 40 of 500 | 30 | 2 | 8 | 0 | 1 | 80.0 % | ≥ 85 % "
        "| MISSED by 5.0 points | 2026-11-30 15:00 abc1234 |"
    )
    assert "FAILED (no mutants)" in lines["| c"]
    assert "- b: `tui.x.x_f__mutmut_1`" in text and equivalent not in text.split("Survivors")[1]


def test_report_prints_the_last_table_or_says_there_is_none() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "mutation.py"), "--report"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0
    assert out.stdout.startswith("## Mutation score")
    bad = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "mutation.py"), "no.such.module"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no.such.module" in bad.stderr


def test_a_survivor_killed_since_its_run_is_named_apart_and_still_counted() -> None:
    since = sorted(mutation.killed_since())
    assert since, "tests/README.md lists survivors killed since their run"
    rows = [
        {
            "name": "d",
            "total": 10,
            "tried": 10,
            "killed": 8,
            "timeout": 0,
            "survived": [since[0], "tui.y.x_g__mutmut_2"],
            "other": 0,
            "error": "",
        }
    ]
    text = mutation.render(rows, "2026-11-30 15:00 UTC", "abc1234")
    assert "| d | 10 | 10 | 8 | 0 | 2 | 0 | 0 | 80.0 % |" in text  # the score is the run's
    later, rest = text.split("Survivors killed since their run")[1].split("Survivors not yet")
    assert f"- d: `{since[0]}`" in later and since[0] not in rest
    assert "- d: `tui.y.x_g__mutmut_2`" in rest

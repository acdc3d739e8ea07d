"""What a new user trips on (issue 8, item 18): the real `warroom` script, real files."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MAJOR, ROOT, warroom_exe
from tui.config import load_config


def start(cli) -> str:
    r = cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    return r.out.strip()


# ------------------------------------------------------------------ the demo's exit hint


def _bare_env(tmp_path: Path) -> dict[str, str]:
    """A shell where `warroom` is NOT on PATH (the venv is not activated after make demo)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(PATH="/usr/bin:/bin", HOME=str(tmp_path), TMPDIR=str(tmp_path))
    env["WARROOM_NOW"] = "2026-11-27T19:00:00+00:00"
    return env


def _try_lines(out: str) -> list[str]:
    lines = [line.strip() for line in out.splitlines()]
    return [line.removeprefix("Try:").strip() for line in lines if "WARROOM_DB=" in line]


@pytest.mark.parametrize("where", ["elsewhere", "repo"])
def test_demo_hint_is_a_command_that_works_as_shown(tmp_path, where):
    env = _bare_env(tmp_path)
    exe = warroom_exe()
    cwd = tmp_path if where == "elsewhere" else ROOT
    if where == "repo" and not exe.startswith(str(ROOT) + os.sep):
        pytest.skip("the console script is not inside this checkout")
    p = subprocess.run(
        [exe, "demo", "--print"], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )
    assert p.returncode == 0, p.stderr
    hints = _try_lines(p.stdout)
    assert len(hints) == 2, p.stdout
    if where == "repo":
        assert hints[0].split()[1] == os.path.relpath(exe, ROOT)  # .venv/bin/warroom
    # run the hint exactly as printed, in a shell without the venv on PATH
    shown = subprocess.run(
        ["sh", "-c", hints[0]], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )
    assert shown.returncode == 0, (hints[0], shown.stderr)
    assert "INC-1" in shown.stdout and "MAJOR" in shown.stdout
    db = re.search(r"WARROOM_DB=(\S+)", hints[0]).group(1)
    assert Path(db).is_file() and Path(db).is_relative_to(tmp_path)


# ------------------------------------------------------------------ publish --help and the config


def test_publish_help_says_where_the_config_is_and_shows_one_that_works(cli, tmp_path):
    home = tmp_path / "xdg"
    r = cli.ok("publish", "--help", env={"XDG_CONFIG_HOME": str(home)})
    assert "WARROOM_CONFIG" in r.out and "--config" in r.out
    assert str(home / "warroom" / "config.yaml") in r.out
    example = r.out[r.out.index("  destinations:") :]
    example = example[: example.index("\n\n")]
    path = tmp_path / "example.yaml"
    path.write_text(example + "\n", encoding="utf-8")
    config = load_config(path)  # the example is a valid config, as printed
    assert [d.id for d in config.destinations] == ["status"]
    assert config.destinations[0].api_key_env == "STATUSPAGE_API_KEY"
    assert "WARROOM_CONFIG" in cli.ok("deliver", "--help").out


# ------------------------------------------------------------------ global options anywhere


def test_incident_and_global_options_before_or_after_the_command(cli, tmp_path):
    start(cli)
    r = cli.ok("--incident", "1", "check", "war-room")
    assert r.out.startswith("INC-1: ticked war-room")
    cli.ok("-i", "INC-1", "note", "first")
    other = tmp_path / "other.db"
    cli.ok("start", "-p", str(MAJOR), "-t", "elsewhere", "--db", str(other), "--as", "bob")
    log = cli.ok("log", "--incident", "1", "--db", str(other)).out
    assert "bob opened INC-1 “elsewhere”" in log
    log = cli.ok("--db", str(other), "log", "-i", "1").out
    assert "bob opened" in log
    assert "first" in cli.ok("log").out
    twice = cli.fails("--incident", "1", "check", "war-room", "--incident", "2")
    assert "--incident given twice" in twice.err
    wrong = cli.fails("--incident", "1", "start", "-p", str(MAJOR), "-t", "x")
    assert "not about one incident" in wrong.err
    # a parent's --incident survives its sub-command
    cli.ok("postmortem", "--incident", "1", "edit", "summary", "--text", "hello")


def test_empty_options_are_errors_not_defaults(cli):
    start(cli)
    assert "--next is empty" in cli.fails("posted", "update", "--next", "").err
    assert "--oldest is empty" in cli.fails("queue", "tickets", "3", "--oldest", " ").err
    assert "--db is empty" in cli.fails("--db", "", "list").err
    assert "--config is empty" in cli.fails("draft", "--config", "").err


def test_negative_times_are_taken_as_values(cli):
    start(cli)
    # --oldest -10m: argparse used to say "expected one argument"
    r = cli.ok("queue", "tickets", "40", "--oldest", "-10m")
    assert "the oldest for 10m" in cli.ok("log").out, r.out
    late = cli.fails("posted", "update", "--next", "-10m")
    assert "future" in late.err and "expected one argument" not in late.err
    r = cli.ok("start", "-p", str(MAJOR), "-t", "earlier", "--detected-at", "-25m", "--json").json()
    status = cli.ok("status", "--json", "-i", r["id"]).json()
    assert status["detected_at"] == "2026-11-27T13:35:00-05:00"


def test_playbook_typo_gets_a_did_you_mean(cli):
    r = cli.fails("start", "--playbook", "saas-major-outag", "--title", "x")
    assert "did you mean saas-major-outage?" in r.err
    r = cli.fails("playbook", "check", "minor-degradaton")
    assert "did you mean minor-degradation?" in r.err
    r = cli.fails("start", "--playbook", "zzzz", "--title", "x")
    assert "saas-major-outage" in r.err and "did you mean" not in r.err

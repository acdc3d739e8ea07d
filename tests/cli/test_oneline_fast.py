"""``status --oneline``'s short way in (tui/entry.py, the console script): a database whose
files have not moved since a settled stat was kept is answered without the CLI, argparse
or SQLite -- and is never stale: any write shows at the very next run, the WAL appended
to, reset after a checkpoint, or folded into the database. Whatever the short way does
not know is the CLI's, with the CLI's errors."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import MAJOR, warroom_exe
from tui.core.oneline import SETTLED_NS
from tui.entry import oneline_request

NOW = "2026-11-27T19:03:00+00:00"
HEAVY = (
    "argparse",
    "sqlite3",
    "tui.cli",
    "tui.core.store",
    "tui.core.clock",
    "yaml",
    "pathlib",
    "dataclasses",
    "typing",
    "zoneinfo",
)


def line(cli, cache: Path) -> str:
    return cli.ok("status", "--oneline", now=NOW, env={"XDG_CACHE_HOME": str(cache)}).out


def fresh(cli, tmp_path: Path) -> str:
    """The line the long way (a new, empty cache folder)."""
    fresh.n = getattr(fresh, "n", 0) + 1  # type: ignore[attr-defined]
    return line(cli, tmp_path / f"fresh{fresh.n}")  # type: ignore[attr-defined]


def kept(cache: Path) -> Path:
    [path] = (cache / "warroom").glob("oneline-*.json")
    return path


def plant(cache: Path, title: str) -> None:
    """Facts that only the cache holds: a run that says them answered from the cache."""
    data = json.loads(kept(cache).read_text())
    data["facts"][0]["severity_title"] = title
    kept(cache).write_text(json.dumps(data))


def settle() -> None:
    time.sleep(SETTLED_NS / 1e9 + 0.3)


def imported(cli, cache: Path) -> set[str]:
    """The modules the console script imported for one status line (``-X importtime``),
    on the real clock as tmux runs it (a frozen one is parsed by the clock's module)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(cli.db), XDG_CACHE_HOME=str(cache))
    p = subprocess.run(
        [sys.executable, "-X", "importtime", warroom_exe(), "status", "--oneline"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    return {
        row.split("|")[-1].strip()
        for row in p.stderr.splitlines()
        if row.startswith("import time:") and "|" in row
    }


def test_a_settled_database_is_answered_without_the_cli_or_sqlite_and_never_stale(cli, tmp_path):
    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    # a dashboard holds the database open: the WAL stays, writes go to it
    holder = sqlite3.connect(cli.db)
    try:
        holder.execute("SELECT count(*) FROM events").fetchone()
        cache = tmp_path / "cache"
        settle()
        want = fresh(cli, tmp_path)
        assert line(cli, cache) == want  # the long way: facts kept, no stat yet
        assert "stat" not in json.loads(kept(cache).read_text())
        assert line(cli, cache) == want  # the key read from SQLite: settled, the stat kept
        assert json.loads(kept(cache).read_text())["stat"][1] is not None  # the -wal's too
        plant(cache, "FROM-THE-CACHE")
        assert "FROM-THE-CACHE" in line(cli, cache)  # the short way
        modules = imported(cli, cache)
        assert "tui.entry" in modules and "tui.core.oneline" in modules
        assert not {m for m in modules if m.startswith(HEAVY)}, sorted(modules)

        # a write appended to the WAL: seen at once
        cli.ok("posted", "ack", "--next", "45m", now=NOW)
        after = fresh(cli, tmp_path)
        assert after != want and line(cli, cache) == after

        # the WAL reset after a checkpoint (rewritten from its start, its size the same)
        holder.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        settle()
        assert line(cli, cache) == after  # the stat kept again
        assert "stat" in json.loads(kept(cache).read_text())
        plant(cache, "FROM-THE-CACHE")
        assert "FROM-THE-CACHE" in line(cli, cache)
        wal = Path(f"{cli.db}-wal").stat().st_size
        cli.ok("note", "only a note", now=NOW)  # (a new event: a new key, the same line)
        assert Path(f"{cli.db}-wal").stat().st_size == wal  # the same size: the mtime tells
        assert line(cli, cache) == after
        cli.ok("phase", "next", "--force", now=NOW)
        assert line(cli, cache) == fresh(cli, tmp_path) != after
    finally:
        holder.close()

    # no dashboard: the WAL folded into the database and gone; a write still shows at once
    settle()
    line(cli, cache)
    assert line(cli, cache) == fresh(cli, tmp_path)
    assert json.loads(kept(cache).read_text())["stat"][1] is None  # no -wal
    plant(cache, "FROM-THE-CACHE")
    assert "FROM-THE-CACHE" in line(cli, cache)
    cli.ok("close", "--force", now=NOW)
    assert line(cli, cache) == fresh(cli, tmp_path) and "FROM-THE-CACHE" not in line(cli, cache)


def test_a_database_replaced_under_the_same_name_is_not_answered_from_the_cache(cli, tmp_path):
    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    cache = tmp_path / "cache"
    settle()
    line(cli, cache)
    line(cli, cache)
    plant(cache, "FROM-THE-CACHE")
    assert "FROM-THE-CACHE" in line(cli, cache)
    other = tmp_path / "other.db"
    cli2 = type(cli)(tmp_path)
    cli2.db = other
    cli2.ok("start", "-p", str(MAJOR), "-t", "Other", "-m", "users_affected_pct=50")
    cli2.ok("posted", "ack", "--next", "20m", now=NOW)
    os.replace(other, cli.db)  # same name, same size perhaps: another inode
    assert line(cli, cache) == fresh(cli, tmp_path)
    assert "FROM-THE-CACHE" not in line(cli, cache)


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (["status", "--oneline"], {}),
        (["--db", "a.db", "status", "--oneline"], {"db": "a.db"}),
        (["status", "--oneline", "--db=a.db", "--timeout", "2"], {"db": "a.db", "timeout": "2"}),
        (
            ["--db", "a", "--config", "c.toml", "--group", "oncall", "status", "--oneline"],
            {"db": "a", "config": "c.toml", "group": "oncall"},
        ),
        (["--oneline", "status"], None),
        (["status"], None),
        (["status", "--oneline", "--json"], None),
        (["status", "--oneline", "-i", "INC-1"], None),
        (["status", "--oneline", "--as", "bot"], None),
        (["--db", "a", "--db", "b", "status", "--oneline"], None),
        (["--db", "", "status", "--oneline"], None),
        (["--db=", "status", "--oneline"], None),
        (["status", "--oneline", "--db"], None),
        (["--db", "--oneline", "status"], None),
        (["--group", "\udcff", "status", "--oneline"], None),
        (["status", "--onel"], None),
        (["--help"], None),
    ],
)
def test_only_the_status_line_takes_the_short_way(argv, options):
    assert oneline_request(argv) == options


def test_what_the_cli_refuses_is_still_refused_the_same_way(cli, tmp_path):
    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    cache = tmp_path / "cache"
    settle()
    line(cli, cache)
    line(cli, cache)  # the stat kept: the short way would answer
    env = {"XDG_CACHE_HOME": str(cache)}
    r = cli("--db", "", "status", "--oneline", env=env)
    assert (r.code, r.out) == (2, "") and "--db is empty" in r.err
    r = cli("status", "--oneline", env={**env, "WARROOM_TIMEOUT": "soon"})
    assert r.code == 2 and "--timeout must be a number of seconds, got 'soon'" in r.err
    r = cli("status", "--oneline", "--timeout", "601", env=env)
    assert r.code == 2 and "between 0 and 600" in r.err
    r = cli("status", "--oneline", now="tomorrow", env=env)
    assert r.code == 2 and r.err.startswith("warroom: WARROOM_NOW: ") and "Traceback" not in r.err
    r = cli("status", "--oneline", "--incident", "INC-9", env=env)
    assert r.code == 2 and "INC-9" in r.err
    # a database that is gone: the usual marker, whatever the cache holds
    for suffix in ("", "-wal", "-shm"):
        Path(f"{cli.db}{suffix}").unlink(missing_ok=True)
    r = cli("status", "--oneline", env=env)
    assert (r.code, r.out) == (2, "warroom: no db\n")

"""``status --oneline`` keeps the line's facts in the user's cache: the same line as the
full path at every instant, a fresh one after any event or another database, and never
an error because of the cache (junk, unwritable, someone else's, two runs at once)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import MAJOR, warroom_exe

NOWS = [
    "2026-11-27T19:03:00+00:00",  # update due
    "2026-11-27T19:11:00+00:00",  # due soon
    "2026-11-27T19:19:30+00:00",  # LATE
    "2026-11-28T23:00:00+00:00",  # LATE by a day
]


def start(cli, title: str = "API down", pct: str = "12") -> None:
    cli.ok("start", "-p", str(MAJOR), "-t", title, "-m", f"users_affected_pct={pct}")


def line(cli, cache: Path, now: str | None = None) -> str:
    return cli.ok("status", "--oneline", now=now, env={"XDG_CACHE_HOME": str(cache)}).out


def full(cli, tmp_path: Path, now: str | None = None) -> str:
    """The line without any cache (a new, empty cache folder every time)."""
    full.n = getattr(full, "n", 0) + 1  # type: ignore[attr-defined]
    return line(cli, tmp_path / f"fresh{full.n}", now)  # type: ignore[attr-defined]


def cache_files(cache: Path) -> list[Path]:
    return sorted((cache / "warroom").glob("oneline-*.json"))


def test_an_unchanged_database_is_answered_from_the_cache_with_the_same_line(cli, tmp_path):
    start(cli)
    cache = tmp_path / "cache"
    first = line(cli, cache, NOWS[0])
    [kept] = cache_files(cache)
    assert kept.stat().st_mode & 0o777 == 0o600
    assert (cache / "warroom").stat().st_mode & 0o777 == 0o700
    for now in NOWS:
        assert line(cli, cache, now) == full(cli, tmp_path, now)
    assert first == full(cli, tmp_path, NOWS[0])
    # the run really read the cache: facts changed under the same key are what it says
    data = json.loads(kept.read_text())
    data["facts"][0]["severity_title"] = "FROM-THE-CACHE"
    kept.write_text(json.dumps(data))
    assert "FROM-THE-CACHE" in line(cli, cache, NOWS[0])


def test_every_event_and_another_database_make_a_fresh_line(cli, tmp_path):
    start(cli)
    cache = tmp_path / "cache"
    before = line(cli, cache, NOWS[0])
    cli.ok("note", "only a note", now=NOWS[0])  # (changes nothing on the line, still a new key)
    assert line(cli, cache, NOWS[0]) == before
    cli.ok("posted", "ack", "--next", "45m", now=NOWS[1])
    after = line(cli, cache, NOWS[1])
    assert after != before and after == full(cli, tmp_path, NOWS[1])
    start(cli, "Second outage", "40")
    both = line(cli, cache, NOWS[1])
    assert "(+1 more)" in both and both == full(cli, tmp_path, NOWS[1])
    cli.ok("close", "--force", "-i", "INC-1", now=NOWS[2])
    assert line(cli, cache, NOWS[2]) == full(cli, tmp_path, NOWS[2])
    # the same path, another database (a new instance): its own line
    for suffix in ("", "-wal", "-shm"):
        Path(f"{cli.db}{suffix}").unlink(missing_ok=True)
    start(cli, "Brand new", "2")
    assert line(cli, cache, NOWS[0]) == full(cli, tmp_path, NOWS[0])
    assert "INC-1" in full(cli, tmp_path, NOWS[0]) and "more" not in line(cli, cache, NOWS[0])
    # no database at all: the usual marker, whatever the cache holds
    for suffix in ("", "-wal", "-shm"):
        Path(f"{cli.db}{suffix}").unlink(missing_ok=True)
    r = cli("status", "--oneline", env={"XDG_CACHE_HOME": str(cache)})
    assert (r.code, r.out) == (2, "warroom: no db\n")


def test_a_cache_it_cannot_use_is_no_error(cli, tmp_path):
    start(cli)
    want = full(cli, tmp_path, NOWS[0])
    # a cache folder that cannot be made (a file is in the way): the line all the same
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    r = cli.ok("status", "--oneline", now=NOWS[0], env={"XDG_CACHE_HOME": str(blocked)})
    assert r.out == want and r.err == ""
    # junk in the cache file: the full path, and the file is whole again
    cache = tmp_path / "cache"
    line(cli, cache, NOWS[0])
    [kept] = cache_files(cache)
    for junk in ("{not json", "[]", '{"key": 1, "facts": "x"}', "\x00\xff"):
        kept.write_text(junk)
        assert line(cli, cache, NOWS[0]) == want
        assert json.loads(kept.read_text())["facts"]
    # a cache file others may write is not believed
    data = json.loads(kept.read_text())
    data["facts"][0]["severity_title"] = "PLANTED"
    kept.write_text(json.dumps(data))
    kept.chmod(0o666)
    assert line(cli, cache, NOWS[0]) == want
    # a cache folder others may write is not used either
    data = json.loads(kept.read_text())
    data["facts"][0]["severity_title"] = "PLANTED"
    kept.write_text(json.dumps(data))
    kept.chmod(0o600)
    (cache / "warroom").chmod(0o777)
    assert line(cli, cache, NOWS[0]) == want


def test_two_status_lines_at_once_write_one_whole_cache(cli, tmp_path):
    start(cli)
    cli.ok("check", "war-room")
    want = full(cli, tmp_path, NOWS[0])
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(cli.db), WARROOM_NOW=NOWS[0], XDG_CACHE_HOME=str(cache))
    for _ in range(2):  # the first round writes at once, the second reads at once
        procs = [
            subprocess.Popen(
                [warroom_exe(), "status", "--oneline"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(6)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0] * 6
        assert outs == [(want, "")] * 6
    [kept] = cache_files(cache)
    assert json.loads(kept.read_text())["key"]["last_event"] >= 2
    assert [p.name for p in (cache / "warroom").iterdir()] == [kept.name]  # no temp files left

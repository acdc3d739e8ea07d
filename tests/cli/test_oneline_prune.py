"""The one-liner's cache folder does not grow for ever: a database that is gone loses its
file when a run first caches another one; at most MAX_FILES are kept; only the cache's
own files are touched (not a symlink, not another file, not a fresh temporary)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.conftest import CLI, MAJOR
from tui.core.onelineprune import MAX_FILES, TMP_AGE_S, prune


def _cli(tmp_path: Path, name: str) -> CLI:
    folder = tmp_path / name
    folder.mkdir()
    cli = CLI(folder)
    cli.ok("start", "-p", str(MAJOR), "-t", f"Incident {name}", "-m", "users_affected_pct=12")
    return cli


def _cached(cache: Path) -> dict[str, str]:
    """cache file name -> the database it is for."""
    return {
        p.name: json.loads(p.read_text())["key"]["db"]
        for p in sorted((cache / "warroom").glob("oneline-*.json"))
    }


def test_a_gone_databases_file_is_removed_when_a_new_one_is_cached(tmp_path):
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    a, b = _cli(tmp_path, "a"), _cli(tmp_path, "b")
    for cli in (a, b):
        assert "INC-1" in cli.ok("status", "--oneline", env=env).out
    assert sorted(_cached(cache).values()) == sorted(os.path.realpath(c.db) for c in (a, b))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{a.db}{suffix}").unlink(missing_ok=True)  # the drill's database deleted
    b.ok("status", "--oneline", env=env)  # a known database: nothing pruned on this path
    assert len(_cached(cache)) == 2
    c = _cli(tmp_path, "c")
    assert "INC-1" in c.ok("status", "--oneline", env=env).out
    assert sorted(_cached(cache).values()) == sorted(os.path.realpath(x.db) for x in (b, c))


def _fake(folder: Path, n: int, db: str, mtime: float) -> Path:
    path = folder / f"oneline-{n:08x}-x{n}.db.json"
    path.write_text(json.dumps({"key": {"db": db}, "facts": []}))
    os.utime(path, (mtime, mtime))
    return path


def test_at_most_max_files_stay_the_newest_and_other_files_are_left_alone(tmp_path):
    folder = tmp_path / "warroom"
    folder.mkdir()
    db = tmp_path / "live.db"
    db.write_text("")
    t = time.time() - 10_000
    files = [_fake(folder, n, str(db), t + n) for n in range(MAX_FILES + 6)]
    junk = folder / "oneline-deadbeef-junk.json"
    junk.write_text("{not json")
    notes = folder / "notes.txt"
    notes.write_text("mine")
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"key": {"db": str(tmp_path / "gone.db")}}))
    link = folder / "oneline-00000001-link.json"
    link.symlink_to(elsewhere)
    old_tmp = folder / ".oneline-00000002-y.json.999.tmp"
    old_tmp.write_text("{")
    os.utime(old_tmp, (t - TMP_AGE_S, t - TMP_AGE_S))
    fresh_tmp = folder / ".oneline-00000003-z.json.998.tmp"
    fresh_tmp.write_text("{")
    kept = files[0]  # the file just written is kept even though it is the oldest

    removed = prune(str(folder), keep=str(kept))

    left = {p.name for p in folder.iterdir()}
    newest = {p.name for p in files[-(MAX_FILES - 1) :]}
    assert left == newest | {kept.name, notes.name, link.name, fresh_tmp.name}
    assert set(removed) == {p.name for p in files[1:7]} | {junk.name, old_tmp.name}
    assert elsewhere.exists()  # a symlink is never followed to remove what it points at
    assert prune(str(folder), keep=str(kept)) == []  # nothing more to do
    assert prune(str(tmp_path / "no-such-folder")) == []

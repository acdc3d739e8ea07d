"""Atomic writes of output files (issue 8, item 9): whole or nothing, private, never redirected;
and the one bounded reader of input files (playbooks, customer lists)."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import MAJOR
from tui.core import files
from tui.core.files import ReadRefused, WriteError, read_bounded, write_atomic


def mode_of(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def leftovers(directory, name: str) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(f".{name}."))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_new_file_is_0600_whatever_the_umask(tmp_path, umask_022):
    target = tmp_path / "offers.csv"
    write_atomic(target, "id,credit\nc1,10\n")
    assert target.read_text() == "id,credit\nc1,10\n"
    assert mode_of(target) == 0o600
    os.umask(0o000)
    other = tmp_path / "pm.md"
    write_atomic(other, b"x")
    assert mode_of(other) == 0o600
    assert leftovers(tmp_path, "offers.csv") == [] and leftovers(tmp_path, "pm.md") == []


@pytest.mark.parametrize(("before", "after"), [(0o600, 0o600), (0o644, 0o600), (0o400, 0o400)])
def test_existing_mode_is_never_widened(tmp_path, umask_022, before, after):
    target = tmp_path / "offers.csv"
    target.write_text("old billing data")
    os.chmod(target, before)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert mode_of(target) == after


def test_a_symlink_at_the_old_fixed_temp_name_redirects_nothing(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / ".out.csv.tmp").symlink_to(victim)  # the name warroom used to write through
    write_atomic(tmp_path / "out.csv", "data")
    assert victim.read_text() == "precious"
    assert (tmp_path / "out.csv").read_text() == "data"
    assert not (tmp_path / "out.csv").is_symlink()


def test_a_symlink_planted_at_the_chosen_random_name_is_skipped(tmp_path, monkeypatch):
    """Even a name guessed right cannot redirect: O_EXCL never opens an existing path."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    names = iter(["aaaa", "aaaa", "bbbb"])
    monkeypatch.setattr(files.secrets, "token_hex", lambda n: next(names))
    (tmp_path / ".out.csv.aaaa.tmp").symlink_to(victim)
    write_atomic(tmp_path / "out.csv", "data")
    assert victim.read_text() == "precious"
    assert (tmp_path / "out.csv").read_text() == "data"
    assert (tmp_path / ".out.csv.aaaa.tmp").is_symlink()  # the plant is left alone
    assert not (tmp_path / ".out.csv.bbbb.tmp").exists()


def test_a_target_that_is_a_symlink_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "out.csv"
    link.symlink_to(victim)
    with pytest.raises(WriteError) as info:
        write_atomic(link, "data")
    assert str(info.value).startswith(f"cannot write {link}: it is a symbolic link")
    assert "\n" not in str(info.value)
    assert victim.read_text() == "precious" and link.is_symlink()
    assert leftovers(tmp_path, "out.csv") == []


def test_a_directory_target_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(WriteError, match="is a directory"):
        write_atomic(tmp_path / "out", "data")


def test_missing_directory_is_one_line(tmp_path):
    with pytest.raises(WriteError) as info:
        write_atomic(tmp_path / "nope" / "out.csv", "data")
    assert "No such file or directory" in str(info.value)


_FILL = textwrap.dedent(
    """
    import sys
    from tui.core.files import write_atomic
    try:
        write_atomic(sys.argv[1], "y" * 4_000_000)
    except OSError as exc:
        print(str(exc))
        sys.exit(3)
    """
)


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited: the write fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))


def test_a_write_the_os_refuses_midway_leaves_the_old_file_whole(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse the write halfway (EFBIG): a real OS failure."""
    target = tmp_path / "offers.csv"
    target.write_text("the old offers")
    os.chmod(target, 0o600)
    p = subprocess.run(
        [sys.executable, "-c", _FILL, str(target)],
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        timeout=60,
    )
    assert p.returncode == 3, p.stderr
    assert p.stdout.strip() == f"cannot write {target}: file too large for this system's limit " + (
        "(nothing was written)"
    )
    assert target.read_text() == "the old offers"
    assert leftovers(tmp_path, "offers.csv") == []


def test_cli_out_refuses_a_link_and_keeps_an_existing_file_private(cli, tmp_path):
    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    victim = tmp_path / "victim.md"
    victim.write_text("precious")
    (tmp_path / ".pm.md.tmp").symlink_to(victim)
    existing = tmp_path / "pm.md"
    existing.write_text("old")
    os.chmod(existing, 0o600)
    cli.ok("postmortem", "--out", str(existing))
    assert victim.read_text() == "precious"
    assert "INC-1" in existing.read_text() or "API down" in existing.read_text()
    assert mode_of(existing) == 0o600

    link = tmp_path / "link.md"
    link.symlink_to(victim)
    r = cli.fails("postmortem", "--out", str(link))
    assert r.err.strip() == (
        f"warroom: cannot write {link}: it is a symbolic link; name the file itself "
        "(warroom does not write through links)"
    )
    assert victim.read_text() == "precious"


# --------------------------------------------------------------------------- reading


def test_read_bounded_gives_the_bytes_and_a_printable_name(tmp_path):
    path = tmp_path / "in\x1b[31mput.csv"
    path.write_bytes(b"a,b\n")
    data, name = read_bounded(path, 10)
    assert data == b"a,b\n"
    assert name == str(path).replace("\x1b", "\\x1b")  # no escape reaches a terminal


def test_read_bounded_refuses_what_it_should_not_read(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # a FIFO would block a plain open(): refused before opening
    big = tmp_path / "big"
    with open(big, "wb") as fh:
        fh.truncate(5_000)  # sparse
    cases = {
        tmp_path: ("directory", "Is a directory"),
        fifo: ("not regular", "not a regular file"),
        tmp_path / "missing": ("unreadable", "No such file or directory"),
    }
    for path, (kind, reason) in cases.items():
        with pytest.raises(ReadRefused) as info:
            read_bounded(path, 100)
        assert (info.value.kind, info.value.reason, info.value.name) == (kind, reason, str(path))
    with pytest.raises(ReadRefused) as info:
        read_bounded(big, 100)
    assert (info.value.kind, info.value.size) == ("too large", 5_000)
    assert read_bounded(big, 5_000)[0] == bytes(5_000)  # exactly the limit is fine

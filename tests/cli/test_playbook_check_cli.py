"""`warroom playbook check FILE...` through the real entry point, on friendly and hostile files.

Every error is ``FILE:LINE:COL: message`` on stderr with exit status 2: never a traceback, never
a raw escape sequence, never a hang (the subprocess timeout is generous; nothing is timed).
"""

from __future__ import annotations

import codecs
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MAJOR, MINOR, ROOT

SHIPPED = sorted((ROOT / "playbooks").glob("*.yaml"))
TIMEOUT = 60  # seconds: generous, only so that a hang fails instead of blocking the suite


def problem_lines(err: str, file: str) -> list[tuple[int, int, str]]:
    """Every stderr line as (line, col, message); each must be exactly FILE:LINE:COL: message."""
    pattern = re.compile(re.escape(file) + r":(\d+):(\d+): (\S.*)")
    found = []
    for text in err.splitlines():
        m = pattern.fullmatch(text)
        assert m, f"not {file}:LINE:COL: message -> {text!r}"
        found.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    assert found, "an error must say what is wrong"
    return found


def check_fails(cli, *files: str):
    try:
        r = cli.fails("playbook", "check", *files, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"warroom playbook check {files!r} did not finish within {TIMEOUT} s")
    assert "\x1b" not in r.out and "\x1b" not in r.err
    assert "Traceback" not in r.out and "Traceback" not in r.err
    return r


def line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle`` (which must occur exactly once)."""
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


def col_of(text: str, needle: str) -> int:
    index = text.index(needle)
    return index - (text.rfind("\n", 0, index) + 1) + 1


# ------------------------------------------------------------------------- valid playbooks


def test_shipped_playbooks_check_ok(cli):
    assert len(SHIPPED) >= 2
    r = cli.ok("playbook", "check", *map(str, SHIPPED), timeout=TIMEOUT)
    lines = r.out.splitlines()
    assert len(lines) == len(SHIPPED)
    for path, line in zip(SHIPPED, lines, strict=True):
        assert line.startswith(f"{path}: ok"), line
    assert r.err == ""


def test_shipped_playbook_by_name(cli):
    # cwd is a temporary directory, so the name can only be resolved as a shipped playbook
    r = cli.ok("playbook", "check", "saas-major-outage", timeout=TIMEOUT)
    lines = r.out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("saas-major-outage: ok"), lines
    assert r.err == ""


def test_playbook_list_shows_both_shipped(cli):
    r = cli.ok("playbook", "list", timeout=TIMEOUT)
    names = [line.split()[0] for line in r.out.splitlines() if line.strip()]
    assert "saas-major-outage" in names
    assert "minor-degradation" in names
    assert "invalid" not in r.out
    assert "SaaS major outage" in r.out and "Minor degradation" in r.out


# ------------------------------------------------------------------------- hostile files


def billion_laughs() -> bytes:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    for level in range(1, 10):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return ("\n".join(lines) + "\n").encode()


LATIN1_TEXT = "warroom_playbook: 1\nname: Café outage\ndescription: x\n"
TABS_TEXT = "warroom_playbook: 1\nroles:\n\t- id: commander\n\t  title: Commander\n"
DUP_TEXT = (
    "warroom_playbook: 1\n"
    "name: First name\n"
    "description: something\n"
    "timezone: UTC\n"
    "name: Second name\n"
)

# name -> (file content, words the (first) message must contain, expected line or None)
HOSTILE: dict[str, tuple[bytes, tuple[str, ...], int | None]] = {
    "binary": (bytes(range(256)) * 40, ("UTF-8",), None),
    "latin1": (LATIN1_TEXT.encode("latin-1"), ("UTF-8",), line_of(LATIN1_TEXT, "é")),
    "utf16": (codecs.BOM_UTF16_LE + "warroom_playbook: 1\n".encode("utf-16-le"), ("UTF-8",), 1),
    "alias-bomb": (billion_laughs(), ("alias",), None),
    "ten-megabytes": (b"a: b\n" * 2_500_000, ("too large",), 1),
    "deep-flow-seq": (b"[" * 5000, ("nest",), 1),
    "deep-flow-map": (b"{a: " * 5000 + b"1" + b"}" * 5000, ("nest",), 1),
    # 5,000 block levels would be over the size limit; 1,000 is still far past any sane depth
    "deep-block-map": (
        ("a:\n" + "".join(" " * i + "a:\n" for i in range(1, 1000)) + " " * 1000 + "b\n").encode(),
        ("nest",),
        None,
    ),
    "deep-block-seq": (b"- " * 5000 + b"x\n", ("nest",), 1),
    "python-tag": (
        b'warroom_playbook: 1\nx: !!python/object/apply:os.system ["touch PWNED"]\n',
        ("!!python/object/apply:os.system",),
        2,
    ),
    "tabs": (TABS_TEXT.encode(), ("tab",), line_of(TABS_TEXT, "\t- id")),
    "empty": (b"", ("empty",), 1),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_file_is_one_clean_error(cli, tmp_path, case):
    data, words, line = HOSTILE[case]
    name = f"{case}.yaml"
    (tmp_path / name).write_bytes(data)
    r = check_fails(cli, name)
    problems = problem_lines(r.err, name)
    first_line, _, message = problems[0]
    for word in words:
        assert word.lower() in message.lower(), (case, message)
    if line is not None:
        assert first_line == line, (case, problems)
    assert r.out == ""
    assert not (tmp_path / "PWNED").exists()
    assert not Path("PWNED").exists()


def test_python_tag_is_named_and_never_run(cli, tmp_path):
    (tmp_path / "pwn.yaml").write_text(
        'warroom_playbook: 1\nname: !!python/object/apply:os.system ["touch PWNED"]\n'
    )
    r = check_fails(cli, "pwn.yaml")
    problems = problem_lines(r.err, "pwn.yaml")
    assert any("!!python/object/apply:os.system" in msg and line == 2 for line, _, msg in problems)
    assert not (tmp_path / "PWNED").exists()


def test_latin1_names_the_line_and_utf8(cli, tmp_path):
    (tmp_path / "latin.yaml").write_bytes(LATIN1_TEXT.encode("latin-1"))
    r = check_fails(cli, "latin.yaml")
    [(line, col, message)] = problem_lines(r.err, "latin.yaml")
    assert "UTF-8" in message
    assert (line, col) == (line_of(LATIN1_TEXT, "é"), col_of(LATIN1_TEXT, "é"))


def test_too_large_says_so(cli, tmp_path):
    (tmp_path / "big.yaml").write_bytes(b"a: b\n" * 2_500_000)
    r = check_fails(cli, "big.yaml")
    [(_, _, message)] = problem_lines(r.err, "big.yaml")
    assert "too large" in message


def test_duplicate_key_names_both_lines(cli, tmp_path):
    (tmp_path / "dup.yaml").write_text(DUP_TEXT)
    r = check_fails(cli, "dup.yaml")
    problems = problem_lines(r.err, "dup.yaml")
    first, second = line_of(DUP_TEXT, "name: First"), line_of(DUP_TEXT, "name: Second")
    dups = [(line, msg) for line, _, msg in problems if "duplicate" in msg]
    assert len(dups) == 1, problems
    line, message = dups[0]
    assert line == second
    assert f"line {first}" in message and "name" in message


def test_missing_file_cannot_be_read(cli):
    r = check_fails(cli, "no-such-playbook.yaml")
    [(line, col, message)] = problem_lines(r.err, "no-such-playbook.yaml")
    assert (line, col) == (1, 1)
    assert "cannot read" in message


def test_directory_cannot_be_read(cli, tmp_path):
    (tmp_path / "adir.yaml").mkdir()
    r = check_fails(cli, "adir.yaml")
    [(_, _, message)] = problem_lines(r.err, "adir.yaml")
    assert "cannot read" in message


def test_fifo_is_refused_without_blocking(cli, tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")  # nobody ever writes to it: reading it would block
    r = check_fails(cli, "pipe.yaml")
    [(_, _, message)] = problem_lines(r.err, "pipe.yaml")
    assert "cannot read" in message


@pytest.mark.parametrize(
    "content",
    [b"warroom_playbook: 1\nname: [\n", b"warroom_playbook: 1\nname: x\n"],
    ids=["syntax-error", "semantic-error"],
)
def test_escape_sequence_in_file_name_never_reaches_the_terminal(cli, tmp_path, content):
    name = "evil\x1b[31m.yaml"
    (tmp_path / name).write_bytes(content)
    r = check_fails(cli, name)
    lines = r.err.splitlines()
    assert lines
    for line in lines:
        assert re.fullmatch(r"evil.*\.yaml:\d+:\d+: \S.*", line), line
        assert "\x1b" not in line and "\x9b" not in line


# ------------------------------------------------------------------------- several files


def test_several_files_valid_and_broken(cli, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("warroom_playbook: 1\nname: [unclosed\n")
    r = check_fails(cli, str(broken), str(MAJOR), str(MINOR))
    out = r.out.splitlines()
    assert len(out) == 2
    assert out[0].startswith(f"{MAJOR}: ok"), out
    assert out[1].startswith(f"{MINOR}: ok"), out
    problems = problem_lines(r.err, str(broken))
    assert problems


# ------------------------------------------------------------------------- semantic problems


def test_semantic_problems_far_apart_each_at_its_line(cli, tmp_path):
    text = MAJOR.read_text(encoding="utf-8")
    cadence = "cadence: {every: 30m, max: 60m} # the acknowledgement promises the first update"
    owner = (
        "text: Book the solutions-engineer calls with enterprise customers\n        owner: liaison"
    )
    assert text.count(cadence) == 1 and text.count(owner) == 1
    text = text.replace(cadence, cadence.replace("every: 30m", "every: 90m"))
    text = text.replace(owner, owner.replace("owner: liaison", "owner: ghost"))
    path = tmp_path / "broken-semantics.yaml"
    path.write_text(text, encoding="utf-8")

    cadence_at = (line_of(text, "every: 90m"), col_of(text, "every: 90m") + len("every: "))
    owner_at = (line_of(text, "owner: ghost"), col_of(text, "owner: ghost") + len("owner: "))
    assert owner_at[0] - cadence_at[0] > 50  # far apart

    r = check_fails(cli, str(path))
    problems = problem_lines(r.err, str(path))
    assert len(problems) == 2, problems
    by_position = {(line, col): msg for line, col, msg in problems}
    assert set(by_position) == {cadence_at, owner_at}, problems
    assert "ghost" in by_position[owner_at]
    assert "every" in by_position[cadence_at] and "90m" in by_position[cadence_at]
    assert r.out == ""


# ------------------------------------------------------------------------- templates stay inside

ACK_ENTRY = "templates:\n  ack:\n    statuspage: ack.statuspage.md.j2"


def test_templates_dir_root_and_a_system_file_as_template_are_refused(cli, tmp_path):
    text = MAJOR.read_text(encoding="utf-8")
    assert text.count(ACK_ENTRY) == 1
    text = text.replace(
        ACK_ENTRY, "templates_dir: /\n" + ACK_ENTRY.replace("ack.statuspage.md.j2", "etc/passwd")
    )
    path = tmp_path / "rooted.yaml"
    path.write_text(text, encoding="utf-8")
    r = check_fails(cli, str(path))
    problems = problem_lines(r.err, str(path))
    at = (
        line_of(text, "templates_dir: /"),
        col_of(text, "templates_dir: /") + len("templates_dir: "),
    )
    by_position = {(line, col): msg for line, col, msg in problems}
    assert at in by_position, problems
    assert "templates_dir '/' must be a relative path" in by_position[at]
    assert "root:" not in r.err and r.out == ""
    # nor can an incident be started with it
    s = cli.fails("start", "-p", str(path), "--title", "Checkout down", timeout=TIMEOUT)
    assert "templates_dir '/' must be a relative path" in s.err and "root:" not in s.err


@pytest.mark.parametrize("templates_dir", ["../elsewhere", "tpl/../../x", "~/tpl", "C:/tpl"])
def test_templates_dir_outside_the_playbook_folder_is_refused(cli, tmp_path, templates_dir):
    text = MAJOR.read_text(encoding="utf-8").replace(
        ACK_ENTRY, f"templates_dir: {templates_dir}\n{ACK_ENTRY}"
    )
    path = tmp_path / "outside.yaml"
    path.write_text(text, encoding="utf-8")
    r = check_fails(cli, str(path))
    [(line, _, message)] = problem_lines(r.err, str(path))
    assert line == line_of(text, f"templates_dir: {templates_dir}")
    assert message.startswith(f"templates_dir {templates_dir!r} must ")


def test_a_template_symlink_leading_outside_is_refused_at_its_line(cli, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET\n")
    folder = tmp_path / "pb"
    (folder / "templates").mkdir(parents=True)
    os.symlink(secret, folder / "templates" / "ack.statuspage.md.j2")
    text = MAJOR.read_text(encoding="utf-8")
    path = folder / "playbook.yaml"
    path.write_text(text, encoding="utf-8")
    r = check_fails(cli, str(path))
    [(line, _, message)] = problem_lines(r.err, str(path))
    assert line == line_of(text, "statuspage: ack.statuspage.md.j2")
    assert "ack/statuspage: template 'ack.statuspage.md.j2' leads outside" in message
    assert "TOP SECRET" not in r.err
    # nor can an incident be started with it (the draft's loader refuses it too:
    # tests/unit/test_template_bounds.py)
    s = cli.fails("start", "-p", str(path), "--title", "Checkout down", timeout=TIMEOUT)
    assert "leads outside its templates directory" in s.err and "TOP SECRET" not in s.err


def test_a_templates_dir_symlink_leading_outside_is_refused(cli, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    folder = tmp_path / "pb"
    folder.mkdir()
    os.symlink(tmp_path / "elsewhere", folder / "tpl")
    text = MAJOR.read_text(encoding="utf-8").replace(ACK_ENTRY, f"templates_dir: tpl\n{ACK_ENTRY}")
    path = folder / "playbook.yaml"
    path.write_text(text, encoding="utf-8")
    r = check_fails(cli, str(path))
    [(line, _, message)] = problem_lines(r.err, str(path))
    assert line == line_of(text, "templates_dir: tpl")
    assert "templates_dir 'tpl' leads outside the playbook's folder" in message


def test_a_template_that_does_not_compile_is_reported_at_its_entry(cli, tmp_path):
    folder = tmp_path / "pb"
    (folder / "templates").mkdir(parents=True)
    (folder / "templates" / "ack.statuspage.md.j2").write_text("We are on it.\n{% for %}\n")
    text = MAJOR.read_text(encoding="utf-8")
    path = folder / "playbook.yaml"
    path.write_text(text, encoding="utf-8")
    r = check_fails(cli, str(path))
    [(line, _, message)] = problem_lines(r.err, str(path))
    assert line == line_of(text, "statuspage: ack.statuspage.md.j2")
    assert message.startswith("ack/statuspage: template ack.statuspage.md.j2 line 2: ")

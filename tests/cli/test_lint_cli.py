"""`warroom lint` through the real entry point: exit codes, JSON offsets, stdin, playbooks,
hostile text, and no database.

Assertions name rule ids and severities, not the wording of messages, so that the rules
may improve without these tests changing (the rules have their own tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MAJOR, MINOR, warroom_exe
from tui.core.vocabulary import PUBLISH_PURPOSES

KEYS = {"purpose", "kind", "blocked", "findings"}
FINDING_KEYS = {"rule", "severity", "message", "start", "end", "quote"}

# An acknowledgement with everything it needs: nothing blocks it.
GOOD_ACK = (
    "We're aware that customers cannot sign in to the dashboard, and we are so sorry. "
    "We know you rely on us: our engineers are undoing the change that caused it. "
    "We'll update you by 3:30 PM EST.\n"
)
# An update with no time for the next one: an error blocks it.
NO_NEXT = "Customers cannot sign in to the dashboard. Our engineers are working on a fix.\n"


def lint_json(cli, *args: str, input: str | None = None, code: int | None = None) -> dict:
    r = cli("lint", *args, "--json", input=input)
    assert "Traceback" not in r.err
    if code is not None:
        assert r.code == code, f"exit {r.code}, expected {code}\n{r.out}\n{r.err}"
    data = json.loads(r.out)
    assert set(data) == KEYS
    for f in data["findings"]:
        assert set(f) == FINDING_KEYS
        assert f["severity"] in ("error", "warning")
    assert data["blocked"] == any(f["severity"] == "error" for f in data["findings"])
    assert r.code == (1 if data["blocked"] else 0)
    return data


def rules(data: dict) -> set[str]:
    return {f["rule"] for f in data["findings"]}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))  # line endings exactly as given
    return path


def run_bytes(cli, *args: str, input: bytes) -> subprocess.CompletedProcess[bytes]:
    """The real entry point with raw bytes on stdin (the `cli` fixture speaks text)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(cli.db), WARROOM_NOW=cli.now, WARROOM_AS=cli.actor)
    return subprocess.run(
        [warroom_exe(), *args], input=input, capture_output=True, env=env, cwd=cli.cwd, timeout=60
    )


# ------------------------------------------------------------------------- exit codes


def test_nothing_blocks_exit_0(cli, tmp_path):
    path = write(tmp_path, "ack.txt", GOOD_ACK)
    data = lint_json(cli, str(path), "--purpose", "ack", code=0)
    assert data["purpose"] == "ack" and data["kind"] == "statuspage"  # the default kind
    assert data["blocked"] is False
    r = cli.ok("lint", str(path), "--purpose", "ack")
    assert r.out.splitlines()[-1].startswith("ack for statuspage: ")
    assert "blocked" not in r.out.splitlines()[-1]


def test_an_error_blocks_exit_1(cli, tmp_path):
    path = write(tmp_path, "update.txt", NO_NEXT)
    data = lint_json(cli, str(path), "--purpose", "update", code=1)
    assert data["blocked"] is True
    [finding] = [f for f in data["findings"] if f["rule"] == "requires.next_update"]
    assert finding["severity"] == "error"
    assert (finding["start"], finding["end"], finding["quote"]) == (0, 0, "")  # the whole text
    r = cli("lint", str(path), "--purpose", "update")
    assert r.code == 1 and r.err == ""
    assert "1:1 error requires.next_update: " in r.out
    assert r.out.splitlines()[-1].endswith("publishing is blocked")


def test_empty_message_is_the_blank_error_not_bad_input(cli):
    for text in ("", "  \n\n"):
        data = lint_json(cli, "-", "--purpose", "postmortem", input=text, code=1)
        assert [(f["rule"], f["severity"]) for f in data["findings"]] == [("blank", "error")]


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("--purpose", "nope"), ["--purpose", "nope"]),
        (("--purpose", "ack", "--kind", "fax"), ["--kind", "fax"]),
        ((), ["--purpose"]),
        (("--purpose", "ack", "--playbook", "saas-major"), ["saas-major-outage"]),  # did you mean
        (("--purpose", "ack", "--playbook", "no-such-book"), ["no-such-book"]),
    ],
)
def test_bad_options_are_one_line_exit_2(cli, tmp_path, args, names):
    path = write(tmp_path, "ack.txt", GOOD_ACK)
    r = cli.fails("lint", str(path), *args)
    assert r.out == ""
    [line] = r.err.splitlines()
    for name in names:
        assert name in line


def test_unreadable_input_is_one_line_exit_2(cli, tmp_path):
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Line one\ncaf\xe9 is down\n".encode("latin-1"))
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * (1024 * 1024 + 1))
    cases = {
        str(tmp_path / "missing.txt"): "missing.txt",
        str(tmp_path): str(tmp_path),  # a directory
        str(latin): "latin1.txt:2: not UTF-8",
        str(huge): "larger than 1 MiB",
    }
    for name, expected in cases.items():
        r = cli.fails("lint", name, "--purpose", "ack")
        [line] = r.err.splitlines()
        assert expected in line, line
        assert r.out == ""


def test_at_most_1_mib_is_read(cli, tmp_path):
    exactly = write(tmp_path, "big.txt", "a" * (1024 * 1024))
    data = lint_json(cli, str(exactly), "--purpose", "update")
    assert "requires.next_update" in rules(data)  # checked, not refused


def test_stdin_not_utf8_is_exit_2(cli):
    p = run_bytes(cli, "lint", "-", "--purpose", "ack", input=b"We are \xff sorry\n")
    assert p.returncode == 2 and p.stdout == b""
    [line] = p.stderr.decode().splitlines()
    assert "stdin:1: not UTF-8" in line


def test_broken_playbook_file_named_with_its_line(cli, tmp_path):
    book = write(tmp_path, "broken.yaml", "name: x\nmessage_checks: [\n")
    path = write(tmp_path, "ack.txt", GOOD_ACK)
    r = cli.fails("lint", str(path), "--purpose", "ack", "--playbook", str(book))
    for line in r.err.splitlines():
        assert line.startswith(f"{book}:"), line
    assert r.out == ""


# ------------------------------------------------------------------------- JSON offsets


def test_offsets_are_characters_into_the_text_as_read(cli, tmp_path):
    # non-ASCII before the spans and CRLF line endings: offsets count characters of the text
    # exactly as the file holds it
    text = (
        "Café — [[what customers see]]\r\n"
        "We’re so sorry: we are experiencing technical difficulties.\r\n"
        "Ünïcode line: [[what we are doing]]\r\n"
    )
    path = write(tmp_path, "msg.txt", text)
    data = lint_json(cli, str(path), "--purpose", "update", code=1)
    spanned = [f for f in data["findings"] if f["end"] > f["start"]]
    assert {f["rule"] for f in spanned} >= {"blank", "forbidden_phrase"}
    for f in data["findings"]:
        assert 0 <= f["start"] <= f["end"] <= len(text)
        assert f["quote"] == text[f["start"] : f["end"]]
    blanks = [f["quote"] for f in data["findings"] if f["rule"] == "blank"]
    assert blanks == ["[[what customers see]]", "[[what we are doing]]"]
    [forbidden] = [f for f in data["findings"] if f["rule"] == "forbidden_phrase"]
    assert forbidden["quote"].lower() == "technical difficulties"

    # the human form: LINE:COL of the same places (1-based, characters)
    r = cli("lint", str(path), "--purpose", "update")
    assert r.code == 1
    assert "1:8 error blank: " in r.out
    assert "3:15 error blank: " in r.out
    col = text.split("\r\n")[1].lower().index("technical difficulties") + 1
    assert f"2:{col} warning forbidden_phrase: " in r.out or f"2:{col} error forbidden" in r.out


def test_suggestion_is_indented_under_its_finding(cli, tmp_path):
    path = write(tmp_path, "msg.txt", "Logins fail: [[what we are doing]]\n")
    lines = cli("lint", str(path), "--purpose", "update").out.splitlines()
    i = next(i for i, line in enumerate(lines) if " error blank: " in line)
    assert lines[i + 1].startswith("    ") and lines[i + 1].strip()


# ------------------------------------------------------------------------- stdin, kinds, playbooks


def test_stdin_dash_and_piped_stdin_without_a_file(cli, tmp_path):
    from_file = lint_json(cli, str(write(tmp_path, "u.txt", NO_NEXT)), "--purpose", "update")
    dash = lint_json(cli, "-", "--purpose", "update", input=NO_NEXT)
    piped = lint_json(cli, "--purpose", "update", input=NO_NEXT)
    assert from_file == dash == piped
    assert "requires.next_update" in rules(dash)


def test_kind_applies_its_length_limit(cli):
    # saas-major-outage: at most 280 characters for social, 25000 for a status page
    text = GOOD_ACK + "Customers on every plan are affected. " * 8
    assert 280 < len(text) < 25000
    social = lint_json(cli, "-", "--purpose", "ack", "--kind", "social", input=text, code=1)
    assert social["kind"] == "social"
    [length] = [f for f in social["findings"] if f["rule"] == "length"]
    assert length["severity"] == "error"
    page = lint_json(cli, "-", "--purpose", "ack", input=text)
    assert "length" not in rules(page)


def test_playbook_by_name(cli):
    # saas-major-outage requires a post-mortem promise of a resolution; minor-degradation not
    resolved = (
        "Service was fully restored at 4:47 PM EST: customers can sign in again. "
        "Thank you for your patience, and we are so sorry.\n"
    )
    default = lint_json(cli, "-", "--purpose", "resolved", input=resolved)
    major = lint_json(cli, "-", "--purpose", "resolved", "--playbook", MAJOR.stem, input=resolved)
    minor = lint_json(cli, "-", "--purpose", "resolved", "--playbook", MINOR.stem, input=resolved)
    assert default == major
    assert "requires.postmortem_promise" in rules(major)
    assert "requires.postmortem_promise" not in rules(minor)


def test_playbook_by_file(cli, tmp_path):
    # the playbook's own forbidden phrases apply: one added to a copy of the shipped one
    original = MAJOR.read_text()
    anchor = "    - technical difficulties\n"
    assert original.count(anchor) == 1
    book = write(tmp_path, "ours.yaml", original.replace(anchor, anchor + "    - kerfuffle\n"))
    text = "We are so sorry for the kerfuffle. " + GOOD_ACK
    ours = lint_json(cli, "-", "--purpose", "ack", "--playbook", str(book), input=text)
    [f] = [f for f in ours["findings"] if f["rule"] == "forbidden_phrase"]
    assert f["quote"] == "kerfuffle" == text[f["start"] : f["end"]]
    shipped = lint_json(cli, "-", "--purpose", "ack", input=text)
    assert "forbidden_phrase" not in rules(shipped)


# ------------------------------------------------------------------------- hostile text

HOSTILE = (
    "\x1b]0;owned\x07\x1b[2J\u202e We are experiencing technical difficulties "
    "\x9b31m[[what \x9b5mcustomers\x07 see\u202e\x90]]\x1bP+q\x1b\\\n"
)
TERMINAL_ACTORS = ("\x1b", "\x9b", "\x07", "\u202e", "\x90")


def test_hostile_text_is_printed_literally(cli, tmp_path):
    path = write(tmp_path, "hostile.txt", HOSTILE)
    r = cli("lint", str(path), "--purpose", "update")
    assert r.code == 1 and "Traceback" not in r.err
    for ch in TERMINAL_ACTORS:
        assert ch not in r.out and ch not in r.err, repr(ch)
    assert " error blank: " in r.out

    r = cli("lint", str(path), "--purpose", "update", "--json")
    for ch in TERMINAL_ACTORS:
        assert ch not in r.out, repr(ch)  # written as \\uXXXX inside the JSON strings
    data = json.loads(r.out)
    quotes = [f["quote"] for f in data["findings"] if f["rule"] == "blank"]
    assert quotes and all(
        q == HOSTILE[HOSTILE.index("[[") : HOSTILE.index("]]") + 2] for q in quotes
    )
    for f in data["findings"]:
        assert f["quote"] == HOSTILE[f["start"] : f["end"]]  # the text itself, escapes and all


# ------------------------------------------------------------------------- no database


def test_no_database_is_created_or_opened(cli, tmp_path):
    state, home = tmp_path / "state", tmp_path / "home"
    state.mkdir()
    home.mkdir()
    path = write(tmp_path, "ack.txt", GOOD_ACK)
    env = {"XDG_STATE_HOME": str(state), "HOME": str(home)}
    # the fixture's WARROOM_DB, and the default database (no WARROOM_DB)
    cli.ok("lint", str(path), "--purpose", "ack", env=env)
    cli.ok("lint", str(path), "--purpose", "ack", "--json", env={**env, "WARROOM_DB": ""})
    assert not cli.db.exists()
    assert list(state.rglob("*")) == [] and list(home.rglob("*")) == []
    # a file that is no database at all is never opened
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database\x00" * 10)
    before = junk.read_bytes()
    cli.ok("lint", str(path), "--purpose", "ack", env={"WARROOM_DB": str(junk)})
    cli.ok("lint", str(path), "--purpose", "ack", "--db", str(junk))
    assert junk.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ack.txt", "home", "junk.db", "state"]


# ------------------------------------------------------------------------- help


def test_help_lists_the_purposes_and_exit_codes(cli):
    text = cli.ok("lint", "--help").out
    for purpose in PUBLISH_PURPOSES:
        assert f"\n  {purpose} " in text, purpose  # each on its own line, with its meaning
    assert "0 nothing blocks publishing, 1 an error blocks it, 2 bad input" in text
    top = cli.ok("--help").out
    assert "\n    lint " in top


# ------------------------------------------------------------------------- one function


def status_config(tmp_path: Path, more: str = "") -> Path:
    """A config with one status page (on a closed port), plus ``more``."""
    return write(
        tmp_path,
        "config.yaml",
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        "    base_url: http://127.0.0.1:9/v1\n"
        "    page_id: local\n"
        "    api_key_env: LINT_TEST_KEY\n" + more,
    )


def test_draft_and_publish_find_what_lint_finds(cli, tmp_path):
    config = status_config(tmp_path)
    env = {"WARROOM_CONFIG": str(config), "LINT_TEST_KEY": "k"}
    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    # the draft: the template as rendered, checked by the incident's playbook
    draft = cli.ok("draft", "--json", env=env).json()
    linted = lint_json(cli, "-", "--purpose", draft["purpose"], input=draft["text"])
    assert linted["findings"], "the rendered template has blanks to fill"
    assert [
        {k: f[k] for k in ("rule", "severity", "message", "start", "end")}
        for f in draft["findings"]
    ] == [
        {k: f[k] for k in ("rule", "severity", "message", "start", "end")}
        for f in linted["findings"]
    ]
    # publish: refused for the same findings, listed the same way
    text = "We are experiencing technical difficulties. [[what customers see]]\n"
    body = write(tmp_path, "body.txt", text)
    r = cli.fails("publish", "--template", "update", "--body-file", str(body), "--yes", env=env)
    linted = lint_json(cli, str(body), "--purpose", "update", code=1)
    said = [line for line in r.err.splitlines() if not line.startswith("warroom: ")]
    expected = [f"{f['severity']}: {f['rule']}: {f['message']}" for f in linted["findings"]]
    assert len(said) == len(expected)
    for line, head in zip(said, expected, strict=True):
        assert line == head or line.startswith(head + " — "), (line, head)
    assert cli.ok("outbox", "--json", env=env).json() == []


def test_lint_imports_nothing_heavy(tmp_path):
    # start-up time is a feature: a pre-commit hook runs lint on every file
    path = write(tmp_path, "ack.txt", GOOD_ACK)
    probe = (
        "import json, sys\n"
        "from tui.cli import main\n"
        f"code = main(['lint', {str(path)!r}, '--purpose', 'ack', '--json'])\n"
        "print(json.dumps([code, sorted({m.split('.')[0] for m in sys.modules})]))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "WARROOM_DB": str(tmp_path / "w.db")}
    p = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    code, modules = json.loads(p.stdout.strip().splitlines()[-1])
    assert code == 0, p.stderr
    for heavy in ("textual", "rich", "httpx", "jinja2"):
        assert heavy not in modules, heavy
    assert not (tmp_path / "w.db").exists()


def test_component_names_from_the_config_are_not_jargon(cli, tmp_path):
    # as publish does: the destinations config names the page's components
    config = status_config(tmp_path, "    components: {Managed DNS: c1}\n")
    text = "Managed DNS lookups fail for some customers. " + GOOD_ACK
    bare = lint_json(cli, "-", "--purpose", "ack", input=text)
    assert [f["quote"] for f in bare["findings"] if f["rule"] == "jargon"] == ["DNS"]
    named = lint_json(cli, "-", "--purpose", "ack", "--config", str(config), input=text)
    assert "jargon" not in rules(named)
    via_env = cli(
        "lint", "-", "--purpose", "ack", "--json", input=text, env={"WARROOM_CONFIG": str(config)}
    )
    assert json.loads(via_env.out) == named
    # a config that does not load is bad input, named with its line
    broken = write(tmp_path, "broken.yaml", "destinations: [\n")
    r = cli.fails("lint", "-", "--purpose", "ack", "--config", str(broken), input=text)
    assert all(line.startswith(f"{broken}:") for line in r.err.splitlines())


def test_no_file_and_a_terminal_on_stdin_is_bad_input_not_a_wait(cli):
    import pty

    leader, follower = pty.openpty()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
        env.update(WARROOM_DB=str(cli.db), WARROOM_NOW=cli.now)
        p = subprocess.run(
            [warroom_exe(), "lint", "--purpose", "ack"],
            stdin=follower,
            capture_output=True,
            text=True,
            env=env,
            cwd=cli.cwd,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert p.returncode == 2 and p.stdout == ""
    [line] = p.stderr.splitlines()
    assert "FILE" in line and "-" in line


def test_a_byte_order_mark_is_not_part_of_the_text(cli, tmp_path):
    text = "[[what customers see]] and we are so sorry.\n"
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    data = lint_json(cli, str(path), "--purpose", "update", code=1)
    [blank] = [f for f in data["findings"] if f["rule"] == "blank"]
    assert (blank["start"], blank["quote"]) == (0, "[[what customers see]]")

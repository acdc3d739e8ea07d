"""Templates are bounded (time, loops, sizes) and stay inside their templates directory.

A playbook's templates run inside the dashboard and `warroom draft`. Hostile ones
must end with one line naming the template file and line -- never hang, never
allocate a gigabyte, never read a file outside the templates directory. Renders
that would hang run in the real `warroom` (a subprocess with a generous timeout),
so a regression fails instead of blocking the suite. Nothing here is timed.
"""

from __future__ import annotations

import os
import subprocess
import tracemalloc
from pathlib import Path

import pytest

from tests.conftest import MAJOR
from tui.core.templating import playbook_environment
from tui.publish.drafting import DraftError, render_file

HANG_GUARD = 120  # seconds: only so that a hang fails; a bounded render ends within ~2 s


def render(dirs: list[Path], name: str, variables: dict | None = None) -> str:
    return render_file(playbook_environment(tuple(dirs)), name, variables or {}, DraftError)


def refused(tmp_path: Path, source: str, name: str = "t.j2") -> str:
    d = tmp_path / "tpl"
    d.mkdir(exist_ok=True)
    (d / name).write_text(source, encoding="utf-8")
    with pytest.raises(DraftError) as info:
        render([d], name)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# ----------------------------------------------------------------------- through the CLI


@pytest.fixture
def own_playbook(tmp_path) -> Path:
    """A copy of the shipped playbook whose templates/ folder overrides the ack template."""
    folder = tmp_path / "pb"
    (folder / "templates").mkdir(parents=True)
    book = folder / "playbook.yaml"
    book.write_text(MAJOR.read_text(encoding="utf-8"), encoding="utf-8")
    return book


def draft_fails(cli, book: Path, template: str) -> str:
    (book.parent / "templates" / "ack.statuspage.md.j2").write_text(template, encoding="utf-8")
    cli.ok("start", "-p", str(book), "--title", "Checkout down")
    try:
        r = cli.fails("draft", timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        pytest.fail(f"warroom draft did not end within {HANG_GUARD} s")
    [line] = r.err.splitlines()
    assert line.startswith("warroom: template ack.statuspage.md.j2 line "), line
    return line


def test_nested_huge_ranges_end_with_a_clear_error(cli, own_playbook):
    line = draft_fails(
        cli,
        own_playbook,
        "We are on it.\n"
        "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}\n",
    )
    assert "line 2:" in line and "range() of 100000 numbers (at most 10000)" in line


def test_nested_loops_within_the_range_bound_still_end(cli, own_playbook):
    # 10,000 x 10,000 steps, each allowed on its own: the render's step budget ends it
    line = draft_fails(
        cli,
        own_playbook,
        "a\nb\n{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}\n",
    )
    # whichever bound comes first on this machine: the step budget or the deadline
    assert "line 3:" in line and ("loops take more than" in line or "took longer than" in line)


def test_a_slow_render_is_abandoned_at_its_deadline(cli, own_playbook):
    # few loop steps, each expensive: only the deadline can end it
    line = draft_fails(
        cli,
        own_playbook,
        "{% for i in range(10000) %}{% for j in range(90) %}"
        "{{ ('ab ' * 30000)|wordwrap(5)|length }}{% endfor %}{% endfor %}\n",
    )
    assert "took longer than 2 s (abandoned)" in line


def test_string_repetition_refused_before_it_is_built(tmp_path):
    tracemalloc.start()
    try:
        message = refused(tmp_path, 'Hello\n{{ "x" * 10**8 }}\n')
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == (
        "template t.j2 line 2: a repeated string would be 100000000 long (at most 100000)"
    )
    assert peak < 20_000_000, f"{peak} bytes allocated to refuse it"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{{ 'ab' ~ 'cd' }}{{ ('x' * 60000) + ('y' * 60000) }}", "a joined string"),
        (
            "{% set ns = namespace(s='x' * 1000) %}{% for i in range(40) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "a joined string",
        ),
        (
            "{% set ns = namespace(s='x' * 1000) %}{% for i in range(40) %}"
            "{% set b %}{{ ns.s }}{{ ns.s }}{% endset %}{% set ns.s = b %}{% endfor %}",
            "a block of text",
        ),
        ("{{ '{:>999999999}'.format(1) }}", "a formatted field"),
        ("{{ '%999999999s' % 'x' }}", "a formatted field"),
        ("{{ '%s'|format('x') }}{{ '%999999999d'|format(1) }}", "a formatted field"),
        ("{{ 'x'|center(999999999) }}", "too large"),
        ("{{ 'x'.ljust(999999999) }}", "too large"),
        ("{{ range(10000)|map('string')|map('center', 5000)|join }}", "a joined string"),
        ("{{ 'y' * 99999 }}{{ ('y' * 99999).replace('y', 'yy') }}", "a replaced string"),
        ("{{ 2 ** 100000000 }}", "too large a number"),
        ("{% set a = [1] * 99999 %}{{ ([a] * 99999)|tojson }}", "a repeated string"),
        ("{{ ('\t' * 99999).expandtabs(99999) }}", "an expanded string"),
        ("{{ ('\n' * 99999)|indent(99999) }}", "an indented text"),
        ("{% set a = [1] * 9999 %}{{ [a, a, a, a, a, a, a, a, a, a, a]|sum(start=[]) }}", "sum"),
        (
            "{% set a = ['x' * 9999] * 9 %}{% set b = [a, a, a, a, a, a, a, a, a, a, a] %}"
            "{% set c = [b, b, b, b, b, b, b, b, b, b, b] %}{{ c }}",
            "a printed value",
        ),
        ("{% for i in range(10000) %}{{ 'y' * 99 }}{% endfor %}", "output is more than 100000"),
        ("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", "too deeply"),
    ],
)
def test_every_way_to_grow_a_string_is_bounded(tmp_path, source, says):
    assert says in refused(tmp_path, source)


def test_ordinary_templates_still_render(tmp_path):
    d = tmp_path / "tpl"
    d.mkdir()
    (d / "part.j2").write_text("[{{ who }}]")
    (d / "ok.j2").write_text(
        "{% for t in items %}{{ loop.index }}. {{ t|upper }}{% if not loop.last %}, {% endif %}"
        "{% endfor %}\n{{ 'a' ~ 'b' }} {{ '%.1f'|format(2.25) }} {{ '{:>4}'.format(7) }}"
        " {% include 'part.j2' %} {{ range(3)|join('-') }} {{ 'x' * 3 }}"
    )
    out = render([d], "ok.j2", {"items": ["api", "web"], "who": "us"})
    assert out == "1. API, 2. WEBab 2.2    7 [us] 0-1-2 xxx\n"  # trim_blocks: no newline


def test_a_syntax_error_names_the_file_and_line(tmp_path):
    assert refused(tmp_path, "one\ntwo\n{% for %}").startswith("template t.j2 line 3: ")


# ----------------------------------------------------------------------- containment


def test_includes_stay_inside_the_templates_directory(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    d = tmp_path / "tpl"
    d.mkdir()
    (d / "sub").mkdir()
    for name, source in {
        "up.j2": "{% include '../secret.txt' %}",
        "up2.j2": "{% include 'sub/../../secret.txt' %}",
        "abs.j2": "{% include '" + str(secret) + "' %}",
        "ext.j2": "{% extends '/etc/passwd' %}",
        "imp.j2": "{% import '../secret.txt' as s %}",
    }.items():
        (d / name).write_text(source)
        with pytest.raises(DraftError) as info:
            render([d], name)
        assert "TOP SECRET" not in str(info.value) and "root:" not in str(info.value)
        assert str(info.value).startswith(f"template {name} line 1: template name "), info.value


def test_a_symlink_leading_out_is_refused_one_staying_in_is_fine(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    d = tmp_path / "tpl"
    (d / "parts").mkdir(parents=True)
    (d / "parts" / "real.j2").write_text("inside")
    os.symlink(secret, d / "leak.j2")
    os.symlink(tmp_path, d / "parts" / "up")  # a directory link out
    os.symlink(d / "parts" / "real.j2", d / "alias.j2")
    (d / "via.j2").write_text("{% include 'parts/up/secret.txt' %}")
    for name in ("leak.j2", "via.j2"):
        with pytest.raises(DraftError) as info:
            render([d], name)
        assert "leads outside its templates directory" in str(info.value)
        assert "TOP SECRET" not in str(info.value)
    assert render([d], "alias.j2") == "inside\n"


def test_templates_dir_root_with_etc_passwd_renders_nothing_from_outside(cli, tmp_path):
    folder = tmp_path / "pb"
    folder.mkdir()
    book = folder / "playbook.yaml"
    text = MAJOR.read_text(encoding="utf-8")
    old = "templates:\n  ack:\n    statuspage: ack.statuspage.md.j2"
    text = text.replace(
        old, "templates_dir: /\n" + old.replace("ack.statuspage.md.j2", "etc/passwd")
    )
    assert "etc/passwd" in text
    book.write_text(text, encoding="utf-8")
    r = cli("start", "-p", str(book), "--title", "Checkout down")
    assert r.code == 2 and "templates_dir '/' must be a relative path" in r.err
    assert "root:" not in r.out + r.err


# ----------------------------------------------------------------------- in the dashboard


async def test_the_dashboard_render_ends_and_says_why(cli, own_playbook):
    """The draft's template render runs in a worker thread: it must end (no CPU left
    spinning after `q`), and the team is told which template and line."""
    from textual.worker import WorkerState

    from tests.dashboard_helpers import make_app, wait_for

    (own_playbook.parent / "templates" / "ack.statuspage.md.j2").write_text(
        "Investigating.\n{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}"
        "{% endfor %}\n",
        encoding="utf-8",
    )
    cli.ok("start", "-p", str(own_playbook), "--title", "Checkout down")
    app = make_app(cli.db)

    def told() -> list[str]:
        return [
            n.message
            for n in app._notifications
            if "loops take more than" in n.message or "took longer than" in n.message
        ]

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: told(), pilot, timeout=HANG_GUARD)
        assert told()[0].startswith("template ack.statuspage.md.j2 line 2: ")
        renders = [w for w in app.workers if w.group == "draft-template"]
        await wait_for(lambda: all(w.state != WorkerState.RUNNING for w in renders), pilot)
        await pilot.press("q")

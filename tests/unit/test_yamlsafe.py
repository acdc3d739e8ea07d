"""Tests for tui.core.yamlsafe: hostile YAML only ever produces YamlLoadError, well placed."""

from __future__ import annotations

import ast
import itertools
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core import yamlsafe
from tui.core.yamlsafe import (
    MAX_BYTES,
    MAX_NODES,
    MAX_PROBLEMS,
    Map,
    Mark,
    Problem,
    Scalar,
    Seq,
    YamlLoadError,
    builder,
    load_bytes,
    load_file,
)

LOADERS = [pytest.param(yaml.SafeLoader, id="pyyaml")]
if getattr(yaml, "__with_libyaml__", False):
    LOADERS.insert(0, pytest.param(yaml.CSafeLoader, id="libyaml"))


@pytest.fixture(params=LOADERS)
def loader(request, monkeypatch):
    """Run a test with libyaml (when available) and with the pure-Python parser."""
    monkeypatch.setattr(builder, "_LOADER", request.param)
    return request.param


def load(src: str | bytes, name: str = "pb.yaml"):
    return load_bytes(src.encode() if isinstance(src, str) else src, name)


def problems(src: str | bytes, name: str = "pb.yaml") -> list[Problem]:
    with pytest.raises(YamlLoadError) as info:
        load(src, name)
    probs = info.value.problems
    assert probs
    for p in probs:
        assert_clean(p)
    return probs


def only(src: str | bytes) -> Problem:
    probs = problems(src)
    assert len(probs) == 1, probs
    return probs[0]


def assert_clean(p: Problem) -> None:
    assert isinstance(p, Problem)
    assert p.line >= 1 and p.col >= 1
    assert p.message and p.message.isprintable(), repr(p.message)
    assert "\n" not in str(p) and "\x1b" not in str(p)


def where(p: Problem) -> tuple[int, int]:
    return (p.line, p.col)


# --------------------------------------------------------------------------- normal documents

NORMAL = """\
name: Outage playbook
version: 2
phases:
  - title: "Detect"
    steps: [ack, 'page on-call', 3.5, yes, ~, 2024-01-01]
  - title: Mitigate
    owner:
    notes: |
      line one
      line two
"""


def test_normal_document_values_and_marks(loader):
    root = load(NORMAL)
    assert isinstance(root, Map)
    assert root.mark == Mark(1, 1)
    assert root.keys() == ["name", "version", "phases"]
    name = root.get("name")
    assert name == Scalar("Outage playbook", Mark(1, 7), "Outage playbook")
    version = root.get("version")
    assert isinstance(version, Scalar) and version.value == 2 and version.mark == Mark(2, 10)
    assert root.get("missing") is None

    phases = root.get("phases")
    assert isinstance(phases, Seq)
    assert phases.mark == Mark(4, 3)
    assert len(phases.items) == 2
    first, second = phases.items
    assert isinstance(first, Map) and first.mark == Mark(4, 5)
    assert first.items[0][0].mark == Mark(4, 5)
    title = first.get("title")
    assert title == Scalar("Detect", Mark(4, 12), "Detect")
    steps = first.get("steps")
    assert isinstance(steps, Seq) and steps.mark == Mark(5, 12)
    values = [s.value for s in steps.items]
    assert values == ["ack", "page on-call", 3.5, True, None, "2024-01-01"]
    assert [s.mark.col for s in steps.items] == [13, 18, 34, 39, 44, 47]
    assert all(s.mark.line == 5 for s in steps.items)

    assert isinstance(second, Map) and second.mark == Mark(6, 5)
    owner = second.get("owner")
    assert isinstance(owner, Scalar) and owner.value is None and owner.text == ""
    notes = second.get("notes")
    assert notes.value == "line one\nline two\n" and notes.mark == Mark(8, 12)


def test_load_file_reads_a_path(tmp_path, loader):
    path = tmp_path / "pb.yaml"
    path.write_text(NORMAL, encoding="utf-8")
    assert load_file(path) == load(NORMAL)
    assert load_file(str(path)) == load(NORMAL)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("yes", True),
        ("On", True),
        ("off", False),
        ("NO", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("42", 42),
        ("-17", -17),
        ("0x1F", 31),
        ("017", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("1:30", 90),
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ("1.5", 1.5),
        ("1e3", "1e3"),  # YAML 1.1: no dot, so not a float
        ("1.0e+3", 1000.0),
        (".inf", math.inf),
        ("-.inf", -math.inf),
        ("2024-01-01", "2024-01-01"),
        ("2024-01-01 10:00:00", "2024-01-01 10:00:00"),
        ("'123'", "123"),
        ('"yes"', "yes"),
        ("!!str 123", "123"),
        ('!!int "42"', 42),
        ("!!float 1", 1.0),
        ('!!bool "on"', True),
        ("!!null ''", None),
        ("! 12", 12),  # PyYAML resolves a non-specific '!' like an untagged plain scalar
        ("=", "="),
        ("<<", "<<"),
        ("plain text", "plain text"),
    ],
)
def test_scalar_resolution_matches_safe_loader(src, expected, loader):
    node = load("v: " + src).get("v")
    assert isinstance(node, Scalar)
    assert node.value == expected
    assert type(node.value) is type(expected)


def test_nan_and_huge_int():
    assert math.isnan(load("v: .NaN").get("v").value)
    big = "9" * 4000
    assert load("v: " + big).get("v").value == int(big)


def test_keys_use_source_text_for_non_string_keys(loader):
    root = load("on: 1\n2: b\n~: c\n'x y': d\n")
    assert root.keys() == ["on", "2", "~", "x y"]
    assert root.items[0][0].value is True
    assert root.get("on").value == 1
    assert root.get("2").value == "b"


def test_utf8_bom_is_stripped(loader):
    root = load(b"\xef\xbb\xbfname: caf\xc3\xa9\n")
    assert root.keys() == ["name"]
    assert root.get("name").value == "café"
    assert root.mark == Mark(1, 1)


def test_aliases_reuse_the_anchored_node(loader):
    root = load("base: &b {x: 1, y: [1, 2]}\nother: *b\nname: &n hello\ncopy: *n\n")
    assert root.get("other") is root.get("base")
    assert root.get("copy") is root.get("name")


def test_anchor_may_be_redefined(loader):
    root = load("a: &x 1\nb: &x 2\nc: *x\n")
    assert root.get("c").value == 2


def test_quoted_merge_key_is_an_ordinary_key(loader):
    assert load("'<<': 1\n").keys() == ["<<"]


def test_nesting_up_to_the_limit_is_fine(loader):
    node = load("[" * yamlsafe.MAX_DEPTH + "]" * yamlsafe.MAX_DEPTH)
    depth = 0
    while isinstance(node, Seq):
        depth += 1
        node = node.items[0] if node.items else None
    assert depth == yamlsafe.MAX_DEPTH


def test_max_bytes_is_accepted(loader):
    data = b"a: " + b"x" * (MAX_BYTES - 3)
    assert len(data) == MAX_BYTES
    assert len(load(data).get("a").value) == MAX_BYTES - 3


# --------------------------------------------------------------------------- size and encoding


def test_ten_megabyte_file(tmp_path):
    data = b"a: b\n" * 2_000_000
    assert len(data) == 10_000_000
    msg = "file is too large (10.0 MB; a playbook may be at most 1 MB)"
    p = only(data)
    assert where(p) == (1, 1) and p.message == msg
    path = tmp_path / "big.yaml"
    path.write_bytes(data)
    with pytest.raises(YamlLoadError) as info:
        load_file(path)
    assert [str(p) for p in info.value.problems] == [f"{path}:1:1: {msg}"]


def test_just_over_the_limit_reports_bytes():
    p = only(b"#" * (MAX_BYTES + 1))
    assert p.message == "file is too large (1,000,001 bytes; a playbook may be at most 1 MB)"


def test_binary_junk():
    p = only(bytes(range(256)) * 10)
    # bytes 0x00-0x7f are valid UTF-8; \n (0x0a) and a lone \r (0x0d) are YAML line breaks
    assert where(p) == (3, 128 - 14 + 1)
    assert p.message == "not valid UTF-8 (byte 0x80)"


def test_latin1_text():
    p = only("version: 1\nname: café\n".encode("latin-1"))
    assert where(p) == (2, 10)
    assert p.message == "not valid UTF-8 (byte 0xe9)"


@pytest.mark.parametrize(("encoding", "byte"), [("utf-16", 0xFF), ("utf-16-be", 0xFE)])
def test_utf16_with_bom(encoding, byte):
    data = "name: café\n".encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    p = only(data)
    assert where(p) == (1, 1)
    assert p.message == f"not valid UTF-8 (byte 0x{byte:02x})"


def test_utf16_without_bom_hits_nul():
    p = only("a: 1\n".encode("utf-16-le"))
    assert where(p) == (1, 2)
    assert p.message.startswith("unacceptable character #x0000")


@pytest.mark.parametrize(
    ("src", "pos", "code"),
    [
        ("a: b\x00c\n", (1, 5), "#x0000"),
        ("a: 1\nb: \x1b[31mred\x1b[0m\n", (2, 4), "#x001b"),
        ("a: 1\r\nb: 2\r\n\x07\n", (3, 1), "#x0007"),
        ("a: [1,\x7f]\n", (1, 7), "#x007f"),
    ],
)
def test_control_characters(src, pos, code, loader):
    p = only(src)
    assert where(p) == pos
    assert code in p.message


# --------------------------------------------------------------------------- hostile structure


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghi"
    for prev, cur in itertools.pairwise(names):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs(loader):
    src = billion_laughs()
    p = only(src)
    assert p.message == f"too many nodes after expanding aliases (limit {MAX_NODES})"
    # reported at an alias
    assert src.splitlines()[p.line - 1][p.col - 1] == "*"


def test_too_many_nodes_without_aliases(loader):
    p = only("[" + "1," * (MAX_NODES + 5) + "]")
    assert p.message == f"too many nodes (limit {MAX_NODES})"
    assert where(p) == (1, 2 + 2 * (MAX_NODES - 1))  # the 100,001st node (the list is #1)


def test_unknown_alias(loader):
    p = only("a: 1\nb: *nope\n")
    assert where(p) == (2, 4)
    assert p.message == "alias '*nope' refers to an unknown anchor"


def test_recursive_alias(loader):
    p = only("a: &x\n  - 1\n  - *x\n")
    assert where(p) == (3, 5)
    assert "recursive" in p.message


def test_deep_flow_sequence(loader):
    p = only("[" * 5000 + "]" * 5000)
    assert where(p) == (1, 65)
    assert p.message == "nesting is deeper than 64 levels"


def test_deep_flow_sequence_unclosed(loader):
    p = only("a: " + "[" * 5000)
    assert where(p) == (1, 4 + 63)
    assert p.message == "nesting is deeper than 64 levels"


def test_deep_flow_mapping(loader):
    p = only("{a: " * 5000 + "1" + "}" * 5000)
    assert where(p) == (1, 4 * 64 + 1)
    assert p.message == "nesting is deeper than 64 levels"


def test_deep_block_mapping(loader):
    src = "".join(" " * i + "a:\n" for i in range(200)) + " " * 200 + "1\n"
    p = only(src)
    assert where(p) == (65, 65)
    assert p.message == "nesting is deeper than 64 levels"


def test_deep_block_sequence(loader):
    p = only("- " * 5000 + "x\n")
    assert where(p) == (1, 129)
    assert p.message == "nesting is deeper than 64 levels"


def test_python_object_tag_is_never_constructed(tmp_path, monkeypatch, loader):
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    marker = tmp_path / "pwned"
    src = (
        'greeting: !!python/object/apply:os.system ["echo hi"]\n'
        f'touch: !!python/object/apply:subprocess.call [["touch", "{marker}"]]\n'
    )
    probs = problems(src)
    assert [(p.line, p.col, p.message) for p in probs] == [
        (1, 11, "unsupported tag '!!python/object/apply:os.system'"),
        (2, 8, "unsupported tag '!!python/object/apply:subprocess.call'"),
    ]
    assert calls == []
    assert not marker.exists()


@pytest.mark.parametrize(
    ("src", "col", "tag"),
    [
        ("v: !foo x", 4, "!foo"),
        ("v: !!binary aGk=", 4, "!!binary"),
        ("v: !!set {a, b}", 4, "!!set"),
        ("v: !!omap [a: 1]", 4, "!!omap"),
        ("v: !!timestamp 2024-01-01", 4, "!!timestamp"),
        ("v: !!python/name:os.system ''", 4, "!!python/name:os.system"),
        ("v: !<tag:example.com,2000:x> y", 4, "tag:example.com,2000:x"),
        ("v: !!foo%1B%5B31m x", 4, "!!foo\\x1b[31m"),
        ("- !!python/tuple [1, 2]", 3, "!!python/tuple"),
        ("!!python/object:x.Y {a: 1}", 1, "!!python/object:x.Y"),
    ],
)
def test_unsupported_tags(src, col, tag, loader):
    p = only(src)
    assert where(p) == (1, col)
    assert p.message == f"unsupported tag '{tag}'"


def test_tag_directive_expanding_to_a_standard_tag_is_fine(loader):
    root = load("%TAG !e! tag:yaml.org,2002:\n---\nv: !e!int '7'\n")
    assert root.get("v").value == 7


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("v: !!map x", "tag '!!map' cannot be used on a scalar"),
        ("v: !!str {a: 1}", "tag '!!str' cannot be used on a mapping"),
        ("v: !!map [1]", "tag '!!map' cannot be used on a sequence"),
        ("v: !!int abc", "invalid !!int value 'abc'"),
        ("v: !!int ''", "invalid !!int value ''"),
        ("v: !!float abc", "invalid !!float value 'abc'"),
        ("v: !!bool maybe", "invalid !!bool value 'maybe'"),
    ],
)
def test_bad_standard_tags(src, message, loader):
    p = only(src)
    assert where(p) == (1, 4)
    assert p.message == message


def test_integer_too_long(loader):
    p = only("v: " + "1" * 5000)
    assert where(p) == (1, 4)
    assert p.message == "integer is too long (5000 digits)"
    p = only("v: " + "1:2" * 2000)
    assert "integer is too long" in p.message


@pytest.mark.parametrize(
    ("src", "pos"),
    [
        ("a:\n\tb: 1\n", (2, 1)),
        ("a:\n  b: 1\n\tc: 2\n", (3, 1)),
        ("- a\n\t- b\n", (2, 1)),
        ("\ta: 1\n", (1, 1)),
    ],
)
def test_tabs_for_indentation(src, pos, loader):
    p = only(src)
    assert where(p) == pos
    assert p.message == "tab character used for indentation (use spaces)"


def test_tabs_inside_values_are_fine(loader):
    root = load("a: 'x\ty'\nb: |\n  c\td\n")
    assert root.get("a").value == "x\ty"
    assert root.get("b").value == "c\td\n"


def test_tab_elsewhere_when_the_parser_rejects_it():
    # PyYAML's pure-Python scanner rejects a tab inside a plain scalar (libyaml accepts it).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builder, "_LOADER", yaml.SafeLoader)
        p = only("b: c\td\n")
    assert where(p) == (1, 5)
    assert p.message == "tab character is not allowed here (use spaces)"


def test_duplicate_keys(loader):
    src = "name: x\nphases: []\nowner: y\nphases: [1]\n"
    p = only(src)
    assert where(p) == (4, 1)
    assert p.message == "duplicate key 'phases' (first at line 2)"


def test_several_problems_are_collected_and_sorted(loader):
    src = "a: 1\nb:\n  x: !foo 1\n  x: 2\na: 3\nc: [!!binary aGk=, *missing]\n"
    probs = problems(src)
    assert [(p.line, p.col) for p in probs] == [(3, 6), (4, 3), (5, 1), (6, 5), (6, 20)]
    assert probs[1].message == "duplicate key 'x' (first at line 3)"
    assert probs[2].message == "duplicate key 'a' (first at line 1)"
    with pytest.raises(YamlLoadError) as info:
        load(src)
    text = str(info.value)  # the problem lines joined
    assert text.splitlines() == [str(p) for p in probs]
    assert text.splitlines()[0] == "pb.yaml:3:6: unsupported tag '!foo'"


def test_problem_cap(loader):
    src = "".join(f"k{i}: !bad x\n" for i in range(MAX_PROBLEMS * 2))
    probs = problems(src)
    assert len(probs) == MAX_PROBLEMS + 1
    assert probs[-1].message == f"too many problems; stopped after {MAX_PROBLEMS}"


def test_hostile_text_in_messages_is_escaped(loader):
    key = "\u202ephases" + "x" * 100
    p = only(f"{key}: 1\n{key}: 2\n")
    assert where(p) == (2, 1)
    assert "\\u202e" in p.message and "\u202e" not in p.message
    assert p.message.endswith("...' (first at line 1)") or "'..." in p.message
    assert len(p.message) < 120


def test_hostile_file_name_is_escaped():
    with pytest.raises(YamlLoadError) as info:
        load_bytes(b"", "evil\x1b[2J\n.yaml")
    assert str(info.value) == "evil\\x1b[2J\\n.yaml:1:1: the file is empty"


def test_non_scalar_keys(loader):
    p = only("? [a, b]\n: 1\n")
    assert where(p) == (1, 3)
    assert p.message == "a mapping key must be a scalar, not a sequence"
    probs = problems("{[a]: 1, {b: 1}: 2}")
    assert [(p.line, p.col, p.message) for p in probs] == [
        (1, 2, "a mapping key must be a scalar, not a sequence"),
        (1, 10, "a mapping key must be a scalar, not a mapping"),
    ]


def test_merge_keys_are_rejected(loader):
    p = only("base: &b {x: 1}\nthing:\n  <<: *b\n  y: 2\n")
    assert where(p) == (3, 3)
    assert p.message == "merge keys (<<) are not supported"


@pytest.mark.parametrize(
    "src", [b"", b"   \n\n", b"# just a comment\n", b"---\n", b"--- \n...\n", b"\xef\xbb\xbf"]
)
def test_empty_file(src, loader):
    p = only(src)
    assert where(p) == (1, 1) and p.message == "the file is empty"


def test_empty_file_via_load_file(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    with pytest.raises(YamlLoadError) as info:
        load_file(path)
    assert str(info.value) == f"{path}:1:1: the file is empty"


def test_null_document_is_not_empty(loader):
    assert load("~").value is None
    assert load("''").value == ""


@pytest.mark.parametrize(
    ("src", "pos"),
    [
        ("a: 1\n---\nb: 2\n", (2, 1)),
        ("a: 1\n...\n---\nb: 2\n", (3, 1)),
        ("--- a\n--- b\n", (2, 1)),
        ("---\n---\na: 1\n", (2, 1)),
        ("a: 1\n---\n", (2, 1)),
        ("a: 1\n---\n[" + "[" * 5000, (2, 1)),
    ],
)
def test_multiple_documents(src, pos, loader):
    p = only(src)
    assert where(p) == pos
    assert p.message == "only one YAML document is allowed"


@pytest.mark.parametrize(
    ("src", "pos", "fragment"),
    [
        ("a: 'x\n", (2, 1), "while scanning a quoted scalar starting at line 1"),
        ("a: 1\n b: 2\n", (2, 3), "mapping values are not allowed"),
        ("a: [1, 2\n", (2, 1), "flow sequence"),
        ("a: b: c\n", (1, 5), "mapping values are not allowed"),
        ("- a\nb: 1\n", (2, 1), ""),
        ("a: @x\n", (1, 4), "cannot start any token"),
    ],
)
def test_syntax_errors(src, pos, fragment, loader):
    p = only(src)
    assert where(p) == pos
    assert fragment in p.message


def test_syntax_error_after_other_problems(loader):
    probs = problems("a: !foo 1\nb: !bar 2\nc: [\n")
    assert [p.line for p in probs] == [1, 2, 4]
    assert probs[0].message == "unsupported tag '!foo'"


# --------------------------------------------------------------------------- load_file errors


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(YamlLoadError) as info:
        load_file(path)
    (p,) = info.value.problems
    assert (p.file, p.line, p.col) == (str(path), 1, 1)
    assert p.message == "cannot read file: No such file or directory"


def test_directory(tmp_path):
    with pytest.raises(YamlLoadError) as info:
        load_file(tmp_path)
    assert info.value.problems[0].message == "cannot read file: Is a directory"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_fifo_does_not_block(tmp_path):
    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)
    with pytest.raises(YamlLoadError) as info:
        load_file(path)
    assert info.value.problems[0].message == "cannot read file: not a regular file"


def test_path_with_nul():
    with pytest.raises(YamlLoadError) as info:
        load_file("bad\x00name.yaml")
    assert info.value.problems[0].message.startswith("cannot read file:")


# --------------------------------------------------------------------------- last-resort guards


@pytest.mark.parametrize(
    ("exc", "fragment"),
    [
        (RecursionError("boom"), "nested too deeply"),
        (MemoryError(), "out of memory"),
        (RuntimeError("x\n\x1b[31m"), "internal error"),
    ],
)
def test_unexpected_exceptions_become_problems(monkeypatch, exc, fragment):
    def explode(self):
        raise exc

    monkeypatch.setattr(builder._Builder, "run", explode)
    p = only("a: 1\n")
    assert where(p) == (1, 1)
    assert fragment in p.message


def test_exception_api():
    probs = [Problem("f", 2, 3, "two"), Problem("f", 1, 1, "one")]
    err = YamlLoadError(probs)
    assert err.problems == probs
    assert str(err) == "f:2:3: two\nf:1:1: one"
    assert str(probs[0]) == "f:2:3: two"


def test_import_is_cheap():
    code = (
        "import sys, tui; before = set(sys.modules); import tui.core.yamlsafe; "
        "print(sorted(m.split('.')[0] for m in set(sys.modules) - before))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    new = set(ast.literal_eval(out))
    new = {m for m in new if "cython" not in m}  # libyaml binding's runtime support
    assert new - set(sys.stdlib_module_names) <= {"tui", "yaml", "_yaml"}


# --------------------------------------------------------------------------- properties


def check_outcome(data: bytes) -> None:
    try:
        node = load_bytes(data, "prop.yaml")
    except YamlLoadError as exc:
        assert exc.problems
        for p in exc.problems:
            assert_clean(p)
            assert p.file == "prop.yaml"
        assert "\x1b" not in str(exc)
    else:
        assert isinstance(node, Scalar | Seq | Map)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_property_arbitrary_bytes(data):
    check_outcome(data)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=1000))
def test_property_arbitrary_text(text):
    check_outcome(text.encode("utf-8"))


YAMLISH = st.text(
    alphabet=st.sampled_from([*"[]{}:-,?&*!|>'\"#%@`~ \n\t\r\\ab01.<=", "\x1b", "é"]),
    max_size=300,
)


@settings(max_examples=500, deadline=None)
@given(YAMLISH)
def test_property_yaml_like_text(text):
    check_outcome(text.encode("utf-8"))

"""The positioned node tree a YAML file is loaded into, and the problems reported against it.

Every node carries a 1-based :class:`Mark` (line and column, columns counted in
characters). Mapping keys are compared by their *key string* (:func:`key_str`): the
value when it is a ``str``, else the source text, so ``on:`` is the key ``"on"``.
A :class:`Problem` is one line, ``FILE:LINE:COL: message``, with nothing a terminal
would take for an escape sequence (:func:`printable`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mark:
    line: int  # 1-based
    col: int  # 1-based


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class YamlLoadError(Exception):
    """The file could not be loaded; ``problems`` holds at least one :class:`Problem`."""

    problems: list[Problem]

    def __init__(self, problems: list[Problem]):
        problems = list(problems)
        if not problems:
            problems = [Problem("<unknown>", 1, 1, "the file could not be loaded")]
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


ScalarValue = str | int | float | bool | None
"""What a scalar resolves to (YAML 1.1 safe rules; timestamps stay text)."""


@dataclass(frozen=True, slots=True)
class Scalar:
    value: ScalarValue
    mark: Mark
    text: str


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]
    mark: Mark


@dataclass(frozen=True, slots=True)
class Map:
    items: tuple[tuple[Scalar, Node], ...]
    mark: Mark

    def get(self, key: str) -> Node | None:
        for k, v in self.items:
            if key_str(k) == key:
                return v
        return None

    def keys(self) -> list[str]:
        return [key_str(k) for k, _ in self.items]


Node = Scalar | Seq | Map


def key_str(key: Scalar) -> str:
    """The string a mapping key is compared by: its value if text, else its source text."""
    return key.value if isinstance(key.value, str) else key.text


# YAML 1.1 line breaks, as counted by both PyYAML's reader and libyaml.
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def printable(text: str) -> str:
    """Escape every non-printable character (control chars, ESC, bidi overrides...)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, col) of character ``index`` in ``text``."""
    line, start = 1, 0
    for m in LINE_BREAK.finditer(text, 0, index):
        line += 1
        start = m.end()
    return line, index - start + 1

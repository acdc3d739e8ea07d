"""What a check says: a :class:`Finding` (rule, severity, span, message, suggestion).

Every rule's name is in :data:`RULES`, in the order findings at one place are
listed. An ERROR blocks publishing; a WARNING is worth a second look. Messages
and suggestions are one line of plain text (:func:`one_line`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, get_args

Severity = Literal["error", "warning"]
ERROR: Final = "error"
WARNING: Final = "warning"

Rule = Literal[
    "blank",
    "length",
    "requires.apology",
    "requires.ownership",
    "requires.next_update",
    "requires.restore_time",
    "requires.thanks",
    "requires.postmortem_promise",
    "robotic",
    "forbidden_phrase",
    "jargon",
    "fix_time_promise",
    "empty_gesture",
]
RULES: Final[tuple[Rule, ...]] = get_args(Rule)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: Rule
    severity: Severity
    start: int  # span in the text; 0, 0 when about the whole message
    end: int
    message: str  # one line of plain text
    suggestion: str  # one line of plain text


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def one_line(s: str) -> str:
    """``s`` on one line: every run of spaces and unprintable characters is one space."""
    return " ".join("".join(c if c.isprintable() else " " for c in s).split())


def quote(s: str, limit: int = 60) -> str:
    """``s`` in curly quotes, on one line, cut to ``limit`` characters."""
    s = one_line(s)
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return f"“{s}”"


def whole(rule: Rule, severity: Severity, message: str, suggestion: str) -> Finding:
    """A finding about the whole message (no span)."""
    return Finding(rule, severity, 0, 0, one_line(message), one_line(suggestion))

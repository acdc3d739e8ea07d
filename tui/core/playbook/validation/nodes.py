"""Reading one YAML node of a playbook: the checks every section is built from.

:class:`NodeChecker` never raises: each check records a :class:`Problem` at the node's
line and column and returns None (or an empty value), so validation goes on and
reports every problem at once. We use no validation library on purpose: the errors
must carry the YAML line and column of the offending node, which a validator fed
plain dicts cannot know, and the import must stay cheap for the CLI path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from tui.core.durations import DurationError, parse_duration
from tui.core.yamlsafe.nodes import Map, Node, Problem, Scalar, Seq

ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def suggest(word: str, choices: Iterable[str]) -> str:
    """ "; did you mean 'x'?" when a choice is close to ``word`` (else "")."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def show(value: Any) -> str:
    """A value from the file, quoted and cut short for a message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class NodeChecker:
    """Typed values out of YAML nodes, each problem recorded where it is."""

    def __init__(self, filename: str):
        self.file = filename
        self.problems: list[Problem] = []

    def err(self, node: Node | Scalar, message: str) -> None:
        self.problems.append(Problem(self.file, node.mark.line, node.mark.col, message))

    def fields(
        self,
        node: Node,
        what: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> dict[str, Node] | None:
        """A mapping with exactly these keys allowed; returns key -> node, or None."""
        if not isinstance(node, Map):
            self.err(node, f"{what} must be a mapping")
            return None
        allowed = required + optional
        out: dict[str, Node] = {}
        for key, value in node.items:
            k = key.value if isinstance(key.value, str) else key.text
            if k not in allowed:
                self.err(
                    key,
                    f"unknown key {show(k)} in {what} "
                    f"(allowed: {', '.join(allowed)}){suggest(k, allowed)}",
                )
                continue
            out[k] = value
        for k in required:
            if k not in out:
                self.err(node, f"{what} is missing required key {k!r}")
        return out

    def string(self, node: Node, what: str, *, allow_empty: bool = False) -> str | None:
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            self.err(node, f"{what} must be text")
            return None
        if not allow_empty and not node.value.strip():
            self.err(node, f"{what} must not be empty")
            return None
        if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in node.value):
            self.err(node, f"{what} contains control characters")
            return None
        return node.value

    def ident(self, node: Node, what: str) -> str | None:
        value = node.value if isinstance(node, Scalar) else None
        if not isinstance(value, str) or not ID.match(value):
            self.err(
                node,
                f"{what} must be an id: lowercase letters, digits, '-' or '_' "
                f"(got {show(value) if isinstance(node, Scalar) else 'a ' + type(node).__name__})",
            )
            return None
        return value

    def boolean(self, node: Node, what: str) -> bool | None:
        if not isinstance(node, Scalar) or not isinstance(node.value, bool):
            self.err(node, f"{what} must be true or false")
            return None
        return node.value

    def integer(self, node: Node, what: str, lo: int, hi: int) -> int | None:
        value = node.value if isinstance(node, Scalar) else None
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            self.err(node, f"{what} must be a whole number from {lo} to {hi}")
            return None
        return value

    def decimal(self, node: Node, what: str) -> Decimal | None:
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.err(node, f"{what} must be a number")
            return None
        result = Decimal(str(value))
        if not result.is_finite():
            self.err(node, f"{what} must be a finite number")
            return None
        return result

    def duration(self, node: Node, what: str) -> timedelta | None:
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            hint = " (add a unit, e.g. 15m)" if isinstance(node, Scalar) else ""
            self.err(node, f"{what} must be a duration like 15m, 1h or 72h{hint}")
            return None
        try:
            return parse_duration(node.value)
        except DurationError as exc:
            self.err(node, f"{what}: {exc}")
            return None

    def seq(self, node: Node, what: str, *, allow_empty: bool = False) -> tuple[Node, ...]:
        if not isinstance(node, Seq):
            self.err(node, f"{what} must be a list")
            return ()
        if not node.items and not allow_empty:
            self.err(node, f"{what} must not be empty")
        return node.items

    def strings(self, node: Node, what: str) -> tuple[str, ...]:
        out = []
        for item in self.seq(node, what, allow_empty=True):
            s = self.string(item, f"each entry of {what}")
            if s is not None:
                out.append(s)
        return tuple(out)

    def unique(self, seen: dict[str, Node], key: str | None, node: Node, what: str) -> bool:
        if key is None:
            return False
        if key in seen:
            self.err(node, f"duplicate {what} id {key!r} (first at line {seen[key].mark.line})")
            return False
        seen[key] = node
        return True

    def id_list(
        self,
        node: Node,
        what: str,
        known: Iterable[str],
        kind: str,
    ) -> tuple[str, ...]:
        known = list(known)
        out: list[str] = []
        for item in self.seq(node, what):
            value = self.ident(item, f"each entry of {what}")
            if value is None:
                continue
            if value not in known:
                self.err(item, f"unknown {kind} {value!r} in {what}{suggest(value, known)}")
            elif value in out:
                self.err(item, f"{kind} {value!r} listed twice in {what}")
            else:
                out.append(value)
        return tuple(out)

    def choice(self, node: Node, what: str, choices: tuple[str, ...]) -> str | None:
        value = self.string(node, what)
        if value is not None and value not in choices:
            self.err(
                node,
                f"{what} must be one of: {', '.join(choices)} "
                f"(got {show(value)}){suggest(value, choices)}",
            )
            return None
        return value

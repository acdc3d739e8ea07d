"""A message too long for its destination kind blocks publishing: an ERROR.

Limits per destination kind come from the playbook (``message_checks.max_length``);
an empty section falls back to :data:`DEFAULT_MAX_LENGTH` (a social post: 280).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from tui.core.playbook import MessageChecks
from tui.core.vocabulary import DestinationKind
from tui.publish.checks.findings import ERROR, Finding, one_line

DEFAULT_MAX_LENGTH: Final[Mapping[DestinationKind, int]] = {"social": 280}


def length_finding(text: str, kind: str, checks: MessageChecks) -> list[Finding]:
    if checks.max_length:
        limit = checks.max_length.get(kind)
    else:
        limit = next((n for k, n in DEFAULT_MAX_LENGTH.items() if k == kind), None)
    n = len(text.rstrip())
    if limit is None or n <= limit:
        return []
    limit = max(0, limit)
    return [
        Finding(
            "length",
            ERROR,
            limit,
            n,
            one_line(f"too long for {kind}: {n} characters, the limit is {limit}"),
            one_line(f"cut at least {n - limit} characters; keep the next-update time"),
        )
    ]

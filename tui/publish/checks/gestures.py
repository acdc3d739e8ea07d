"""Empty gestures: amends unrelated to the failure (a donation, trees planted): a warning.

One finding per sentence, spanning the gesture and any "on behalf of our
customers" or "in your name" around it.
"""

from __future__ import annotations

import re

from tui.publish.checks.findings import WARNING, Finding, one_line, quote
from tui.publish.checks.scan import Scan

_I = re.IGNORECASE


# Empty gestures: amends unrelated to the failure.
_GESTURE_CORE = re.compile(
    r"\bdonat(?:e|es|ed|ing|ion|ions)\b|\bcharit(?:y|ies|able)\b"
    r"|\bplant(?:s|ed|ing)?\s+(?:\d[\d,]*\s+|a\s+|some\s+)?trees?\b|\btrees?\s+planted\b"
    r"|\btree[- ]planting\b|\bcarbon\s+offsets?\b",
    _I,
)
_GESTURE_EXTRA = re.compile(
    r"\bon\s+behalf\s+of\s+(?:all\s+(?:of\s+)?)?our\s+"
    r"(?:users|customers|clients|community|members)\b|\bin\s+your\s+(?:name|hono(?:u)?r)\b",
    _I,
)


def empty_gestures(scan: Scan) -> list[Finding]:
    s = scan.s
    by_sentence: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for m in _GESTURE_CORE.finditer(s):
        if not scan.masked(m.start(), m.end()):
            by_sentence.setdefault(scan.sentence(m.start(), m.end()), []).append(m.span())
    for (lo, hi), spans in by_sentence.items():
        spans.extend(m.span() for m in _GESTURE_EXTRA.finditer(s, lo, hi))
    out = []
    for spans in by_sentence.values():
        a, b = min(x for x, _ in spans), max(y for _, y in spans)
        out.append(
            Finding(
                "empty_gesture",
                WARNING,
                a,
                b,
                one_line(f"an empty gesture, unrelated to the outage: {quote(scan.text[a:b])}"),
                "make amends tied to the failure: a service credit, a trial extension, "
                "or a call with an engineer",
            )
        )
    return out

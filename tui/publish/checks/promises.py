"""A promised fix time or an ETA: a warning (promise the next update, not the fix).

A time about the fix (:mod:`tui.publish.checks.times`) is a promise unless its
sentence tells history in a past tense with no future in it ("was restored
within 30 minutes", "we rolled back by 3 PM"); an "ETA" is one
unless it is denied ("we don't have an ETA yet"). One finding per sentence.
"""

from __future__ import annotations

import re

from tui.publish.checks.findings import WARNING, Finding, one_line, quote
from tui.publish.checks.scan import Scan
from tui.publish.checks.times import Time, history

_I = re.IGNORECASE


_ETA = re.compile(
    r"(?-i:\bETAs?\b)|\bestimated\s+time\s+(?:to|of)\s+"
    r"(?:resolution|recovery|repair|fix|restoration)\b",
    _I,
)
_NEGATION = re.compile(r"(?:\bno|\bnot|n['’]t|\bwithout|\bcannot)\b", _I)


def fix_promises(scan: Scan, times: list[Time]) -> list[Finding]:
    s = scan.s
    out: list[Finding] = []
    suggestion = (
        "a missed fix time costs more trust than none: promise the next update instead, "
        "“We'll update you by 2:45 PM EST.”"
    )
    for t in times:
        if t.topic != "fix":
            continue
        lo, hi = scan.sentence(t.start, t.end)
        if history(scan.s, lo, hi):
            continue  # "was restored within 30 minutes", "recovered by 3 PM": history
        a, b = t.topic_start, t.topic_end
        out.append(
            Finding(
                "fix_time_promise",
                WARNING,
                a,
                b,
                one_line(
                    f"promises a fix time: {quote(scan.text[a:b])}; if it slips, customers "
                    "stop trusting the updates"
                ),
                suggestion,
            )
        )
    flagged = {scan.sentence(f.start, f.end) for f in out}
    for m in _ETA.finditer(s):
        sentence = scan.sentence(m.start(), m.end())
        if sentence in flagged:
            continue  # "ETA for the fix: 5 PM" is one promise, already flagged
        if _NEGATION.search(s, max(sentence[0], m.start() - 30), m.start()):
            continue  # "we don't have an ETA yet" is honest
        flagged.add(sentence)
        out.append(
            Finding(
                "fix_time_promise",
                WARNING,
                m.start(),
                m.end(),
                one_line(
                    f"gives an ETA for the fix: {quote(scan.text[m.start() : m.end()])}; if it "
                    "slips, customers stop trusting the updates"
                ),
                suggestion,
            )
        )
    return out

"""The times a message promises: a clock time after "by"/"at"/..., or an interval.

:func:`promised_times` finds each one and says what it is about -- the next
update, the fix, or the post-mortem -- from the topic words of its sentence
(:class:`~tui.publish.checks.scan.Scan`). The next-update requirement wants an
update time; a fix time is a warning (:mod:`tui.publish.checks.promises`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.publish.checks.scan import Scan

_I = re.IGNORECASE

# A clock time: 2:45 PM, 2:45pm EST, 14:45, 3 PM, 3 p.m., noon, the top of the hour, end of day ET.
_TZ = r"(?:[ \t]+(?-i:[A-Z]{2,5}\b(?:[+-]\d{1,2})?))?"
CLOCK = re.compile(
    r"(?<![\w:.])(?:"
    r"(?:[01]?\d|2[0-3]):[0-5]\d(?![:\d])(?:[ \t]?[ap]\.?[ \t]?m\b)?"
    r"|(?:1[0-2]|0?[1-9])[ \t]?[ap]\.?[ \t]?m\b"
    r"|(?:[01]?\d|2[0-3])h[0-5]\d\b"  # the French clock: 14h05, 16h00
    # the French clock on the hour, after a preposition only: "next info at 15h"
    r"|(?:(?<=\bat )|(?<=\bby )|(?<=\bà )|(?<=before )|(?<=latest ))(?:[01]?\d|2[0-3])h\b"
    # the hour with its zone, after a preposition: "the next status at 11 JST"
    r"|(?:(?<=\bat )|(?<=\bby )|(?<=before )|(?<=latest ))(?:[01]?\d|2[0-3])"
    r"(?=[ \t]+(?-i:UTC|GMT|JST|KST|CET|CEST|EET|BST|IST|EST|EDT|CST|CDT|MST|MDT|PST|PDT|PT|ET"
    r"|AEST|AEDT|SGT|HKT)\b)"
    # a dotted clock with its zone or am/pm (not a version number): 16.00 CET, 4.30pm
    r"|(?:[01]?\d|2[0-3])\.[0-5]\d(?![.\d])(?=[ \t]?(?:[ap]\.?m\b|(?-i:[A-Z]{2,5}\b)|h\b|hrs\b))"
    r"(?:[ \t]?[ap]\.?[ \t]?m\b)?"
    # four digits with a zone: 1600 UTC; o'clock: at 4 o'clock
    r"|(?:[01]\d|2[0-3])[0-5]\d(?=[ \t]+(?-i:UTC|GMT|Z)\b)"
    r"|(?:1[0-2]|0?[1-9]|1[3-9]|2[0-3])[ \t]+o['’]clock\b"
    r"|noon\b|midnight\b"
    # named times: "at the top of the hour", "by end of day PT" (end of day needs its zone)
    r"|the[ \t]+(?:top|bottom)[ \t]+of[ \t]+the[ \t]+hour\b"
    r"|(?:the[ \t]+)?end[ \t]+of[ \t]+(?:the[ \t]+)?(?:business[ \t]+)?day"
    r"(?=[ \t]+(?-i:[A-Z]{2,5}\b))"
    r")" + _TZ,
    _I,
)
# What makes a clock time a promise rather than a timestamp ("as of", "·", "Posted").
_FUTURE_PREP = re.compile(
    r"(?:\b(?:by|at|around|before|until|till|than|about|approximately|for|is|be|latest)|\bnext\s+(?:update|status|information|info|report|bulletin|communication|message)|[:~])"
    r"[*_]*[ \t]*\Z",
    _I,
)
_NUM = (
    r"(?:\d{1,3}(?:[ \t]*(?:-|–|to|or)[ \t]*\d{1,3})?|half[ \t]+an?|a[ \t]+half|an?|one|two|three"
    r"|four|five|six|ten|twelve|fifteen|twenty|thirty|forty[- ]five|forty|sixty|ninety)"
)
_UNIT = r"(?:minutes?|mins?|hours?|hrs?)"
_INTERVAL = re.compile(
    r"\b(?:(?:within|in|over|every)\s+(?:the\s+)?(?:next\s+)?|for\s+(?:the\s+next|another|at\s+least)\s+)"
    r"(?:(?:about|around|roughly|approximately|another|less\s+than|under)\s+)?"
    + _NUM
    + r"[ \t]*"
    + _UNIT
    + r"\b"
    + r"|\b(?:within|in|every)[ \t]+\d{1,3}[ \t]?[mh]\b"
    + r"|(?<=[:~])[ \t]*\d{1,3}[ \t]*"
    + _UNIT
    + r"\b"
    + r"|\b(?:within|in|over|for)\s+the\s+(?:next\s+)?hour\b"
    + r"|\bevery\s+(?:hour|half[- ]hour)\b"
    + r"|\b"
    + _NUM
    + r"[ \t]*"
    + _UNIT
    + r"\s+from\s+now\b",
    _I,
)
FUTURE = re.compile(
    r"\bwill\b|['’]ll\b|\bexpect\w*|\bshould\b|\bhop(?:e|es|ing)\b|\baim\w*|\bplan\w*"
    r"|\bgoing\s+to\b|\bestimat\w*|\banticipat\w*|\btarget\w*|\bpromise\w*|\bscheduled\s+(?:for|to)\b",
    _I,
)


# What makes a sentence history: a past tense ("was restored", "came back", "deployed").
PAST = re.compile(
    r"\b(?:was|were|has\s+been|have\s+been|had\s+been|had|got|did|came|went|took|began|lasted"
    r"|ran|saw|found|made|brought|kept|left|ended|started|occurred|happened)\b"
    r"|\b(?!(?:need|speed|feed|seed|indeed|hundred|red|bed|shed|proceed|exceed|succeed)\b)"
    r"[a-z]{2,}[^e\W]ed\b|\b[a-z]+ied\b|\b[a-z]{2,}[^aeiou\W]ed\b",
    _I,
)


def history(s: str, lo: int, hi: int) -> bool:
    """lo..hi is told in the past, with no future in it ("was restored within 30 minutes")."""
    return PAST.search(s, lo, hi) is not None and FUTURE.search(s, lo, hi) is None


@dataclass(frozen=True, slots=True)
class Time:
    start: int
    end: int
    topic: str | None  # "update" | "fix" | "doc" | None
    topic_start: int  # where the topic word is (the span of a fix promise)
    topic_end: int


def promised_times(scan: Scan) -> list[Time]:
    """Every promise-shaped time (a clock time after by/at/..., or an interval), classified."""
    s = scan.s
    spans: list[tuple[int, int]] = []
    for m in CLOCK.finditer(s):
        if _FUTURE_PREP.search(s[max(0, m.start() - 30) : m.start()]):
            spans.append((m.start(), m.end()))
    spans.extend((m.start(), m.end()) for m in _INTERVAL.finditer(s))
    out = []
    for start, end in sorted(set(spans)):
        lo, hi = scan.sentence(start, end)
        last = scan.last_topic(lo, start)
        topic, t0, t1 = None, start, end
        if last is not None:
            topic, t0, t1 = last.lastgroup, last.start(), end
        else:
            after = scan.first_topic(end, hi)
            if after is not None:
                future = scan.has(FUTURE, end, after.start())
                if after.lastgroup == "update" or (after.lastgroup == "fix" and future):
                    topic, t0, t1 = after.lastgroup, start, after.end()
        out.append(Time(start, end, topic, t0, t1))
    return out

"""Message checks: what a customer-facing message must say, and what it must not.

A pure function of the text, the message's purpose, its destination kind and
the playbook's ``message_checks``. Errors block publishing (an unfilled
blank, no concrete time for the next update, a resolution without its
restore time, thanks or post-mortem promise, a message too long for its
destination); warnings are worth a second look (no apology, no ownership,
robotic or forbidden phrases, jargon, a promised fix time, an empty gesture).

The words come from the playbook where it has them (forbidden phrases,
jargon, requirements per purpose, length limits); a ``MessageChecks`` section
left empty falls back to the built-in defaults below. The heuristics are
deliberately plain regular expressions: cheap to import, easy to explain in
one line, and never a reason for a check to raise.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from tui.core.playbook import MessageChecks
from tui.publish.drafting import find_blanks

ERROR = "error"
WARNING = "warning"

RULES = (
    "blank",
    "next_update",
    "restore_time",
    "thanks",
    "postmortem_promise",
    "length",
    "apology",
    "ownership",
    "forbidden_phrase",
    "robotic",
    "jargon",
    "fix_promise",
    "empty_gesture",
)

# Built-in defaults, used when the playbook's section is empty.
DEFAULT_REQUIRE: Mapping[str, tuple[str, ...]] = {
    "ack": ("apology", "ownership", "next_update"),
    "update": ("next_update",),
    "resolved": ("restore_time", "thanks", "postmortem_promise"),
    "amends": ("apology",),
}
DEFAULT_JARGON = (
    "failover",
    "cluster",
    "k8s",
    "kubernetes",
    "pod",
    "shard",
    "replica",
    "DNS",
    "BGP",
    "TLS",
    "latency",
    "p99",
    "rollback",
    "hotfix",
    "OOM",
)
DEFAULT_MAX_LENGTH: Mapping[str, int] = {"social": 280}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # one of RULES
    severity: str  # "error" | "warning"
    start: int  # span in the text; 0, 0 when about the whole message
    end: int
    message: str  # one line of plain text
    suggestion: str  # one line of plain text


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


# --------------------------------------------------------------------------- patterns

_I = re.IGNORECASE
_APOS = "['’‘]"

# A clock time: 2:45 PM, 2:45pm EST, 14:45, 3 PM, 3 p.m., noon.
_TZ = r"(?:[ \t]+(?-i:[A-Z]{2,5}\b(?:[+-]\d{1,2})?))?"
_CLOCK = re.compile(
    r"(?<![\w:.])(?:"
    r"(?:[01]?\d|2[0-3]):[0-5]\d(?![:\d])(?:[ \t]?[ap]\.?[ \t]?m\b)?"
    r"|(?:1[0-2]|0?[1-9])[ \t]?[ap]\.?[ \t]?m\b"
    r"|noon\b|midnight\b"
    r")" + _TZ,
    _I,
)
# What makes a clock time a promise rather than a timestamp ("as of", "·", "Posted").
_FUTURE_PREP = re.compile(
    r"(?:\b(?:by|at|around|before|until|than|about|approximately|for|is)|[:~])[*_]*[ \t]*\Z", _I
)
_NUM = (
    r"(?:\d{1,3}(?:[ \t]*(?:-|–|to|or)[ \t]*\d{1,3})?|half[ \t]+an?|a[ \t]+half|an?|one|two|three"
    r"|four|five|six|ten|twelve|fifteen|twenty|thirty|forty[- ]five|forty|sixty|ninety)"
)
_UNIT = r"(?:minutes?|mins?|hours?|hrs?)"
_INTERVAL = re.compile(
    r"\b(?:within|in|over|every)\s+(?:the\s+)?(?:next\s+)?"
    r"(?:(?:about|around|roughly|approximately|another|less\s+than|under)\s+)?"
    + _NUM
    + r"[ \t]*"
    + _UNIT
    + r"\b"
    + r"|\b(?:within|in|every)[ \t]+\d{1,3}[ \t]?[mh]\b"
    + r"|\b(?:within|in|over)\s+the\s+(?:next\s+)?hour\b"
    + r"|\bevery\s+(?:hour|half[- ]hour)\b"
    + r"|\b"
    + _NUM
    + r"[ \t]*"
    + _UNIT
    + r"\s+from\s+now\b",
    _I,
)
_VAGUE = re.compile(
    r"\b(?:soon|shortly|asap|as\s+soon\s+as\s+(?:possible|we\s+can|we\s+know\s+more)"
    r"|in\s+due\s+course|in\s+a\s+(?:few|little)\s+(?:minutes|while|bit)"
    r"|when\s+we\s+(?:know|have)\s+more)\b",
    _I,
)

# Topic words: what a time in the same sentence is about.
_UPDATE_WORDS = (
    r"\bupdat(?:e|es|ing)\b|\bpost(?:ing)?\b(?!-)|\bhear\s+from\s+us\b|\bbe\s+in\s+touch\b"
    r"|\bcheck\s+in\b|\breport\s+back\b|\bget\s+back\s+to\s+you\b|\bfollow\s+up\b|\bnext\s+one\b"
)
_FIX_WORDS = (
    r"\bfix(?:ed|es)?\b|\bresolv(?:e|ed|ing)\b|\bresolution\b|\brestor(?:e|ed|ing)\b"
    r"|\brecover(?:ed|y)?\b|\bback\s+(?:up|online|to\s+normal)\b|\bup\s+and\s+running\b"
    r"|\boperational\b|\bworking\s+again\b|\bmitigat(?:e|ed)\b"
)
_DOC_WORDS = (
    r"\bpost[- ]?mortem\b|\bincident\s+(?:report|review)\b|\broot[- ]cause\s+analysis\b"
    r"|(?-i:\bRCA\b)|\breport\b"
)
_TOPIC = re.compile(
    rf"(?P<update>{_UPDATE_WORDS})|(?P<fix>{_FIX_WORDS})|(?P<doc>{_DOC_WORDS})",
    _I,
)
_FUTURE = re.compile(
    r"\bwill\b|['’]ll\b|\bexpect\w*|\bshould\b|\bhop(?:e|es|ing)\b|\baim\w*|\bplan\w*"
    r"|\bgoing\s+to\b|\bestimat\w*|\banticipat\w*|\btarget\w*|\bpromise\w*",
    _I,
)
_PAST = re.compile(r"\b(?:was|were|has\s+been|have\s+been|had\s+been|had|got)\b", _I)
_ETA = re.compile(
    r"(?-i:\bETAs?\b)|\bestimated\s+time\s+(?:to|of)\s+"
    r"(?:resolution|recovery|repair|fix|restoration)\b",
    _I,
)
_NEGATION = re.compile(r"(?:\bno|\bnot|n['’]t|\bwithout|\bcannot)\b", _I)

_RESTORE_WORDS = re.compile(
    r"\brestor\w*|\bresolv\w*|\bback\b|\brecover\w*|\bas\s+of\b|\bsince\b|\bfixed\b"
    r"|\boperational\b|\bup\s+and\s+running\b|\bnormal\w*|\bworking\s+again\b|\bmitigated\b",
    _I,
)
_THANKS = re.compile(
    r"\bthank(?:s|ful|\s+you)\b|\bgrateful\b|\bappreciate\s+(?:your|you)\b|\bthx\b", _I
)
_DOC = re.compile(
    r"\bpost[- ]?mortem\b|\bincident\s+(?:report|review)\b|\broot[- ]cause\s+analysis\b"
    r"|(?-i:\bRCA\b)",
    _I,
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"  # Jan, January
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_WINDOW = re.compile(
    r"\b(?:within|in|over)\s+(?:the\s+)?(?:next\s+)?"
    r"(?:\d{1,3}|an?|one|two|three|four|five|seven|ten|fourteen|thirty)\s*"
    r"(?:business\s+|working\s+)?(?:hours?|hrs?|days?|weeks?)\b"
    r"|\b(?:within|in)\s+(?:\d{1,3}[dhm]){1,3}\b"
    r"|\bwithin\s+(?:a|one|the)\s+(?:day|week)\b"
    r"|\b(?:by|before|on)\s+(?:the\s+)?(?:"
    r"end\s+of\s+(?:the\s+)?(?:day|week|month)|eod|eow|tomorrow|tonight"
    rf"|(?:next\s+|this\s+)?{_DAY}|{_MONTH}\s+\d{{1,2}}\b|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}"
    r"|\d{4}-\d{2}-\d{2}\b|\d{1,2}/\d{1,2}\b|\d{1,2}(?:st|nd|rd|th)\b"
    r"|(?:[01]?\d|2[0-3]):[0-5]\d|(?:1[0-2]|0?[1-9])\s?[ap]\.?m\b)"
    r"|\b(?:this|next)\s+week\b",
    _I,
)

_APOLOGY = re.compile(r"\b(?:sorry|apologi[sz](?:e|ed|es|ing)|apolog(?:y|ies))\b", _I)
_OWNERSHIP = re.compile(
    rf"\bwe(?:{_APOS}re|\s+are)\s+(?:fully\s+|very\s+|now\s+)?aware\b|\bwe\s+know\b"
    r"|\bour\s+(?:mistake|fault)\b|\bwe\s+caused\b"
    rf"|\b(?:this|that|it)(?:\s+is|\s+was|{_APOS}s)\s+on\s+us\b"
    r"|\bwe\s+take\s+(?:full\s+)?responsibility\b"
    rf"|\bwe(?:{_APOS}re|\s+are)\s+(?:fully\s+)?responsible\b"
    r"|\bwe\s+let\s+you\s+down\b|\bwe\s+own\s+(?:this|it)\b|\bwe\s+messed\s+up\b",
    _I,
)

# Built-in robotic phrases: (pattern, what to say instead).
_ROBOTIC = tuple(
    (re.compile(p, _I), s)
    for p, s in (
        (
            r"\btechnical\s+difficult(?:y|ies)\b",
            "say what customers are seeing, in plain words",
        ),
        (
            r"\b(?:(?:sorry|apologi[sz]e|apologies|regret)\s+(?:for\s+)?(?:any|the)\s+"
            r"inconvenience|any\s+inconvenience)\b(?:\s+(?:this|that)\s+(?:may|might)\s+"
            r"(?:have\s+)?caused?)?",
            "name the real impact and own it: “We are so sorry for the disruption.”",
        ),
        (r"\bplease\s+be\s+patient\b", "thank people instead: “Thank you for your patience.”"),
        (r"\bat\s+this\s+(?:point\s+in\s+)?time\b", "say “right now”"),
        (
            rf"\bwe(?:{_APOS}re|\s+are)\s+(?:currently\s+|now\s+|still\s+)?investigating\s+"
            r"(?:the|an|this)\s+(?:issue|problem|incident)(?=[ \t]*(?:[.!…]|\n|\Z))",
            "say what you know and when you'll update: "
            "“We're urgently investigating and will update you by 2:45 PM EST.”",
        ),
    )
)

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

_URL = re.compile(r"(?:https?://|www\.)\S+", _I)
_URL_TAIL = re.compile(r"[.,;:!?)\]}'\"”’>*_]+\Z")
# Sentence ends: terminal punctuation before a space, a blank line, or a line that starts anew.
_BOUNDARY = re.compile(
    r"[.!?…]+(?=\s|\Z)|\n(?=[ \t]*\r?\n)|\n(?=[ \t]*(?:[-*#>|•]|\d+[.)]\s|[A-Z\u00c0-\u00de]))"
)
_PARAGRAPH = re.compile(r"\n[ \t]*\r?\n")
_MASK = "█"  # stands in for blanks and URLs while scanning: not a word, not a sentence end


# --------------------------------------------------------------------------- helpers


def _one_line(s: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in s).split())


def _quote(s: str, limit: int = 60) -> str:
    s = _one_line(s)
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return f"“{s}”"


@lru_cache(maxsize=512)
def _phrase_re(phrase: str, plural: bool = False) -> re.Pattern[str] | None:
    words = phrase.split()
    if not words:
        return None
    body = r"\s+".join(
        "".join(_APOS if c in "'’‘" else re.escape(c) for c in word) for word in words
    )
    head = r"(?<!\w)" if re.match(r"\w", words[0][0]) else ""
    last = words[-1][-1]
    tail = ""
    if plural and last.isalpha():
        tail += "(?:s|es)?"
    if re.match(r"\w", last):
        tail += r"(?!\w)"
    return re.compile(head + body + tail, _I)


class _Spans:
    """A fixed set of spans, asked whether a span overlaps any of them (in log time)."""

    def __init__(self, spans: Iterable[tuple[int, int]]):
        ordered = sorted(spans)
        self._starts = [a for a, _ in ordered]
        self._reach: list[int] = []  # the furthest end among the spans up to each one
        reach = 0
        for _, end in ordered:
            reach = max(reach, end)
            self._reach.append(reach)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self._starts, end)  # the spans starting before `end`
        return bool(i) and self._reach[i - 1] > start


class _Scan:
    """The text with blanks and URLs masked out, and its sentence/paragraph boundaries."""

    def __init__(self, text: str):
        self.text = text
        chars = list(text)
        self.blanks = find_blanks(text)
        self.masked_spans: list[tuple[int, int]] = [(b.start, b.end) for b in self.blanks]
        for m in _URL.finditer(text):
            tail = _URL_TAIL.search(m.group())
            end = m.end() - (len(tail.group()) if tail else 0)
            if end > m.start():
                self.masked_spans.append((m.start(), end))
        for start, end in self.masked_spans:
            chars[start:end] = _MASK * (end - start)
        self.s = "".join(chars)
        bounds = [(m.start(), m.end()) for m in _BOUNDARY.finditer(self.s)]
        self._b_starts = [b[0] for b in bounds]
        self._b_ends = [b[1] for b in bounds]
        paras = [(m.start(), m.end()) for m in _PARAGRAPH.finditer(self.s)]
        self._p_starts = [p[0] for p in paras]
        self._p_ends = [p[1] for p in paras]
        self._mask_index = _Spans(self.masked_spans)
        self.topics = list(_TOPIC.finditer(self.s))
        self._t_starts = [t.start() for t in self.topics]
        self._t_ends = [t.end() for t in self.topics]
        self._cache: dict[tuple[object, int, int], bool] = {}

    def last_topic(self, start: int, end: int) -> re.Match[str] | None:
        j = bisect.bisect_right(self._t_ends, end)
        if j and self.topics[j - 1].start() >= start:
            return self.topics[j - 1]
        return None

    def first_topic(self, start: int, end: int) -> re.Match[str] | None:
        i = bisect.bisect_left(self._t_starts, start)
        if i < len(self.topics) and self.topics[i].end() <= end:
            return self.topics[i]
        return None

    def has(self, pattern: re.Pattern[str], start: int, end: int) -> bool:
        """``pattern`` occurs in start..end (cached: many spans share one sentence)."""
        key = (pattern, start, end)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = pattern.search(self.s, start, end) is not None
        return found

    def masked(self, start: int, end: int) -> bool:
        return self._mask_index.overlaps(start, end)

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._b_ends, start)
        lo = self._b_ends[i - 1] if i else 0
        j = bisect.bisect_left(self._b_starts, end)
        hi = self._b_starts[j] if j < len(self._b_starts) else len(self.s)
        return lo, max(hi, end)

    def paragraph(self, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._p_ends, start)
        lo = self._p_ends[i - 1] if i else 0
        j = bisect.bisect_left(self._p_starts, end)
        hi = self._p_starts[j] if j < len(self._p_starts) else len(self.s)
        return lo, max(hi, end)


@dataclass(frozen=True, slots=True)
class _Time:
    start: int
    end: int
    topic: str | None  # "update" | "fix" | "doc" | None
    topic_start: int  # where the topic word is (the span of a fix promise)
    topic_end: int


def _times(scan: _Scan) -> list[_Time]:
    """Every promise-shaped time (a clock time after by/at/..., or an interval), classified."""
    s = scan.s
    spans: list[tuple[int, int]] = []
    for m in _CLOCK.finditer(s):
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
                future = scan.has(_FUTURE, end, after.start())
                if after.lastgroup == "update" or (after.lastgroup == "fix" and future):
                    topic, t0, t1 = after.lastgroup, start, after.end()
        out.append(_Time(start, end, topic, t0, t1))
    return out


def _required(purpose: str, checks: MessageChecks) -> tuple[str, ...]:
    require = checks.require if checks.require else DEFAULT_REQUIRE
    return tuple(require.get(purpose, ()))


def _whole(rule: str, severity: str, message: str, suggestion: str) -> Finding:
    return Finding(rule, severity, 0, 0, _one_line(message), _one_line(suggestion))


# --------------------------------------------------------------------------- rules


def _blank_findings(scan: _Scan) -> list[Finding]:
    return [
        Finding(
            "blank",
            ERROR,
            b.start,
            b.end,
            _one_line(f"unfilled blank: {_quote(b.description or 'blank')}"),
            "replace the [[ … ]] with your own words before publishing",
        )
        for b in scan.blanks
    ]


def _length_finding(text: str, kind: str, checks: MessageChecks) -> list[Finding]:
    limits = checks.max_length if checks.max_length else DEFAULT_MAX_LENGTH
    limit = limits.get(kind)
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
            _one_line(f"too long for {kind}: {n} characters, the limit is {limit}"),
            _one_line(f"cut at least {n - limit} characters; keep the next-update time"),
        )
    ]


def _next_update(scan: _Scan, times: list[_Time]) -> list[Finding]:
    if any(t.topic == "update" for t in times):
        return []
    vague = _VAGUE.search(scan.s)
    message = "no concrete time for the next update"
    if vague is not None:
        message = f"{_quote(scan.text[vague.start() : vague.end()])} is not a time: {message}"
    return [
        _whole(
            "next_update",
            ERROR,
            message,
            "promise the next update: “We'll update you by 2:45 PM EST.”",
        )
    ]


def _restore_time(scan: _Scan) -> list[Finding]:
    s = scan.s
    for m in _CLOCK.finditer(s):
        lo, hi = scan.sentence(m.start(), m.end())
        if scan.has(_RESTORE_WORDS, lo, hi):
            return []
    return [
        _whole(
            "restore_time",
            ERROR,
            "no time for when service was restored",
            "say when it came back: “Service has been fully restored as of 4:47 PM EST.”",
        )
    ]


def _thanks(scan: _Scan) -> list[Finding]:
    if _THANKS.search(scan.s):
        return []
    return [
        _whole(
            "thanks",
            ERROR,
            "no thanks for customers' patience",
            "thank them: “Thank you for your patience.”",
        )
    ]


def _postmortem_promise(scan: _Scan) -> list[Finding]:
    s = scan.s
    docs = list(_DOC.finditer(s))
    for d in docs:
        plo, phi = scan.paragraph(d.start(), d.end())
        if _WINDOW.search(s, max(plo, d.start() - 200), min(phi, d.end() + 200)):
            return []
    message = (
        "the post-mortem promise has no deadline"
        if docs
        else "no promise of a post-mortem (incident report)"
    )
    return [
        _whole(
            "postmortem_promise",
            ERROR,
            message,
            "promise it with a deadline: “We will publish a detailed incident report "
            "within 72 hours.”",
        )
    ]


def _apology(scan: _Scan) -> list[Finding]:
    if _APOLOGY.search(scan.s):
        return []
    return [
        _whole(
            "apology",
            WARNING,
            "no apology",
            "say sorry plainly: “We are so sorry for the disruption.”",
        )
    ]


def _ownership(scan: _Scan) -> list[Finding]:
    if _OWNERSHIP.search(scan.s):
        return []
    return [
        _whole(
            "ownership",
            WARNING,
            "no ownership of the problem",
            "own it: “We're aware of a major service disruption. We know you rely on us.”",
        )
    ]


def _phrases(scan: _Scan, checks: MessageChecks) -> list[Finding]:
    out: list[Finding] = []
    for phrase in dict.fromkeys(checks.forbidden_phrases):
        pattern = _phrase_re(phrase)
        if pattern is None:
            continue
        for m in pattern.finditer(scan.s):
            if m.end() > m.start() and not scan.masked(m.start(), m.end()):
                out.append(
                    Finding(
                        "forbidden_phrase",
                        WARNING,
                        m.start(),
                        m.end(),
                        _one_line(f"the playbook forbids {_quote(scan.text[m.start() : m.end()])}"),
                        "rewrite it in your own words: what customers see, and what you're doing",
                    )
                )
    forbidden = _Spans((f.start, f.end) for f in out)
    for pattern, suggestion in _ROBOTIC:
        for m in pattern.finditer(scan.s):
            a, b = m.start(), m.end()
            if b == a or scan.masked(a, b) or forbidden.overlaps(a, b):
                continue
            out.append(
                Finding(
                    "robotic",
                    WARNING,
                    a,
                    b,
                    _one_line(f"sounds robotic: {_quote(scan.text[a:b])}"),
                    _one_line(suggestion),
                )
            )
    return out


def _jargon(scan: _Scan, checks: MessageChecks) -> list[Finding]:
    words = checks.jargon if checks.jargon else DEFAULT_JARGON
    out: list[Finding] = []
    seen: set[tuple[int, int]] = set()
    for word in dict.fromkeys(words):
        pattern = _phrase_re(word, plural=True)
        if pattern is None:
            continue
        for m in pattern.finditer(scan.s):
            span = (m.start(), m.end())
            if span[1] == span[0] or span in seen or scan.masked(*span):
                continue
            seen.add(span)
            out.append(
                Finding(
                    "jargon",
                    WARNING,
                    span[0],
                    span[1],
                    _one_line(f"jargon: {_quote(scan.text[span[0] : span[1]])}"),
                    "say it in customer words: what they see, not what broke inside",
                )
            )
    return out


def _fix_promises(scan: _Scan, times: list[_Time]) -> list[Finding]:
    s = scan.s
    out: list[Finding] = []
    suggestion = "promise the next update, not the fix: “We'll update you by 2:45 PM EST.”"
    for t in times:
        if t.topic != "fix":
            continue
        lo, hi = scan.sentence(t.start, t.end)
        if scan.has(_PAST, lo, hi) and not scan.has(_FUTURE, lo, hi):
            continue  # "was restored within 30 minutes": history, not a promise
        a, b = t.topic_start, t.topic_end
        out.append(
            Finding(
                "fix_promise",
                WARNING,
                a,
                b,
                _one_line(f"promises a fix time: {_quote(scan.text[a:b])}"),
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
                "fix_promise",
                WARNING,
                m.start(),
                m.end(),
                _one_line(f"gives an ETA for the fix: {_quote(scan.text[m.start() : m.end()])}"),
                suggestion,
            )
        )
    return out


def _empty_gestures(scan: _Scan) -> list[Finding]:
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
                _one_line(f"an empty gesture, unrelated to the outage: {_quote(scan.text[a:b])}"),
                "make amends tied to the failure: a service credit, a trial extension, "
                "or a call with an engineer",
            )
        )
    return out


# --------------------------------------------------------------------------- entry point

_REQUIREMENT_RULES = {
    "restore_time": _restore_time,
    "thanks": _thanks,
    "postmortem_promise": _postmortem_promise,
    "apology": _apology,
    "ownership": _ownership,
}


def check_message(text: str, purpose: str, kind: str, checks: MessageChecks) -> list[Finding]:
    """Findings sorted errors first, then by start."""
    scan = _Scan(text)
    times = _times(scan)
    findings = _blank_findings(scan) + _length_finding(text, kind, checks)
    for requirement in dict.fromkeys(_required(purpose, checks)):
        if requirement == "next_update":
            findings += _next_update(scan, times)
        elif requirement in _REQUIREMENT_RULES:
            findings += _REQUIREMENT_RULES[requirement](scan)
    findings += _phrases(scan, checks)
    findings += _jargon(scan, checks)
    findings += _fix_promises(scan, times)
    findings += _empty_gestures(scan)
    return sorted(
        findings, key=lambda f: (f.severity != ERROR, f.start, f.end, RULES.index(f.rule))
    )

"""The text as the rules read it: blanks and URLs masked, sentences and paragraphs found.

:class:`Scan` is built once per check and shared by every rule: the masked text
(a blank or a URL is neither words nor a sentence end), the sentence and
paragraph around any span, the topic words (update, fix, post-mortem, monitoring) that say
what a time in the same sentence is about, and a cache of pattern look-ups.
:func:`phrase_re` turns a playbook phrase into a whole-word, apostrophe-tolerant
pattern.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from functools import lru_cache

from tui.publish.drafting import find_blanks

_I = re.IGNORECASE
APOS = "['’‘]"  # any apostrophe a person (or a phone) types

# Topic words: what a time in the same sentence is about.
_UPDATE_WORDS = (
    # (not the software kind: "after an update of the PDF library", "a firmware update")
    r"(?<!after an )(?<!after the )(?<!software )(?<!firmware )(?<!security )(?<!library )"
    r"\bupdat(?:e|es|ing)\b(?!\s+of\s+(?:the|our|a|an|its)\s+(?!progress|situation|status"
    r"|investigation|incident|work)\w)|\bpost(?:ing)?\b(?!-)|\bhear\s+from\s+us\b|\bbe\s+in\s+touch\b"
    r"|\bcheck\s+in\b|\breport\s+back\b|\bget\s+back\s+to\s+you\b|\bfollow\s+up\b|\bnext\s+one\b"
    # an information noun: "back with more information in 30 minutes", "details by 15:00"
    r"|\b(?:more|further|additional|new|fresh|latest)\s+(?:information|info|details|news)\b"
    r"|\b(?:information|details|news)\s+(?:on|about)\s+(?:progress|our\s+progress)\b"
    r"|\bnext\s+(?:communication|message|notice|status)\b|\bback\s+with\b|\bwith\s+more\b"
    r"|\bkeep\s+you\s+(?:posted|informed|updated)\b"
    r"|\bshare\s+(?:more|an?\s+update|progress)\b|\bcommunicat(?:e|ion)\b"
    r"|\blet\s+you\s+know\b|\bconfirm\b(?!\s+that)"
    # "we'll have more for you by noon", "more to share at 3 PM"
    r"|\bmore\s+(?:for\s+you|to\s+(?:share|tell\s+you|report))\b"
    # any communication verb or a next-status noun: "inform you again", "give a new status",
    # "announce the next report", "circle back", "keep you in the loop"
    r"|\b(?:inform|notify|contact|brief|advise)\s+(?:you|all|everyone|our\s+\w+|again|back)\b"
    r"|\bmore\s+(?=(?:at|by|around|before|in|within)\s)"
    r"|\b(?:new|next|further)\s+(?:status|report|information|info|notice|bulletin|statement)\b"
    r"|\bstatus\s+(?:update|report)\b|\breport\s+again\b|\b(?:circle|check)\s+back\b"
    r"|\bget\s+back\s+(?:to\s+(?:you|everyone|all)|with)\b|\bkeep\s+you\s+in\s+the\s+loop\b|\bannounce\b|\bshare\s+news\b"
    # second-language and casual forms: "inform the next situation", "news from us",
    # "close this out by 4 PM" (the last word on it is further information at a time)
    r"|\binform\s+(?:\w+\s+){0,2}?(?:situation|status|progress)\b|\bnews\s+from\s+us\b"
    r"|\bclose\s+(?:this|it|the\s+incident)\s+out\b|\bwrap\s+(?:this|it)\s+up\b"
)
# A monitoring window ("we'll keep monitoring for the next hour"): when the next word comes.
_MONITOR_WORDS = r"\bmonitor(?:s|ing|ed)?\b|\bwatch(?:ing)?\s+(?:closely|it|this|things)\b"
_FIX_WORDS = (
    r"\bfix(?:ed|es)?\b|\bresolv(?:e|ed|ing)\b|\bresolution\b|\brestor(?:e|ed|ing)\b"
    r"|\brecover(?:ed|y)?\b|\bback\s+(?:up|online|to\s+normal)\b|\bup\s+and\s+running\b"
    r"|\boperational\b|\bworking\s+again\b|\bmitigat(?:e|ed)\b"
)
_DOC_WORDS = (
    r"\bpost[- ]?mortem\b|\bincident\s+(?:report|review)\b|\broot[- ]cause\s+analysis\b"
    r"|(?-i:\bRCA\b)|\breport\b|\bwrite[- ]?up\b|\bretrospective\b|\banalysis\b"
    r"|\bsummary\b|\bblog\s+post\b"
)
TOPIC = re.compile(
    rf"(?P<update>{_UPDATE_WORDS})|(?P<fix>{_FIX_WORDS})|(?P<doc>{_DOC_WORDS})"
    rf"|(?P<monitor>{_MONITOR_WORDS})",
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


@lru_cache(maxsize=512)
def phrase_re(phrase: str, plural: bool = False) -> re.Pattern[str] | None:
    words = phrase.split()
    if not words:
        return None
    body = r"\s+".join(
        "".join(APOS if c in "'’‘" else re.escape(c) for c in word) for word in words
    )
    head = r"(?<!\w)" if re.match(r"\w", words[0][0]) else ""
    last = words[-1][-1]
    tail = ""
    if plural and last.isalpha():
        tail += "(?:s|es)?"
    if re.match(r"\w", last):
        tail += r"(?!\w)"
    return re.compile(head + body + tail, _I)


class Spans:
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


class Scan:
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
        self._mask_index = Spans(self.masked_spans)
        self.topics = list(TOPIC.finditer(self.s))
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

    def paragraphs(self) -> list[tuple[int, int]]:
        """Every paragraph, in order."""
        out, lo = [], 0
        for start, end in zip(self._p_starts, self._p_ends, strict=True):
            out.append((lo, start))
            lo = end
        out.append((lo, len(self.s)))
        return out

    def paragraph(self, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._p_ends, start)
        lo = self._p_ends[i - 1] if i else 0
        j = bisect.bisect_left(self._p_starts, end)
        hi = self._p_starts[j] if j < len(self._p_starts) else len(self.s)
        return lo, max(hi, end)

"""What a message of each purpose must contain: the requirement rules, one per name.

The playbook's ``message_checks.require`` names, per purpose, the requirements
(:data:`tui.core.vocabulary.Requirement`) its messages must meet; an empty
section falls back to :data:`DEFAULT_REQUIRE`. Each requirement's rule is
``requires.<name>`` and uses the detector :func:`present` (also behind
:func:`tui.publish.checks.labels`).

A missing next-update time or restore time is an ERROR (publishing waits); so is
a resolution with neither thanks nor apology (an apology alone stands in for the
thanks: a WARNING), or with no post-mortem promise at all (a promise without a
deadline is a WARNING; a resolution that explains its cause and remedy is its
own write-up). A missing apology or ownership is a WARNING.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, TypeGuard, assert_never

from tui.core.playbook import MessageChecks
from tui.core.vocabulary import REQUIREMENTS, Purpose, Requirement
from tui.publish.checks.findings import ERROR, WARNING, Finding, quote, whole
from tui.publish.checks.scan import APOS as _APOS
from tui.publish.checks.scan import Scan
from tui.publish.checks.substance import explains_cause_and_remedy
from tui.publish.checks.times import CLOCK, FUTURE, Time, history

_I = re.IGNORECASE

# Built-in defaults, used when the playbook's section is empty.
DEFAULT_REQUIRE: Final[Mapping[Purpose, tuple[Requirement, ...]]] = {
    "ack": ("apology", "ownership", "next_update"),
    "update": ("next_update",),
    "resolved": ("restore_time", "thanks", "postmortem_promise"),
    "amends": ("apology",),
}

_VAGUE = re.compile(
    r"\b(?:soon|shortly|asap|as\s+soon\s+as\s+(?:possible|we\s+can|we\s+know\s+more)"
    r"|in\s+due\s+course|in\s+a\s+(?:few|little)\s+(?:minutes|while|bit)"
    r"|when\s+we\s+(?:know|have)\s+more)\b",
    _I,
)

_RESTORE_WORDS = re.compile(
    r"\brestor\w*|\bresolv\w*|\bback\b|\brecover\w*|\bfixed\b|\boperational\b"
    r"|\bup\s+and\s+running\b|\bnormal\w*|\bworking\s+again\b|\bmitigated\b|\bstabili[sz]\w*"
    r"|\bresum\w*|\breturned\b|\bclear(?:ed)?\b|\bsubsided\b|\bhealthy\b|\bcame\s+back\b"
    r"|\bstable\b",
    _I,
)
_PAST_AUX = re.compile(r"\b(?:was|were|has\s+been|have\s+been|had\s+been|came|went)\b", _I)
_C = CLOCK.pattern
# A range of clock times: service came back at its end ("between 10:11 and 13:25 UTC").
_RANGE = re.compile(
    rf"\b(?:between|from)\s+(?:{_C})[^.!?\n]{{0,40}}?\b(?:and|to|until|till|through|thru)\s+"
    rf"(?:{_C})|(?:{_C})[ \t]*(?:[-–—]|\bto\b)[ \t]*(?:{_C})",
    _I,
)
_THANKS = re.compile(
    r"\bthank(?:s|ful|ing|\s+you)?\b|\bgrateful\b|\bgratitude\b"
    r"|\bappreciate\s+(?:your|you|the|everyone|all)\b|\bthx\b|\bty\b(?=\s*[.!]*\s*\Z)",
    _I,
)
# A write-up, under any of its names.
_DOC = re.compile(
    r"\bpost[- ]?mortem\b|\bpost[- ]incident\s+(?:report|review|analysis|summary)\b"
    r"|\bincident\s+(?:report|review|summary|analysis|retrospective)\b"
    r"|\broot[- ]cause\s+analysis\b|(?-i:\bRCAs?\b)|\bwrite[- ]?up\b|\bretrospective\b"
    r"|\bblog\s+post\b|\b(?:detailed|full|complete|thorough|in-depth|public)\s+"
    r"(?:analysis|report|explanation|summary|account|review|details)\b"
    r"|\b(?:more\s+)?details\s+(?:on|about|of)\s+(?:what\s+happened|the\s+(?:root\s+)?cause)\b"
    r"|\b(?:summary|analysis|explanation|review)\s+of\s+(?:what\s+happened|the\s+(?:incident"
    r"|outage|root\s+cause|cause))\b",
    _I,
)
# What makes the write-up a promise: a future ("we will publish", "to follow").
_PROMISE = re.compile(
    r"\bwill\b|['’]ll\b|\bto\s+follow\b|\bforthcoming\b|\bcoming\b|\bplan\w*|\bintend\w*"
    r"|\bgoing\s+to\b|\bexpect\w*|\bshall\b|\bcommit\w*|\bpromise\w*|\bshortly\b|\bsoon\b",
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
    r"|\b(?:this|next)\s+week\b|\b(?:later\s+)?(?:today|tomorrow|this\s+week)\b",
    _I,
)

_APOLOGY = re.compile(
    r"\b(?:sorry|apologi[sz](?:e|ed|es|ing)|apolog(?:y|ies)|regret)\b|\bwe\s+feel\s+terrible\b", _I
)
_OWNERSHIP = re.compile(
    rf"\bwe(?:{_APOS}re|\s+are)\s+(?:fully\s+|very\s+|now\s+)?aware\b|\bwe\s+know\b"
    r"|\bour\s+(?:mistake|fault)\b|\bwe\s+caused\b"
    rf"|\b(?:this|that|it)(?:\s+is|\s+was|{_APOS}s)\s+on\s+us\b"
    r"|\bwe\s+take\s+(?:full\s+)?responsibility\b"
    rf"|\bwe(?:{_APOS}re|\s+are)\s+(?:fully\s+)?responsible\b"
    r"|\bwe\s+let\s+you\s+down\b|\bwe\s+own\s+(?:this|it)\b|\bwe\s+messed\s+up\b"
    # first-person action: "our engineers are on it", "we're rolling back", "we've found"
    rf"|\b(?:we|I)(?:{_APOS}(?:re|ve|m|ll)|\s+am|\s+are|\s+have(?:\s+been)?|\s+will)?\s+"
    r"(?:now\s+|currently\s+|actively\s+|urgently\s+|still\s+|already\s+|also\s+|quickly\s+"
    r"|continu\w+\s+to\s+|working\s+to\s+)?"
    r"(?:investigat\w*|look(?:ing)?\s+into|work(?:ing)?\s+(?:on|to|with|through)|deploy\w*"
    r"|roll\w*|restor\w*|fix\w*|identif\w*|found|trac\w+|mitigat\w*|monitor\w*|implement\w*"
    r"|appl(?:y|ied|ying)|tak(?:e|ing)|took|escalat\w*|engag\w*|revert\w*|restart\w*"
    r"|address\w*|resolv\w*|contact\w*|isolat\w*|pushed|shipp\w*|disabl\w*|mov(?:e|ed|ing)"
    r"|on\s+it)\b"
    r"|\bour\s+(?:\w+\s+)?(?:engineers?|team|teams|staff|people|developers|on-?call\w*"
    r"|SREs?|support)\s+(?:is|are|has|have|was|were|will|quickly|immediately|began|started"
    r"|identified|found|deployed|rolled|restored|fixed|responded)\b",
    _I,
)


def required(purpose: str, checks: MessageChecks) -> tuple[str, ...]:
    """The requirements a message of ``purpose`` must meet: the playbook's, or the defaults."""
    if checks.require:
        return tuple(checks.require.get(purpose, ()))
    return next((names for p, names in DEFAULT_REQUIRE.items() if p == purpose), ())


def has_next_update(scan: Scan, times: list[Time]) -> bool:
    """A concrete time for the next update, or for the end of monitoring.

    Any commitment verb with an information noun and a concrete interval or time
    counts ("back with more information in 30 minutes", "expect additional details
    by 15:00 UTC"); a concrete time wins over a vague "or sooner if…". A
    monitoring update promises when the next word comes: a next-update time or
    the end of its monitoring window ("we'll keep monitoring for the next two
    hours"); monitoring told in the past does not count.
    """
    for t in times:
        if t.topic == "update":
            return True
        if t.topic == "monitor" and not history(scan.s, *scan.sentence(t.start, t.end)):
            return True
    return False


def has_restore_time(scan: Scan) -> bool:
    """A clock time in a sentence that says service came back (not a promise of it), or
    a range of clock times in a message that says so ("between 10:11 and 13:25 UTC")."""
    s = scan.s
    for m in CLOCK.finditer(s):
        lo, hi = scan.sentence(m.start(), m.end())
        if not scan.has(_RESTORE_WORDS, lo, hi):
            continue
        if scan.has(FUTURE, lo, hi) and not scan.has(_PAST_AUX, lo, hi):
            continue  # "should be restored by 3 PM" is a promise, not a restore time
        return True
    return _RANGE.search(s) is not None and _RESTORE_WORDS.search(s) is not None


def has_thanks(scan: Scan) -> bool:
    return _THANKS.search(scan.s) is not None


def _write_ups(scan: Scan) -> list[re.Match[str]]:
    """The write-ups the message promises (a future in their sentence)."""
    out = []
    for d in _DOC.finditer(scan.s):
        lo, hi = scan.sentence(d.start(), d.end())
        if scan.has(_PROMISE, lo, hi):
            out.append(d)
    return out


def _deadline(scan: Scan, d: re.Match[str]) -> bool:
    s = scan.s
    plo, phi = scan.paragraph(d.start(), d.end())
    return _WINDOW.search(s, max(plo, d.start() - 200), min(phi, d.end() + 200)) is not None


def has_postmortem_promise(scan: Scan) -> bool:
    """A promised write-up (post-mortem, incident report, root cause analysis, write-up,
    a blog post describing the incident...), or a message that is its own write-up: it
    explains the cause and the remedy."""
    return bool(_write_ups(scan)) or explains_cause_and_remedy(scan)


def has_apology(scan: Scan) -> bool:
    return _APOLOGY.search(scan.s) is not None


def has_ownership(scan: Scan) -> bool:
    """Owning the problem ("we're aware", "this is on us") or acting on it in the first
    person ("we're rolling back", "our engineers are on it")."""
    return _OWNERSHIP.search(scan.s) is not None


def present(name: Requirement, scan: Scan, times: list[Time]) -> bool:
    """Whether the message has the element ``name`` (the detector its rule uses)."""
    match name:
        case "next_update":
            return has_next_update(scan, times)
        case "restore_time":
            return has_restore_time(scan)
        case "thanks":
            return has_thanks(scan)
        case "postmortem_promise":
            return has_postmortem_promise(scan)
        case "apology":
            return has_apology(scan)
        case "ownership":
            return has_ownership(scan)
    assert_never(name)


def next_update(scan: Scan, times: list[Time]) -> list[Finding]:
    if has_next_update(scan, times):
        return []
    vague = _VAGUE.search(scan.s)
    message = "no concrete time for the next update: customers cannot plan around it"
    if vague is not None:
        message = f"{quote(scan.text[vague.start() : vague.end()])} is not a time: {message}"
    return [
        whole(
            "requires.next_update",
            ERROR,
            message,
            "promise the next update: “We'll update you by 2:45 PM EST.”",
        )
    ]


def restore_time(scan: Scan) -> list[Finding]:
    if has_restore_time(scan):
        return []
    return [
        whole(
            "requires.restore_time",
            ERROR,
            "no time for when service was restored: customers need it to reconcile their work",
            "say when it came back: “Service has been fully restored as of 4:47 PM EST.”",
        )
    ]


def thanks(scan: Scan) -> list[Finding]:
    if has_thanks(scan):
        return []
    if has_apology(scan):
        return [
            whole(
                "requires.thanks",
                WARNING,
                "no thanks for customers' patience (the apology stands in for it)",
                "thank them too: “Thank you for your patience.”",
            )
        ]
    return [
        whole(
            "requires.thanks",
            ERROR,
            "no thanks for customers' patience: they endured the outage",
            "thank them: “Thank you for your patience.”",
        )
    ]


def postmortem_promise(scan: Scan) -> list[Finding]:
    promised = _write_ups(scan)
    if any(_deadline(scan, d) for d in promised) or explains_cause_and_remedy(scan):
        return []
    suggestion = (
        "promise it with a deadline: “We will publish a detailed incident report within 72 hours.”"
    )
    if promised:
        return [
            whole(
                "requires.postmortem_promise",
                WARNING,
                "the post-mortem promise has no deadline: customers cannot hold you to it",
                suggestion,
            )
        ]
    return [
        whole(
            "requires.postmortem_promise",
            ERROR,
            "no promise of a post-mortem (incident report): it is how customers learn "
            "it won't happen again",
            suggestion,
        )
    ]


def apology(scan: Scan) -> list[Finding]:
    if has_apology(scan):
        return []
    return [
        whole(
            "requires.apology",
            WARNING,
            "no apology: customers' work stopped because of us",
            "say sorry plainly: “We are so sorry for the disruption.”",
        )
    ]


def ownership(scan: Scan) -> list[Finding]:
    if has_ownership(scan):
        return []
    return [
        whole(
            "requires.ownership",
            WARNING,
            "no ownership of the problem: nobody says “we”",
            "own it: “We're aware of a major service disruption. We know you rely on us.”",
        )
    ]


def requirement_findings(
    scan: Scan, times: list[Time], purpose: str, checks: MessageChecks
) -> list[Finding]:
    """The findings of every requirement ``purpose`` has (a name the rules do not know
    is skipped: the playbook's validation reports it)."""
    findings: list[Finding] = []
    for name in dict.fromkeys(required(purpose, checks)):
        if _is_requirement(name):
            findings += _rule(name, scan, times)
    return findings


def _is_requirement(name: str) -> TypeGuard[Requirement]:
    return name in REQUIREMENTS


def _rule(name: Requirement, scan: Scan, times: list[Time]) -> list[Finding]:
    """The rule for each requirement (the type checker sees that none is missing)."""
    match name:
        case "next_update":
            return next_update(scan, times)
        case "restore_time":
            return restore_time(scan)
        case "thanks":
            return thanks(scan)
        case "postmortem_promise":
            return postmortem_promise(scan)
        case "apology":
            return apology(scan)
        case "ownership":
            return ownership(scan)
    assert_never(name)

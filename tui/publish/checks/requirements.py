"""What a message of each purpose must contain: the requirement rules, one per name.

The playbook's ``message_checks.require`` names, per purpose, the requirements
(:data:`tui.core.vocabulary.Requirement`) its messages must meet; an empty
section falls back to :data:`DEFAULT_REQUIRE`. A missing next-update time,
restore time, thanks or post-mortem promise is an ERROR (publishing waits); a
missing apology or ownership is a WARNING. :data:`REQUIREMENT_RULES` maps each
name to its rule.
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
from tui.publish.checks.times import CLOCK, Time

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


def required(purpose: str, checks: MessageChecks) -> tuple[str, ...]:
    """The requirements a message of ``purpose`` must meet: the playbook's, or the defaults."""
    if checks.require:
        return tuple(checks.require.get(purpose, ()))
    return next((names for p, names in DEFAULT_REQUIRE.items() if p == purpose), ())


def has_next_update(scan: Scan, times: list[Time]) -> bool:
    return any(t.topic == "update" for t in times)


def has_restore_time(scan: Scan) -> bool:
    for m in CLOCK.finditer(scan.s):
        lo, hi = scan.sentence(m.start(), m.end())
        if scan.has(_RESTORE_WORDS, lo, hi):
            return True
    return False


def has_thanks(scan: Scan) -> bool:
    return _THANKS.search(scan.s) is not None


def has_postmortem_promise(scan: Scan) -> bool:
    return _DOC.search(scan.s) is not None


def has_apology(scan: Scan) -> bool:
    return _APOLOGY.search(scan.s) is not None


def has_ownership(scan: Scan) -> bool:
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
    message = "no concrete time for the next update"
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
            "no time for when service was restored",
            "say when it came back: “Service has been fully restored as of 4:47 PM EST.”",
        )
    ]


def thanks(scan: Scan) -> list[Finding]:
    if has_thanks(scan):
        return []
    return [
        whole(
            "requires.thanks",
            ERROR,
            "no thanks for customers' patience",
            "thank them: “Thank you for your patience.”",
        )
    ]


def postmortem_promise(scan: Scan) -> list[Finding]:
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
        whole(
            "requires.postmortem_promise",
            ERROR,
            message,
            "promise it with a deadline: “We will publish a detailed incident report "
            "within 72 hours.”",
        )
    ]


def apology(scan: Scan) -> list[Finding]:
    if has_apology(scan):
        return []
    return [
        whole(
            "requires.apology",
            WARNING,
            "no apology",
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
            "no ownership of the problem",
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

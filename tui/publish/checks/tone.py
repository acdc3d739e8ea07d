"""How a message sounds: forbidden phrases, robotic phrases, and jargon (all warnings).

Forbidden phrases and jargon come from the playbook (``message_checks``); an
empty list falls back to :data:`DEFAULT_JARGON`. The robotic phrases are built
in, each with what to say instead; a span the playbook already forbids is not
flagged twice.
"""

from __future__ import annotations

import re

from tui.core.playbook import MessageChecks
from tui.publish.checks.findings import WARNING, Finding, one_line, quote
from tui.publish.checks.scan import APOS as _APOS
from tui.publish.checks.scan import Scan, Spans, phrase_re

_I = re.IGNORECASE


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


def phrases(scan: Scan, checks: MessageChecks) -> list[Finding]:
    out: list[Finding] = []
    for phrase in dict.fromkeys(checks.forbidden_phrases):
        pattern = phrase_re(phrase)
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
                        one_line(f"the playbook forbids {quote(scan.text[m.start() : m.end()])}"),
                        "rewrite it in your own words: what customers see, and what you're doing",
                    )
                )
    forbidden = Spans((f.start, f.end) for f in out)
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
                    one_line(f"sounds robotic: {quote(scan.text[a:b])}"),
                    one_line(suggestion),
                )
            )
    return out


def jargon(scan: Scan, checks: MessageChecks) -> list[Finding]:
    words = checks.jargon if checks.jargon else DEFAULT_JARGON
    out: list[Finding] = []
    seen: set[tuple[int, int]] = set()
    for word in dict.fromkeys(words):
        pattern = phrase_re(word, plural=True)
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
                    one_line(f"jargon: {quote(scan.text[span[0] : span[1]])}"),
                    "say it in customer words: what they see, not what broke inside",
                )
            )
    return out

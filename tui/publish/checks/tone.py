"""How a message sounds: robotic, forbidden phrases, jargon (all warnings).

**Robotic** is a property of the whole message (:func:`is_robotic`): it says
nothing a customer would recognise -- no symptom, action, cause, number or time
(:mod:`tui.publish.checks.substance`) -- and either carries template words (the
sentences hosted status pages pre-fill and their paraphrases, impact named only
as a generic category, "technical difficulties", "any inconvenience",
non-committal "updates to follow") or is a one-line status note -- unless it is
written in the company's own voice (:mod:`.voice`: first-person empathy and action,
a genuine apology, a concrete next update) with no template sentence in it: generic
impact words alone do not make a template. Then each
template phrase is a finding with what to say instead (one finding for the whole
message when it has none). Mild filler ("at this time") inside an otherwise
specific message is not robotic.

**Forbidden phrases** come from the playbook. Like the built-in investigating
sentence, a phrase is flagged only when nothing specific follows it in its
sentence ("we're investigating the issue." is flagged, "we're investigating the
issue with card payments" is not).

**Jargon** comes from the playbook (an empty list falls back to
:data:`DEFAULT_JARGON`), less ``message_checks.jargon_allow``, the page's own
component and product names (``names``), and anything inside a resolution's or a
post-mortem's root-cause paragraph (where the technical words are the point).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from tui.core.playbook import MessageChecks
from tui.publish.checks.findings import WARNING, Finding, one_line, quote, whole
from tui.publish.checks.scan import APOS as _APOS
from tui.publish.checks.scan import Scan, Spans, phrase_re
from tui.publish.checks.substance import cause_explained, specific
from tui.publish.checks.voice import own_voice

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
    "p99",
    "rollback",
    "hotfix",
    "OOM",
)

_BETTER_ACK = (
    "say what customers see and when you'll update: “We're aware of a major service "
    "disruption. We know you rely on us, and we're urgently investigating. We'll update "
    "you within 30 minutes.”"
)
_SEE = "name what customers see: “Customers can't log in to the dashboard.”"
_WHEN = "promise a time: “We'll update you by 2:45 PM EST.”"
_WHAT_CHANGED = (
    "say what changed for customers, and since when: “Log-in works again since 4:47 PM EST.”"
)

_GENERIC = (
    r"(?:(?:reported|ongoing|possible|potential|intermittent|minor|major|current|technical"
    r"|service|some|an?|the|this|these|reports?\s+of(?:\s+an?)?)\s+)*"
    r"(?:issues?|problems?|incident|matter|disruption|outage|degradation|difficulties|reports"
    r"|errors|situation|it)"
)
# Template phrases and close paraphrases, each with what to say instead.
_ROBOTIC: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, _I), s)
    for p, s in (
        (r"\btechnical\s+(?:difficult(?:y|ies)|issues?|problems?|hiccups?|glitch(?:es)?)\b", _SEE),
        (
            r"\b(?:(?:sorry|apologi[sz]e|apologies|regret)\s+(?:for\s+)?(?:any|the)\s+"
            r"inconvenience|any\s+inconvenience)\b(?:\s+(?:this|that)\s+(?:may|might)\s+"
            r"(?:have\s+)?caused?)?",
            "name the real impact and own it: “We are so sorry for the disruption.”",
        ),
        (r"\bplease\s+be\s+patient\b", "thank people instead: “Thank you for your patience.”"),
        (r"\bat\s+this\s+(?:point\s+in\s+)?time\b", "say “right now”"),
        (
            rf"(?:\bwe(?:{_APOS}re|\s+are|\s+have\s+been)?|\bour\s+(?:\w+\s+)?(?:team|engineers)"
            rf"(?:\s+is|\s+are|{_APOS}s|\s+ha(?:s|ve)\s+been))\s+(?:currently\s+|now\s+|still\s+"
            r"|actively\s+)?(?:continuing\s+to\s+|continue\s+to\s+)?(?:investigat\w*|looking\s+into"
            r"|working\s+on|look\s+into|work\s+on)\s+" + _GENERIC + r"\b",
            _BETTER_ACK,
        ),
        (
            rf"(?:\bwe(?:{_APOS}re|\s+are|\s+have\s+been)?|\bour\s+(?:\w+\s+)?(?:team|engineers)"
            rf"(?:\s+is|\s+are|{_APOS}s|\s+ha(?:s|ve)\s+been))\s+(?:currently\s+|now\s+|still\s+"
            r")?aware\s+of\s+" + _GENERIC + r"\b",
            _BETTER_ACK,
        ),
        (
            r"\bdegraded\s+(?:performance|service|functionality)|\bperformance\s+(?:degradation"
            r"|issues?|problems?)|\bservice\s+(?:disruption|interruption|degradation|issues?)"
            r"|\b(?:elevated|increased|higher(?:\s+than\s+(?:normal|usual))?)\s+(?:error\s+rates?"
            r"|errors|levels?\s+of\s+errors)|\bintermittent\s+(?:issues|errors|problems)"
            r"|\bconnectivity\s+issues|\b(?:experienc\w+|encounter\w*|seeing|facing)\s+"
            r"(?:an?\s+|some\s+)?(?:issues?|problems?|disruptions?|outages?|difficult\w+|errors)\b",
            _SEE,
        ),
        (
            r"\b(?:the\s+)?issue\s+has\s+been\s+identified(?:\s+and\s+a\s+fix\s+is\s+being"
            r"\s+(?:implemented|worked\s+on|deployed))?"
            r"|\ba\s+fix\s+(?:has\s+been|is\s+being|was)\s+(?:implemented|deployed|applied"
            r"|put\s+in\s+place|rolled\s+out)(?:\s+and\s+we\s+are\s+monitoring\s+the\s+results)?"
            r"|\b(?:continu\w+\s+to\s+)?monitor(?:ing)?\s+(?:the\s+results|the\s+situation"
            r"|for\s+any\s+(?:further|additional)\s+issues|closely)"
            r"|\bthis\s+(?:incident|issue)\s+(?:has\s+been|is\s+(?:now\s+)?)\s*resolved"
            r"|\b(?:the\s+)?issue\s+(?:has\s+been|is\s+now)\s+(?:resolved|fixed|mitigated)"
            r"|\ball\s+(?:systems|services)\s+(?:are\s+)?(?:now\s+)?(?:fully\s+)?"
            r"(?:operational|back\s+to\s+normal|operating\s+normally)"
            r"|\beverything\s+(?:is|should\s+be)\s+(?:now\s+)?back\s+to\s+normal",
            _WHAT_CHANGED,
        ),
        (
            r"\b(?:more\s+|further\s+)?(?:updates?|information|details)\s+(?:to\s+follow|will\s+follow"
            r"|(?:will\s+be\s+)?(?:provided|posted|shared)\s+(?:as\s+soon\s+as|when|once|as))\b"
            rf"|\b(?:we\s+will|we{_APOS}ll)\s+(?:provide|post|share|send|give)\s+(?:an?\s+|more\s+"
            r"|further\s+|additional\s+)?(?:updates?|information|details|news)\s+(?:as\s+soon\s+as"
            r"|when|once|as)\b(?:\s+(?:soon\s+as\s+(?:possible|we\s+can|we\s+(?:know|have|learn)\s+"
            r"(?:more|them|it))|it\s+becomes\s+available|they\s+become\s+available"
            r"|we\s+(?:know|learn|have)\s+more)\b)?"
            r"|\b(?:as|when)\s+(?:more\s+)?(?:information|details|updates?)\s+(?:becomes?|is|are)"
            r"\s+available|\bstay\s+tuned\b",
            _WHEN,
        ),
    )
)
# Generic impact words and mild filler, not template sentences: a message in the company's
# own voice (:mod:`.voice`) may have them ("We're aware of a major service disruption").
# Their places in _ROBOTIC: "at this time", "we're aware of <a generic noun>", impact named
# as a category ("a service disruption", "degraded performance").
_NOT_TEMPLATE = frozenset({3, 5, 6})
_TEMPLATE_SENTENCES = tuple(p for i, (p, _) in enumerate(_ROBOTIC) if i not in _NOT_TEMPLATE)
_IT = re.compile(r"\bit\Z", _I)
# The words that may follow a phrase without making its sentence specific.
_FILLER = frozenset(
    re.findall(
        r"\w+",
        """this that it its may might could has have had cause caused causing create created you
    your our at point in time right now currently for today and we will ll are re s continue
    continuing to investigate investigating look looking into the issue issues matter problem
    apologize apologise apologies sorry any inconvenience please bear with us thank thanks
    patience understanding as soon possible shortly more update updates follow once when know
    information is available be provide post share further moment meantime meanwhile all users
    customers outage disruption incident also again very much so deeply truly appreciate soon
    an a of on by keep posted informed updated tomorrow tonight later""",
    )
)
# The purposes a one-line note with nothing in it is robotic for (status updates).
_STATUS_PURPOSES = frozenset({"ack", "update", "resolved"})
_ROOT_CAUSE = re.compile(
    r"\broot[- ]cause\b|\bwhat\s+happened\b|\bwhy\s+(?:this|it)\s+happened\b", _I
)
_WORD = re.compile(r"[^\W\d_]+")


def _guarded(scan: Scan, end: int) -> bool:
    """Nothing but filler follows ``end`` in its sentence (the whole-sentence guard)."""
    _, hi = scan.sentence(end, end)
    if hi - end > 300:
        return False  # a long tail says something
    tail = scan.s[end:hi]
    if any(c.isdigit() for c in tail):
        return False
    return all(w.lower() in _FILLER for w in _WORD.findall(tail))


def forbidden(scan: Scan, checks: MessageChecks) -> list[Finding]:
    out: list[Finding] = []
    for phrase in dict.fromkeys(checks.forbidden_phrases):
        pattern = phrase_re(phrase)
        if pattern is None:
            continue
        for m in pattern.finditer(scan.s):
            a, b = m.start(), m.end()
            if b > a and not scan.masked(a, b) and _guarded(scan, b):
                out.append(
                    Finding(
                        "forbidden_phrase",
                        WARNING,
                        a,
                        b,
                        one_line(
                            f"the playbook forbids {quote(scan.text[a:b])}: it reads as a "
                            "template, not as people who know what is wrong"
                        ),
                        "rewrite it in your own words: what customers see, and what you're doing",
                    )
                )
    return out


def _markers(scan: Scan) -> list[tuple[int, int, str]]:
    """The template phrases: (start, end, what to say instead), in order, not overlapping."""
    found: list[tuple[int, int, int, str]] = []
    for rank, (pattern, suggestion) in enumerate(_ROBOTIC):
        for m in pattern.finditer(scan.s):
            a, b = m.start(), m.end()
            if b == a or scan.masked(a, b):
                continue
            found.append((rank, a, b, suggestion))
    out: list[tuple[int, int, str]] = []
    reach = 0
    for a, _, b, suggestion in sorted((a, rank, b, sg) for rank, a, b, sg in found):
        if a >= reach:  # overlapping phrases are one finding, the first one
            out.append((a, b, suggestion))
            reach = b
    return out


def is_robotic(scan: Scan, purpose: str, forbidden_found: list[Finding]) -> bool:
    """The whole message never says what is wrong (no symptom, action, cause or number).

    For a status message (ack, update, resolved) that is enough: a one-line note,
    a template, or a concrete time with nothing around it. Other purposes (a
    channel reply, amends) are robotic only with template phrases in them.
    """
    if scan.blanks:
        return False  # a draft: judged once its blanks are filled
    if not _WORD.search(scan.s) or specific(scan, 0, len(scan.s)):
        return False
    if not forbidden_found and own_voice(scan) and not _template_sentence(scan):
        return False  # generic impact words, but written by people (:mod:`.voice`)
    return purpose in _STATUS_PURPOSES or bool(forbidden_found) or bool(_markers(scan))


def _template_sentence(scan: Scan) -> bool:
    """A sentence templates are made of, not only generic impact words or filler ("we're
    working on it" is people talking; "we are investigating this issue" is the pre-fill)."""
    return any(
        m.end() > m.start() and not scan.masked(m.start(), m.end()) and not _IT.search(m.group())
        for p in _TEMPLATE_SENTENCES
        for m in p.finditer(scan.s)
    )


def robotic(scan: Scan, purpose: str, forbidden_found: list[Finding]) -> list[Finding]:
    if not is_robotic(scan, purpose, forbidden_found):
        return []
    why = "never says what is wrong: no symptom, action or cause a customer would recognise"
    taken = Spans((f.start, f.end) for f in forbidden_found)
    out = [
        Finding(
            "robotic",
            WARNING,
            a,
            b,
            one_line(f"sounds robotic: {quote(scan.text[a:b])}; the message {why}"),
            one_line(suggestion),
        )
        for a, b, suggestion in _markers(scan)
        if not taken.overlaps(a, b)
    ]
    if not out and not forbidden_found:
        out.append(whole("robotic", WARNING, f"sounds robotic: the message {why}", _BETTER_ACK))
    return out


def _cause_paragraphs(scan: Scan, purpose: str) -> Spans:
    """A resolution's or post-mortem's paragraphs that explain the cause."""
    if purpose not in ("resolved", "postmortem"):
        return Spans(())
    found = [
        (lo, hi)
        for lo, hi in scan.paragraphs()
        if cause_explained(scan, lo, hi) or _ROOT_CAUSE.search(scan.s, lo, hi)
    ]
    return Spans(found)


def jargon(
    scan: Scan, checks: MessageChecks, purpose: str = "", names: Collection[str] = ()
) -> list[Finding]:
    allowed = {w.casefold() for w in checks.jargon_allow}
    words = [w for w in (checks.jargon or DEFAULT_JARGON) if w.casefold() not in allowed]
    named: list[tuple[int, int]] = []
    for name in dict.fromkeys(names):
        pattern = phrase_re(name)
        if pattern is not None:
            named.extend(m.span() for m in pattern.finditer(scan.s) if m.end() > m.start())
    skip = Spans(named)
    cause = _cause_paragraphs(scan, purpose)
    out: list[Finding] = []
    seen: set[tuple[int, int]] = set()
    for word in dict.fromkeys(words):
        pattern = phrase_re(word, plural=True)
        if pattern is None:
            continue
        for m in pattern.finditer(scan.s):
            a, b = m.start(), m.end()
            if b == a or (a, b) in seen or scan.masked(a, b) or skip.overlaps(a, b):
                continue
            if cause.overlaps(a, b):
                continue  # the root cause is told in its own words
            seen.add((a, b))
            out.append(
                Finding(
                    "jargon",
                    WARNING,
                    a,
                    b,
                    one_line(f"jargon: {quote(scan.text[a:b])}"),
                    "say it in customer words: what they see, not what broke inside",
                )
            )
    return out

"""What a message of each purpose must contain: the requirement rules, one per name.

The playbook's ``message_checks.require`` names, per purpose, the requirements
(:data:`tui.core.vocabulary.Requirement`) its messages must meet; an empty
section falls back to :data:`DEFAULT_REQUIRE`. Each requirement's rule is
``requires.<name>`` and uses the detector :func:`present` (also behind
:func:`tui.publish.checks.labels`).

Every rule is a ladder: an ERROR (publishing waits) only when the element is
surely missing -- no cue of it at all; a WARNING that says what was seen and why
it did not count when a cue is there but no full element is recognised ("a time
(10:00 CET) but no promise to update by it: is that the next update?"). The cues
are broad and cheap: for the next update, any promised time or interval not told
in the past, or a part of the day next to an update word; for the restore time,
a clock time that is neither a promise nor when it broke; for the post-mortem, a
write-up noun ("a report", "our findings", "what happened", "root cause") or a
cause told next to a change. A resolution with neither thanks nor apology is an
ERROR (an apology alone stands in for the thanks: a WARNING); a post-mortem
promise without a deadline is a WARNING, and a resolution that explains its cause
and remedy is its own write-up. A missing apology or ownership is a WARNING.
:func:`present` (and so :func:`tui.publish.checks.labels`) counts only the full
recognition: a cue never makes an element present.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, TypeGuard, assert_never

from tui.core.playbook import MessageChecks
from tui.core.vocabulary import REQUIREMENTS, Purpose, Requirement
from tui.publish.checks.findings import ERROR, WARNING, Finding, Rule, one_line, quote, whole
from tui.publish.checks.scan import APOS as _APOS
from tui.publish.checks.scan import Scan
from tui.publish.checks.substance import REMEDY, explains_cause_and_remedy, first_cause
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

# Words that say service came back (strong), or that things work (weak: not next to a failure).
_RESTORE_WORDS = re.compile(
    r"\brestor\w*|\bresolv\w*|\bback\b(?![- ]?(?:office|end)\b)|\brecover\w*|\bfixed\b"
    r"|\boperational\b"
    r"|\bup\s+and\s+running\b|\bnormal\w*|\bmitigated\b|\bstabili[sz]\w*|\bstable\b"
    r"|\bresum\w*|\breturned\b(?!\s+(?:\d|an?\b|\w+\s+errors?\b|errors?\b))|\bclear(?:ed)?\b|\bsubsided\b|\bhealthy\b|\bagain\b"
    r"|\bsuccessfully\b|\bas\s+expected\b|\bcaught\s+up\b|\bno\s+(?:new|further|more)\b"
    r"|\bstopped\b(?!\s+\w+ing\b)|\bended\b|\bin\s+real\s+time\b",
    _I,
)
_PAST_AUX = re.compile(r"\b(?:was|were|has\s+been|have\s+been|had\s+been|came|went)\b", _I)
_WORKS = re.compile(
    r"\bwork(?:s|ed|ing)\b|\bsent\b|\bdelivered\b|\bprocessed\b|\bcompleted?\b|\baccessible\b"
    r"|\bavailable\b|\bup\s+to\s+date\b|\bbeen\s+able\s+to\b|\bgoing\s+through\b|\bloaded\b"
    r"|\bcorrectly\b|\bproperly\b|\bas\s+normal\b"
    # a working-again predicate: "accepting connections as of 09:47", "logins succeed since"
    r"|\baccept(?:s|ing)\b|\bsucceed(?:s|ing)?\b|\bsuccessful\b|\bgo(?:es)?\s+through\b"
    r"|\bonline\b|\brespond(?:s|ing)\b|\breachable\b",
    _I,
)
_FAILURE = re.compile(
    rf"\bfail\w*|\berrors?\b|\bunable\b|\bcannot\b|\bcan{_APOS}?t\b|\bnot\b|n{_APOS}t\b|\bdelayed\b"
    r"|\bslow\w*|\bdown\b|\baffected\b|\bunavailable\b|\btim(?:ing|ed)\s+out\b|\bstuck\b"
    r"|\bmissing\b|\btwice\b|\bduplicat\w*",
    _I,
)
_C = CLOCK.pattern
_ABOUT = r"(?:(?:approximately|about|around|roughly|~)\s*)?"
# A range of clock times: service came back at its end ("between 10:11 and 13:25 UTC").
_RANGE = re.compile(
    rf"\b(?:between|from)\s+{_ABOUT}(?:{_C})[^.!?\n]{{0,40}}?\b(?:and|to|until|till|through|thru)"
    rf"\s+{_ABOUT}(?:{_C})|(?:{_C})[ \t]*(?:[-–—]|\bto\b)[ \t]*(?:{_C})",
    _I,
)
_STARTED = re.compile(
    r"\b(?:start(?:ed|ing)|began|begun|beginning|broke|failed|occurred|went\s+down)"
    r"(?:\s+(?:at|around|about|on|from))?\s*\Z",
    _I,
)
_BROKE = re.compile(
    r"\bstopped\s+\w+ing\b|\b(?:began|started|begun|beginning|starting)\b|\boutage\b|\bbroke\b"
    r"|\bincident\b|\bdetected\b|\bnoticed\b|\bwent\s+down\b",
    _I,
)
_CLOSING = frozenset({"resolved", "postmortem"})  # a message that can be its own write-up
_THANKS = re.compile(
    r"\bthank(?:s|ful|ing|\s+you)?\b|\bgrateful\b|\bgratitude\b"
    r"|\bappreciate\s+(?:your|you|the|everyone|all)\b|\bthx\b|\bty\b(?=\s*[.!]*\s*\Z)",
    _I,
)
# A write-up, under any of its names.
_DOC = re.compile(
    r"\bpost[- ]?mortem\b|\bpost[- ]incident\s+(?:report|review|analysis|summary)\b"
    r"|\bincident\s+(?:report|review|summary|analysis|retrospective)\b"
    r"|\broot[- ]cause\s+analysis\b|(?-i:\bRCAs?\b)|(?-i:\bPIRs?\b)|\bwrite[- ]?up\b"
    r"|\bretrospective\b"
    # a report/review named for the root cause or the outage: "a full root-cause report"
    r"|\b(?:root[- ]cause|outage|post[- ]outage)\s+(?:report|review|summary|write[- ]?up)\b"
    r"|\bblog\s+post\b|\b(?:detailed|full|complete|thorough|in-depth|public)\s+"
    r"(?:analysis|report|explanation|summary|account|review|details)\b"
    r"|\b(?:more\s+)?details\s+(?:on|about|of)\s+(?:what\s+happened|the\s+(?:root\s+)?cause)\b"
    r"|\b(?:summary|analysis|explanation|review|report)\s+(?:of|on|about|into)\s+(?:what\s+happened"
    r"|what\s+went\s+wrong"
    r"|the\s+(?:incident|outage|root\s+cause|cause))\b"
    # "we will explain the details on this page by December 4"
    r"|\bexplain\w*\s+(?:\w+\s+){0,2}?(?:details|background|reasons?)\b"
    r"|\b(?:publish|share|post|explain|describ|document)\w*\s+(?:\w+\s+){0,3}?(?:root\s+cause"
    r"|what\s+went\s+wrong|what\s+happened|findings|lessons|learnings|how\s+(?:this|it)\s+happened)\b"
    # the wider vocabulary: "our findings", "a written summary", "an RCA", "post-incident"
    r"|\b(?:our|the|a|full)\s+findings\b|\bwritten\s+(?:summary|report|account|explanation"
    r"|analysis)\b|\bpost[- ]incident\b|\bcause\s+analysis\b"
    # a plain noun that something will publish: "an analysis will be posted", "we'll send a
    # summary", "a report on the cause and measures"
    r"|\b(?:an?|the|our)\s+(?!next\b|new\b|status\b)(?:[\w-]+\s+)?(?:analysis|report|review|summary"
    r"|explanation)\s+"
    r"(?:will\b|is\s+(?:going|coming|planned)\b|to\s+follow\b|on\s+(?:the\s+)?cause)"
    r"|\b(?:publish|post|share|send|release|circulate|email|mail)\w*\s+"
    r"(?:(?:you|them|customers|everyone|all\s+of\s+you)\s+)?(?:an?|the|our)\s+(?:[\w-]+\s+)?"
    r"(?:analysis|report|review|summary|explanation)\b",
    _I,
)
# What makes the write-up a promise: a future ("we will publish", "to follow").
_PROMISE = re.compile(
    r"\bwill\b|['’]ll\b|\bto\s+follow\b|\bfollows\b|\bforthcoming\b|\bcoming\b|\bplan\w*"
    r"|\bintend\w*"
    r"|\bgoing\s+to\b|\bexpect\w*|\bshall\b|\bcommit\w*|\bpromise\w*|\bshortly\b|\bsoon\b"
    # or one already out: "the root cause analysis is available at ..."
    r"|\bavailable\b|\bpublished\b|\bcan\s+be\s+found\b|\bread\s+(?:the|our|it)\b"
    # or pointed at: "look out for a blog post next week"
    r"|\blook\s+out\s+for\b|\bwatch\s+(?:out\s+)?for\b|\bkeep\s+an\s+eye\s+out\b",
    _I,
)
_POINTED = re.compile(
    r"\blook\s+out\s+for\b|\bwatch\s+(?:out\s+)?for\b|\bkeep\s+an\s+eye\s+out\b", _I
)
_FOLLOWS = re.compile(r"\b(?:to\s+follow|follows|forthcoming|coming)\b", _I)
_OUT = re.compile(
    r"\b(?:is|are)\s+(?:now\s+)?(?:available|published|posted|up)\b|\bhas\s+been\s+published\b"
    r"|\bcan\s+be\s+found\b|\bread\s+(?:the|our|it)\b",
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
    rf"|(?:next\s+|this\s+)?{_DAY}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}"
    r"|\d{4}-\d{2}-\d{2}\b|\d{1,2}/\d{1,2}\b|\d{1,2}(?:st|nd|rd|th)\b"
    r"|(?:[01]?\d|2[0-3]):[0-5]\d|(?:1[0-2]|0?[1-9])\s?[ap]\.?m\b)"
    r"|\b(?:this|next)\s+week\b|\b(?:later\s+)?(?:today|tomorrow|this\s+week)\b",
    _I,
)

# The ladder's cues (:func:`next_update_cue`, :func:`postmortem_cue`): broad and cheap.
_PART_OF_DAY = re.compile(
    r"\b(?:this|tomorrow|during\s+the|in\s+the|by\s+the|end\s+of\s+the)\s+"
    r"(?:morning|afternoon|evening|night)\b|\btonight\b|\btomorrow\b|\blater\s+today\b",
    _I,
)
_UPDATE_TOPIC = re.compile(
    r"\bupdat\w*|\binform\w*|\breport\w*|\bstatus\b|\bnews\b|\bpost\b|\bback\s+to\s+you\b", _I
)
_DOC_CUE = re.compile(
    r"\b(?:an?|the|our|full|detailed|written|incident|outage)\s+(?:[\w-]+\s+)?(?:report|review"
    r"|analysis|findings|summary)\b(?!\s+(?:of|from|that)\s+(?:an?\s+|some\s+)?(?:users|customers"
    r"|errors|issues|problems|slow|people))"
    r"|\bwrite[- ]?up\b|\bdetails\s+(?:of|on|about)\b|\bwhat\s+(?:happened|went\s+wrong)\b"
    r"|\broot[- ]cause\b|(?-i:\bRCA\b)|\bblog\b|\bpost[- ]incident\b|\bpost[- ]?mortem\b"
    r"|\blessons\s+learn\w*",
    _I,
)
_CHANGE = re.compile(
    REMEDY.pattern
    + r"|\b(?:added|changed|fixed|replaced|repaired|updated|improved|corrected|adjusted"
    r"|introduced|increased|reduced|removed|rebuilt|upgraded|reconfigured|rerouted|restarted"
    r"|reverted|switched|moved|migrated|disabled|renewed|rotated|patched|rolled\s+back)\b",
    _I,
)

_APOLOGY = re.compile(
    r"\b(?:sorry|apologi[sz](?:e|ed|es|ing)|apolog(?:y|ies)|regret(?:s|ted|fully)?)\b"
    r"|\bwe\s+feel\s+terrible\b"
    # the second-language forms: "Excuse us for the trouble", "pardon the inconvenience"
    r"|\bexcuse\s+(?:us|me)\b|\bpardon\s+(?:us|me|the)\b|\b(?:our|my)\s+excuses\b",
    _I,
)
# Verbs that are not acting on the problem: awareness, feelings, talk about talking.
_NOT_ACTING = (
    r"(?:aware|sorry|so\b|very\b|deeply|truly|sincerely|experienc\w*|seeing|see\b|saw\b|know\b"
    r"|knew|provid\w*|post(?:s|ed|ing)?\b|shar\w*|updat\w*|publish\w*|send\b|sent\b|apologi\w*"
    r"|appreciat\w*|thank\w*|regret\w*|hope\w*|expect\w*|understand\w*|want\w*|recommend\w*"
    r"|ask\w*|encourag\w*|believ\w*|think\w*|not\b|no\b|value\w*|feel\w*|let\b|get\s+back"
    r"|be\s+back|back\b|communicat\w*|confirm\b"
    r"|confirm\w*\s+(?:that\s+)?(?:the\s+|a\s+|our\s+)?(?:fix|issue|problem|incident|resolution"
    r"|recovery|service|everything|all|it|this)\b|explain\w*|describ\w*|tell\b|inform\w*|notif\w*|announc\w*|continu\w*\s+to"
    r"\s+(?:provid|post|shar|updat|communicat)\w*|keep\s+you|will\b|would\b|can\b|could\b|may\b"
    r"|might\b|apolog\w*|are\s+(?:currently\s+)?experienc\w*|glad|happy|pleased|here\b|sad\b"
    r"|the\b|a\b|an\b|all\b|of\b|to\b|and\b|with\b|for\b|at\b|in\b|it\b|this\b|that\b"
    r"|are\b|were\b|have\b|had\b|has\b|been\b|being\b|shall\b|was\b|is\b|am\b|now\b|currently\b"
    r"|actively\b|urgently\b|still\b|already\b|also\b|then\b|quickly\b|immediately\b|just\b"
    r"|since\b|more\b|any\b|some\b|further\b|additional\b|new\b|enough\b|got\b|really\b"
    r"|again\b|only\b|never\b|you\b|your\b|everyone\b|there\b|what\b|how\b|why\b|one\b"
    r"|like\b|love\b|wish\w*|having\b(?!\s+a\s+(?:closer\s+)?look)|remain\w*|recogni\w*|receiv\w*|notic\w*|detect\w*|observ\w*"
    r"|be\b|do\b|does\b|did\b|need\w*|invit\w*|advis\w*|acknowledg\w*|reali[sz]\w*|take\s+this"
    r"|grateful\b|relieved\b|proud\b|delighted\b|thrilled\b"
    r"|writ\w*\s+up\b|members?\b|mates?\b|hear\w*|heard\b|learn\w*|revert\s+(?:with|back|to)\b)"
)
_OWNERSHIP = re.compile(
    r"\bour\s+(?:mistake|fault)\b|\bwe\s+caused\b"
    rf"|\b(?:this|that|it)(?:\s+one)?(?:\s+is|\s+was|{_APOS}s)\s+(?:all\s+)?on\s+us\b"
    r"|\bwe\s+take\s+(?:full\s+)?responsibility\b"
    rf"|\bwe(?:{_APOS}re|\s+are)\s+(?:fully\s+)?responsible\b"
    r"|\bwe\s+let\s+you\s+down\b|\bwe\s+own\s+(?:this|it)\b|\bwe\s+messed\s+up\b"
    r"|\bwe\s+know\s+(?:how\s+much\s+)?you\s+(?:rely|depend|count)\b"
    # first-person action: "we're rolling back", "we've found", "we now validate"
    rf"|\b(?:we|I)(?:{_APOS}(?:re|ve|m|ll|d)|\s+am|\s+are|\s+were|\s+have|\s+had|\s+will|\s+shall)?"
    r"(?:\s+(?:now|currently|actively|urgently|still|already|also|then|quickly|immediately|just"
    r"|have|been|be|since|continu\w+\s+to|keep(?:ing)?|working\s+to|going\s+to|are|will|ll|re))*"
    rf"\s+(?!{_NOT_ACTING})[a-z]{{3,}}"
    # the team, or the company by name, acting: "our engineers are on it", "Engineers are working"
    r"|\b(?:our\s+)?(?:[\w-]+\s+){0,3}?(?:engineers?|team|teams|staff|people|developers|on-?call"
    r"|SREs?|support|crew|technicians?|specialists?|experts?|administrators?|admins?"
    r"|department|departments|division|desk|operations|ops|unit|engineering|cent(?:er|re)"
    r"|(?-i:NOC|IT))"
    r"\s+(?:is|are|has|have|was|were|will|quickly|immediately"
    r"|began|started|identified|found|deployed|rolled|restored|fixed|responded|released|paused"
    r"|remains?|continues?)\b(?!\s+(?:(?:now|also|since|just)\s+)?(?:aware|sorry|confirm(?:ed|s|ing)?"
    r"\s+(?:that\s+)?(?:the\s+|a\s+|our\s+)?(?:fix|issue|problem|incident|resolution|recovery"
    r"|service|everything|all|it|this)\b))"
    # our people with any action verb, in any word order: "our technicians analyse the
    # problem", "our technicians make now a rollback"
    r"|\bour\s+(?:[\w-]+\s+){0,2}?(?:engineers?|technicians?|team|teams|staff|specialists?"
    r"|experts?|developers|administrators?|admins?|crew|department|departments|division)"
    r"\s+(?:now\s+|currently\s+|still\s+)?"
    rf"(?!{_NOT_ACTING})[a-z]{{3,}}\b"
    r"|\bour\s+investigation\b"
    # the team, contracted: "The team's digging through the queue"
    rf"|\b(?:team|engineers?|staff|crew|developers|department|on-?call){_APOS}s\s+"
    r"(?:now\s+|still\s+|currently\s+)?[a-z]+ing\b"
    # an elided subject at a sentence's start: "Working on it.", "On it, rolling back now."
    r"|(?<![^\n.!?:])[ \t]*(?:still\s+|now\s+|currently\s+)?(?:(?:working\s+on|looking\s+into"
    r"|digging\s+into|on)\s+(?:it|this|that|things)\b|(?:investigating|checking|rolling\s+back"
    r"|restarting|reverting|fixing|deploying|rerouting|restoring|working\s+on|looking\s+into"
    r"|digging\s+into)\s+(?:it|this|that|the|a|an|our|all|why)\b"
    r"|(?:rolling\s+back|reverting|failing\s+over)(?:\s+now\b|\s+to\b|[ \t]*[,.!;:—–-])"
    # a search verb with what is searched ("Searching the catalogue fails" is the symptom)
    r"|(?:searching(?:\s+for)?|analy[sz]ing|examining|debugging|tracing|reviewing|chasing)\s+"
    r"(?:it|this|that|why|(?:the|a|an)\s+(?:cause|root|reason|problem|issue|error|fault|bug|logs?"
    r"|incident))\b)"
    rf"|\bwe(?:{_APOS}re|\s+are)\s+(?:still\s+)?on\s+it\b",
    _I,
)
# Whoever it is, acting: "Halvorsen Systems is investigating", "... and are investigating"
# (not a third party: "the provider is implementing a fix").
_ACTING = re.compile(
    r"\b(?:is|are|and(?:\s+are|\s+is)?)\s+(?:now\s+|currently\s+|actively\s+|urgently\s+|still\s+)?"
    r"(?:investigating|looking\s+into|working\s+(?:on|to|with)|rolling\s+back|deploying|fixing"
    r"|restoring|reverting|mitigating)\b",
    _I,
)
_THIRD_PARTY = re.compile(
    r"\b(?:provider|partner|vendor|upstream|they|supplier|carrier|host|bank|third[- ]party)\b"
    r"[^.!?]{0,20}\Z",
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
    hours"); monitoring told in the past does not count. A write-up promised with
    a deadline ("a root cause analysis within 48 hours") is further information at
    a concrete time, so it counts too.
    """
    for t in times:
        if t.topic == "update":
            return True
        if t.topic == "monitor" and not history(scan.s, *scan.sentence(t.start, t.end)):
            return True
    for d in _write_ups(scan):
        lo, hi = scan.sentence(d.start(), d.end())
        if scan.has(_WINDOW, lo, hi) and (
            scan.has(FUTURE, lo, hi) or scan.has(_POINTED, lo, hi) or scan.has(_FOLLOWS, lo, hi)
        ):
            return True
    return False


def has_restore_time(scan: Scan, times: list[Time]) -> bool:
    """When service came back: a clock time in a clause that says so ("restored as of
    4:47 PM", "working normally since 15:12 UTC", "caught up at 14:52 UTC") -- not a
    promise of it ("should be back by 3 PM"), not the next update's time, not when it
    broke ("errors since 14:02 UTC") -- or the end of a range of clock times that
    describes the impact ("between 10:11 and 13:25 UTC", "10:11–13:25 CET")."""
    s = scan.s
    promised = {t.start for t in times if t.topic in ("update", "monitor", "doc")}
    for m in CLOCK.finditer(s):
        if m.start() in promised or _STARTED.search(s, max(0, m.start() - 20), m.start()):
            continue  # a promise, or when it broke: "the issue that started at 06:10"
        lo, hi = _clause(scan, m.start(), m.end())
        strong = scan.has(_RESTORE_WORDS, lo, hi)
        if not strong and not (scan.has(_WORKS, lo, hi) and not scan.has(_FAILURE, lo, hi)):
            continue
        if scan.has(FUTURE, lo, hi) and not scan.has(_PAST_AUX, lo, hi):
            continue  # "should be restored by 3 PM" is a promise, not a restore time
        return True
    return _RANGE.search(s) is not None


def _clause(scan: Scan, start: int, end: int) -> tuple[int, int]:
    """The part of the sentence around start..end between semicolons."""
    lo, hi = scan.sentence(start, end)
    before = scan.s.rfind(";", lo, start)
    after = scan.s.find(";", end, hi)
    return (before + 1 if before >= 0 else lo), (after if after >= 0 else hi)


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


def _published(scan: Scan, d: re.Match[str]) -> bool:
    """The write-up is already out ("the root cause analysis is available at ...")."""
    lo, hi = scan.sentence(d.start(), d.end())
    return scan.has(_OUT, lo, hi) and not scan.has(FUTURE, lo, hi)


def has_postmortem_promise(scan: Scan, purpose: str = "resolved") -> bool:
    """A promised write-up (post-mortem, incident report, root cause analysis, write-up,
    a blog post describing the incident...) or one already published, or a resolution
    that is its own write-up: it explains the cause and the remedy."""
    if _write_ups(scan):
        return True
    return purpose in _CLOSING and explains_cause_and_remedy(scan)


def has_apology(scan: Scan) -> bool:
    return _APOLOGY.search(scan.s) is not None


def ownership_spans(scan: Scan) -> list[tuple[int, int]]:
    """Where the message owns the problem ("this is on us", "we know you rely on us") or
    acts on it in the first person ("we're rolling back", "our engineers are on it");
    being aware, sorry or talking about talking is not acting."""
    out = [m.span() for m in _OWNERSHIP.finditer(scan.s)]
    for m in _ACTING.finditer(scan.s):
        lo, _ = scan.sentence(m.start(), m.end())
        if not _THIRD_PARTY.search(scan.s, max(lo, m.start() - 40), m.start()):
            out.append(m.span())
    return sorted(out)


def has_ownership(scan: Scan) -> bool:
    """Owning the problem or acting on it in the first person (:func:`ownership_spans`)."""
    return bool(ownership_spans(scan))


def present(name: Requirement, scan: Scan, times: list[Time], purpose: str) -> bool:
    """Whether the message has the element ``name`` (the detector its rule uses)."""
    match name:
        case "next_update":
            return has_next_update(scan, times)
        case "restore_time":
            return has_restore_time(scan, times)
        case "thanks":
            return has_thanks(scan)
        case "postmortem_promise":
            return has_postmortem_promise(scan, purpose)
        case "apology":
            return has_apology(scan)
        case "ownership":
            return has_ownership(scan)
    assert_never(name)


def _seen(rule: Rule, span: tuple[int, int], message: str, suggestion: str) -> Finding:
    """The ladder's middle step: a cue was seen but no full element recognised (a WARNING)."""
    return Finding(rule, WARNING, span[0], span[1], one_line(message), one_line(suggestion))


def next_update_cue(scan: Scan, times: list[Time]) -> tuple[int, int] | None:
    """A concrete time in a future-facing clause that is not a recognised next update: a
    promised time of any topic (not told in the past), or a part of the day ("this
    afternoon") next to an update word."""
    for t in times:
        if not history(scan.s, *scan.sentence(t.start, t.end)):
            return t.start, t.end
    for m in _PART_OF_DAY.finditer(scan.s):
        lo, hi = scan.sentence(m.start(), m.end())
        if scan.has(FUTURE, lo, hi) or scan.has(_UPDATE_TOPIC, lo, hi):
            return m.span()
    return None


def next_update(scan: Scan, times: list[Time]) -> list[Finding]:
    if has_next_update(scan, times):
        return []
    cue = next_update_cue(scan, times)
    if cue is not None:
        seen = quote(scan.text[cue[0] : cue[1]])
        return [
            _seen(
                "requires.next_update",
                cue,
                f"a time ({seen}) but no promise to update by it: is that the next update?",
                "say it is: “Next update by 2:45 PM EST.”",
            )
        ]
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


def restore_time_cue(scan: Scan, times: list[Time]) -> tuple[int, int] | None:
    """A clock time that is neither a promise (update, monitoring, write-up, a future) nor
    when it broke (a failure or a start in its clause): perhaps when service came back,
    told in words the rule does not know."""
    promised = {t.start for t in times if t.topic in ("update", "monitor", "doc")}
    for m in CLOCK.finditer(scan.s):
        if m.start() in promised:
            continue
        lo, hi = _clause(scan, m.start(), m.end())
        if not (scan.has(FUTURE, lo, hi) or scan.has(_FAILURE, lo, hi) or scan.has(_BROKE, lo, hi)):
            return m.span()
    return None


def restore_time(scan: Scan, times: list[Time]) -> list[Finding]:
    if has_restore_time(scan, times):
        return []
    cue = restore_time_cue(scan, times)
    if cue is not None:
        seen = quote(scan.text[cue[0] : cue[1]])
        return [
            _seen(
                "requires.restore_time",
                cue,
                f"a time ({seen}) but nothing says service came back then: is that the "
                "restore time?",
                "say it is: “Service has been fully restored as of 4:47 PM EST.”",
            )
        ]
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
    if any(_deadline(scan, d) or _published(scan, d) for d in promised):
        return []
    if explains_cause_and_remedy(scan):
        # (the rule only runs for a purpose that requires it: a resolution, as a rule)
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
    cue = postmortem_cue(scan)
    if cue is not None:
        span, why = cue
        seen = quote(scan.text[span[0] : span[1]])
        return [_seen("requires.postmortem_promise", span, f"{seen} {why}", suggestion)]
    return [
        whole(
            "requires.postmortem_promise",
            ERROR,
            "no promise of a post-mortem (incident report): it is how customers learn "
            "it won't happen again",
            suggestion,
        )
    ]


def postmortem_cue(scan: Scan) -> tuple[tuple[int, int], str] | None:
    """A write-up-ish noun ("report", "findings", "what happened"), or a cause told next
    to a change: perhaps the write-up, in words the rule does not know; with why it did
    not count."""
    n = len(scan.s)
    for m in _DOC_CUE.finditer(scan.s):
        if not scan.masked(*m.span()):
            return m.span(), "but no promise of a write-up recognised: is that the post-mortem?"
    cause = first_cause(scan, 0, n)
    if cause is not None and scan.has(_CHANGE, 0, n):
        return cause, (
            "tells the cause, and something changed, but not recognisably what stops it "
            "happening again: is that the write-up?"
        )
    return None


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
            return restore_time(scan, times)
        case "thanks":
            return thanks(scan)
        case "postmortem_promise":
            return postmortem_promise(scan)
        case "apology":
            return apology(scan)
        case "ownership":
            return ownership(scan)
    assert_never(name)

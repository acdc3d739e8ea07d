"""What makes a message say something: a symptom, an action, a cause, a number, a time.

A message with none of these reads as a template whatever its words
(:mod:`tui.publish.checks.tone` calls it robotic); a resolution that explains
its cause and its remediation is its own write-up
(:mod:`tui.publish.checks.requirements`). Each class of phrasing is one plain
pattern:

* a **symptom** a customer would recognise: something they cannot do ("unable to
  log in", "emails are not being delivered", "checkout fails"), an error tied to
  an action ("errors when uploading", "502 errors"), slowness, delays, timeouts,
  something missing, down or unreachable;
* a **concrete action**: rolling back, reverting, restarting, failing over,
  scaling, rerouting, disabling, replaying a backlog, working with a named
  provider -- or a named part (the database, the network, a certificate);
* a **cause**: "caused by", "due to", "because", "traced to", unless what follows
  is only a generic noun ("due to an issue");
* a **number**: a percentage, or a count of customers, requests, orders...;
* a **clock time** (since when, until when, the next update).

Generic categories ("degraded performance", "issues", "an incident", "a fix has
been implemented") are deliberately absent: they are the template.
"""

from __future__ import annotations

import re

from tui.publish.checks.scan import APOS, Scan
from tui.publish.checks.times import CLOCK

_I = re.IGNORECASE
_NT = rf"(?:n{APOS}t|\s+not)"

SYMPTOM = re.compile(
    r"\b(?:unable|not\s+able)\s+to\b"
    rf"|\bcan{APOS}?t\b|\bcannot\b|\bcould{_NT}\b|\bwo{_NT}\s+(?:load|open|work|send|sync|start)\b"
    rf"|\b(?:is|are|was|were|does|do|did|has|have){_NT}\s+(?:been\s+|being\s+)?"
    r"(?:load|work|send|sent|receiv|sav|show|display|sync|process|deliver|updat|connect"
    r"|respond|access|appear|reach|start|run|complet|arriv|trigger|fir|import|export"
    r"|upload|download|render|open|charg|accept|authenticat|log|sign|post|publish|go)\w*"
    r"|\bfail(?:s|ed|ing|ures?)?\s+(?:to|for|on|when|while|in|with|at)\b"
    r"|\b(?:time[sd]?\s+out|timing\s+out|timeouts?)\b"
    r"|\b(?:[45]\d\d|[45]xx)\b"
    r"|\berrors?\s+(?:when|while|on|for|in|with|after|trying|loading|saving|opening|message)\b"
    r"|\bblank\s+(?:page|screen)s?\b|\bstuck\b|\bhang(?:s|ing)?\b|\bcrash\w*|\bfr(?:ee|o)z\w*"
    r"|\bslow\w*|\blatency\b|\blag(?:s|gy|ging)?\b|\bdelay(?:ed|s)?\b|\bqueued\b|\blate\b"
    r"|\bmissing\b|\bduplicat\w*|\bdisappear\w*|\bnot\s+visible\b|\blogged\s+out\b"
    r"|\b(?:is|are|was|were|went|be(?:ing)?)\s+(?:completely\s+|partially\s+|fully\s+)?"
    r"(?:down|offline|unreachable|unresponsive|inaccessible|unavailable)\b"
    r"|\b(?:outage|unavailability)\s+(?:of|for|on|in)\s+(?:the\s+|our\s+)?(?!service|platform)"
    r"\w+",
    _I,
)

ACTION = re.compile(
    r"\broll(?:ed|ing)?\s+(?:it\s+|this\s+|that\s+)?back\b|\brollback\b|\brevert\w*"
    r"|\brestart\w*|\breboot\w*|\bredeploy\w*|\bfail(?:ed|ing)?\s*over\b"
    r"|\bscal(?:ed|ing)\s+(?:up|out)\b|\badd(?:ed|ing)\s+(?:more\s+|additional\s+)?capacity\b"
    r"|\bprovision\w*|\bmigrat\w*|\brerout\w*|\bdisabl\w*|\bre-?enabl\w*|\breplac\w*"
    r"|\bpatch(?:ed|ing)\b|\bhotfix\w*|\bdrain\w*|\bbacklog\b|\breplay\w*|\bre-?process\w*"
    r"|\bre-?(?:send|sent)\b|\bresync\w*|\bswitch(?:ed|ing)?\s+(?:to|over|back)\b"
    r"|\bblock(?:ed|ing)\b|\bthrottl\w*|\bisolat\w*|\bflush\w*|\bpurg\w*|\bclear(?:ed|ing)\b"
    r"|\b(?:contact\w*|working\s+with|engag\w+(?:\s+with)?|escalat\w+\s+to)\s+(?:our|the|a)\s+"
    r"(?:\w+\s+)?(?:provider|vendor|partner|host\w*|upstream|carrier|supplier|team)\b"
    r"|\bupstream\b|\bprovider\b|\bvendor\b|\bthird[- ]party\b|\bconfig(?:uration)?\b"
    r"|\bcertificate\b|\bdatabase\b|\bnetwork\w*|\bdata\s*cent(?:er|re)\b|\bregions?\b"
    r"|\bdeploy(?:ment|ed)?\s+(?:of|to|from|at|that|which|earlier)\b|\bcode\s+change\b"
    r"|\bload\s+balanc\w*|\bstorage\b|\bcache\b|\bDNS\b|\bCDN\b|\bcloud\b|\bserver\w*",
    _I,
)

_CAUSE = re.compile(
    r"\bcaused\s+by\b|\bdue\s+to\b|\bbecause\s+(?:of\s+)?|\btraced\s+(?:\w+\s+){0,3}?to\b"
    r"|\b(?:root\s+)?cause\s+(?:was|is|of\s+(?:the|this)\s+\w+\s+was)\b"
    r"|\bresult(?:ed|ing)?\s+(?:from|of)\b|\bstemm\w*\s+from\b|\btriggered\s+by\b"
    r"|\bidentified\s+(?:\w+\s+){0,4}?as\b|\boriginated\s+(?:in|from)\b",
    _I,
)
# What follows a cause word when it explains nothing: "due to an issue".
_GENERIC_CAUSE = re.compile(
    r"\s*(?:an?|the|this|some|a\s+\w+)?\s*(?:(?:internal|technical|unexpected|unforeseen"
    r"|unknown|ongoing|underlying|temporary|brief|infrastructure|system|platform|service"
    r"|software|hardware)\s+)*(?:issues?|problems?|incidents?|difficult(?:y|ies)|circumstances"
    r"|errors?|failures?|outages?|disruptions?|reasons?)\b(?!\s+(?:with|in|on|at|affecting|of)\b)",
    _I,
)

NUMBER = re.compile(
    r"\b\d+(?:\.\d+)?\s?(?:%|percent\b)"
    r"|\b\d[\d,]*\s+(?:of\s+(?:our\s+)?)?(?:customers|users|accounts|requests|orders|emails"
    r"|messages|sites|stores|workspaces|teams|projects|calls|jobs|builds|payments|transactions"
    r"|minutes|hours)\b",
    _I,
)

# The remedy in a resolution: what was done, and what will stop it happening again.
REMEDY = re.compile(
    r"\bto\s+(?:prevent|avoid|stop)\b|\bprevent\w*\s+(?:this|it|a\s+repeat|recurrence|similar)"
    r"|\bnever\s+happens?\s+again\b|\bfrom\s+happening\s+again\b|\bgoing\s+forward\b"
    r"|\bin\s+(?:the\s+)?future\b|\bwe(?:'ve|\s+have)?\s+(?:since\s+)?(?:added|fixed|deployed"
    r"|rolled\s+back|reverted|increased|improved|updated|changed|replaced|patched|corrected"
    r"|introduced|put\s+in\s+place|implemented\s+(?:a|an|additional|new|better)|strengthened"
    r"|expanded|hardened)\b|\bremediat\w*",
    _I,
)


def cause_explained(scan: Scan, lo: int, hi: int) -> bool:
    """A cause word in lo..hi followed by more than a generic noun ("due to an issue")."""
    for m in _CAUSE.finditer(scan.s, lo, hi):
        if not _GENERIC_CAUSE.match(scan.s, m.end(), hi):
            return True
    return False


def specific(scan: Scan, lo: int, hi: int) -> bool:
    """lo..hi names a symptom, an action, a cause, a number or a clock time."""
    return (
        scan.has(SYMPTOM, lo, hi)
        or scan.has(ACTION, lo, hi)
        or scan.has(NUMBER, lo, hi)
        or scan.has(CLOCK, lo, hi)
        or cause_explained(scan, lo, hi)
    )


def explains_cause_and_remedy(scan: Scan) -> bool:
    """The message says what caused the failure and what was done about it."""
    n = len(scan.s)
    return cause_explained(scan, 0, n) and scan.has(REMEDY, 0, n)

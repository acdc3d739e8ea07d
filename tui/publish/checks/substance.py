"""What makes a message say what is wrong: a symptom, an action, a cause, a number.

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
* a **number**: a percentage, or a count of customers, requests, orders...

A clock time is not among them: a concrete next update or restore time does not
rescue a message that never says what is wrong.

Generic categories ("degraded performance", "issues", "an incident", "a fix has
been implemented") are deliberately absent: they are the template.
"""

from __future__ import annotations

import re

from tui.publish.checks.scan import APOS, Scan

_I = re.IGNORECASE
_NT = rf"(?:n{APOS}t|\s+not)"

SYMPTOM = re.compile(
    r"\b(?:unable|not\s+able)\s+to\b"
    rf"|\bcan{APOS}?t\b|\bcannot\b|\bcould{_NT}\b|\bwo{_NT}\s+(?:load|open|work|send|sync|start)\b"
    rf"|\b(?:is|are|was|were|does|do|did|has|have){_NT}\s+(?:been\s+|being\s+)?"
    r"(?:load|send|sent|receiv|sav|show|display|sync|process|deliver|updat|connect"
    r"|respond|access|appear|reach|start|run|complet|arriv|trigger|fir|import|export"
    r"|upload|download|render|open|charg|accept|authenticat|log|sign|post|publish|go)\w*"
    r"|\bfail(?:s|ed|ing|ures?)?\s+(?:to|for|on|when|while|in|with|at)\b"
    r"|\b(?:time[sd]?\s+out|timing\s+out|timeouts?)\b"
    r"|\b(?:[45]\d\d|[45]xx)\b"
    r"|\berrors?\s+(?:when|while|on|for|in|with|after|trying|loading|saving|opening|message)\b"
    r"|\bblank\s+(?:page|screen)s?\b|\bstuck\b|\bcrash\w*|\bfr(?:ee|o)z\w*"
    r"|\bslow\w*|\blatency\b|\blag(?:s|gy|ging)?\b|\bdelay(?:ed|s)?\b|\bqueued\b|\blate\b"
    r"|\bmissing\b|\bduplicat\w*|\bdisappear\w*|\bnot\s+visible\b|\blogged\s+out\b"
    r"|\b(?:is|are|was|were|went|be(?:ing)?)\s+(?:completely\s+|partially\s+|fully\s+)?"
    r"(?:down|offline|unreachable|unresponsive|inaccessible|unavailable)\b"
    r"|\b(?:outage|unavailability)\s+(?:of|for|on|in)\s+(?:the\s+|our\s+)?"
    r"(?!service|platform|your\b|some\b|certain\b|parts?\b|areas?\b|regions?\b)\w+",
    _I,
)

ACTION = re.compile(
    r"\broll(?:ed|ing)?\s+(?:it\s+|this\s+|that\s+)?back\b|\brollback\b"
    # (not "kindly revert to us": the customer-service register's "reply")
    r"|(?<!kindly\s)(?<!please\s)\brevert\w*+(?!\s+(?:back\b|to\s+(?:us|the\s+support|our\s+support)))"
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
    r"|\bload\s+balanc\w*|\bstorage\b|\bcache\b|\bDNS\b|\bCDN\b",
    _I,
)

_CAUSE = re.compile(
    r"\bcaused\s+by\b|\bdue\s+to\b|\bbecause\s+(?:of\s+)?|\btraced\s+(?:\w+\s+){0,3}?to\b"
    r"|\b(?:root\s+)?cause\s+(?:was|is|of\s+(?:the|this)\s+\w+\s+was)\b"
    r"|\breason\s+(?:was|is|for\s+(?:this|it|the|our)(?:\s+\w+)?\s+was)\b"
    r"|\bresult(?:ed|ing)?\s+(?:from|of)\b|\bstemm\w*\s+from\b|\btriggered\s+by\b"
    r"|\b(?:came|comes|come)\s+from\b"
    r"|\bidentified\s+(?:\w+\s+){0,4}?as\b|\boriginated\s+(?:in|from)\b",
    _I,
)
# What follows a cause word when it explains nothing: "due to an issue".
_GENERIC_CAUSE = re.compile(
    r"\s*(?:an?|the|this|some|a\s+\w+)?\s*(?:(?:internal|technical|unexpected|unforeseen"
    r"|unknown|ongoing|underlying|temporary|brief|infrastructure|system|platform|service"
    r"|software|hardware)\s+)*(?:issues?|problems?|incidents?|difficult(?:y|ies)|circumstances"
    r"|errors?|failures?|outages?|disruptions?|disturbances?|reasons?)\b"
    r"(?!\s+(?:with|in|on|at|affecting|of)\b)",
    _I,
)

NUMBER = re.compile(
    r"\b\d+(?:\.\d+)?\s?(?:%|percent\b)"
    r"|\b\d[\d,]*\s+(?:of\s+(?:our\s+)?)?(?:customers|users|accounts|requests|orders|emails"
    r"|messages|sites|stores|workspaces|teams|projects|calls|jobs|builds|payments|transactions"
    r")\b",
    _I,
)

# The remedy in a resolution: what was done, and what will stop it happening again.
REMEDY = re.compile(
    # prevention: what stops it happening again
    r"\bto\s+(?:prevent|avoid|stop)\b|\bprevent\w*\s+(?:this|it|a\s+repeat|recurrence|similar)"
    r"|\bnever\s+happens?\s+again\b|\bfrom\s+happening\s+again\b|\bgoing\s+forward\b"
    rf"|\bin\s+(?:the\s+)?future\b|\bno\s+longer\b|\bso\s+(?:this|it|that)\s+(?:can{APOS}?t|cannot"
    rf"|won{APOS}t|will\s+not)\b|\bnow\s+(?:\w+\s+)?(?:test|check|validat|renew|spread|includ"
    r"|requir|monitor|alert|verif|review|run|scale|grow|limit|block|drain)\w*"
    r"|\bbefore\s+(?:a|an|any|every|each|it|they)\s+(?:\w+\s+){0,3}?(?:release|rotation|push"
    r"|change|deploy\w*|goes?\s+live|continues|reaches)"
    r"|\badd(?:ed|ing)\s+(?:a|an|more|another|new|extra|automated|automatic)\s+(?:\w+\s+){0,2}?"
    r"(?:check|test|alert|validation|step|safeguard|guard|monitor\w*|capacity|limit|review)"
    # a safeguard added to a process: "adding checks for it to our release process"
    r"|\badd(?:s|ed|ing)?\s+(?:\w+\s+){0,2}?(?:checks?|tests?|alerts?|alarms?|guard(?:rail)?s?"
    r"|safeguards?|validations?|gates?)\b[^.!?;]{0,40}?\b(?:to|in|into)\s+(?:our|the|every|each)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:process|processes|pipeline|checklist|runbook|procedure|workflow|CI)\b"
    r"|\bautomatically\b|\bremediat\w*"
    # a safeguard put in, whoever the subject: "and introduced a review for index changes"
    r"|\b(?:introduc\w+|put\s+in\s+place|install\w*|set\s+up|add(?:ed|ing)|creat\w+)\s+"
    r"(?:a|an|another|new|extra|two|second)\s+(?:[\w-]+\s+){0,2}?(?:review|check|monitor\w*|limit"
    r"|alert|alarm|test|safeguard|guard|approval|backup|route|link|fallback)s?\b"
    # undone or rebuilt from a good copy: "restored from last night's backup"
    r"|\brestored\s+(?:[\w'’-]+\s+){0,3}?from\b"
    # detection: "so that such a fault is detected within minutes"
    r"|\bso\s+that\s+(?:\w+\s+){0,4}?(?:is|are|will\s+be|gets?|would\s+be)\s+(?:detected|caught"
    r"|spotted|noticed|flagged|stopped|blocked)\b"
    r"|\bfrom\s+now\s+on\b|\bhenceforth\b|\bfrom\s+(?:today|this\s+point)\s+on\b"
    # resilience put in: "set the app to connect through a second region if one fails",
    # "added a failover", "set up a standby in another data center"
    r"|\b(?:add(?:s|ed|ing)?|set(?:ting)?|built|build(?:s|ing)?|configur\w+|introduc\w+|install\w*"
    r"|put|creat\w+|now\s+have|will\s+have|mov(?:ed|ing))\b[^.!?;\n]{0,60}?(?:\bfail-?over\b"
    r"|\bredundan\w*|\b(?:second|standby|backup|spare|redundant|secondary|fallback|another)\s+"
    r"(?:[\w-]+\s+)?(?:region|host|server|data\s*cent(?:er|re)|provider|line|link|route|database"
    r"|site|zone|connection|copy|node|instance|supplier|carrier)s?\b|\bstandby\b"
    r"|\bif\s+(?:one|it|the\s+[\w-]+|either)\s+(?:fails|goes\s+down|is\s+down|breaks)\b)"
    # the corrective action taken, in the first person (or by our people)
    rf"|(?:\bwe(?:{APOS}ve|\s+have)?|\bour\s+(?:[\w-]+\s+)?(?:team|teams|engineers|technicians"
    r"|staff|crew|developers))\s+(?:since\s+|now\s+|also\s+)?(?:added|fixed|deployed"
    r"|rolled\s+(?:it\s+|this\s+|that\s+|the\s+\w+\s+)?back|reverted|increased|improved"
    r"|updated|changed|replaced|patched|corrected|introduced|put\s+in\s+place|strengthened"
    r"|expanded|hardened|removed|renewed|restored\s+the|moved|raised|set\s+up|repaired|pinned"
    r"|locked|capped|limited|split|separated|fenced|tightened|rebuilt|re-?routed|rewrote|rewritten"
    r"|implemented\s+(?:a|an|additional|new|better))\b"
    rf"|\bwe(?:{APOS}re|\s+are)\s+(?:now\s+)?(?:changing|adding|reviewing|improving|fixing)\b",
    _I,
)
# How it broke, told plainly: a mechanism, even with no "because".
_MECHANISM = re.compile(
    r"\bcaused\s+(?:this|it|the)\b|\b(?:problem|issue|cause|trigger)\s+was\b|\bturned\s+out\b"
    r"|\bwhat\s+happened\s*:|\bincorrectly\b|\bwrongly\b|\bwrong\b|\bby\s+mistake\b"
    r"|\bwithout\s+notice\b|\bmisconfigur\w*|\bexpired\b|\b(?:ran|run|running)\s+out\s+of\b|\bbug\b|\bbroke\b"
    r"|\boverload\w*|\bexhausted\b|\bfilled\s+up\b|\bleak\b|\bplanned\s+(?:work|maintenance)\b"
    # a part that went away: "a region went down", "our provider had a power cut"
    r"|\bwent\s+(?:down|offline)\b|\bpower\s+(?:cut|outage|failure|loss)\b"
    r"|\bhad\s+an?\s+(?:[\w-]+\s+)?(?:outage|failure|fault)\b"
    # a part that broke, in plain past verbs: "a damaged cable", "the directories rejected
    # our feeds"
    r"|\b(?:damaged|defective|faulty|corrupted|broken|severed|rejected|refused|crashed"
    r"|overflowed|(?:rotated|expired|renewed|ran)\s+(?:early|late))\b"
    r"|\btwice\b|\b(?:a|the|our|an)\s+(?:\w+\s+)?(?:change|push|deploy\w*|release|update|upgrade"
    # the culprit may carry a long noun phrase: "a routine upgrade of one of our cache
    # clusters removed more capacity than expected"
    r"|migration|rotation|retry)\s+(?:[\w-]+\s+){0,10}?(?:removed|lowered|broke|caused|changed"
    r"|disabled|deleted|introduced|picked|blocked|sent|stopped|charged|overloaded|made)\b"
    # a part that stopped doing its job: "a load balancer stopped passing health checks"
    r"|\bstopped\s+(?:passing|responding\s+to|accepting|forwarding|serving|renewing|sending)\b"
    # the culprit undone: "the change we deployed this morning has been reverted"
    r"|\b(?:change|push|deploy\w*|release|update|upgrade|migration)\s+(?:\w+\s+){0,5}?"
    r"(?:has\s+been|have\s+been|was|were|is\s+now|got)\s+(?:\w+\s+)?(?:reverted|rolled\s+back"
    r"|undone|backed\s+out|pulled)\b"
    r"|\b(?:reverted|rolled\s+back|undid|backed\s+out)\s+(?:the|this|that|our|a)\s+(?:\w+\s+){0,2}?"
    r"(?:change|push|deploy\w*|release|update|upgrade|migration)\b",
    _I,
)


# The words templates are made of: with only these (and names), a message says nothing.
GENERIC_WORDS = frozenset(
    re.findall(
        r"[a-z]+",
        """
        a an the this that these those it its is are was were be been being am has have had
        having do does did will would shall should can could may might must we us our ours you
        your yours they them their i me my he she all any some each every no not nor and or but
        if then than so as at by for from in into of on onto to with within without about over
        under up out off again further once here there when where why how what which who whom
        while until since also too very just only now still already yet soon shortly quickly
        possible asap isn aren wasn weren don doesn didn won hasn haven t s re ve ll d m
        investigate investigates investigating investigation investigated look looks looking
        looked into aware awareness know known knows issue issues problem problems incident
        incidents matter situation disruption disruptions outage outages interruption
        interruptions degradation degraded performance service services system systems platform
        product products availability available affect affects affecting affected impact impacts
        impacting impacted experience experiences experiencing experienced user users customers
        customer clients client subset small number portion reports reported report currently
        ongoing continue continues continuing continued work works working worked progress fix
        fixes fixed fixing implement implemented implementing implementation identify identified
        identifying cause causes root resolve resolved resolving resolution restore restored
        restoring normal normally operational operating operations functioning function
        functionality expected update updates updated updating information info details detail
        more provide provided providing post posted share shared communicate communication
        additional next new latest hour hours minute minutes time times moment due course become
        becomes thank thanks thankful grateful appreciate appreciated patience understanding
        bearing bear hanging hang tight sorry apologize apologise apologies apology regret
        inconvenience trouble hassle caused causing confirm confirms confirmed monitoring monitor
        monitored results result closely keep keeping eye watch watching stable team teams
        engineers engineering engineer staff everyone everything things thing something
        anything back good great well fully full partial partially minor major intermittent
        intermittently technical difficulties difficulty errors error elevated increased
        rates rate levels level mitigate mitigated mitigation resume resumed resumes normal use
        hand hands deck priority top urgent urgently actively hard best efforts effort getting
        get got going go let stay tuned please follow follows following sooner later today
        tonight right able happening happened occur occurred occurring certain some many few
        part parts area areas feature features functions component components access
        connectivity reliability stability quality expect expected expecting plan planned
        working hard diligently underway progressing made making make sure ensure ensuring
        deploy deployed deploying deployment applied apply applying put place solution solutions
        remain remains remained remaining investigating identified one two several various
        recent recently earlier soon possible thank glad happy again about around
        postmortem post-mortem mortem publish published publishing analysis review write
        write-up writeup blog summary detailed complete completed once full
        rely relies relying depend depends depending count counting much day days week weeks
        business working three four five seven ten fourteen thirty seventy
        dear valued kindly hereby regarding concerned respective reason reasons temporary
        temporarily facing face faces faced same notice notification failure failures
        malfunction malfunctions confirmation confirming under closed close closing mobilised
        mobilized mobilise mobilize establish established re-establish re-established
        reestablish reestablished foreseen unforeseen circumstances general overall
        stands stand stood regretted regret regrets detected addressed address addressing
        like page measures measure countermeasures
        sign signs show shows showing recovery recovering recovers instability instabilities
        unstable normalized normalised normalize normalise normalizing normalising
        observe observes observed observing across hiccup hiccups glitch glitches hey hello
        folks
        note noted pleased inform informed informing cooperation inconveniences disturbance
        disturbances disturbed revert case deeply sincerely regards try trying high end online
        after limited handling handled support desk helpdesk
        """,
    )
)
_WORDS = re.compile(r"[A-Za-z][a-z]*(?:[-'’][a-z]+)*|[A-Z]+\b")
# A component named after a generic noun ("the issue affecting card payments") is still generic.
_MENTION = re.compile(
    r"\b(?:issues?|problems?|incidents?|disruptions?|outages?|degradation|performance|errors?"
    r"|difficulties|interruptions?|failures?|malfunctions?)\s+(?:which\s+may\s+|that\s+may\s+)?"
    r"(?:affecting|with|for|on|impacting|in|across|to|within|affect|impact|of)\s+(?:(?:the|our|some|all|a|an|your)\s+)?"
    r"[\w-]+(?:\s+(?!and\b|but\b)[\w-]+){0,2}",
    _I,
)


def content_words(scan: Scan, lo: int, hi: int) -> list[str]:
    """The words in lo..hi that are neither template words nor names.

    A capitalised word inside a sentence, or a run of capitalised words starting
    one ("Halvorsen Systems", "Pull Requests"), is a name; so is a component named
    after a generic noun ("an issue affecting card payments").
    """
    text = scan.s[lo:hi]
    for m in _MENTION.finditer(text):
        text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
    out: list[str] = []
    sentence_start = True
    previous_capital = False
    for m in _WORDS.finditer(text):
        word = m.group()
        gap = text[m.start() - 2 : m.start()] if m.start() >= 2 else "\n"
        if any(c in ".!?:;\n" for c in gap) or m.start() == 0:
            sentence_start = True
            previous_capital = False  # a name ends with its sentence ("… Stripe. Refunds …")
        capital = word[0].isupper()
        nxt = text[m.end() : m.end() + 2].lstrip()[:1]
        if capital and (not sentence_start or previous_capital or nxt.isupper()):
            previous_capital = True  # a name
        else:
            previous_capital = False
            w = word.lower().replace("’", "'").split("'")[0]
            generic = w in GENERIC_WORDS or all(p in GENERIC_WORDS for p in w.split("-"))
            if not generic and len(w) > 2:
                out.append(w)
        sentence_start = False
    return out


def first_cause(scan: Scan, lo: int, hi: int) -> tuple[int, int] | None:
    """The first cause word in lo..hi followed by more than a generic noun, or the first
    mechanism told plainly ("a damaged cable", "the certificate expired")."""
    for m in _CAUSE.finditer(scan.s, lo, hi):
        if not _GENERIC_CAUSE.match(scan.s, m.end(), hi):
            return m.span()
    found = _MECHANISM.search(scan.s, lo, hi)
    return found.span() if found else None


def cause_explained(scan: Scan, lo: int, hi: int) -> bool:
    """A cause word in lo..hi followed by more than a generic noun ("due to an issue")."""
    for m in _CAUSE.finditer(scan.s, lo, hi):
        if not _GENERIC_CAUSE.match(scan.s, m.end(), hi):
            return True
    return False


def specific(scan: Scan, lo: int, hi: int) -> bool:
    """lo..hi says what is wrong: a symptom, an action, a cause, a number, or two words a
    template would not use (a clock time alone does not: "Resolved at 11:02 UTC." never
    says what was wrong)."""
    return (
        scan.has(SYMPTOM, lo, hi)
        or scan.has(ACTION, lo, hi)
        or scan.has(NUMBER, lo, hi)
        or cause_explained(scan, lo, hi)
        or len(content_words(scan, lo, hi)) >= 2
    )


def explains_cause_and_remedy(scan: Scan) -> bool:
    """The message says how it broke (a cause, or the mechanism told plainly) and what
    was done about it (the corrective action, or what stops it happening again)."""
    n = len(scan.s)
    if not scan.has(REMEDY, 0, n):
        return False
    return scan.has(_MECHANISM, 0, n) or cause_explained(scan, 0, n)

"""Message checks: what a customer-facing message must say, and what it must not.

A pure function of the text, the message's purpose, its destination kind, the
playbook's ``message_checks`` and the page's component names. Errors block
publishing (an unfilled blank, no concrete time for the next update, a
resolution without its restore time, or with neither thanks nor apology, or
with no post-mortem promise at all, a message too long for its destination);
warnings are worth a second look (no apology, no ownership, a robotic message,
forbidden phrases, jargon, a promised fix time, an empty gesture, thanks
replaced by an apology, a post-mortem promise with no deadline). A required
element is an error only when it is surely missing; a cue of it that the rule
does not recognise as the element is a warning saying what was seen and why it
did not count (:mod:`.requirements`). Rule ids are
stable (:data:`~tui.publish.checks.findings.RULES`).

The rules judge the whole message, by classes of phrasing rather than single
sentences: a message is robotic when it never says what is wrong
(:mod:`.substance`) and is not written in the company's own voice -- first-person
empathy and action, a genuine apology, a concrete next update (:mod:`.voice`), a
phrase is flagged only when nothing specific follows it,
a restore time may be the end of a range, a resolution that explains cause and
remedy is its own write-up. :func:`labels` gives the same detectors' verdicts
(is the element there? is it robotic?) for measuring against a labelled corpus.

The words come from the playbook where it has them (forbidden phrases,
jargon and its allowlist, requirements per purpose, length limits); a
``MessageChecks`` section left empty falls back to the built-in defaults. The
heuristics are deliberately plain regular expressions: cheap to import, easy
to explain in one line, and never a reason for a check to raise.

One module per kind of rule, named for it: :mod:`.requirements` (what each
purpose must say), :mod:`.blanks`, :mod:`.length`, :mod:`.tone` (robotic,
forbidden phrases, jargon), :mod:`.promises` (a promised fix time),
:mod:`.gestures` (empty gestures); :mod:`.scan`, :mod:`.times`,
:mod:`.substance` and :mod:`.voice` read the text for them, :mod:`.findings` is what they say.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from tui.core.playbook import MessageChecks
from tui.core.vocabulary import REQUIREMENTS
from tui.publish.checks.blanks import blank_findings
from tui.publish.checks.findings import ERROR, RULES, WARNING, Finding, has_errors
from tui.publish.checks.gestures import empty_gestures
from tui.publish.checks.length import length_finding
from tui.publish.checks.promises import fix_promises
from tui.publish.checks.requirements import present, requirement_findings
from tui.publish.checks.scan import Scan
from tui.publish.checks.times import promised_times
from tui.publish.checks.tone import forbidden, is_robotic, jargon, robotic

__all__ = [
    "ERROR",
    "LABELS",
    "RULES",
    "WARNING",
    "Finding",
    "check_message",
    "has_errors",
    "labels",
]

LABELS: Final[tuple[str, ...]] = (*REQUIREMENTS, "robotic")
"""The keys of :func:`labels`: the six elements a message may contain, and ``robotic``."""


def check_message(
    text: str, purpose: str, kind: str, checks: MessageChecks, names: Collection[str] = ()
) -> list[Finding]:
    """Findings sorted errors first, then by start.

    ``purpose``: a :data:`~tui.core.vocabulary.TemplatePurpose`; ``kind``: a
    :data:`~tui.core.vocabulary.DestinationKind` (other words are checked with no
    requirement and no length limit); ``names``: the page's component and product
    names, never flagged as jargon.
    """
    scan = Scan(text)
    times = promised_times(scan)
    findings = blank_findings(scan) + length_finding(text, kind, checks)
    findings += requirement_findings(scan, times, purpose, checks)
    banned = forbidden(scan, checks)
    findings += banned + robotic(scan, purpose, banned)
    findings += jargon(scan, checks, purpose, names)
    findings += fix_promises(scan, times)
    findings += empty_gestures(scan)
    return sorted(
        findings, key=lambda f: (f.severity != ERROR, f.start, f.end, RULES.index(f.rule))
    )


def labels(text: str, purpose: str, checks: MessageChecks) -> dict[str, bool]:
    """What the message has, by the same detectors the rules use.

    One key per element (``apology``, ``ownership``, ``next_update``,
    ``restore_time``, ``thanks``, ``postmortem_promise``: True when the element is
    there, whatever the playbook requires of ``purpose``) and ``robotic`` (True
    when the message as a whole sounds robotic).
    """
    scan = Scan(text)
    times = promised_times(scan)
    out: dict[str, bool] = {name: present(name, scan, times, purpose) for name in REQUIREMENTS}
    out["robotic"] = is_robotic(scan, purpose, forbidden(scan, checks))
    return out

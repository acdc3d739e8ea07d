"""The company's own voice: what keeps a message with generic impact words from being a template.

The article's model acknowledgement -- "We're aware of a major service disruption
impacting our platform. We know you rely on us, and we're urgently investigating.
We'll update you within 30 minutes. We are so sorry for the disruption." -- names
its impact only as a category, like a template; but nobody pre-fills it. It is
written by people (:func:`own_voice`):

* **empathy in the first person**, addressed to the reader: "we know you rely on
  us", "we know how much today's sales matter to you", "we understand this is
  frustrating";
* **first-person action** besides it (:func:`~.requirements.ownership_spans`):
  "we're urgently investigating", "our team is on it";
* a **genuine apology**: "we are so sorry for the disruption" -- not the formula
  "we apologise for any inconvenience";
* a **concrete next update** (:func:`~.requirements.has_next_update`).

All four, and none of the sentences templates are made of (:mod:`.tone` vetoes
them: the products' pre-filled status sentences, "technical difficulties", "any
inconvenience", "please be patient", "updates to follow", a playbook's forbidden
phrase). Generic impact with template sentences stays robotic.
"""

from __future__ import annotations

import re

from tui.publish.checks.requirements import has_next_update, ownership_spans
from tui.publish.checks.scan import APOS, Scan
from tui.publish.checks.times import promised_times

_I = re.IGNORECASE

# "we know you rely on us", "we know how much this matters to you", "I know this is
# frustrating", "we understand how disruptive this is for your team".
EMPATHY = re.compile(
    r"\b(?:we|I)\s+(?:(?:really|fully|completely|truly|absolutely)\s+)?"
    r"(?:know|understand|realise|realize|recogni[sz]e)\s+"
    r"(?:(?:just\s+)?how\s+(?:much\s+|important\s+|disruptive\s+|frustrating\s+|stressful\s+)?"
    r"|that\s+|what\s+)?"
    r"(?:you|your|many\s+of\s+you|a\s+lot\s+of\s+you|some\s+of\s+you|(?:this|it|that)"
    rf"(?:\s+is|{APOS}s|\s+has\s+been|\s+will\s+be)?\s+(?:(?:so|very|really|incredibly|deeply)\s+)?"
    r"(?:frustrating|disruptive|stressful|painful|costly|costing|hurting|affecting|impacting"
    r"|a\s+(?:big|huge|real|major)\s+\w+))",
    _I,
)
_APOLOGY = re.compile(r"\b(?:sorry|apologi[sz](?:e|ed|es|ing)|apolog(?:y|ies)|regret\w*)\b", _I)
_FORMULA = re.compile(r"\binconvenienc\w*", _I)  # "sorry for any inconvenience": the formula


def empathy_spans(scan: Scan) -> list[tuple[int, int]]:
    return [m.span() for m in EMPATHY.finditer(scan.s) if not scan.masked(*m.span())]


def genuine_apology(scan: Scan) -> bool:
    """An apology whose sentence is not the inconvenience formula."""
    for m in _APOLOGY.finditer(scan.s):
        lo, hi = scan.sentence(m.start(), m.end())
        if not scan.has(_FORMULA, lo, hi):
            return True
    return False


def own_voice(scan: Scan) -> bool:
    """First-person empathy, first-person action besides it, a genuine apology and a
    concrete next update (the template vetoes are :mod:`.tone`'s)."""
    felt = empathy_spans(scan)
    if not felt:
        return False
    acting = [(a, b) for a, b in ownership_spans(scan) if not any(a < y and x < b for x, y in felt)]
    return bool(acting) and genuine_apology(scan) and has_next_update(scan, promised_times(scan))

"""The post-mortem document: the incident report customers read once the dust settles.

Four parts, written for a non-technical reader: the timeline in plain English, the root
cause with the why behind it, the impact in numbers, and the remedial actions. One concern
to a module:

* :mod:`.report` -- :class:`Report` and :func:`build` (pure: no clock, no I/O; the same
  state, events and *now* give the same report);
* :mod:`.timeline` -- the event log folded again into sentences, and what only the history
  tells (peaks, severities, queue depths);
* :mod:`.impact` -- the impact in numbers; :mod:`.promises` -- whether promised update
  times were kept; :mod:`.words` -- how times, spans and values are said;
* :mod:`.render` -- Markdown, standalone HTML or JSON (Jinja2 on first render only; the
  HTML autoescapes, the Markdown writes ``<``, ``>``, ``&`` as entities).
"""

from __future__ import annotations

from tui.amends.postmortem.promises import PromiseCheck
from tui.amends.postmortem.render import FORMATS, TEMPLATES, as_dict, render
from tui.amends.postmortem.report import PostmortemError, Report, TimelineLine, build
from tui.amends.postmortem.words import span, when

__all__ = [
    "FORMATS",
    "TEMPLATES",
    "PostmortemError",
    "PromiseCheck",
    "Report",
    "TimelineLine",
    "as_dict",
    "build",
    "render",
    "span",
    "when",
]

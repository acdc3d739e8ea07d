"""The playbook: a strict, validated YAML file turned into frozen typed models.

Where each part lives:

* :mod:`~tui.core.playbook.model` -- the frozen dataclasses (roles, metrics, severity levels,
  phases, cadences, channels, message checks, the recovery policy) and their lookups;
* :mod:`~tui.core.playbook.loading` -- :func:`load_playbook` / :func:`parse_playbook`: a file
  in, a :class:`Playbook` or a :class:`PlaybookError` listing every ``FILE:LINE:COL`` problem
  out; :func:`playbook_from_text` for copies pinned in the database;
* :mod:`~tui.core.playbook.validation` -- the rules of the format, one module per part of the
  file;
* :mod:`~tui.core.playbook.templates` -- the template files a playbook names: where they are
  found, which may be used.

Other layers import these names from ``tui.core.playbook``; modules inside ``tui.core``
import from the precise module.
"""

from __future__ import annotations

from tui.core.playbook.loading import (
    PlaybookError,
    load_playbook,
    parse_playbook,
    playbook_from_text,
)
from tui.core.playbook.model import (
    Cadence,
    Channel,
    ChannelAction,
    ChecklistItem,
    CreditStep,
    MessageChecks,
    Metric,
    Phase,
    Playbook,
    RecoveryPolicy,
    Role,
    SeverityLevel,
    value_for_metric,
)
from tui.core.playbook.templates import contained_template, template_name_problem

__all__ = [
    "Cadence",
    "Channel",
    "ChannelAction",
    "ChecklistItem",
    "CreditStep",
    "MessageChecks",
    "Metric",
    "Phase",
    "Playbook",
    "PlaybookError",
    "RecoveryPolicy",
    "Role",
    "SeverityLevel",
    "contained_template",
    "load_playbook",
    "parse_playbook",
    "playbook_from_text",
    "template_name_problem",
    "value_for_metric",
]

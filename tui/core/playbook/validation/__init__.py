"""Validating a playbook, one module per part of the file.

* :mod:`.nodes` -- reading one node: text, ids, numbers, durations, lists, unique ids;
* :mod:`.document` -- the top-level keys, roles and time zone; :class:`Validator` itself;
* :mod:`.severity` -- metrics, conditions and severity levels;
* :mod:`.phases` -- protocols, phases, checklists, cadences;
* :mod:`.messages` -- channels, templates, message checks;
* :mod:`.recovery` -- credits, trial extensions, plans.

Template files on disk are checked by :mod:`tui.core.playbook.templates`.
"""

from __future__ import annotations

from tui.core.playbook.validation.document import Validator

__all__ = ["Validator"]

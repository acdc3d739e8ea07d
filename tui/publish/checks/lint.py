"""The one message check every caller runs: :func:`lint`.

The dashboard's draft pane and confirm screen, ``commands.publish`` (the
dashboard's publish and ``warroom publish`` alike), ``warroom draft`` and
``warroom lint`` all call :func:`lint` with the text, its purpose, the
destination kind, the playbook and the destinations config: the same findings
wherever a message is checked. The config gives the page's component names
(:func:`page_names`), never jargon. An empty (or all-blank) message is one
``blank`` ERROR: nothing to publish, and a list of every missing element would
only hide that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.publish.checks import check_message
from tui.publish.checks.findings import ERROR, Finding, whole

if TYPE_CHECKING:
    from tui.core.config import Config
    from tui.core.playbook import Playbook


def page_names(config: Config | None) -> tuple[str, ...]:
    """The component names of every configured destination, in order, once each."""
    names: dict[str, None] = {}
    for dest in config.destinations if config is not None else ():
        for name in dest.components:
            names.setdefault(str(name), None)
    return tuple(names)


def lint(
    text: str, purpose: str, kind: str, book: Playbook, config: Config | None = None
) -> list[Finding]:
    """Findings for ``text`` as a ``purpose`` message to a ``kind`` destination, by
    ``book``'s message checks and ``config``'s page names: errors first, then by
    place (see ``check_message``)."""
    if not text.strip():
        return [
            whole(
                "blank",
                ERROR,
                "the message is empty",
                "write what customers see, what you are doing and when you will update them",
            )
        ]
    return check_message(text, purpose, kind, book.message_checks, page_names(config))

"""What a pane may ask of the app it runs in: the clock and the config, nothing else.

Panes sit below the app in the layers (they never import ``tui.app``), so
they reach it through :class:`PaneHost`, a protocol WarroomApp implements
(``tui/app/app.py`` has mypy check it). One clock for every pane: a demo or
a test that moves it moves what every pane shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast

from textual.message_pump import MessagePump

from tui.core.clock import Clock
from tui.core.config import Config


class PaneHost(Protocol):
    """An app with the incident's clock and the user's config (destinations, keymap)."""

    clock: Clock
    config: Config


def pane_host(node: MessagePump) -> PaneHost:
    """The app ``node`` runs in, as a :class:`PaneHost`."""
    return cast(PaneHost, node.app)


def now_of(node: MessagePump) -> datetime:
    """The app's clock, read for ``node`` (a pane or a screen)."""
    return pane_host(node).clock.now()

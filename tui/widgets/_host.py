"""What a pane may ask of the app it runs in: the clock, and nothing else.

Panes sit below the app in the layers (they never import ``tui.app``), so
they reach it through :class:`ClockHost`, a protocol WarroomApp implements
(``tui/app/app.py`` has mypy check it). One clock for every pane: a demo or
a test that moves it moves what every pane shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast

from textual.message_pump import MessagePump

from tui.core.clock import Clock


class ClockHost(Protocol):
    """An app with the incident's clock."""

    clock: Clock


def now_of(node: MessagePump) -> datetime:
    """The app's clock, read for ``node`` (a pane or a screen)."""
    return cast(ClockHost, node.app).clock.now()

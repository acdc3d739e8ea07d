"""What a screen may ask of the app: one typed interface, checked by mypy.

Screens sit below the app in the layers (they never import ``tui.app``), so
they reach it through :class:`Host`; :func:`host` returns the running app as
one, and ``tui/app/app.py`` has mypy prove that WarroomApp implements every
member with these signatures. The dialogs named here live in
``tui/app/flows/``, one module per purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from textual.message_pump import MessagePump

from tui import commands
from tui.core.state import IncidentState
from tui.widgets._host import PaneHost

if TYPE_CHECKING:
    from screens.outbox import OutboxScreen
    from screens.postmortem import PostmortemScreen
    from tui.amends.offers import OffersResult


class Host(PaneHost, Protocol):
    """The app as the screens see it: the clock and config, the command path, help,
    and the dialogs."""

    # the one command path, off the UI thread ----------------------------------
    def run_command(
        self,
        fn: Callable[..., commands.Outcome],
        *args: Any,
        quiet: bool = True,
        tell_noop: bool = True,
        then: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        """A command; a success is silent (unless ``quiet`` is False), a refusal is said."""

    def attempt(
        self,
        fn: Callable[..., commands.Outcome],
        *args: Any,
        done: Callable[[IncidentState], None] | None = None,
        failed: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> None:
        """A command that may be refused: the state is applied either way, then
        ``done(state)`` or ``failed(reason)`` (without ``failed``: the reason is said)."""

    def action_help(self) -> None:
        """The help screen."""

    # the dashboard's dialogs (tui/app/flows/incident.py) --------------------------
    def confirm_next_phase(self) -> None: ...
    def record_update(self) -> None: ...
    def assign_role(self) -> None: ...
    def edit_metrics(self) -> None: ...
    def add_note(self) -> None: ...
    def edit_queue(self, channel_id: str) -> None: ...
    def skip_item(self, item_id: str) -> None: ...
    def show_reply(self, channel_id: str) -> None: ...  # flows/replies.py

    # publishing (flows/publish.py) and the outbox (flows/outbox.py) -----------------
    def publish_draft(self) -> None: ...
    def approve_pending(self) -> None: ...
    def show_outbox(self) -> None: ...
    def republish_elsewhere(self) -> None: ...
    def refresh_outbox(self, screen: OutboxScreen) -> None: ...
    def outbox_action(
        self, kind: Literal["retry", "cancel"], row_id: int, screen: OutboxScreen
    ) -> None: ...

    # the post-mortem (flows/postmortem.py) and recovery offers (flows/offers.py) -----
    def show_postmortem(self) -> None: ...
    def refresh_postmortem(self, screen: PostmortemScreen) -> None: ...
    def add_remedial_action(self) -> None: ...
    def export_postmortem(self) -> None: ...
    def publish_postmortem(self) -> None: ...
    def show_offers(self) -> None: ...
    def write_offers(self, source: str, result: OffersResult) -> None: ...


def host(node: MessagePump) -> Host:
    """The app ``node`` runs in, as a :class:`Host` (WarroomApp is one; mypy checks it)."""
    return cast(Host, node.app)

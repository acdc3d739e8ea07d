"""Destinations: one adapter per provider, behind one protocol, found by the config's ``type:``.

The worker (:mod:`tui.publish.worker`) knows nothing of any provider. For each
claimed outbox row it builds the adapter that :data:`ADAPTERS` names for the
destination's ``type:`` and asks it three things (:class:`Adapter`):

* :meth:`Adapter.send` -- turn the rendered update (the row's payload) into the
  provider's requests, send them, and read the provider's id for the incident
  out of the answer (later updates of the incident go to that id);
* :meth:`Adapter.find` -- after an *ambiguous* failure (the provider may have
  done it), look for the row's correlation key on the provider before the row
  is sent again.
* :meth:`Adapter.check` -- one read-only call (``warroom destinations check``):
  the key is accepted and the provider answers.

Each adapter declares its :data:`Guarantee`: *exactly-once* when ``find`` can
see whether the row arrived (Statuspage: the key is in the incident's metadata);
*at-least-once* when it cannot look (``find`` answers "not there", so the row is
sent again); *at-most-once* when a duplicate is worse than a loss (``find`` answers
"there", with ``provider_ref`` or the row's key as the reference, so the worker
records the row as sent and never repeats it).

Every failure is a :class:`~tui.publish.retry.DeliveryError` judged by the retry
policy (:mod:`tui.publish.retry`); an HTTP adapter sends each request through
:func:`tui.publish.destinations.http.request_json`, which also keeps the key
out of error texts. ``before`` is called right before each request (the
worker's rate limit and lease check) and raises to stop before anything is sent.

Adding a provider: one module here with its adapter class, one line in
:data:`ADAPTERS`, its name in ``tui.core.config.TYPES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar, Final, Literal, Protocol, get_args

from tui.core.config import Destination
from tui.publish.destinations.betterstack import BetterStackAdapter
from tui.publish.destinations.cachet import CachetAdapter
from tui.publish.destinations.chat import MattermostAdapter, SlackAdapter, TeamsAdapter
from tui.publish.destinations.discord import DiscordAdapter
from tui.publish.destinations.email import EmailAdapter
from tui.publish.destinations.instatus import InstatusAdapter
from tui.publish.destinations.openstatus import OpenstatusAdapter
from tui.publish.destinations.statuspage import StatuspageAdapter
from tui.publish.destinations.webhook import WebhookAdapter

if TYPE_CHECKING:
    import httpx

    from tui.publish.outbox import Row

Guarantee = Literal["exactly-once", "at-least-once", "at-most-once"]
"""How often an update reaches the provider when attempts fail ambiguously."""

GUARANTEES: Final[tuple[Guarantee, ...]] = get_args(Guarantee)


class Adapter(Protocol):
    """What the worker asks of a destination. Built per row: ``Adapter(dest, before)``."""

    guarantee: ClassVar[Guarantee]

    def send(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """Deliver ``row`` (``provider_ref``: the provider's id for this incident, None
        before its first update); return the provider's id for the incident."""
        ...

    def find(
        self, client: httpx.Client, row: Row, provider_ref: str | None, already: int = 0
    ) -> tuple[str | None, bool]:
        """After an ambiguous attempt: (the provider's id for the incident if found,
        whether ``row`` is already there). ``already``: how many earlier rows of the
        incident with the same text were sent (a repeated text must not be taken
        for this row)."""
        ...

    def check(self, client: httpx.Client) -> str:
        """One read-only call (auth and reachability; a connection check where the
        provider has no read-only call, and the text says so): a one-line OK text, or
        a :class:`~tui.publish.retry.DeliveryError` whose text says what is wrong.
        Used by ``warroom destinations check``; never sends an update."""
        ...


AdapterFactory = Callable[[Destination, Callable[[], None] | None], Adapter]
"""An adapter class: built from the destination's config and the worker's ``before``."""

ADAPTERS: Final[Mapping[str, AdapterFactory]] = {
    "statuspage": StatuspageAdapter,
    "cachet": CachetAdapter,
    "instatus": InstatusAdapter,
    "betterstack": BetterStackAdapter,
    "email": EmailAdapter,
    "openstatus": OpenstatusAdapter,
    "discord": DiscordAdapter,
    "slack": SlackAdapter,
    "mattermost": MattermostAdapter,
    "teams": TeamsAdapter,
    "webhook": WebhookAdapter,
}
"""Config ``type:`` -> the adapter that speaks to that provider."""


def adapter_for(dest: Destination, before: Callable[[], None] | None = None) -> Adapter:
    """The adapter for ``dest``'s type (the config accepts no type that is not here)."""
    return ADAPTERS[dest.type](dest, before)

"""Support queues that fill themselves, and the replies each channel pastes.

The config's ``channels:`` says where each playbook channel's queue is counted
(:class:`tui.core.config.QueueSource`). One process per database polls them --
whichever dashboard or ``warroom watch`` holds the ``queue-poller`` lease -- and
writes a ``channel.counts`` event only when a number moves.

- :mod:`~tui.queues.sources`: one module per kind of source (zendesk,
  freshdesk, intercom, json, command), each ``fetch(source, client) -> Reading``;
- :mod:`~tui.queues.status`: the ``queue_sources`` table (what each source
  last said, in words) and the ``leases`` table;
- :mod:`~tui.queues.poller`: the lease, the schedule, backoff, the events;
- :mod:`~tui.queues.replies`: a channel's canned reply, rendered from the
  latest published update, and whether a newer one made it outdated.

Textual-free, like the layers below it; it writes through :mod:`tui.commands`.
"""

"""Publishing, in the order an update travels. No Textual.

publish -> outbox row -> worker -> destination adapter -> event:

* :mod:`~tui.publish.drafting` renders the playbook's templates into drafts (blanks for people);
* :mod:`~tui.publish.checks` says what a message must and must not say (a module per rule kind);
* :mod:`~tui.publish.publishing` turns a message into one payload per destination;
* :mod:`~tui.publish.outbox` is the durable queue: rows written with the event that asked
  for them, claimed with a lease, in order per incident and destination;
* :mod:`~tui.publish.worker` claims a row, holds its lease, sends it through an adapter and
  records the outcome as an event;
* :mod:`~tui.publish.retry` is the whole retry policy: backoff, Retry-After, which answers
  stop and which are tried again;
* :mod:`~tui.publish.destinations` holds the adapter protocol, the registry by config
  ``type:``, and one module per provider (:mod:`~tui.publish.destinations.statuspage`).
"""

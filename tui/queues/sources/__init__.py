"""Queue sources: one module per kind, each ``fetch(source, client) -> Reading``.

``client`` is an ``httpx.Client`` (unused by ``command``); ``source`` is the
channel's :class:`~tui.core.config.QueueSource`. A failed poll raises
:class:`~tui.queues.sources.base.SourceError` with words a person can act on.
:data:`FETCHERS` maps each ``source:`` name to its module's ``fetch``
(imported when first used: the CLI stays light).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.queues.sources.base import Reading, SourceError

if TYPE_CHECKING:
    from tui.core.config import QueueSource

__all__ = ["KINDS", "Reading", "SourceError", "fetcher"]

# source: name -> module under tui.queues.sources
KINDS = {
    "zendesk": "zendesk",
    "freshdesk": "freshdesk",
    "intercom": "intercom",
    "json": "jsonapi",
    "command": "command",
}


def fetcher(kind: str) -> Callable[[QueueSource, Any], Reading]:
    """The ``fetch`` function of source kind ``kind`` (KeyError when unknown)."""
    module = importlib.import_module(f"tui.queues.sources.{KINDS[kind]}")
    fn: Callable[[QueueSource, Any], Reading] = module.fetch
    return fn

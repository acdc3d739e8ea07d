"""Intercom: how many conversations a search matches (default: the open ones).

``POST {base}/conversations/search`` with ``{"query": ..., "pagination":
{"per_page": 1}}`` answers ``{"type": "conversation.list", "total_count": N,
"conversations": [...]}``. The query is Intercom's search syntax, written in the
config as YAML (``{field: open, operator: "=", value: true}``, or a group
``{operator: AND, value: [...]}``). With ``oldest: true`` the same call also asks
for ``sort: {field: created_at, order: ascending}`` and reads the first
conversation's ``waiting_since`` (else its ``created_at``; Unix seconds): one call
a poll either way. Bearer token; ``Intercom-Version`` :data:`API_VERSION`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from tui.queues.sources._http import instant, read_secret, request_json, where, whole
from tui.queues.sources.base import Reading, SourceError

if TYPE_CHECKING:
    import httpx

    from tui.core.config import QueueSource

TITLE = "Intercom"
API_VERSION: Final = "2.11"


def fetch(source: QueueSource, client: httpx.Client) -> Reading:
    token = read_secret(source, TITLE, "token")
    options = source.options
    body: dict[str, Any] = {"query": _plain(options["query"]), "pagination": {"per_page": 1}}
    if options.get("oldest"):
        body["sort"] = {"field": "created_at", "order": "ascending"}
    answer = request_json(
        client,
        source,
        TITLE,
        "POST",
        f"{options['base_url']}/conversations/search",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Intercom-Version": API_VERSION},
        secrets=(token,),
        auth_hint=where(source, "token"),
    )
    if not isinstance(answer, dict) or "total_count" not in answer:
        raise SourceError(f"{TITLE}: the answer has no total_count (is base_url Intercom's?)")
    count = whole(answer["total_count"], TITLE, "total_count")
    oldest = None
    conversations = answer.get("conversations")
    if options.get("oldest") and count and isinstance(conversations, list) and conversations:
        first = conversations[0]
        if isinstance(first, dict):
            value = first.get("waiting_since") or first.get("created_at")
            oldest = instant(value, TITLE, "waiting_since")
    return Reading(count, oldest)


def _plain(value: Any) -> Any:
    """The config's query as plain JSON values (its mappings may be read-only proxies)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value

"""Zendesk: how many tickets a search matches, and (``oldest: true``) since when the oldest waits.

``GET {base}/api/v2/search/count?query=...`` answers ``{"count": N}`` (the
unified search's count; the query is Zendesk search syntax, such as
``type:ticket status<solved tags:outage``). With ``oldest: true`` a second call,
``GET {base}/api/v2/search?query=...&sort_by=created_at&sort_order=asc&per_page=1``,
gives the oldest matching ticket's ``created_at`` (two calls a poll: the search
API's rate limit is the account's). Basic auth with ``{email}/token:{token}``
(an API token, read from ``token_env`` or ``token_file`` at every poll).
"""

from __future__ import annotations

from base64 import b64encode
from typing import TYPE_CHECKING, Any

from tui.queues.sources._http import instant, read_secret, request_json, where, whole
from tui.queues.sources.base import Reading, SourceError

if TYPE_CHECKING:
    import httpx

    from tui.core.config import QueueSource

TITLE = "Zendesk"


def fetch(source: QueueSource, client: httpx.Client) -> Reading:
    token = read_secret(source, TITLE, "token")
    options = source.options
    base, email, query = options["base_url"], options["email"], options["query"]
    credential = f"{email}/token:{token}"
    basic = b64encode(credential.encode("utf-8")).decode("ascii")

    def get(path: str, params: dict[str, str]) -> Any:
        return request_json(
            client,
            source,
            TITLE,
            "GET",
            f"{base}{path}",
            params=params,
            headers={"Authorization": f"Basic {basic}"},
            secrets=(token, basic),
            auth_hint=f"{where(source, 'token')} and email",
            detail=_detail,
        )

    answer = get("/api/v2/search/count", {"query": query})
    if not isinstance(answer, dict) or "count" not in answer:
        raise SourceError(f"{TITLE}: the answer has no count (is base_url a Zendesk?)")
    count = whole(answer["count"], TITLE, "count")
    oldest = None
    if options.get("oldest") and count:
        found = get(
            "/api/v2/search",
            {"query": query, "sort_by": "created_at", "sort_order": "asc", "per_page": "1"},
        )
        results = found.get("results") if isinstance(found, dict) else None
        if not isinstance(results, list):
            raise SourceError(f"{TITLE}: the search answer has no results list")
        if results and isinstance(results[0], dict):
            oldest = instant(results[0].get("created_at"), TITLE, "created_at")
    return Reading(count, oldest)


def _detail(data: Any) -> Any:
    """Zendesk's error words: ``{"error": "...", "description": "..."}`` or
    ``{"error": {"title": ..., "message": ...}}``."""
    if not isinstance(data, dict):
        return None
    error, description = data.get("error"), data.get("description")
    if isinstance(error, dict):
        return error.get("message") or error.get("title")
    if isinstance(error, str) and isinstance(description, str):
        return f"{error}: {description}"
    return error or description

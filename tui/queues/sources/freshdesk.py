"""Freshdesk: how many tickets a filter matches (and, when they fit on one page, the oldest).

``GET {base}/api/v2/search/tickets?query="..."`` (the filter-tickets search; the
query is Freshdesk filter syntax such as ``status:2 AND tag:'outage'``, sent
inside double quotes, at most 512 characters) answers ``{"total": N, "results":
[...]}``, 30 tickets a page. ``total`` is the count; when all the matches are on
that first page (``total`` <= 30), the oldest ``created_at`` among them is the
oldest waiting, otherwise it is unknown (the search has no sort order to ask
for). Basic auth with the API key as the user and ``X`` as the password.
"""

from __future__ import annotations

from base64 import b64encode
from typing import TYPE_CHECKING, Any

from tui.queues.sources._http import instant, read_secret, request_json, where, whole
from tui.queues.sources.base import Reading, SourceError

if TYPE_CHECKING:
    from datetime import datetime

    import httpx

    from tui.core.config import QueueSource

TITLE = "Freshdesk"


def fetch(source: QueueSource, client: httpx.Client) -> Reading:
    key = read_secret(source, TITLE, "api_key")
    basic = b64encode(f"{key}:X".encode()).decode("ascii")
    answer = request_json(
        client,
        source,
        TITLE,
        "GET",
        f"{source.options['base_url']}/api/v2/search/tickets",
        params={"query": f'"{source.options["query"]}"'},
        headers={"Authorization": f"Basic {basic}"},
        secrets=(key, basic),
        auth_hint=where(source, "api_key"),
        detail=_detail,
    )
    if not isinstance(answer, dict) or "total" not in answer:
        raise SourceError(f"{TITLE}: the answer has no total (is base_url a Freshdesk?)")
    count = whole(answer["total"], TITLE, "total")
    results = answer.get("results")
    oldest: datetime | None = None
    if isinstance(results, list) and results and len(results) >= count:
        times = [
            instant(r.get("created_at"), TITLE, "created_at")
            for r in results
            if isinstance(r, dict)
        ]
        oldest = min((t for t in times if t is not None), default=None)
    return Reading(count, oldest)


def _detail(data: Any) -> Any:
    """Freshdesk's error words: ``{"code", "message"}`` or ``{"description",
    "errors": [{"field", "message", "code"}]}``."""
    if not isinstance(data, dict):
        return None
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        field = first.get("field")
        return f"{field}: {first.get('message')}" if field else first.get("message")
    return data.get("message") or data.get("description") or data.get("code")

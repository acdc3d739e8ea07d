"""The generic JSON source: GET a URL, read the count (and the oldest) with JMESPath.

``url`` (or ``url_env``: the whole URL is a secret, say with a token in it) is
fetched with the headers of ``headers_env`` (header -> the variable holding its
value). ``count`` is a JMESPath expression for a whole number 0..1 000 000;
``oldest`` (optional) for an ISO 8601 time (no offset: UTC) or Unix epoch
seconds (null: nobody waits). Both expressions were compiled when the config was
read (``count_expr``, ``oldest_expr``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.core.config import SecretError
from tui.queues.sources._http import instant, read_secret, request_json, where, whole
from tui.queues.sources.base import Reading, SourceError

if TYPE_CHECKING:
    import httpx

    from tui.core.config import QueueSource

TITLE = "JSON source"


def fetch(source: QueueSource, client: httpx.Client) -> Reading:
    options = source.options
    secrets: list[str] = []
    if options.get("url"):
        url = str(options["url"])
    else:
        url = read_secret(source, TITLE, "url")
        secrets.append(url)
        from tui.publish.destinations.redaction import hide_url_in_logs

        hide_url_in_logs(url)
    try:
        headers = source.headers()
    except SecretError as exc:  # names the variable, never the value
        text = str(exc).removeprefix(f"channel {source.channel!r}: ")
        raise SourceError(f"{TITLE}: {text}", permanent=True) from None
    secrets += headers.values()
    refs = options.get("headers_env") or {}
    names = [*([] if options.get("url") else [where(source, "url")]), *refs.values()]
    hint = ", ".join(names) or "the URL (does it need headers_env?)"
    answer = request_json(
        client,
        source,
        TITLE,
        "GET",
        url,
        headers=headers,
        secrets=secrets,
        auth_hint=hint,
    )
    count_path = str(options["count"])
    found = _search(options, "count", answer)
    if found is None:
        raise SourceError(
            f"{TITLE}: count path {count_path!r} found nothing in the answer", permanent=True
        )
    count = whole(found, TITLE, f"count path {count_path!r}", permanent=True)
    oldest = None
    if options.get("oldest"):
        oldest_path = str(options["oldest"])
        oldest = instant(
            _search(options, "oldest", answer),
            TITLE,
            f"oldest path {oldest_path!r}",
            permanent=True,
        )
    return Reading(count, oldest)


def _search(options: Any, name: str, data: Any) -> Any:
    compiled = options.get(f"{name}_expr")
    if compiled is None:  # a QueueSource built by hand (tests): compile now
        import jmespath

        compiled = jmespath.compile(str(options[name]))
    return compiled.search(data)

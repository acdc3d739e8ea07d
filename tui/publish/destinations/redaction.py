"""A destination's secret never reaches an error text: :func:`redact` removes it.

A server (or a proxy) may echo the ``Authorization`` header back, whole, encoded
or cut. Before an error is cleaned, cut to length, stored or shown, every form of
the key (as is, URL-encoded, base64 alone or as an ``OAuth`` or Basic value) and
every piece of such a form at least :data:`MIN_FRAGMENT` characters long becomes
:data:`REDACTED`. Every adapter redacts with this one function.

A secret *URL* (a chat webhook) is also in httpx's own log line for each request
(``HTTP Request: POST <url>``, level INFO): :func:`hide_url_in_logs` registers it,
and a filter on the ``httpx`` logger rewrites those lines without it.
"""

from __future__ import annotations

import logging
import threading
from typing import Final
from urllib.parse import urlsplit

REDACTED: Final = "[redacted]"
MIN_FRAGMENT: Final = 8  # a piece of a key this long (or longer) in an answer is redacted


def _forms(key: str) -> list[str]:
    """The key as a server might echo it: as is, URL-encoded, base64 (alone, as an
    ``OAuth`` header value, as a Basic user or password), longest first."""
    from base64 import b64encode, urlsafe_b64encode
    from urllib.parse import quote, quote_plus

    forms = {key, quote(key, safe=""), quote_plus(key), f"OAuth {key}", f"OAuth%20{key}"}
    for text in (key, f"OAuth {key}", f":{key}", f"{key}:"):
        raw = text.encode("utf-8")
        for enc in (b64encode(raw), urlsafe_b64encode(raw)):
            forms.add(enc.decode("ascii"))
            forms.add(enc.decode("ascii").rstrip("="))
    return sorted((f for f in forms if f), key=len, reverse=True)


def redact(text: str, key: str) -> str:
    """``text`` without the key: every form of it (:func:`_forms`) and every piece of a
    form at least :data:`MIN_FRAGMENT` characters long (a server may cut it itself)."""
    if not key or not text:
        return text
    forms = _forms(key)
    for form in forms:
        text = text.replace(form, REDACTED)
    for form in forms:
        if len(form) < MIN_FRAGMENT:
            continue
        out: list[str] = []
        i = 0
        while i < len(text):
            if text[i : i + MIN_FRAGMENT] in form and len(text) - i >= MIN_FRAGMENT:
                j = i + MIN_FRAGMENT
                while j < len(text) and text[i : j + 1] in form:
                    j += 1
                out.append(REDACTED)
                i = j
            else:
                out.append(text[i])
                i += 1
        text = "".join(out)
    return text


def secret_url_parts(url: str) -> list[str]:
    """What of a secret URL (a chat webhook) is secret: its path, query and fragment (where
    the token is) and any user:password -- never its scheme and host, which are no secret
    (``hooks.slack.com``) and are what a person needs to see. A value that is not a URL
    with a host is secret whole."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return [url]
    after = url.split("//", 1)[1] if "//" in url else url
    netloc_end = len(parts.netloc)
    tail = after[netloc_end:]  # path, query and fragment, as written
    user = parts.netloc.rpartition("@")[0]
    found = [tail, parts.path, parts.query, parts.fragment, user]
    return sorted({t for t in found if t and t != "/"}, key=len, reverse=True)


def url_origin(url: str) -> str:
    """A URL's scheme and host (and an explicit port): what may be shown of a secret one;
    "?" when it has no host."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{port}"


_HIDDEN_URLS: set[str] = set()
_HIDDEN_LOCK = threading.Lock()  # delivery threads add while others log


class _HideUrls(logging.Filter):
    """Rewrites an ``httpx`` log record without any URL registered by
    :func:`hide_url_in_logs` (nor its path, where a hook's token is)."""

    def filter(self, record: logging.LogRecord) -> bool:
        with _HIDDEN_LOCK:
            urls = sorted(_HIDDEN_URLS, key=len, reverse=True)
        if urls:
            text = record.getMessage()
            for url in urls:
                path = urlsplit(url).path
                text = text.replace(url, REDACTED)
                if len(path) >= MIN_FRAGMENT:
                    text = text.replace(path, "/" + REDACTED)
            record.msg, record.args = text, ()
        return True


_FILTER = _HideUrls()


def hide_url_in_logs(url: str) -> None:
    """Keep the secret ``url`` out of httpx's request log lines (from now on)."""
    with _HIDDEN_LOCK:
        _HIDDEN_URLS.add(url)
    logger = logging.getLogger("httpx")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)

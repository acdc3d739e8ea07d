"""One POST to a webhook whose URL may be a secret: the chat hooks and our signed webhook.

A chat hook's URL *is* its credential (anyone who has it can post to the channel),
so it is read at send time like a key (``url_env`` / ``url_file``:
:meth:`tui.core.config.Destination.secret`) and never reaches an error text, the
database or the screen; a plain ``url:`` (a local sink) is not secret. Hooks answer
with text (Slack: ``ok``), an empty body (Teams: 202) or anything at all (a
receiver of our webhook), so :func:`post` does not expect JSON the way
:func:`tui.publish.destinations.http.request_json` does; it judges the status with
the same policy (:func:`tui.publish.retry.verdict`) and maps the same transport
failures:

* no connection -> retried; a timeout, reset or dropped connection after the
  request went out -> retried, *ambiguous* (the message may have been posted);
* 3xx -> stops (never followed: a redirect of a secret URL must not be chased);
  420/429 -> waits for ``Retry-After``; 5xx -> ambiguous; other 4xx -> stops;
* 2xx -> the :class:`Answer` (status and text), judged by the adapter.

Every text a server or httpx gives back is redacted of every secret in play (the
URL, its path, the signing secret: :func:`~tui.publish.destinations.redaction.redact`)
before it is cleaned and cut, so a server that echoes the URL cannot leak it; a
secret URL is kept out of httpx's request log lines too
(:func:`~tui.publish.destinations.redaction.hide_url_in_logs`).

:func:`reachable` is the connection check of ``warroom destinations check``: a hook
has no read-only call, so it opens a TCP (and TLS, verifying the certificate)
connection and sends nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from tui.core.config import Destination, SecretError
from tui.core.textsafe import clean_line
from tui.publish.destinations.redaction import hide_url_in_logs, redact, secret_url_parts
from tui.publish.retry import DeliveryError, parse_retry_after, verdict

if TYPE_CHECKING:
    import httpx

RAW_CAP: Final = 8192  # characters of a server's answer looked at (before redaction)
ERROR_CAP: Final = 240  # characters of a server's words kept in an error (after redaction)
USER_AGENT: Final = "warroom"


@dataclass(frozen=True, slots=True)
class HookURL:
    """Where to post, and whether the address is a secret (never shown) or plain."""

    url: str
    secret: bool

    @property
    def shown(self) -> str:
        """What an error may say about the address: a secret URL's host only."""
        parts = urlsplit(self.url)
        return f"the webhook at {parts.hostname or '?'}" if self.secret else self.url

    def hidden(self) -> list[str]:
        """The texts to redact from anything a server says: the URL, its path and query."""
        if not self.secret:
            return []
        return [self.url, *secret_url_parts(self.url)]


def hook_url(dest: Destination) -> HookURL:
    """The destination's hook URL: the secret (``url_env``/``url_file``) read now, else
    the plain ``url:``. Anything wrong stops the row with words naming where it
    came from, never the value."""
    try:
        secret = dest.secret("url")
    except SecretError as exc:
        raise DeliveryError(str(exc), retryable=False) from None
    if secret is not None:
        hook = HookURL(secret, True)
    else:
        plain = dest.options.get("url")
        if not isinstance(plain, str) or not plain:
            raise DeliveryError(
                f"destination {dest.id!r} has no webhook URL (url_env, url_file or url)",
                retryable=False,
            )
        hook = HookURL(plain, False)
    parts = urlsplit(hook.url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        where = "the secret webhook URL (url_env/url_file)" if hook.secret else "url"
        raise DeliveryError(
            f"destination {dest.id!r}: {where} must be an https:// address",
            retryable=False,
        )
    return hook


@dataclass(frozen=True, slots=True)
class Answer:
    """A 2xx answer: its status and (the start of) its text, redacted."""

    status: int
    text: str
    content_type: str = ""


def post(
    client: httpx.Client,
    dest: Destination,
    hook: HookURL,
    content: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    words: Callable[[int, str], str] | None = None,
    before: Callable[[], None] | None = None,
    secrets: Sequence[str] = (),
) -> Answer:
    """POST ``content`` (JSON bytes) to the hook; the 2xx answer, or a DeliveryError.

    ``words(status, text)``: what a refusal means, in words (the provider's error
    codes); ``secrets``: more values to keep out of error texts (a signing secret).
    """
    hidden = [*hook.hidden(), *(s for s in secrets if s)]
    if before is not None:
        before()
    sent = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        **(headers or {}),
    }
    response = _exchange(client, dest, hook, content, sent, hidden)
    status = response.status_code
    said = _said(response.text[:RAW_CAP], hidden)
    judged = verdict(status)
    if judged == "sent":
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return Answer(status, said, ctype)
    if judged == "redirect":
        location = "(given)" if hook.secret else _said(response.headers.get("Location", ""), [])
        raise DeliveryError(
            f"HTTP {status}: {hook.shown} redirects to {location or '(no Location given)'}; "
            f"redirects are not followed: put the address that answers without one in "
            f"the config of destination {dest.id!r}",
            retryable=False,
        )
    explained = words(status, said) if words is not None else said
    detail = f"HTTP {status}" + (f": {explained}" if explained else "")
    if judged == "throttled":
        raise DeliveryError(
            f"throttled ({detail})",
            retryable=True,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if judged == "ambiguous":
        raise DeliveryError(detail, retryable=True, ambiguous=True)
    raise DeliveryError(detail, retryable=False)


def _exchange(
    client: httpx.Client,
    dest: Destination,
    hook: HookURL,
    content: bytes,
    headers: Mapping[str, str],
    hidden: Sequence[str],
) -> httpx.Response:
    import httpx

    if hook.secret:  # httpx logs "HTTP Request: POST <url>" at INFO: not this one
        hide_url_in_logs(hook.url)
        with contextlib.suppress(httpx.InvalidURL, ValueError):
            hide_url_in_logs(str(httpx.URL(hook.url)))  # as httpx prints it
    try:
        return client.post(hook.url, content=content, headers=headers, timeout=dest.timeout)
    except (UnicodeError, httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.LocalProtocolError):
        # its text would quote the address (a secret) or a header: never kept
        raise DeliveryError(
            f"the request cannot be sent to {hook.shown}: the address or a header is not "
            f"valid (check the url of destination {dest.id!r})",
            retryable=False,
        ) from None
    except httpx.ConnectTimeout:
        raise DeliveryError(
            f"could not connect to {hook.shown} (timeout)", retryable=True
        ) from None
    except httpx.ConnectError as exc:
        raise DeliveryError(
            f"could not connect to {hook.shown}: {_reason(exc, hidden)}", retryable=True
        ) from None
    except httpx.TimeoutException:
        # the request went out: the message may have been posted
        raise DeliveryError(
            f"no answer in time from {hook.shown}", retryable=True, ambiguous=True
        ) from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise DeliveryError(
            f"connection dropped by {hook.shown}: {_reason(exc, hidden)}",
            retryable=True,
            ambiguous=True,
        ) from None
    except httpx.HTTPError as exc:
        raise DeliveryError(
            f"HTTP error from {hook.shown}: {_reason(exc, hidden)}",
            retryable=True,
            ambiguous=True,
        ) from None


def _said(text: str, hidden: Sequence[str]) -> str:
    """A server's (or httpx's) words: every secret redacted before and after cleaning,
    and only then cut (a cut first could keep all but a few characters of one)."""
    for secret in hidden:
        text = redact(text, secret)
    text = clean_line(text)
    for secret in hidden:
        text = redact(text, secret)
    return text if len(text) <= ERROR_CAP else text[: ERROR_CAP - 1] + "…"


def _reason(exc: Exception, hidden: Sequence[str]) -> str:
    return _said((str(exc) or type(exc).__name__)[:RAW_CAP], hidden)


def reachable(dest: Destination, *, what: str) -> str:
    """The connection check: TCP, then TLS with the certificate verified (https), to the
    hook's host; nothing is sent. One line saying so, or a DeliveryError in words.

    ``what``: what is checked ("Slack incoming webhook"), for the message."""
    import socket
    import ssl

    hook = hook_url(dest)
    parts = urlsplit(hook.url)
    host = parts.hostname or ""
    tls = parts.scheme == "https"
    try:
        port = parts.port or (443 if tls else 80)
    except ValueError:
        raise DeliveryError(
            f"destination {dest.id!r}: the webhook URL has an invalid port", retryable=False
        ) from None
    where = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=dest.timeout) as sock:
            if tls:
                context = ssl.create_default_context()
                with context.wrap_socket(sock, server_hostname=host):
                    pass
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(
            f"TLS to {where} failed: the certificate is not valid "
            f"({_said(exc.verify_message or '', hook.hidden())})",
            retryable=False,
        ) from None
    except (OSError, ssl.SSLError) as exc:
        reason = _said(exc.strerror or str(exc) or type(exc).__name__, hook.hidden())
        raise DeliveryError(f"cannot reach {where}: {reason}", retryable=True) from None
    secured = "TCP and TLS (certificate verified)" if tls else "TCP (plain http, no TLS)"
    return (
        f"reachable: {secured} to {where}; a connection check only: a {what} has no "
        "read-only call, so the hook itself (its token, its channel) is not proven"
    )

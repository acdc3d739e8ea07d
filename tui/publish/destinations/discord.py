"""The Discord adapter (incoming webhook): each update a new message, AT-LEAST-ONCE.

Every update -- acknowledgement, updates, resolution, post-mortem -- is a new
message: ``POST <hook url>?wait=true`` ``{"content": ..., "allowed_mentions":
{"parse": []}}`` (no ``@everyone`` or role ping from a message's text). With
``wait=true`` Discord answers the message object; its ``id`` is the row's reference
(the incident's reference is the id of its first message). Messages are never
edited: a customer reading the channel sees each step as it happened.

The text: a first line with the incident's title and the status (``**Logins fail**
· Investigating``), the message, then a small line with what every chat room gets
(:func:`tui.publish.destinations.chat.facts`: ``As of: 14:02 UTC`` -- the publish time,
also when delivered late -- the next update promised, the components).

``content`` takes at most 2,000 characters: a longer text is SPLIT, never cut -- at
paragraph, then line, then sentence, then word boundaries -- into messages sent in
order, each ending ``-# part k of n``, so nothing of the meaning (the next-update
time is often the last line) is lost.

Why at-least-once, not exactly-once: a webhook can read back only a message whose
id it knows (``GET <hook url>/messages/{id}``); it cannot list the channel. An
ambiguous POST (a timeout, a reset, a 5xx after Discord committed) gives no id, so
there is nothing to look up: whether the message landed cannot be known. Between
sending again (a customer may see one message twice) and not sending (the update
may be missing from the channel during an outage), a duplicate is the lesser harm:
:meth:`DiscordAdapter.find` answers "not there" and the worker sends again. The
same holds for a split text whose later part fails unclearly: the whole text is sent
again. Failures known to have posted nothing never cause a duplicate: a 429 or a
refused connection on a later part of a split text is waited out within the attempt
(up to :data:`INLINE_WAIT` seconds; the worker's ``before`` holds the lease before
each request), so the parts already posted are not sent twice. Only a longer wait,
or a permanent error on a later part retried by a person, sends the earlier parts
again.

Rate limits: a 429 carries ``retry_after`` (seconds, a float) in its JSON body;
that value, else the ``Retry-After`` header, is the wait the retry policy honours.

The hook URL is the secret (``url_env`` / ``url_file``, read at send time; a plain
``url:`` is a local sink). It is never put in an error: every text from an answer
or an exception is redacted against the URL and its token before it is kept, even
when the server echoes it back. :meth:`DiscordAdapter.check` reads the webhook
object (``GET <hook url>``): it proves the URL works without posting anything.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Final

from tui.core.config import Destination, SecretError
from tui.core.textsafe import clean_line
from tui.publish.destinations.chat import facts
from tui.publish.destinations.http import ERROR_CAP, RAW_CAP
from tui.publish.destinations.redaction import REDACTED, hide_url_in_logs, redact
from tui.publish.retry import DeliveryError, parse_retry_after, verdict

if TYPE_CHECKING:
    import httpx

    from tui.publish.destinations import Guarantee
    from tui.publish.outbox import Row

INLINE_WAIT: Final = 10.0  # seconds a later part of a split text may wait in one attempt
MAX_CONTENT: Final = 2000  # Discord's limit on ``content`` (counted here in UTF-16 units)
PART_MARK: Final = "\n-# part {k} of {n}"  # Discord's small "subtext" line
STATUS_WORDS: Final = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
_MARKDOWN = re.compile(r"([\\*_~`|])")


class DiscordAdapter:
    """A Discord channel's incoming webhook."""

    guarantee: ClassVar[Guarantee] = "at-least-once"

    def __init__(self, dest: Destination, before: Callable[[], None] | None = None):
        self.dest = dest
        self.before = before  # the worker's rate limit and lease check, before each request
        self._url = self._token = ""  # the hook URL and its token, for redaction
        self.sleep: Callable[[float], None] = time.sleep  # the inline wait of a split text

    # -- check -------------------------------------------------------------------------
    def check(self, client: httpx.Client) -> str:
        """``GET <hook url>``: the webhook object (its name); nothing is posted. Its ids are
        not shown: snowflakes made near in time share digits with the hook URL's id, and
        output is redacted against the URL."""
        hook = self._call(client, "GET", "")
        if not isinstance(hook, dict) or not hook.get("id"):
            raise DeliveryError("the webhook URL did not answer with a webhook", retryable=False)
        name = self._clean(str(hook.get("name") or ""))[:80]
        named = f" {name!r}" if name else ""
        return f"Discord webhook{named} answers; nothing was posted"

    # -- send / find -----------------------------------------------------------------------
    def send(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """Post the update (split into parts when longer than 2,000 characters); the id
        of its (first) message."""
        first: str | None = None
        for part in render(row.payload):
            ref = self._post(client, part, inline_wait=first is not None)
            first = first or ref
        assert first is not None
        return first

    def _post(self, client: httpx.Client, content: str, *, inline_wait: bool) -> str:
        """One message; its id. ``inline_wait`` (a later part of a split text): a failure
        known to have posted nothing (a 429, no connection) is waited out here, up to
        :data:`INLINE_WAIT` seconds in all, so the parts already posted are not sent
        again with the whole text."""
        waited = 0.0
        while True:
            try:
                message = self._call(
                    client,
                    "POST",
                    "wait=true",
                    {"content": content, "allowed_mentions": {"parse": []}},
                )
            except DeliveryError as exc:
                wait = exc.retry_after if exc.retry_after is not None else 1.0
                if not inline_wait or exc.ambiguous or not exc.retryable:
                    raise
                if waited + wait > INLINE_WAIT:
                    raise
                self.sleep(wait)
                waited += wait
                continue
            ref = message.get("id") if isinstance(message, dict) else None
            if not isinstance(ref, str) or not ref:
                raise DeliveryError(
                    "Discord answered without a message id", retryable=True, ambiguous=True
                )
            return ref

    def find(
        self, client: httpx.Client, row: Row, provider_ref: str | None, already: int = 0
    ) -> tuple[str | None, bool]:
        """Nothing to look up (an ambiguous POST gives no id; a webhook cannot list the
        channel): "not there", so the row is sent again -- at-least-once."""
        return provider_ref, False

    # -- one request -----------------------------------------------------------------------
    def _hook_url(self) -> str:
        try:
            url = self.dest.secret("url")
        except SecretError as exc:
            raise DeliveryError(str(exc), retryable=False) from None
        if url is None:
            plain = self.dest.options.get("url")
            if not isinstance(plain, str) or not plain:
                raise DeliveryError(
                    f"destination {self.dest.id!r} has no webhook URL: set url_env "
                    "(an environment variable) or url_file (a 0600 file)",
                    retryable=False,
                )
            url = plain
        if not url.startswith(("https://", "http://")):
            raise DeliveryError(
                f"the webhook URL of destination {self.dest.id!r} must start with https://",
                retryable=False,
            )
        return url

    def _call(self, client: httpx.Client, method: str, query: str, body: Any = None) -> Any:
        """One request to the hook; a POST's ``query`` (``wait=true``) joins the hook
        URL's own (a ``thread_id`` that posts into a thread is kept)."""
        hook = self._hook_url()
        base, _, own = hook.partition("?")
        base = base.rstrip("/")
        self._url, self._token = hook, base.rsplit("/", 1)[-1]
        hide_url_in_logs(base)
        joined = "&".join(q for q in (own if method == "POST" else "", query) if q)
        url = f"{base}?{joined}" if joined else base
        if self.before is not None:
            self.before()
        try:
            return self._exchange(client, method, url, body)
        except DeliveryError as exc:
            exc.args = (_shorten(self._clean(str(exc))),)
            raise

    def _clean(self, text: str) -> str:
        """``text`` without the hook URL or its token (the token as is, encoded, or in
        pieces of 8 characters or more; the webhook's id alone is not a secret)."""
        # before and after the cleaning (which may join pieces)
        return self._hide(clean_line(self._hide(text)))

    def _hide(self, text: str) -> str:
        if self._url:
            text = text.replace(self._url, REDACTED)
        return redact(text, self._token)

    def _exchange(self, client: httpx.Client, method: str, url: str, body: Any) -> Any:
        import httpx

        try:
            response = client.request(
                method,
                url,
                json=body,
                headers={"Accept": "application/json"},
                timeout=self.dest.timeout,
            )
        except (UnicodeError, httpx.LocalProtocolError, httpx.InvalidURL):
            raise DeliveryError(
                f"the webhook URL of destination {self.dest.id!r} cannot be used "
                "(not ASCII, or not a URL): check it",
                retryable=False,
            ) from None
        except httpx.ConnectTimeout:
            raise DeliveryError("could not connect to Discord (timeout)", retryable=True) from None
        except httpx.ConnectError as exc:
            raise DeliveryError(f"could not connect: {_reason(exc)}", retryable=True) from None
        except httpx.TimeoutException:
            raise DeliveryError(
                "no answer in time (the message may have been posted)",
                retryable=True,
                ambiguous=True,
            ) from None
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"connection dropped: {_reason(exc)}", retryable=True, ambiguous=True
            ) from None
        status = response.status_code
        judged = verdict(status)
        if judged == "redirect":
            raise DeliveryError(
                f"HTTP {status}: the webhook URL redirects elsewhere; redirects are not "
                f"followed: set the URL of destination {self.dest.id!r} to Discord's own "
                "webhook URL",
                retryable=False,
            )
        if judged == "throttled":
            raise DeliveryError(
                f"throttled by Discord (HTTP {status})",
                retryable=True,
                retry_after=retry_after_of(response),
            )
        if judged == "ambiguous":
            raise DeliveryError(_message(response), retryable=True, ambiguous=True)
        if judged == "permanent":
            hint = ""
            if status in (401, 403, 404):
                hint = (
                    f"; the webhook URL of destination {self.dest.id!r} is wrong or the "
                    "webhook was deleted: create one in the channel's settings and set it"
                )
            raise DeliveryError(_message(response) + hint, retryable=False)
        try:
            return response.json()
        except ValueError:
            raise DeliveryError(
                f"HTTP {status} but the answer is not JSON (the message may have been posted)",
                retryable=True,
                ambiguous=True,
            ) from None


def retry_after_of(response: httpx.Response) -> float | None:
    """Discord's wait: ``retry_after`` (seconds) in the JSON body, else ``Retry-After``."""
    try:
        data = response.json()
    except ValueError:
        data = None
    value = data.get("retry_after") if isinstance(data, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return parse_retry_after(repr(float(value)))
    return parse_retry_after(response.headers.get("Retry-After"))


def _message(response: httpx.Response) -> str:
    """``HTTP 400: Invalid Form Body (code 50035; content: Must be 2000 or fewer ...)``."""
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code} (answer is not JSON)"
    out = f"HTTP {response.status_code}"
    if not isinstance(data, dict):
        return out
    text = str(data.get("message") or "")
    code = data.get("code")
    detail = _first_error(data.get("errors"))
    extra = "; ".join(x for x in (f"code {code}" if code else "", detail) if x)
    if text:
        out += f": {clean_line(text[:RAW_CAP])}"
    if extra:
        out += f" ({clean_line(extra[:RAW_CAP])})"
    return out


def _first_error(errors: Any, path: str = "") -> str:
    """The first ``_errors`` message in Discord's nested error object, with its path."""
    if not isinstance(errors, dict):
        return ""
    listed = errors.get("_errors")
    if isinstance(listed, list) and listed and isinstance(listed[0], dict):
        return f"{path or 'body'}: {listed[0].get('message', '')}"
    for key, value in errors.items():
        found = _first_error(value, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return ""


def _reason(exc: Exception) -> str:
    return clean_line((str(exc) or type(exc).__name__)[:RAW_CAP])


def _shorten(text: str, cap: int = ERROR_CAP) -> str:
    return text if len(text) <= cap else text[: cap - 1] + "…"


# -- the text ----------------------------------------------------------------------------


def units(text: str) -> int:
    """Length as Discord's JavaScript counts it (UTF-16 code units; never less than len)."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """A title shown as typed, not as Discord markdown."""
    return _MARKDOWN.sub(r"\\\1", text)


def render(payload: dict[str, Any]) -> list[str]:
    """The message(s) for one update: a heading line, the text, a small line with the
    publish time, the next update and the components (as in every chat room); split
    when longer than Discord takes."""
    title = str(payload.get("incident_title") or payload.get("name") or "Incident")
    if payload.get("kind") == "postmortem":
        word = "Post-mortem"
    else:
        word = STATUS_WORDS.get(str(payload.get("status")), str(payload.get("status")).title())
    heading = f"**{escape(clean_line(title))[:300]}** · {word}"
    text = f"{heading}\n{str(payload['body']).strip()}"
    shown = [f"{label}: {value}" for label, value in facts(payload) if label != "Status"]
    if shown:  # the chat rooms' facts: as of, next update, components
        text += "\n-# " + escape(clean_line(" · ".join(shown)))
    if units(text) <= MAX_CONTENT:
        return [text]
    room = MAX_CONTENT - units(PART_MARK.format(k=99, n=99))
    parts = split(text, room, keep=len(heading) + 1)
    return [p + PART_MARK.format(k=k, n=len(parts)) for k, p in enumerate(parts, 1)]


_SEPARATORS: Final = ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ")


def split(text: str, limit: int, keep: int = 1) -> list[str]:
    """``text`` in pieces of at most ``limit`` units, cut at the widest boundary in the
    second half of what fits (paragraph, line, sentence, clause, word), else at any
    boundary; a hard cut only inside one long word. The first piece is never cut
    within its first ``keep`` characters (the heading line stays with text).
    Nothing is dropped but the whitespace at each cut."""
    parts: list[str] = []
    rest = text
    while units(rest) > limit:
        window = _prefix(rest, limit)
        least = max(keep, 1)
        cut = (
            _boundary(window, max(len(window) // 2, least))
            or _boundary(window, least)
            or len(window)
        )
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip(" ")
        keep = 1
    if rest.strip():
        parts.append(rest)
    return parts


def _boundary(window: str, least: int) -> int:
    """Where to cut ``window``: after its widest separator found at ``least`` or later
    (a paragraph in the second half beats a word at the end); 0 if none."""
    for sep in _SEPARATORS:
        at = window.rfind(sep)
        if at >= least:
            return at + len(sep)
    return 0


def _prefix(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-16 units (never splits a pair)."""
    count = 0
    for i, ch in enumerate(text):
        count += 2 if ord(ch) > 0xFFFF else 1
        if count > limit:
            return text[:i]
    return text

"""What the HTTP queue sources share: one bounded request, its failures in words, the
checks of a count and of an "oldest waiting" time.

:func:`request_json` sends one request (redirects not followed: the credentials
would go with them), reads at most :data:`MAX_ANSWER` bytes of the answer and
returns it decoded. Anything else is a :class:`SourceError` whose words start
with the source's title and say what to do ("Zendesk: 401 — check
ZENDESK_TOKEN"): they name the variable or file a secret is read from, never
the value; text a server sent is cut to one clean line (:func:`clean_line`) and
every secret of the request (and its encodings) is redacted from it, before and
after it is cut.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from tui.core.clock import ensure_utc
from tui.core.config import QueueSource, SecretError
from tui.core.textsafe import clean_line
from tui.publish.destinations.redaction import redact
from tui.publish.retry import parse_retry_after
from tui.queues.sources.base import SourceError

if TYPE_CHECKING:
    import httpx

MAX_ANSWER: Final = 1024 * 1024  # bytes of an answer read, at most
MAX_COUNT: Final = 1_000_000
DETAIL_CAP: Final = 160  # characters of a server's own words kept in an error
_RAW_CAP: Final = 8192  # characters looked at before the redaction


def where(source: QueueSource, secret: str) -> str:
    """Where ``secret`` is read from, as a person fixes it: the variable or the file."""
    env, file = source.secret_refs.get(secret, (None, None))
    return env or (f"the file {file}" if file else f"{secret}_env")


def read_secret(source: QueueSource, title: str, name: str) -> str:
    """The secret, or a permanent SourceError naming where it should be."""
    try:
        return source.secret(name)
    except SecretError as exc:
        text = str(exc)
        prefix = f"channel {source.channel!r}: "
        raise SourceError(f"{title}: {text.removeprefix(prefix)}", permanent=True) from None


def request_json(
    client: httpx.Client,
    source: QueueSource,
    title: str,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    secrets: Sequence[str],
    auth_hint: str,
    params: Mapping[str, str] | None = None,
    body: Any = None,
    detail: Callable[[Any], Any] | None = None,
) -> Any:
    """One request; its decoded JSON answer, or a SourceError in words (see the module).

    ``secrets``: every secret value the request carries (redacted from any error);
    ``auth_hint``: what to check when the credentials are refused (a variable name).
    """
    try:
        return _exchange(
            client, source, title, method, url, headers, params, body, detail, auth_hint
        )
    except SourceError as exc:
        text = exc.message
        for secret in secrets:
            text = redact(text, secret)
        text = clean_line(text)
        for secret in secrets:
            text = redact(text, secret)
        exc.message = text
        exc.args = (text,)
        raise


def _exchange(
    client: httpx.Client,
    source: QueueSource,
    title: str,
    method: str,
    url: str,
    headers: Mapping[str, str],
    params: Mapping[str, str] | None,
    body: Any,
    detail: Callable[[Any], Any] | None,
    auth_hint: str,
) -> Any:
    import httpx

    timeout = source.timeout
    try:
        with client.stream(
            method,
            url,
            params=params,
            json=body,
            headers={"Accept": "application/json", **headers},
            timeout=timeout,
            follow_redirects=False,
        ) as response:
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_ANSWER:
                    raise SourceError(
                        f"{title}: the answer is larger than {MAX_ANSWER // 1024 // 1024} MiB "
                        f"(HTTP {response.status_code}); check the address"
                    )
    except SourceError:
        raise
    except UnicodeError:
        # its text would quote the character (of a secret, perhaps): never shown
        raise SourceError(
            f"{title}: the request cannot be sent: a header or the address is not ASCII "
            f"(check {auth_hint})",
            permanent=True,
        ) from None
    except httpx.LocalProtocolError:
        raise SourceError(
            f"{title}: the request cannot be sent: a header is not valid (check {auth_hint})",
            permanent=True,
        ) from None
    except httpx.TimeoutException:
        raise SourceError(f"{title}: no answer within {timeout:g}s") from None
    except httpx.ConnectError as exc:
        raise SourceError(f"{title}: could not connect: {_reason(exc)}") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"{title}: connection failed: {_reason(exc)}") from None
    status = response.status_code
    raw = bytes(data)
    if 200 <= status < 300:
        try:
            return json.loads(raw)
        except ValueError:
            raise SourceError(f"{title}: not JSON (HTTP {status}: {_snippet(raw)})") from None
    said = _said(raw, detail)
    tail = f" ({said})" if said else ""
    if 300 <= status < 400:
        location = clean_line(response.headers.get("Location", "")[:_RAW_CAP])
        raise SourceError(
            f"{title}: HTTP {status} redirects to {location or '(no Location)'}; redirects "
            "are not followed: set the address that answers without one",
            permanent=True,
        )
    if status in (401, 403):
        raise SourceError(f"{title}: {status} — check {auth_hint}{tail}", permanent=True)
    if status == 404:
        raise SourceError(
            f"{title}: 404 — nothing at {_bare(url)}: check the address{tail}", permanent=True
        )
    if status == 429:
        raise SourceError(
            f"{title}: 429 — rate limited{tail}",
            retry_after=_retry_after(response.headers),
        )
    if status in (400, 422):
        raise SourceError(f"{title}: {status} — the request was refused{tail}", permanent=True)
    raise SourceError(f"{title}: HTTP {status}{tail}")


def _retry_after(headers: httpx.Headers) -> float | None:
    seconds = parse_retry_after(headers.get("Retry-After"))
    if seconds is None and (reset := headers.get("X-RateLimit-Reset")):
        # Intercom: the Unix time the window resets
        try:
            seconds = max(0.0, min(float(reset) - datetime.now(UTC).timestamp(), 3600.0))
        except ValueError:
            seconds = None
    return seconds


def _said(raw: bytes, detail: Callable[[Any], Any] | None) -> str:
    """The server's own words about the error (JSON fields, or the start of its text)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return _snippet(raw) if raw.strip() else ""
    text: Any = detail(data) if detail is not None else None
    if text is None and isinstance(data, dict):
        text = data.get("message") or data.get("error") or data.get("description")
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0]
            text = (first.get("message") if isinstance(first, dict) else first) or text
    if text is None or isinstance(text, dict | list):
        return ""
    return _cut(clean_line(str(text)[:_RAW_CAP]))


def _snippet(raw: bytes) -> str:
    return _cut(clean_line(raw[:_RAW_CAP].decode("utf-8", "replace")).strip())


def _cut(text: str, cap: int = DETAIL_CAP) -> str:
    # cut generously here; the redaction runs on the whole message afterwards and
    # once more after cleaning, so a cut never keeps most of a secret
    return text if len(text) <= cap else text[: cap - 1] + "…"


def _reason(exc: Exception) -> str:
    return _cut(clean_line((str(exc) or type(exc).__name__)[:_RAW_CAP]))


def _bare(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def whole(value: Any, title: str, what: str, *, permanent: bool = False) -> int:
    """``value`` as a count: a whole number from 0 to 1 000 000, else a SourceError
    naming ``what`` (the path or field) and the type found."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        found = _kind(value)
        raise SourceError(f"{title}: {what} is {found}, not a whole number", permanent=permanent)
    if not 0 <= value <= MAX_COUNT:
        raise SourceError(
            f"{title}: {what} is {value}, outside 0..{MAX_COUNT}", permanent=permanent
        )
    return value


def instant(value: Any, title: str, what: str, *, permanent: bool = False) -> datetime | None:
    """An ISO 8601 time (no offset: UTC) or Unix epoch seconds; None (null) is unknown."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            if 0 <= value < 253402300800:  # before the year 10000
                return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            pass
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.strip().replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return ensure_utc(at) if at.tzinfo is not None else at.replace(tzinfo=UTC)
    raise SourceError(
        f"{title}: {what} is {_kind(value)}, not a time (ISO 8601 or Unix epoch seconds)",
        permanent=permanent,
    )


def _kind(value: Any) -> str:
    """What a JSON value is, in words (never its whole text)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float):
        return f"a fractional number ({value:g})" if isinstance(value, float) else f"{value}"
    if isinstance(value, str):
        shown = clean_line(value[:40])
        return f"text ({shown!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__

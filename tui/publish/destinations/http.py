"""One JSON request to a provider: the key kept secret, every failure judged by the retry policy.

:func:`request_json` is what an HTTP adapter calls for each request. It reads the
destination's key at send time (checked: :meth:`tui.core.config.Destination.api_key`),
calls ``before`` (the worker's rate limit and lease check: it raises to stop before
anything is sent), sends the request without following redirects, and returns the
decoded JSON answer. Anything else is a :class:`~tui.publish.retry.DeliveryError`:

* an answer is judged by :func:`tui.publish.retry.verdict` (a redirect names its
  Location; a throttled answer carries its ``Retry-After``; the provider's own error
  text, from ``message``, ``error`` or ``errors[0].detail``, follows the status);
* a failure before any answer: no connection -> retryable; a timeout or a dropped
  connection after the request went out -> retryable and *ambiguous*; a request httpx
  cannot build (a header or address that is not ASCII) -> not retryable, and its
  text, which would quote the header, is never kept;
* an answer that is not JSON -> an error with the status, never a crash.

The key goes only into the headers that ``auth`` builds. Every error text is
redacted (:func:`~tui.publish.destinations.redaction.redact`) before it is cleaned,
and again before it is cut to :data:`ERROR_CAP` characters (a cut first could keep
all but a few characters of the key).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from tui.core.config import Destination, SecretError
from tui.core.textsafe import clean_line
from tui.publish.destinations.redaction import redact
from tui.publish.retry import DeliveryError, parse_retry_after, verdict

if TYPE_CHECKING:
    import httpx

RAW_CAP: Final = 8192  # characters of a server's answer looked at (before redaction)
ERROR_CAP: Final = 240  # characters of an error kept (after redaction)


def request_json(
    client: httpx.Client,
    dest: Destination,
    method: str,
    url: str,
    *,
    auth: Callable[[str], Mapping[str, str]],
    body: Any = None,
    before: Callable[[], None] | None = None,
) -> Any:
    """Send one request to ``url`` and return its JSON answer, or raise DeliveryError.

    ``auth`` turns the key into the headers that carry it (``{"Authorization": ...}``).
    """
    try:
        key = dest.api_key()
    except SecretError as exc:
        raise DeliveryError(str(exc), retryable=False) from None
    if before is not None:
        before()
    try:
        headers = {**auth(key), "Accept": "application/json"}
        return _exchange(client, dest, method, url, headers, body)
    except DeliveryError as exc:
        # a server (or proxy) may echo the Authorization header back: redact it
        # BEFORE cutting (a cut first could keep all but a few of its characters)
        text = redact(clean_line(redact(str(exc), key)), key)
        exc.args = (_shorten(text),)
        raise


def _exchange(
    client: httpx.Client,
    dest: Destination,
    method: str,
    url: str,
    headers: dict[str, str],
    body: Any,
) -> Any:
    import httpx

    try:
        response = client.request(method, url, json=body, headers=headers, timeout=dest.timeout)
    except UnicodeError:
        # its text would quote the character (of the key, perhaps): never shown
        raise DeliveryError(
            "the request cannot be sent: a header or the address is not ASCII "
            "(check the key and base_url)",
            retryable=False,
        ) from None
    except httpx.LocalProtocolError:
        # httpx refused to build the request (e.g. an illegal header value): its text
        # quotes the header, so it is not kept; nothing was sent, a retry would fail
        raise DeliveryError(
            "the request cannot be sent: httpx refused a header (check the key)",
            retryable=False,
        ) from None
    except httpx.ConnectTimeout:
        raise DeliveryError("could not connect (timeout)", retryable=True) from None
    except httpx.ConnectError as exc:
        raise DeliveryError(f"could not connect: {_reason(exc)}", retryable=True) from None
    except httpx.TimeoutException:
        # the request went out: the server may have done it
        raise DeliveryError("no answer in time", retryable=True, ambiguous=True) from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise DeliveryError(
            f"connection dropped: {_reason(exc)}", retryable=True, ambiguous=True
        ) from None
    except httpx.HTTPError as exc:
        raise DeliveryError(f"HTTP error: {_reason(exc)}", retryable=True, ambiguous=True) from None
    status = response.status_code
    judged = verdict(status)
    if judged == "redirect":
        # never a success, and not followed: the key would go with it
        location = clean_line(response.headers.get("Location", "")[:RAW_CAP])
        raise DeliveryError(
            f"HTTP {status}: {url} redirects to {location or '(no Location given)'}; "
            "redirects are not followed: set base_url of destination "
            f"{dest.id!r} in the config to the address that answers without one",
            retryable=False,
        )
    if judged == "throttled":
        raise DeliveryError(
            f"throttled (HTTP {status})",
            retryable=True,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if judged == "ambiguous":
        raise DeliveryError(_message(response), retryable=True, ambiguous=True)
    if judged == "permanent":
        raise DeliveryError(_message(response), retryable=False)
    return _json(response)


def _message(response: httpx.Response) -> str:
    """The provider's error text (JSON ``message``, ``error``, ``errors``), one clean line."""
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code} (answer is not JSON)"
    text = None
    if isinstance(data, dict):
        text = data.get("message") or data.get("error")
        if isinstance(text, dict):
            text = text.get("message")
        errors = data.get("errors")
        if text is None and isinstance(errors, list) and errors:
            first = errors[0]
            text = first.get("detail") if isinstance(first, dict) else str(first)
            meta = first.get("meta") if isinstance(first, dict) else None
            details = meta.get("details") if isinstance(meta, dict) else None
            if isinstance(details, list) and details:  # Cachet 2.x: what was invalid
                text = f"{text}: {'; '.join(str(d) for d in details[:5])}"
        elif text is None and isinstance(errors, str):  # Better Stack: {"errors": "..."}
            text = errors
        elif text is None and isinstance(errors, dict) and errors:  # {"title": ["can't be blank"]}
            field, problems = next(iter(errors.items()))
            first = problems[0] if isinstance(problems, list) and problems else problems
            text = f"{field} {first}"
    # not cut to its final length here: that happens after the redaction
    detail = clean_line(str(text)[:RAW_CAP]) if text else ""
    return f"HTTP {response.status_code}" + (f": {detail}" if detail else "")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise DeliveryError(
            f"HTTP {response.status_code} but the answer is not JSON",
            retryable=True,
            ambiguous=True,
        ) from None


def _reason(exc: Exception) -> str:
    # cut to its final length after the redaction (in request_json)
    return clean_line((str(exc) or type(exc).__name__)[:RAW_CAP])


def _shorten(text: str, cap: int = ERROR_CAP) -> str:
    return text if len(text) <= cap else text[: cap - 1] + "…"

"""Email over SMTP (stdlib :mod:`smtplib`): one mail per update, one thread per incident.

Config (``type: email``; :attr:`Destination.options`): ``host``, ``port`` (587 with
``starttls: true``, the default; 465 with ``tls: true``, implicit TLS), ``username`` and
``password_env``/``password_file`` (optional; the password is read at send time by
:meth:`Destination.secret`), ``from``, ``to`` (a list) and/or ``to_file`` (one address
per line, ``#`` comments, read at send time: a bad line is a permanent error naming the
file and the line). A login over a connection that is not encrypted is refused unless
the host is the loopback (a local sink).

Each update is one mail: ``Subject: [status] <incident title>: <Status>`` (resolved:
``Resolved: [status] <incident title>``; the post-mortem: ``...: Post-mortem``), plain
text plus an HTML alternative (every user text escaped), ``Date`` at send, and
``Message-ID: <<row key>@<from domain>>`` -- the row's correlation key (``warroom-...``),
so a resend carries the SAME id. The incident's first mail is the thread root: every
later one has ``In-Reply-To`` and ``References`` pointing to it (the root's id is the
"provider id" the outbox keeps for the incident). Recipients go in the envelope only
(the ``To:`` header is the sender): one customer never sees the others' addresses. The
title is made one line before it reaches a header (no header injection).

Guarantee: **at-least-once**. SMTP cannot be asked whether a mail arrived (there is no
read-only call that finds a sent message), so after an unclear failure -- above all a
connection dropped after ``DATA``, when the server may have queued the mail -- the row
is sent again. The copy has the same ``Message-ID``, which mail clients use to collapse
duplicates. At-most-once would lose updates on every dropped connection; a customer
missing "resolved" is worse than a collapsed duplicate.

Failures: a 5xx reply is permanent (the error quotes the server's reply, without the
password); a 4xx reply, a refused or dropped connection, a timeout are retried. Every
error text is redacted (:func:`~tui.publish.destinations.redaction.redact`) for the
password and the encodings AUTH sends it in.
"""

from __future__ import annotations

import smtplib
import ssl
from base64 import b64encode
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, ClassVar, Final

from tui.core.config import Destination, SecretError
from tui.core.textsafe import clean_line
from tui.publish.destinations.http import ERROR_CAP
from tui.publish.destinations.mail import (
    ADDRESS,
    bare_address,
    build_message,
    message_id_for,
    read_to_file,
    subject_for,
)
from tui.publish.destinations.redaction import redact
from tui.publish.outbox import Row
from tui.publish.retry import DeliveryError

__all__ = ["EmailAdapter", "build_message", "message_id_for", "read_to_file", "subject_for"]

if TYPE_CHECKING:
    import httpx

    from tui.publish.destinations import Guarantee

RCPT_PER_MAIL: Final = 100  # recipients per SMTP transaction (a common server limit)
LOOPBACK: Final = frozenset({"localhost", "127.0.0.1", "::1"})


class EmailAdapter:
    """Email over SMTP: STARTTLS or implicit TLS, optional login, one thread per incident."""

    guarantee: ClassVar[Guarantee] = "at-least-once"

    def __init__(self, dest: Destination, before: Callable[[], None] | None = None):
        self.dest = dest
        # called right before each SMTP transaction (the worker's rate limit and lease
        # check); it raises to stop before anything is sent
        self.before = before
        opts: Mapping[str, Any] = dest.options
        self.host: str = str(opts.get("host") or "")
        self.tls: bool = bool(opts.get("tls", False))
        self.starttls: bool = bool(opts.get("starttls", not self.tls)) and not self.tls
        self.port: int = int(opts.get("port") or (465 if self.tls else 587))
        self.username: str | None = opts.get("username") or None
        self.sender: str = str(opts.get("from") or "")
        self.to: tuple[str, ...] = tuple(opts.get("to") or ())
        to_file = opts.get("to_file")
        self.to_file: str | None = str(to_file) if to_file else None

    # the protocol ----------------------------------------------------------------
    def find(
        self, client: httpx.Client, row: Row, provider_ref: str | None, already: int = 0
    ) -> tuple[str | None, bool]:
        """SMTP cannot be asked: never "there" (at-least-once; the resend keeps its
        Message-ID, so mail clients show it once)."""
        return provider_ref, False

    def send(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """Mail ``row`` to every recipient; the incident thread's root Message-ID."""
        recipients = self.recipients()
        message_id = message_id_for(row.key, self.sender)
        root = provider_ref or message_id
        message = build_message(row.payload, self.sender, message_id, root)
        with self._session() as (smtp, secrets):
            for n, start in enumerate(range(0, len(recipients), RCPT_PER_MAIL)):
                if n and self.before is not None:
                    self.before()
                batch = recipients[start : start + RCPT_PER_MAIL]
                self._transaction(smtp, message, batch, secrets)
        return root

    def check(self, client: httpx.Client) -> str:
        """Connect, EHLO, STARTTLS and login when configured, QUIT: no mail is sent."""
        recipients = self.recipients()
        with self._session() as _:
            pass
        how = "implicit TLS" if self.tls else "STARTTLS" if self.starttls else "no encryption"
        login = f", logged in as {self.username}" if self.username else ""
        return (
            f"SMTP {self.host}:{self.port} answers ({how}{login}); "
            f"{len(recipients)} recipient(s); no mail sent (SMTP has no read-only look-up)"
        )

    @staticmethod
    def preview(dest: Destination, payload: Mapping[str, Any]) -> list[str]:
        """For the confirm screen: the subject, and the recipients counted now (the
        to_file read as the send will read it; a problem in it is shown here first)."""
        adapter = EmailAdapter(dest)
        try:
            count = len(adapter.recipients())
            to = f"to: {count} recipient{'s' if count != 1 else ''}"
            if adapter.to_file:
                to += f" ({len(adapter.to)} in the config, the rest from {adapter.to_file})"
        except DeliveryError as exc:
            to = f"to: cannot be counted: {exc}"
        return [f"subject: {subject_for(payload)}", to, f"from: {clean_line(adapter.sender)}"]

    # recipients --------------------------------------------------------------------
    def recipients(self) -> list[str]:
        """``to`` then ``to_file`` (read now), each address once (case-insensitive)."""
        found: list[str] = []
        for i, address in enumerate(self.to, start=1):
            if not ADDRESS.match(address):
                raise DeliveryError(
                    f"destination {self.dest.id!r}: to item {i} is not an email address "
                    f"({clean_line(address)[:80]!r})",
                    retryable=False,
                )
            found.append(address)
        if self.to_file:
            found += read_to_file(self.dest.id, self.to_file)
        first: dict[str, str] = {}
        for address in found:
            first.setdefault(address.lower(), address)
        unique = list(first.values())
        if not unique:
            raise DeliveryError(
                f"destination {self.dest.id!r} has no recipients: add addresses to 'to' "
                "or to the to_file",
                retryable=False,
            )
        return unique

    # the SMTP conversation --------------------------------------------------------
    def _password(self) -> str | None:
        try:
            return self.dest.secret("password")
        except SecretError as exc:
            raise DeliveryError(str(exc), retryable=False) from None

    @contextmanager
    def _session(self) -> Iterator[tuple[smtplib.SMTP, list[str]]]:
        """A connected (and, when configured, encrypted and logged-in) SMTP session;
        every SMTP or socket failure inside becomes a redacted DeliveryError."""
        password = self._password() if self.username else None
        secrets = _secret_forms(self.username, password)
        if password and not (self.tls or self.starttls) and self.host not in LOOPBACK:
            raise DeliveryError(
                f"destination {self.dest.id!r}: a login over an unencrypted connection would "
                "send the password in clear: set starttls: true (port 587) or tls: true (465)",
                retryable=False,
            )
        if self.before is not None:
            self.before()
        smtp: smtplib.SMTP | None = None
        try:
            with _judged(self, secrets):
                context = ssl.create_default_context()
                if self.tls:
                    smtp = smtplib.SMTP_SSL(
                        self.host, self.port, timeout=self.dest.timeout, context=context
                    )
                else:
                    smtp = smtplib.SMTP(self.host, self.port, timeout=self.dest.timeout)
                smtp.ehlo()
                if self.starttls:
                    if not smtp.has_extn("starttls"):
                        raise DeliveryError(
                            f"{self.host}:{self.port} does not offer STARTTLS: use the "
                            "submission port (587), or tls: true with port 465",
                            retryable=False,
                        )
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if self.username and password is not None:
                    smtp.login(self.username, password)
                yield smtp, secrets
                with suppress(smtplib.SMTPException, OSError):
                    smtp.quit()  # the mail is accepted; a rude goodbye changes nothing
                smtp = None
        finally:
            if smtp is not None:
                smtp.close()

    def _transaction(
        self, smtp: smtplib.SMTP, message: EmailMessage, batch: Sequence[str], secrets: list[str]
    ) -> None:
        with _judged(self, secrets):
            refused = smtp.send_message(
                message, from_addr=bare_address(self.sender), to_addrs=batch
            )
            if refused:
                codes = [code for code, _ in refused.values()]
                listed = "; ".join(
                    f"{addr} ({code} {_text(reply)})" for addr, (code, reply) in refused.items()
                )
                raise DeliveryError(
                    f"{len(refused)} of {len(batch)} recipients refused: {listed}"
                    + (
                        "; fix or remove them, then retry (the others get the same "
                        "Message-ID again: their mail clients show it once)"
                        if all(c >= 500 for c in codes)
                        else ""
                    ),
                    retryable=not all(c >= 500 for c in codes),
                )


@contextmanager
def _judged(adapter: EmailAdapter, secrets: list[str]) -> Iterator[None]:
    """Turn SMTP and socket failures into DeliveryErrors, with the secrets redacted."""
    where = f"{adapter.host}:{adapter.port}"
    try:
        yield
    except DeliveryError as exc:
        exc.args = (_redacted(str(exc), secrets),)
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        listed = "; ".join(
            f"{addr} ({code} {_text(reply)})" for addr, (code, reply) in exc.recipients.items()
        )
        permanent = all(c >= 500 for c in codes)
        raise DeliveryError(
            _redacted(f"{where} refused every recipient: {listed}", secrets),
            retryable=not permanent,
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            _redacted(
                f"{where} refused the login as {adapter.username}: "
                f"{exc.smtp_code} {_text(exc.smtp_error)} (check username and password)",
                secrets,
            ),
            retryable=exc.smtp_code < 500,
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(
            _redacted(f"{where}: {_text(str(exc))}", secrets), retryable=False
        ) from None
    except smtplib.SMTPResponseException as exc:
        code = exc.smtp_code
        raise DeliveryError(
            _redacted(f"{where} answered {code} {_text(exc.smtp_error)}", secrets),
            retryable=not 500 <= code < 600,
            ambiguous=code < 400,  # not an SMTP reply (-1): the server may have taken it
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        raise DeliveryError(
            _redacted(f"{where} dropped the connection: {_text(str(exc))}", secrets),
            retryable=True,
            ambiguous=True,
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(
            f"{where}: the server's TLS certificate is not trusted "
            f"({_text(exc.verify_message or str(exc))}): fix the certificate or the host name",
            retryable=False,
        ) from None
    except ssl.SSLError as exc:
        wrong = "WRONG_VERSION_NUMBER" in str(exc) or "record layer" in str(exc)
        raise DeliveryError(
            f"{where}: TLS failed ({_text(exc.reason or str(exc))})"
            + (
                ": tls: true is for implicit TLS (port 465), starttls: true for 587"
                if wrong
                else ""
            ),
            retryable=not wrong,
            ambiguous=not wrong,
        ) from None
    except TimeoutError:
        raise DeliveryError(f"{where}: no answer in time", retryable=True, ambiguous=True) from None
    except ConnectionRefusedError:
        raise DeliveryError(f"could not connect to {where}: refused", retryable=True) from None
    except smtplib.SMTPException as exc:
        raise DeliveryError(
            _redacted(f"{where}: {_text(str(exc))}", secrets), retryable=True, ambiguous=True
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DeliveryError(
            f"{where}: connection failed: {_text(reason)}", retryable=True, ambiguous=True
        ) from None


# building the mail ------------------------------------------------------------------
def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return clean_line(text)[:2000]


def _secret_forms(username: str | None, password: str | None) -> list[str]:
    """The password and the encodings AUTH PLAIN and LOGIN send it in."""
    if not password:
        return []
    user = username or ""
    forms = [password, b64encode(f"\0{user}\0{password}".encode()).decode("ascii")]
    forms.append(b64encode(password.encode()).decode("ascii"))
    return forms


def _redacted(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = redact(text, secret)
    text = clean_line(text)
    for secret in secrets:
        text = redact(text, secret)
    return text if len(text) <= ERROR_CAP else text[: ERROR_CAP - 1] + "…"

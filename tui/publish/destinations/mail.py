"""An update as an email: its Message-ID, subject, plain text and HTML, and its recipients file.

Pure functions of the outbox row's payload (no network): the adapter in
:mod:`tui.publish.destinations.email` sends what these build. The Message-ID is
derived from the row's key, so every attempt of a row carries the same one (mail
clients collapse a resend); user text is made one line before it reaches a
header, and escaped in the HTML part.
"""

from __future__ import annotations

import html
import re
import stat
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tui.core.textsafe import clean, clean_line
from tui.publish.retry import DeliveryError

if TYPE_CHECKING:
    pass

TO_FILE_MAX: Final = 1024 * 1024  # bytes: a recipients file larger than this is refused
SUBJECT_TITLE_MAX: Final = 160  # characters of the incident title in the subject
ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$"
)
_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_STATUS_WORDS: Final = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
_COMPONENT_WORDS: Final = {
    "major_outage": "major outage",
    "partial_outage": "partial outage",
    "degraded_performance": "degraded performance",
    "under_maintenance": "under maintenance",
    "operational": "operational",
}


def message_id_for(row_key: str, sender: str) -> str:
    """``<<row key>@<from domain>>`` (the key's ``warroom-`` prefix marks it as ours;
    a key without it gets ``warroom.``): the same for every attempt of the row."""
    key = _ID_CHARS.sub("-", row_key)
    return f"<{key if key.startswith('warroom') else 'warroom.' + key}@{_domain(sender)}>"


def subject_for(payload: Mapping[str, Any]) -> str:
    """``[status] <title>: <Status>``; ``Resolved: [status] <title>`` when resolved."""
    title = clean_line(str(payload.get("incident_title") or payload.get("name") or "incident"))
    title = " ".join(title.split())[:SUBJECT_TITLE_MAX] or "incident"
    if payload.get("kind") == "postmortem" or payload.get("purpose") == "postmortem":
        return f"[status] {title}: Post-mortem"
    status = str(payload.get("status") or "")
    if status == "resolved":
        return f"Resolved: [status] {title}"
    word = _STATUS_WORDS.get(status, status.capitalize() or "Update")
    return f"[status] {title}: {word}"


def build_message(
    payload: Mapping[str, Any], sender: str, message_id: str, root: str
) -> EmailMessage:
    """The mail for one update: plain text plus an escaped HTML alternative."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = sender  # the recipients are in the envelope only
    msg["Subject"] = subject_for(payload)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id
    if root != message_id:
        msg["In-Reply-To"] = root
        msg["References"] = root
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    msg.set_content(_plain(payload))
    msg.add_alternative(_html(payload), subtype="html")
    return msg


def _facts(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []
    if payload.get("kind") != "postmortem":
        status = str(payload.get("status") or "")
        facts.append(("Status", _STATUS_WORDS.get(status, status)))
    names = payload.get("component_names") or {}
    if isinstance(names, Mapping) and names:
        facts.append(
            (
                "Affected",
                ", ".join(
                    f"{n} ({_COMPONENT_WORDS.get(str(s), str(s))})" for n, s in names.items()
                ),
            )
        )
    if payload.get("at"):
        facts.append(("Posted", _when(str(payload["at"]))))
    if payload.get("next_update_at"):
        facts.append(("Next update by", _when(str(payload["next_update_at"]))))
    return [(k, clean_line(v)) for k, v in facts]


def _plain(payload: Mapping[str, Any]) -> str:
    body = clean(str(payload.get("body") or "")).strip()
    lines = [body, "", "--"] + [f"{k}: {v}" for k, v in _facts(payload)]
    return "\n".join(lines) + "\n"


def _html(payload: Mapping[str, Any]) -> str:
    body = clean(str(payload.get("body") or "")).strip()
    paragraphs = "".join(
        "<p>" + "<br>".join(html.escape(line) for line in para.split("\n")) + "</p>"
        for para in re.split(r"\n\s*\n", body)
        if para.strip()
    )
    facts = "".join(
        f'<tr><th align="left">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>'
        for k, v in _facts(payload)
    )
    title = html.escape(subject_for(payload))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>{paragraphs}<hr><table>{facts}</table>"
        "</body></html>\n"
    )


# the recipients file ------------------------------------------------------------------
def read_to_file(dest_id: str, name: str) -> list[str]:
    """The addresses in ``name``: one a line; blank lines and ``#`` comments skipped.
    Anything else is a permanent error naming the file and the line."""
    path = Path(name).expanduser()
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise DeliveryError(
                f"destination {dest_id!r}: to_file {path} is not a regular file", retryable=False
            )
        if st.st_size > TO_FILE_MAX:
            raise DeliveryError(
                f"destination {dest_id!r}: to_file {path} is larger than {TO_FILE_MAX} bytes",
                retryable=False,
            )
        data = path.read_bytes()
    except OSError as exc:
        raise DeliveryError(
            f"destination {dest_id!r}: cannot read to_file {path}: {exc.strerror}",
            retryable=False,
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[: exc.start].count(b"\n") + 1
        raise DeliveryError(
            f"{path}:{bad}: not UTF-8 text (one email address a line)", retryable=False
        ) from None
    out: list[str] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].split("\t#", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if not ADDRESS.match(line):
            raise DeliveryError(
                f"{path}:{n}: {clean_line(line)[:80]!r} is not an email address "
                "(one address a line; # starts a comment)",
                retryable=False,
            )
        out.append(line)
    return out


# small helpers ----------------------------------------------------------------------
def _when(iso: str) -> str:
    """``2026-11-30T12:00:00.000Z`` -> ``2026-11-30 12:00 UTC`` (as given if unreadable)."""
    try:
        at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if at.tzinfo is None:
        return iso
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def bare_address(sender: str) -> str:
    return parseaddr(sender)[1] or sender


def _domain(sender: str) -> str:
    domain = bare_address(sender).rpartition("@")[2]
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = ""
    return _ID_CHARS.sub("-", domain) or "warroom.invalid"

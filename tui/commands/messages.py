"""Messages to customers: publish one, approve or reject one, record one sent by hand.

``publish`` runs the message check whatever the caller showed (errors always
refuse; warnings refuse unless accepted) and writes the ``published`` event
and one outbox row per destination in the same transaction, so a message is
never recorded without being queued, nor queued without being recorded.
Under the playbook's two-person rule (``approval_role``) the message waits
for the role's holder instead; ``decide`` is their answer. ``record_published``
notes a message that went out by other means. After the resolution no ack or
update goes out; only an ack or update has its next-update promise read from
its text, and a promise must lie in the future.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.commands.base import MAX_NOTE, Outcome, open_state, user_text
from tui.commands.checklist import after_published
from tui.commands.postmortem import refuse_before_resolution
from tui.core import state as ev
from tui.core.clock import to_iso
from tui.core.errors import CommandError
from tui.core.textsafe import clean_line
from tui.core.vocabulary import CLOSING, PROMISING, PUBLISH_PURPOSES

if TYPE_CHECKING:
    from tui.core.clock import Clock
    from tui.core.config import Config
    from tui.core.store import Store, Writer
    from tui.publish.publishing import Planned


def record_published(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    purpose: str,
    promised_next_at: datetime | None,
    note: str = "",
    via: str = "manual",
) -> Outcome:
    """A message that went out by hand: the event, and what it does to the checklist."""
    if purpose not in PUBLISH_PURPOSES:
        raise CommandError(f"unknown purpose {purpose!r} ({', '.join(PUBLISH_PURPOSES)})")
    now = clock.now()
    if promised_next_at is not None and promised_next_at <= now:
        raise CommandError("the promised next update must be in the future")
    if purpose in CLOSING and promised_next_at is not None:
        raise CommandError(f"a {purpose} message promises no next update")
    data: dict[str, Any] = {
        "purpose": purpose,
        "promised_next_at": to_iso(promised_next_at) if promised_next_at else None,
        "via": via,
    }
    if note:
        data["note"] = user_text(note, "the note", MAX_NOTE)
    with store.write() as w:
        s = open_state(w, incident_id)
        if s.resolved_at and purpose in PROMISING:
            raise CommandError(f"{incident_id} is already resolved: no more {purpose} messages")
        refuse_before_resolution(s, incident_id, purpose)
        event_id = w.append(incident_id, now, actor, ev.PUBLISHED, data)
        after_published(w, incident_id, now, actor, purpose, event_id)
    return Outcome(incident_id, event_id, f"recorded {purpose}")


def publish(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    purpose: str,
    body: str,
    config: Config,
    *,
    destinations: list[str] | None = None,
    promised_next_at: datetime | None = None,
    accept_warnings: bool = False,
    note: str = "",
    notify: Mapping[str, bool] | None = None,
    resend_of: int | None = None,
) -> Outcome:
    """Queue a message for the status page(s): event + outbox rows in one transaction.

    The message check runs here too, whatever the caller showed: errors always
    refuse, warnings refuse unless accepted. Under the playbook's two-person
    rule the message waits for the approver instead (an event as well).
    ``notify``: subscriber notification per destination id, as chosen on the
    confirm screen (a destination not named keeps its config's default).
    ``resend_of``: the outbox row whose message this sends to other destinations
    (the dashboard's ``d``): in the same transaction, destinations that already have
    that message (sent or on its way, from anyone's resend too) are left out, so two
    people pressing ``d`` at once send it once; nothing left is a refusal that says so.
    """
    import uuid

    from tui.publish import outbox
    from tui.publish.checks.lint import lint
    from tui.publish.drafting import at_publishing
    from tui.publish.publishing import PublishError, extract_promise, plan

    now = clock.now()
    with store.write() as w:
        s = open_state(w, incident_id)
        refuse_before_resolution(s, incident_id, purpose)  # before the check: it says why
        asked = body.strip()  # under the two-person rule: its time is the approval's
        body = at_publishing(body, now, s.book.timezone)  # a marker left in: the time now
        findings = lint(body, purpose, "statuspage", s.book, config)
        errors = [f for f in findings if f.severity == "error"]
        warnings = [f for f in findings if f.severity != "error"]
        if errors:
            first = "; ".join(f.message for f in errors[:3])
            raise CommandError(f"{len(errors)} error(s) block publishing: {first}")
        if warnings and not accept_warnings:
            first = "; ".join(f.message for f in warnings[:3])
            raise CommandError(f"{len(warnings)} warning(s) to accept first: {first}")
        if s.resolved_at and purpose in PROMISING:
            raise CommandError(f"{incident_id} is already resolved: no more {purpose} messages")
        if promised_next_at is None and purpose in PROMISING:
            promised_next_at = extract_promise(body, now, s.book.timezone)
        if promised_next_at is not None and promised_next_at <= now:
            raise CommandError("the promised next update must be in the future")
        too_far = ev.beyond_max(s, now, promised_next_at) if promised_next_at else None
        if too_far and not accept_warnings:  # the cadence's max: a warning to accept
            raise CommandError(f"1 warning to accept first: {too_far}")
        origin = None
        if resend_of is not None:
            origin, destinations = _still_without(store, resend_of, destinations, config)
        try:
            planned = plan(
                s,
                config,
                purpose,
                body,
                destinations,
                incident_key=outbox.incident_key(store, incident_id),
                at=now,
                next_update_at=promised_next_at,
            )
        except PublishError as exc:
            raise CommandError(str(exc)) from None
        planned = _with_notify(planned, notify)
        role = s.book.approval_role
        if role and s.roles.get(role) != actor:
            holder = s.roles.get(role)
            approver = s.book.role(role)
            title = approver.title if approver else role
            if holder is None:
                raise CommandError(
                    f"two-person rule: nobody holds the {title} role to approve it (assign it)"
                )
            request_id = uuid.uuid4().hex[:8]
            event_id = w.append(
                incident_id,
                now,
                actor,
                ev.REQUESTED,
                {
                    "request_id": request_id,
                    "purpose": purpose,
                    "body": asked,
                    "destinations": [p.destination.id for p in planned],
                    "promised_next_at": to_iso(promised_next_at) if promised_next_at else None,
                    "role": role,
                    "notify": {p.destination.id: bool(p.payload["notify"]) for p in planned},
                    **({"resend_of": origin} if origin is not None else {}),
                },
            )
            return Outcome(
                incident_id, event_id, f"waiting for approval by {holder} ({title}): {request_id}"
            )
        event_id = _publish(
            w, incident_id, now, actor, purpose, body, planned, promised_next_at, note, origin
        )
    return Outcome(
        incident_id, event_id, f"queued for {', '.join(p.destination.id for p in planned)}"
    )


def _still_without(
    store: Store, row_id: int, destinations: list[str] | None, config: Config
) -> tuple[int, list[str]]:
    """For a resend of row ``row_id``'s message: its original publish event, and the
    named destinations (all configured ones if None) that do not have it yet."""
    from tui.publish import outbox

    origin = outbox.origin_of(store, row_id)
    if origin is None:
        raise CommandError(f"no outbox row #{row_id}")
    have = outbox.holders(store, row_id)
    wanted = destinations if destinations is not None else [d.id for d in config.destinations]
    left = [d for d in wanted if d not in have]
    if not left:
        raise CommandError(
            f"the message of #{row_id} has reached, or is on its way to, "
            f"{', '.join(sorted(have & set(wanted))) or 'every destination'} already "
            "(someone else sent it there): nothing more to send"
        )
    return origin, left


def _with_notify(planned: list[Planned], notify: Mapping[str, bool] | None) -> list[Planned]:
    """Each payload's ``notify`` as the person chose it for that destination."""
    from dataclasses import replace

    if not notify:
        return planned
    return [
        replace(p, payload={**p.payload, "notify": bool(notify[p.destination.id])})
        if p.destination.id in notify
        else p
        for p in planned
    ]


def _publish(
    w: Writer,
    incident_id: str,
    now: datetime,
    actor: str,
    purpose: str,
    body: str,
    planned: list[Planned],
    promised_next_at: datetime | None,
    note: str,
    resend_of: int | None = None,
) -> int:
    """The ``published`` event, its outbox rows, its checklist effects: one transaction.
    ``resend_of``: the original publish event, when this sends its message elsewhere."""
    from tui.publish import outbox

    data: dict[str, Any] = {
        "purpose": purpose,
        "promised_next_at": to_iso(promised_next_at) if promised_next_at else None,
        "via": ", ".join(p.destination.id for p in planned),
        "body": body.strip(),
    }
    if note:
        data["note"] = user_text(note, "the note", MAX_NOTE)
    if resend_of is not None:
        data["resend_of"] = resend_of
    event_id = w.append(incident_id, now, actor, ev.PUBLISHED, data)
    for p in planned:
        outbox.enqueue(w, incident_id, p.destination.id, purpose, p.payload, now, event_id)
    after_published(w, incident_id, now, actor, purpose, event_id)
    return event_id


def decide(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    request_id: str | None,
    config: Config,
    *,
    approve: bool,
    reason: str = "",
) -> Outcome:
    """The approver's answer to a publish request (two-person rule)."""
    from tui.publish import outbox
    from tui.publish.drafting import at_publishing
    from tui.publish.publishing import PublishError, plan

    now = clock.now()
    with store.write() as w:
        s = open_state(w, incident_id)
        pending = [r for r in s.requests.values() if r.status == "pending"]
        if request_id:
            found = s.requests.get(request_id)
            if found is None or found.status != "pending":
                raise CommandError(f"no pending request {request_id!r}")
            req = found
        elif len(pending) == 1:
            req = pending[0]
        elif not pending:
            raise CommandError("nothing is waiting for approval")
        else:
            ids = ", ".join(r.request_id for r in pending)
            raise CommandError(f"{len(pending)} requests wait: name one ({ids})")
        if s.roles.get(req.role) != actor:
            approver = s.book.role(req.role)
            title = approver.title if approver else req.role
            raise CommandError(f"only the {title} ({s.roles.get(req.role) or 'vacant'}) decides")
        if not approve:
            event_id = w.append(
                incident_id,
                now,
                actor,
                ev.REJECTED,
                {"request_id": req.request_id, "reason": clean_line(reason)[:MAX_NOTE]},
            )
            return Outcome(incident_id, event_id, f"sent back {req.request_id}")
        if s.resolved_at and req.purpose in PROMISING:
            raise CommandError(f"{incident_id} is already resolved: reject this request")
        refuse_before_resolution(s, incident_id, req.purpose)
        promised = (
            req.promised_next_at if req.promised_next_at and req.promised_next_at > now else None
        )
        body = at_publishing(req.body, now, s.book.timezone)  # published now: its time is now
        wanted = req.destinations
        if req.resend_of is not None:  # sent elsewhere meanwhile: only to those still without
            have = outbox.holders_of_event(store, req.resend_of)
            wanted = [d for d in wanted if d not in have]
            if not wanted:
                raise CommandError(
                    f"every destination of {req.request_id} has the message already: reject it"
                )
        try:
            planned = plan(
                s,
                config,
                req.purpose,
                body,
                wanted,
                incident_key=outbox.incident_key(store, incident_id),
                at=now,
                next_update_at=promised,
            )
        except PublishError as exc:
            raise CommandError(str(exc)) from None
        planned = _with_notify(planned, req.notify)  # as the requester chose on the confirm screen
        w.append(incident_id, now, actor, ev.APPROVED, {"request_id": req.request_id})
        event_id = _publish(
            w, incident_id, now, req.by, req.purpose, body, planned, promised, "", req.resend_of
        )
    return Outcome(incident_id, event_id, f"approved {req.request_id}: queued")

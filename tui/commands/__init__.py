"""Every change to an incident, as one function: validate against fresh state, append events.

The CLI and the dashboard both call these, so a key press and a script take
the same path. Each runs inside one ``BEGIN IMMEDIATE`` transaction: the
state it checks is the state it writes on top of. Bad input raises
:class:`CommandError` with one clear line, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tui.core import state as ev
from tui.core.clock import Clock, to_iso
from tui.core.playbook import Playbook, value_for_metric
from tui.core.state import IncidentState
from tui.core.store import Store
from tui.core.textsafe import clean_line

MAX_TITLE = 200
MAX_NOTE = 2000


class CommandError(Exception):
    """One line for the user; nothing was written."""


class DuplicateIncident(CommandError):
    """An open incident already has this title (``force`` opens a second one)."""

    def __init__(self, message: str, incident_id: str):
        super().__init__(message)
        self.incident_id = incident_id


class UnresolvedIncident(CommandError):
    """Closing an incident whose resolution is not out (``force`` closes it anyway)."""


class OpenItems(CommandError):
    """Moving on from a phase with items neither ticked nor skipped (``force``: skip them)."""

    def __init__(self, message: str, items: list[str]):
        super().__init__(message)
        self.items = items


MAX_REASON = 300


def _title_key(title: str) -> str:
    return " ".join(clean_line(title).casefold().split())


def _same_title(store: Store, title: str):
    key = _title_key(title)
    return next((r for r in store.incidents() if _title_key(r.title) == key), None)


@dataclass(frozen=True, slots=True)
class Outcome:
    incident_id: str
    event_id: int | None  # None: nothing needed changing
    message: str


def _user_text(text: str, what: str, limit: int) -> str:
    cleaned = clean_line(text).strip()
    if not cleaned:
        raise CommandError(f"{what} must not be empty")
    if len(cleaned) > limit:
        raise CommandError(f"{what} is too long ({len(cleaned)} characters; at most {limit})")
    return cleaned


def check_actor(actor: str) -> str:
    name = clean_line(actor).strip()
    if not name or name != actor or len(name) > 64 or " " in name:
        raise CommandError(f"not a user name: {actor!r} (letters, digits, . _ - @; no spaces)")
    return name


def parse_metrics(book: Playbook, pairs: list[str]) -> dict[str, bool | int | float]:
    """``NAME=VALUE`` strings -> typed values, checked against the playbook's metrics."""
    out: dict[str, bool | int | float] = {}
    names = [m.id for m in book.metrics]
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name or not raw.strip():
            raise CommandError(f"metric must be NAME=VALUE, got {pair!r}")
        metric = book.metric(name)
        if metric is None:
            known = ", ".join(names) or "none"
            raise CommandError(f"unknown metric {name!r} (this playbook has: {known})")
        try:
            out[name] = value_for_metric(metric, raw)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    return out


def resolve_incident(store: Store, incident_id: str | None) -> str:
    """The incident named, or the only open one; a clear error otherwise."""
    if incident_id:
        wanted = incident_id.strip().upper()
        if wanted.isdigit():
            wanted = f"INC-{wanted}"
        if not store.incident_exists(wanted):
            raise CommandError(f"no incident {incident_id!r} (see: warroom list --all)")
        return wanted
    rows = store.incidents()
    if not rows:
        raise CommandError(
            "no open incident (start one: warroom start --playbook NAME --title TEXT)"
        )
    if len(rows) > 1:
        listed = ", ".join(f"{r.id} \u201c{clean_line(r.title)[:40]}\u201d" for r in rows)
        raise CommandError(f"{len(rows)} incidents are open, name one with --incident: {listed}")
    return rows[0].id


def _open_state(w, incident_id: str) -> IncidentState:
    s = w.state(incident_id)
    if s.closed_at:
        raise CommandError(f"{incident_id} is closed")
    return s


# ------------------------------------------------------------------------- commands


def start(
    store: Store,
    clock: Clock,
    actor: str,
    book: Playbook,
    title: str,
    metrics: Mapping[str, bool | int | float],
    detected_at: datetime | None = None,
    *,
    force: bool = False,
) -> Outcome:
    """Open an incident. A second open incident with the same title is refused
    (:class:`DuplicateIncident`) unless ``force``: two rooms for one outage split the team."""
    title = _user_text(title, "the title", MAX_TITLE)
    now = clock.now()
    detected = detected_at or now
    if detected > now + timedelta(minutes=1):
        raise CommandError("the detection time is in the future")
    level = book.classify(metrics)
    if level is None:
        raise CommandError(
            "these metrics match no severity level of the playbook "
            "(give --metric values, or add a level with 'when: always')"
        )
    with store.write() as w:
        same = _same_title(w.store, title)
        if same is not None and not force:
            raise DuplicateIncident(
                f"{same.id} \u201c{clean_line(same.title)}\u201d is already open "
                f"(work on it with --incident {same.id}; open a second one anyway with --force)",
                same.id,
            )
        w.pin_playbook(book)
        incident_id = w.new_incident(title, now)
        event_id = w.append(
            incident_id,
            now,
            actor,
            ev.STARTED,
            {
                "title": title,
                "playbook_sha": book.sha256,
                "playbook_source": book.source,
                "metrics": dict(metrics),
                "detected_at": to_iso(detected),
            },
        )
    return Outcome(incident_id, event_id, f"{incident_id} {level.title}: {title}")


def _item(s: IncidentState, item_id: str):
    items = s.book.items(s.protocol or "")
    item = next((i for i in items if i.id == item_id), None)
    if item is None:
        known = ", ".join(i.id for i in items)
        raise CommandError(f"no checklist item {item_id!r} in {s.id} (items: {known})")
    return item


def set_item(
    store: Store, clock: Clock, actor: str, incident_id: str, item_id: str, done: bool
) -> Outcome:
    with store.write() as w:
        s = _open_state(w, incident_id)
        item = _item(s, item_id)
        current = s.items.get(item.id)
        if current is not None and current.done == done and not (current.skipped and not done):
            word = "ticked" if done else "not ticked"
            who = f" by {current.by}" if current.by else ""
            return Outcome(incident_id, None, f"{item.id} is already {word}{who}")
        kind = ev.CHECKED if done else ev.UNCHECKED
        event_id = w.append(incident_id, clock.now(), actor, kind, {"item": item.id})
    return Outcome(incident_id, event_id, f"{'ticked' if done else 'unticked'} {item.id}")


def assign(
    store: Store, clock: Clock, actor: str, incident_id: str, role_id: str, user: str | None
) -> Outcome:
    with store.write() as w:
        s = _open_state(w, incident_id)
        role = s.book.role(role_id)
        if role is None:
            known = ", ".join(r.id for r in s.book.roles)
            raise CommandError(f"unknown role {role_id!r} (roles: {known})")
        if user is None:
            if role.id not in s.roles:
                return Outcome(incident_id, None, f"nobody holds {role.id}")
            event_id = w.append(incident_id, clock.now(), actor, ev.RELEASED, {"role": role.id})
            return Outcome(incident_id, event_id, f"released {role.id}")
        user = check_actor(user)
        if s.roles.get(role.id) == user:
            return Outcome(incident_id, None, f"{user} already holds {role.id}")
        event_id = w.append(
            incident_id, clock.now(), actor, ev.ASSIGNED, {"role": role.id, "user": user}
        )
    return Outcome(incident_id, event_id, f"{role.title}: {user}")


def set_metrics(
    store: Store, clock: Clock, actor: str, incident_id: str, pairs: list[str]
) -> Outcome:
    if not pairs:
        raise CommandError("give at least one NAME=VALUE")
    with store.write() as w:
        s = _open_state(w, incident_id)
        values = parse_metrics(s.book, pairs)
        merged = {**s.metrics, **values}
        level = s.book.classify(merged)
        if level is None:
            raise CommandError("with these values the metrics match no severity level")
        event_id = w.append(incident_id, clock.now(), actor, ev.METRICS, {"values": values})
    return Outcome(incident_id, event_id, f"severity {level.title}")


def advance_phase(
    store: Store, clock: Clock, actor: str, incident_id: str, *, force: bool = False
) -> Outcome:
    """Move to the next phase once each item of this one is ticked or skipped.

    With open items it refuses (:class:`OpenItems`, naming them) unless
    ``force``: then each open item is recorded as skipped with the reason
    "forced" before the move, so the log says what was left undone.
    """
    now = clock.now()
    with store.write() as w:
        s = _open_state(w, incident_id)
        nxt = s.next_phase()
        if nxt is None:
            raise CommandError(
                f"{incident_id} is in its last phase ({s.phase}); close it with: warroom close"
            )
        current = s.current_phase()
        left = [i.id for i in ev.open_items(s, current)] if current else []
        if left and not force:
            raise OpenItems(
                f"{len(left)} item(s) of {s.phase} still open: {', '.join(left)} "
                "(tick them, skip them with: warroom skip ITEM --reason TEXT, "
                "or move on anyway with: warroom phase next --force)",
                left,
            )
        for item_id in left:
            w.append(
                incident_id,
                now,
                actor,
                ev.SKIPPED,
                {"item": item_id, "reason": "forced", "forced": True},
            )
        data: dict[str, Any] = {"from": s.phase, "to": nxt.id}
        if left:
            data["forced"] = True
        event_id = w.append(incident_id, now, actor, ev.ADVANCED, data)
    note = f" ({len(left)} open item(s) of {s.phase} recorded as skipped: forced)"
    return Outcome(incident_id, event_id, f"phase: {nxt.title}" + (note if left else ""))


def skip_item(
    store: Store, clock: Clock, actor: str, incident_id: str, item_id: str, reason: str
) -> Outcome:
    """Say that an item will not be done, and why (an event; the checklist shows it)."""
    reason = _user_text(reason, "the reason", MAX_REASON)
    with store.write() as w:
        s = _open_state(w, incident_id)
        item = _item(s, item_id)
        current = s.items.get(item.id)
        if current is not None and current.done:
            raise CommandError(
                f"{item.id} is ticked (by {current.by}); untick it first: warroom uncheck {item.id}"
            )
        if current is not None and current.skipped and current.reason == reason:
            return Outcome(incident_id, None, f"{item.id} is already skipped: {reason}")
        event_id = w.append(
            incident_id, clock.now(), actor, ev.SKIPPED, {"item": item.id, "reason": reason}
        )
    return Outcome(incident_id, event_id, f"skipped {item.id}: {reason}")


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
    if purpose not in ("ack", "update", "resolved", "postmortem", "amends"):
        raise CommandError(
            f"unknown purpose {purpose!r} (ack, update, resolved, postmortem, amends)"
        )
    now = clock.now()
    if promised_next_at is not None and promised_next_at <= now:
        raise CommandError("the promised next update must be in the future")
    if purpose in ("resolved", "postmortem", "amends") and promised_next_at is not None:
        raise CommandError(f"a {purpose} message promises no next update")
    data: dict[str, Any] = {
        "purpose": purpose,
        "promised_next_at": to_iso(promised_next_at) if promised_next_at else None,
        "via": via,
    }
    if note:
        data["note"] = _user_text(note, "the note", MAX_NOTE)
    with store.write() as w:
        s = _open_state(w, incident_id)
        if s.resolved_at and purpose in ("ack", "update"):
            raise CommandError(f"{incident_id} is already resolved: no more {purpose} messages")
        event_id = w.append(incident_id, now, actor, ev.PUBLISHED, data)
        _after_published(w, incident_id, now, actor, purpose, event_id)
    return Outcome(incident_id, event_id, f"recorded {purpose}")


def add_note(store: Store, clock: Clock, actor: str, incident_id: str, text: str) -> Outcome:
    text = _user_text(text, "the note", MAX_NOTE)
    with store.write() as w:
        _open_state(w, incident_id)
        event_id = w.append(incident_id, clock.now(), actor, ev.NOTE, {"text": text})
    return Outcome(incident_id, event_id, "noted")


def reload_playbook(
    store: Store, clock: Clock, actor: str, incident_id: str, book: Playbook
) -> Outcome:
    with store.write() as w:
        s = _open_state(w, incident_id)
        if book.sha256 == s.book.sha256:
            return Outcome(incident_id, None, "the playbook has not changed")
        missing = []
        if s.phase and book.phase(s.phase) is None:
            missing.append(f"the current phase {s.phase!r}")
        for role in s.roles:
            if book.role(role) is None:
                missing.append(f"the held role {role!r}")
        known_items = {i.id for p in book.phases for i in p.checklist}
        for item_id, st in s.items.items():
            if st.at is not None and item_id not in known_items:
                missing.append(f"the ticked item {item_id!r}")
        for name in s.metrics:
            if book.metric(name) is None:
                missing.append(f"the metric {name!r}")
        if missing:
            raise CommandError(
                "the new playbook drops what this incident uses: " + ", ".join(missing)
            )
        if book.classify(s.metrics) is None:
            raise CommandError("under the new playbook the metrics match no severity level")
        w.pin_playbook(book)
        event_id = w.append(
            incident_id,
            clock.now(),
            actor,
            ev.RELOADED,
            {"playbook_sha": book.sha256, "playbook_source": book.source},
        )
    return Outcome(incident_id, event_id, f"reloaded {book.name}")


MAX_DRAFT = 25_000
MAX_QUEUE = 1_000_000


def _channel(s: IncidentState, channel_id: str):
    ch = next((c for c in s.book.channels if c.id == channel_id), None)
    if ch is None:
        known = ", ".join(c.id for c in s.book.channels) or "none"
        raise CommandError(f"unknown channel {channel_id!r} (channels: {known})")
    return ch


def set_queue(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    channel_id: str,
    depth: int,
    oldest_since: datetime | None = None,
) -> Outcome:
    """Queue depth of a support channel, and since when its oldest contact waits."""
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= MAX_QUEUE:
        raise CommandError(f"queue depth must be a whole number from 0 to {MAX_QUEUE}")
    now = clock.now()
    if oldest_since is not None and oldest_since > now:
        raise CommandError("the oldest contact cannot be waiting since a future time")
    if depth == 0:
        oldest_since = None
    with store.write() as w:
        s = _open_state(w, incident_id)
        ch = _channel(s, channel_id)
        event_id = w.append(
            incident_id,
            now,
            actor,
            ev.QUEUE,
            {
                "channel": ch.id,
                "depth": depth,
                "oldest_since": to_iso(oldest_since) if oldest_since else None,
            },
        )
    return Outcome(incident_id, event_id, f"{ch.title}: {depth} waiting")


def set_action(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    channel_id: str,
    action_id: str,
    on: bool | None = None,
) -> Outcome:
    """Turn a channel's playbook action on or off (None: toggle)."""
    with store.write() as w:
        s = _open_state(w, incident_id)
        ch = _channel(s, channel_id)
        action = next((a for a in ch.actions if a.id == action_id), None)
        if action is None:
            known = ", ".join(a.id for a in ch.actions) or "none"
            raise CommandError(f"channel {ch.id!r} has no action {action_id!r} (actions: {known})")
        current = s.channels[ch.id].actions.get(action.id, action.default)
        want = (not current) if on is None else on
        if want == current:
            return Outcome(incident_id, None, f"{action.id} is already {'on' if want else 'off'}")
        event_id = w.append(
            incident_id,
            clock.now(),
            actor,
            ev.ACTION,
            {"channel": ch.id, "action": action.id, "on": want},
        )
    return Outcome(incident_id, event_id, f"{ch.id}/{action.id}: {'on' if want else 'off'}")


def save_draft(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    purpose: str,
    text: str,
    session: str | None = None,
) -> Outcome:
    """Autosave of the draft editor: an event only when the text changed.

    Every save is a numbered version in the log. A save from a dashboard that
    no longer holds the draft (it was taken over) is never dropped: it is kept
    as a version *aside* and the message says so -- unless the new holder has
    saved nothing yet, then it is the text the take-over starts from.
    """
    _check_draft(purpose, text)
    with store.write() as w:
        s = _open_state(w, incident_id)
        return _save_draft(w, s, clock.now(), actor, purpose, text, session)


def _check_draft(purpose: str, text: str) -> None:
    if purpose not in ("ack", "update", "resolved", "postmortem", "amends"):
        raise CommandError(f"unknown purpose {purpose!r}")
    if len(text) > MAX_DRAFT:
        raise CommandError(f"the draft is too long ({len(text)} characters; at most {MAX_DRAFT})")


def _save_draft(w, s: IncidentState, now, actor, purpose, text, session) -> Outcome:
    hold = s.draft_hold
    aside = (
        session is not None
        and hold is not None
        and hold.session != session
        and not (hold.fresh and hold.from_session == session)
    )
    old = s.drafts.get(purpose)
    if old is not None and old.text == text:
        return Outcome(s.id, None, "draft unchanged")
    number = len(s.draft_versions.get(purpose, ())) + 1
    data: dict[str, Any] = {"purpose": purpose, "text": text}
    if session is not None:
        data["session"] = session
    if aside:
        data["aside"] = True
    event_id = w.append(s.id, now, actor, ev.DRAFT, data)
    if aside:
        assert hold is not None
        return Outcome(
            s.id,
            event_id,
            f"{hold.actor} is editing the draft: your text was kept as version {number}",
        )
    return Outcome(s.id, event_id, f"draft saved as version {number}")


def hold_draft(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    session: str,
    *,
    take: bool = False,
) -> Outcome:
    """Become the one editor of the draft.

    Free, already ours, or held by a dashboard that is gone (no heartbeat):
    taken. Held by someone present: refused with their name, unless ``take``
    (the take-over, confirmed by the user); the holder's dashboard then saves
    its unsaved text as a version as soon as it sees the hold moved.
    """
    now = clock.now()
    with store.write() as w:
        s = _open_state(w, incident_id)
        hold = s.draft_hold
        if hold is not None and hold.session == session:
            return Outcome(incident_id, None, "you are editing the draft")
        if hold is not None and not take:
            present = {p.session for p in w.store.present(incident_id, now)}
            if hold.session in present:
                raise CommandError(
                    f"{hold.actor} is editing the draft (enter again to take it over)"
                )
        data = {
            "session": session,
            "from": hold.actor if hold else None,
            "from_session": hold.session if hold else None,
        }
        event_id = w.append(incident_id, now, actor, ev.DRAFT_HELD, data)
    if hold is not None:
        return Outcome(incident_id, event_id, f"you took the draft over from {hold.actor}")
    return Outcome(incident_id, event_id, "you are editing the draft")


def release_draft(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    session: str,
    unsaved: tuple[str, str] | None = None,
) -> Outcome:
    """Stop editing: save what is unsaved (a version, never dropped), then free the draft."""
    if unsaved is not None:
        _check_draft(*unsaved)
    now = clock.now()
    with store.write() as w:
        s = _open_state(w, incident_id)
        saved = None
        if unsaved is not None:
            saved = _save_draft(w, s, now, actor, unsaved[0], unsaved[1], session)
            s = w.state(incident_id)
        if s.draft_hold is None or s.draft_hold.session != session:
            if saved is not None:
                return saved
            return Outcome(incident_id, None, "you were not editing the draft")
        event_id = w.append(incident_id, now, actor, ev.DRAFT_RELEASED, {"session": session})
    return Outcome(incident_id, event_id, saved.message if saved else "draft left")


def publish(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    purpose: str,
    body: str,
    config,
    *,
    destinations: list[str] | None = None,
    promised_next_at: datetime | None = None,
    accept_warnings: bool = False,
    note: str = "",
) -> Outcome:
    """Queue a message for the status page(s): event + outbox rows in one transaction.

    The message check runs here too, whatever the caller showed: errors always
    refuse, warnings refuse unless accepted. Under the playbook's two-person
    rule the message waits for the approver instead (an event as well).
    """
    import uuid

    from tui.publish import outbox
    from tui.publish.checks import check_message
    from tui.publish.drafting import at_publishing
    from tui.publish.publishing import PublishError, extract_promise, plan

    now = clock.now()
    with store.write() as w:
        s = _open_state(w, incident_id)
        asked = body.strip()  # under the two-person rule: its time is the approval's
        body = at_publishing(body, now, s.book.timezone)  # a marker left in: the time now
        findings = check_message(body, purpose, "statuspage", s.book.message_checks)
        errors = [f for f in findings if f.severity == "error"]
        warnings = [f for f in findings if f.severity != "error"]
        if errors:
            first = "; ".join(f.message for f in errors[:3])
            raise CommandError(f"{len(errors)} error(s) block publishing: {first}")
        if warnings and not accept_warnings:
            first = "; ".join(f.message for f in warnings[:3])
            raise CommandError(f"{len(warnings)} warning(s) to accept first: {first}")
        if s.resolved_at and purpose in ("ack", "update"):
            raise CommandError(f"{incident_id} is already resolved: no more {purpose} messages")
        if promised_next_at is None and purpose in ("ack", "update"):
            promised_next_at = extract_promise(body, now, s.book.timezone)
        if promised_next_at is not None and promised_next_at <= now:
            raise CommandError("the promised next update must be in the future")
        try:
            planned = plan(
                s,
                config,
                purpose,
                body,
                destinations,
                incident_key=outbox.incident_key(store, incident_id),
            )
        except PublishError as exc:
            raise CommandError(str(exc)) from None
        role = s.book.approval_role
        if role and s.roles.get(role) != actor:
            holder = s.roles.get(role)
            title = s.book.role(role).title if s.book.role(role) else role
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
                },
            )
            return Outcome(
                incident_id, event_id, f"waiting for approval by {holder} ({title}): {request_id}"
            )
        event_id = _publish(
            w, incident_id, now, actor, purpose, body, planned, promised_next_at, note
        )
    return Outcome(
        incident_id, event_id, f"queued for {', '.join(p.destination.id for p in planned)}"
    )


def _publish(w, incident_id, now, actor, purpose, body, planned, promised_next_at, note) -> int:
    from tui.publish import outbox

    data: dict[str, Any] = {
        "purpose": purpose,
        "promised_next_at": to_iso(promised_next_at) if promised_next_at else None,
        "via": ", ".join(p.destination.id for p in planned),
        "body": body.strip(),
    }
    if note:
        data["note"] = _user_text(note, "the note", MAX_NOTE)
    event_id = w.append(incident_id, now, actor, ev.PUBLISHED, data)
    for p in planned:
        outbox.enqueue(w, incident_id, p.destination.id, purpose, p.payload, now, event_id)
    _after_published(w, incident_id, now, actor, purpose, event_id)
    return event_id


def _after_published(
    w, incident_id: str, now: datetime, actor: str, purpose: str, event_id: int
) -> None:
    """What a published message does to the checklist.

    The items it fulfils (``done_by: publish.PURPOSE`` in the playbook) are
    ticked by it, each an event naming the message. Then, for the resolution,
    the checklist moves on towards the amends (or post-mortem) phase -- but
    only past phases whose items are all ticked or skipped: a phase is never
    left behind with open items because a message went out.
    """
    s = w.state(incident_id)
    for item in s.book.items(s.protocol or ""):
        st = s.items.get(item.id)
        if item.done_by == purpose and not (st and st.done):
            w.append(
                incident_id,
                now,
                actor,
                ev.CHECKED,
                {"item": item.id, "by_event": event_id, "purpose": purpose},
            )
    if purpose != "resolved":
        return
    s = w.state(incident_id)
    phases = s.phases()
    target = next((p for p in phases if p.closes_with == "amends"), None) or next(
        (p for p in phases if p.closes_with == "postmortem"), None
    )
    ids = [p.id for p in phases]
    if target is None or s.phase not in ids or ids.index(target.id) <= ids.index(s.phase):
        return
    stop = ids.index(s.phase)
    while stop < ids.index(target.id) and not ev.open_items(s, phases[stop]):
        stop += 1
    if stop > ids.index(s.phase):
        w.append(
            incident_id,
            now,
            actor,
            ev.ADVANCED,
            {"from": s.phase, "to": ids[stop], "after": purpose},
        )


def unresolved(s: IncidentState) -> tuple[str, str] | None:
    """Why the incident is not resolved yet, and what to do (None when it is resolved)."""
    if s.resolved_at is None:
        return (
            "no resolution was published",
            "publish it, or record one published by hand: warroom posted resolved",
        )
    ids = [p.id for p in s.phases()]
    fixing = [p.id for p in s.phases() if p.closes_with == "resolved"]
    if fixing and s.phase in ids and ids.index(s.phase) <= ids.index(fixing[-1]):
        current = s.current_phase()
        left = ", ".join(i.id for i in ev.open_items(s, current)) if current else ""
        return (
            f"the resolution is out but the checklist is still in {s.phase}"
            + (f" (open: {left})" if left else ""),
            "tick or skip its items, then: warroom phase next",
        )
    return None


def decide(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    request_id: str | None,
    config,
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
        s = _open_state(w, incident_id)
        pending = [r for r in s.requests.values() if r.status == "pending"]
        if request_id:
            req = s.requests.get(request_id)
            if req is None or req.status != "pending":
                raise CommandError(f"no pending request {request_id!r}")
        elif len(pending) == 1:
            req = pending[0]
        elif not pending:
            raise CommandError("nothing is waiting for approval")
        else:
            ids = ", ".join(r.request_id for r in pending)
            raise CommandError(f"{len(pending)} requests wait: name one ({ids})")
        if s.roles.get(req.role) != actor:
            title = s.book.role(req.role).title if s.book.role(req.role) else req.role
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
        if s.resolved_at and req.purpose in ("ack", "update"):
            raise CommandError(f"{incident_id} is already resolved: reject this request")
        promised = (
            req.promised_next_at if req.promised_next_at and req.promised_next_at > now else None
        )
        body = at_publishing(req.body, now, s.book.timezone)  # published now: its time is now
        try:
            planned = plan(
                s,
                config,
                req.purpose,
                body,
                req.destinations,
                incident_key=outbox.incident_key(store, incident_id),
            )
        except PublishError as exc:
            raise CommandError(str(exc)) from None
        w.append(incident_id, now, actor, ev.APPROVED, {"request_id": req.request_id})
        event_id = _publish(w, incident_id, now, req.by, req.purpose, body, planned, promised, "")
    return Outcome(incident_id, event_id, f"approved {req.request_id}: queued")


def edit_postmortem(
    store: Store, clock: Clock, actor: str, incident_id: str, field: str, text: str
) -> Outcome:
    """A part of the post-mortem only people can write (summary, root cause, trigger, why)."""
    if field not in ev.PM_FIELDS:
        raise CommandError(f"unknown post-mortem part {field!r} ({', '.join(ev.PM_FIELDS)})")
    if len(text) > MAX_DRAFT:
        raise CommandError(f"the {field} is too long ({len(text)} characters; at most {MAX_DRAFT})")
    with store.write() as w:
        s = _open_state(w, incident_id)
        if getattr(s.postmortem, field) == text:
            return Outcome(incident_id, None, f"{field} unchanged")
        event_id = w.append(
            incident_id, clock.now(), actor, ev.PM_EDITED, {"field": field, "text": text}
        )
    return Outcome(incident_id, event_id, f"post-mortem {field.replace('_', ' ')} saved")


def set_remedial_action(
    store: Store,
    clock: Clock,
    actor: str,
    incident_id: str,
    action_id: str | None,
    action: str,
    owner: str = "",
    due: str = "",
    status: str = "open",
) -> Outcome:
    """Add (no id) or change a remedial action: what, who, by when, how far."""
    import uuid
    from datetime import date

    action = _user_text(action, "the action", 500)
    owner = clean_line(owner).strip()[:64]
    if due:
        try:
            due = date.fromisoformat(due.strip()).isoformat()
        except ValueError:
            raise CommandError(f"due date must be YYYY-MM-DD, got {due!r}") from None
    if status not in ev.ACTION_STATUSES:
        raise CommandError(f"status must be one of: {', '.join(ev.ACTION_STATUSES)}")
    with store.write() as w:
        s = _open_state(w, incident_id)
        if action_id is not None and action_id not in s.postmortem.actions:
            raise CommandError(f"no remedial action {action_id!r}")
        data = {
            "id": action_id or uuid.uuid4().hex[:6],
            "action": action,
            "owner": owner,
            "due": due,
            "status": status,
        }
        event_id = w.append(incident_id, clock.now(), actor, ev.PM_ACTION, data)
    return Outcome(incident_id, event_id, f"remedial action {data['id']}: {status}")


def close(
    store: Store, clock: Clock, actor: str, incident_id: str, *, force: bool = False
) -> Outcome:
    """Close a resolved incident; an unresolved one only with ``force`` (recorded as such)."""
    with store.write() as w:
        s = _open_state(w, incident_id)
        why = unresolved(s)
        if why is not None and not force:
            raise UnresolvedIncident(
                f"{incident_id} is not resolved: {why[0]} "
                f"({why[1]}; close it anyway: warroom close --force)"
            )
        data: dict[str, Any] = {"forced": True, "reason": why[0]} if why else {}
        event_id = w.append(incident_id, clock.now(), actor, ev.CLOSED, data)
    return Outcome(incident_id, event_id, f"closed {incident_id}")

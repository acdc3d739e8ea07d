"""Changing the incident through a dialog: phase, hand-published message, roles,
metrics, notes, a channel's queue, a skipped checklist item.

Each dialog validates as the user types (the form says what is wrong before
submit), then runs one command; the dashboard shows the change itself. Moving
to the next phase needs every item of the current one ticked or skipped with a
reason, and says which are still open.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tui import commands
from tui.core.clock import parse_when
from tui.core.state import item_text, open_items
from tui.core.vocabulary import PROMISING, PUBLISH_PURPOSES, Purpose

if TYPE_CHECKING:
    from tui.app.app import WarroomApp

_LABELS: dict[Purpose, str] = {
    "ack": "Acknowledgement",
    "update": "Update",
    "resolved": "Resolution",
    "postmortem": "Post-mortem",
    "amends": "Amends",
}


def confirm_next_phase(app: WarroomApp) -> None:
    """n: move on, once each item of the current phase is ticked or skipped."""
    from screens.confirm import ConfirmScreen

    s = app.state
    if s is None:
        return
    nxt = s.next_phase()
    if nxt is None:
        app.error("this is the last phase of the protocol")
        return
    current = s.current_phase()
    left = open_items(s, current) if current else []
    if current and left:  # a phase is over when each item is ticked or skipped (with a reason)
        app.error(
            f"{len(left)} item(s) of \u201c{current.title}\u201d still open: "
            + ", ".join(i.id for i in left)
            + " \u2014 tick them (space) or skip them with a reason (s) in the checklist"
            + " (or move on anyway: warroom phase next --force)"
        )
        return
    msg = f"Move from \u201c{current.title if current else '-'}\u201d to \u201c{nxt.title}\u201d?"

    def answered(yes: bool | None) -> None:
        if yes:
            app.run_command(commands.advance_phase, quiet=False)

    app.push_screen(ConfirmScreen("Next phase", msg, yes="Move on"), callback=answered)


def record_update(app: WarroomApp) -> None:
    """u: a message published by hand; the countdown moves to the promise it made."""
    from screens.form import Field, FormScreen

    s = app.state
    if s is None:
        return
    choices = tuple((_LABELS[p], p) for p in PUBLISH_PURPOSES)
    fields = [
        Field("purpose", "Message", value=s.next_purpose(), choices=choices),
        Field("next", "Next update promised (30m, 14:15, or empty)", value="30m"),
        Field("note", "Where / what (for the timeline)", placeholder="status page, Twitter"),
    ]

    def parse(values: dict[str, str]) -> datetime | None:
        if values.get("next", "").strip() and values["purpose"] in PROMISING:
            return parse_when(values["next"], app.clock.now(), s.book.timezone, future=True)
        return None

    def validate(values: dict[str, str]) -> str | None:
        try:
            parse(values)
        except ValueError as exc:
            return str(exc)
        return None

    def done(values: dict[str, str] | None) -> None:
        if values is not None:
            app.run_command(
                commands.record_published,
                values["purpose"],
                parse(values),
                values["note"],
                quiet=False,
            )

    app.push_screen(
        FormScreen(
            "Record a message published by hand",
            fields,
            validate=validate,
            help_text="The countdown moves to the promise the message made.",
            submit_label="Record",
        ),
        callback=done,
    )


def assign_role(app: WarroomApp) -> None:
    """a: a role to a person, or left vacant."""
    from screens.form import Field, FormScreen

    s = app.state
    if s is None:
        return
    choices = tuple((f"{r.title} ({s.roles.get(r.id) or 'vacant'})", r.id) for r in s.book.roles)
    fields = [
        Field("role", "Role", value=s.book.roles[0].id, choices=choices),
        Field("user", "Person (empty: leave vacant)", value=app.room.actor),
    ]

    def done(values: dict[str, str] | None) -> None:
        if values is not None:
            user = values["user"].strip() or None
            app.run_command(commands.assign, values["role"], user)

    app.push_screen(FormScreen("Assign a role", fields, submit_label="Assign"), callback=done)


def edit_metrics(app: WarroomApp) -> None:
    """m: the impact metrics, with the severity they classify to shown as you type."""
    from screens.form import Field, FormScreen

    s = app.state
    if s is None:
        return
    book = s.book

    def pairs(values: dict[str, str]) -> list[str]:
        return [f"{k}={v.strip()}" for k, v in values.items() if v.strip()]

    def preview(values: dict[str, str]) -> str:
        try:
            merged = {**s.metrics, **commands.parse_metrics(book, pairs(values))}
        except commands.CommandError as exc:
            return str(exc)
        level = book.classify(merged)
        return (
            f"Severity: {level.title} (protocol {level.protocol})"
            if level
            else ("No severity level matches these metrics")
        )

    def validate(values: dict[str, str]) -> str | None:
        try:
            commands.parse_metrics(book, pairs(values))
        except commands.CommandError as exc:
            return str(exc)
        return None if pairs(values) else "enter at least one value"

    fields = [
        Field(m.id, f"{m.title} ({m.type})", value=_metric_text(s.metrics.get(m.id)))
        for m in book.metrics
    ]

    def done(values: dict[str, str] | None) -> None:
        if values is not None:
            changed = [
                p
                for p in pairs(values)
                if _metric_text(s.metrics.get(p.split("=", 1)[0])) != p.split("=", 1)[1]
            ]
            if changed:
                app.run_command(commands.set_metrics, changed)

    app.push_screen(
        FormScreen("Impact metrics", fields, validate=validate, preview=preview),
        callback=done,
    )


def add_note(app: WarroomApp) -> None:
    """t: a note on the timeline."""
    from screens.form import Field, FormScreen

    def done(values: dict[str, str] | None) -> None:
        if values is not None and values["text"].strip():
            app.run_command(commands.add_note, values["text"])

    app.push_screen(
        FormScreen("Add a note to the timeline", [Field("text", "Note")], submit_label="Add"),
        callback=done,
    )


def edit_queue(app: WarroomApp, channel_id: str) -> None:
    """e on a channel: how many wait now, and for how long the oldest has."""
    from screens.form import Field, FormScreen

    s = app.state
    if s is None:
        return
    channel = next(c for c in s.book.channels if c.id == channel_id)
    st = s.channels.get(channel_id)
    now = app.clock.now()
    oldest = ""
    if st and st.oldest_since:
        oldest = f"{max(1, int((now - st.oldest_since).total_seconds() // 60))}m"
    fields = [
        Field("depth", "Waiting now", value=str(st.depth) if st and st.depth is not None else ""),
        Field("oldest", "Oldest waiting for (e.g. 12m; empty if none)", value=oldest),
    ]

    def parse(values: dict[str, str]) -> tuple[int, datetime | None]:
        depth = int(values["depth"].strip())
        when = None
        if values["oldest"].strip():
            when = parse_when(values["oldest"], app.clock.now(), s.book.timezone, future=False)
        return depth, when

    def validate(values: dict[str, str]) -> str | None:
        try:
            depth, _ = parse(values)
        except ValueError as exc:
            text = str(exc)
            return "waiting must be a whole number" if "int()" in text else text
        return None if depth >= 0 else "waiting cannot be negative"

    def done(values: dict[str, str] | None) -> None:
        if values is not None:
            depth, when = parse(values)
            app.run_command(commands.set_queue, channel_id, depth, when)
            from tui.widgets.queues import ChannelQueues

            panes = app.screen.query(ChannelQueues)
            note = panes.first().counted_note(channel_id, app.clock.now()) if panes else None
            if note:
                app.notify(note, severity="warning")

    app.push_screen(FormScreen(f"Queue: {channel.title}", fields, validate=validate), callback=done)


def skip_item(app: WarroomApp, item_id: str) -> None:
    """s on a checklist item: ask why, then record the skip (an event, shown with the reason)."""
    from screens.form import Field, FormScreen

    s = app.state
    if s is None:
        return
    current = s.items.get(item_id)
    text = item_text(s, item_id)

    def validate(values: dict[str, str]) -> str | None:
        return None if values["reason"].strip() else "say why it is skipped"

    def done(values: dict[str, str] | None) -> None:
        if values is not None:
            app.run_command(commands.skip_item, item_id, values["reason"], quiet=False)

    reason = current.reason if current and current.skipped else ""
    app.push_screen(
        FormScreen(
            f"Skip: {text}",
            [Field("reason", "Why is it skipped? (shown in the checklist and the log)", reason)],
            validate=validate,
            submit_label="Skip",
        ),
        done,
    )


def _metric_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)

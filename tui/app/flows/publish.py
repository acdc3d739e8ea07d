"""Publishing: the draft checked, shown, confirmed; a message approved by its second person.

``p`` reads the preview in a worker (the message checks' findings, where it
goes, the promise it makes, whether it needs approval), then the
confirmation screen shows the final text with ``{published_at}`` filled in.
A draft someone else is typing is never published from under them. After a
publish or an approval the delivery thread is woken, so the message leaves now.

The deliveries are watched too: the app's poller reads the incident's pending and
failed outbox rows when the database moved (tui/app/app.py), the tick ages them, and
:func:`show_deliveries` has the header say, in words, which destination failed or
has waited longer than its ``stale_after`` (config).
``d`` (:func:`republish_elsewhere`) takes the newest such message and opens the
same confirmation for the destinations that have not got it; the failed row stays
in the outbox screen, untouched (nothing is dropped silently).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from textual.css.query import NoMatches

from tui import commands

if TYPE_CHECKING:
    from tui.app.app import WarroomApp


def publish_draft(app: WarroomApp) -> None:
    """p: the confirmation screen for the draft in the editor."""
    from tui.widgets.draft import DraftEditor

    if app.dashboard is None:
        return
    editor = app.dashboard.query_one(DraftEditor)
    purpose, body = editor.purpose, editor.text_area.text
    if not purpose:
        return
    holder = app.dashboard.draft_held_by_other()
    if holder:  # they are typing: publishing their half-written text would surprise both
        app.error(f"{holder} is editing the draft: 4, then enter, to take it over first")
        return
    app.background(
        lambda: app.room.preview_publish(purpose, body, app.config),
        lambda preview: confirm_publish(app, purpose, body, preview),
    )


def confirm_publish(
    app: WarroomApp,
    purpose: str,
    body: str,
    preview: dict[str, Any],
    *,
    destinations: list[str] | None = None,
    note: str = "",
    resend_of: int | None = None,
) -> None:
    """The publish screen for ``body``; confirmed, the one command publishes it
    (``destinations``: only to these; ``note``: a line saying why, on the screen;
    ``resend_of``: the outbox row whose message this sends elsewhere)."""
    from screens.publish import PublishPreview, PublishScreen
    from tui.publish.drafting import at_publishing

    tz = app.state.book.timezone if app.state is not None else "UTC"

    def finalize(text: str) -> str:
        return at_publishing(text, app.clock.now(), tz)

    def answered(result: dict[str, Any] | None) -> None:
        if result is None:
            return
        app.run_command(
            commands.publish,
            purpose,
            result.get("body", body),  # the final text the screen showed
            app.config,
            accept_warnings=result["accept_warnings"],
            destinations=destinations,
            notify=result.get("notify"),
            resend_of=resend_of,
            quiet=False,
            then=lambda: _after_publish(app, purpose),
        )

    shown = PublishPreview(purpose, body, **preview, note=note)
    app.push_screen(PublishScreen(shown, finalize), answered)


def _after_publish(app: WarroomApp, purpose: str) -> None:
    app.courier.wake()
    if app.dashboard is not None:
        app.dashboard.published(purpose)


def approve_pending(app: WarroomApp) -> None:
    """v: the message waiting for my approval (two-person rule)."""
    from screens.publish import ApproveScreen
    from tui.publish.drafting import at_publishing

    s = app.state
    if s is None:
        return
    mine = [
        r
        for r in s.requests.values()
        if r.status == "pending" and s.roles.get(r.role) == app.room.actor
    ]
    if not mine:
        app.notify("Nothing is waiting for your approval.", timeout=3)
        return
    req = mine[0]
    heading = f"{req.by} asks you to approve the {req.purpose} message ({req.request_id})"

    def answered(yes: bool | None) -> None:
        if yes is None:
            return
        app.run_command(
            commands.decide,
            req.request_id,
            app.config,
            approve=yes,
            quiet=False,
            then=app.courier.wake,
        )

    body = at_publishing(req.body, app.clock.now(), s.book.timezone)
    app.push_screen(ApproveScreen(heading, body), answered)


def stale_waits(app: WarroomApp) -> dict[str, timedelta]:
    """Each destination's ``stale_after``: how long its rows may wait before the header
    names them."""
    return {d.id: d.stale_after for d in app.config.destinations}


def show_deliveries(app: WarroomApp, rows: list[Any]) -> None:
    """The rows that need a person, to the header (in words)."""
    from tui.publish import outbox
    from tui.widgets.header import IncidentHeader

    if app.dashboard is None or not app.dashboard.is_attached:
        return
    problems = outbox.needs_attention(rows, app.clock.now(), stale_waits(app))
    with suppress(NoMatches):
        app.dashboard.query_one(IncidentHeader).show_deliveries(problems)


def republish_elsewhere(app: WarroomApp) -> None:
    """d: the newest failed or stuck message, to the destinations that have not got it."""
    from tui.publish import outbox

    incident = app.room.incident_id
    if incident is None:
        return

    def work() -> tuple[Any, list[str]] | None:
        def find(store: Any) -> tuple[Any, list[str]] | None:
            rows = outbox.rows(store, incident, unsettled=True)
            problems = outbox.needs_attention(rows, app.clock.now(), stale_waits(app))
            if not problems:
                return None
            row = problems[0]
            have = outbox.holders(store, row.id)
            others = [d.id for d in app.config.destinations if d.id not in have]
            return row, others

        return app.room.read(find)

    def found(result: tuple[Any, list[str]] | None) -> None:
        if result is None:
            app.notify("No delivery has failed or waited too long.", timeout=3)
            return
        row, others = result
        if not others:
            app.error(
                f"every other destination has the {row.purpose} message already; "
                f"#{row.id} to {row.destination} stays in the outbox (o)"
            )
            return
        body = str(row.payload.get("body", ""))
        note = (
            f"Re-publishing the {row.purpose} message that did not reach {row.destination} "
            f"(#{row.id}, {row.state}) to: {', '.join(others)}"
        )
        purpose = "postmortem" if row.payload.get("kind") == "postmortem" else row.purpose
        app.background(
            lambda: app.room.preview_publish(purpose, body, app.config, others),
            lambda preview: confirm_publish(
                app, purpose, body, preview, destinations=others, note=note, resend_of=row.id
            ),
        )

    app.background(work, found)

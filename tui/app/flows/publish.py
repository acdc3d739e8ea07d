"""Publishing: the draft checked, shown, confirmed; a message approved by its second person.

``p`` reads the preview in a worker (the message checks' findings, where it
goes, the promise it makes, whether it needs approval), then the
confirmation screen shows the final text with ``{published_at}`` filled in.
A draft someone else is typing is never published from under them. After a
publish or an approval the delivery thread is woken, so the message leaves now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def confirm_publish(app: WarroomApp, purpose: str, body: str, preview: dict[str, Any]) -> None:
    """The publish screen for ``body``; confirmed, the one command publishes it."""
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
            quiet=False,
            then=lambda: _after_publish(app, purpose),
        )

    app.push_screen(PublishScreen(PublishPreview(purpose, body, **preview), finalize), answered)


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

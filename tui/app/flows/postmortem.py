"""The post-mortem: previewed as it is written, exported to files, published.

The report is built from the incident's state and its whole event log and
rendered through the playbook's templates, always in a worker (a template may
be slow). Export writes Markdown and HTML next to where warroom was started,
atomically (never half-written); publishing goes through the same
confirmation screen as any other message.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui import commands

if TYPE_CHECKING:
    from screens.postmortem import PostmortemScreen
    from tui.app.app import WarroomApp
    from tui.core.store import Store


def show_postmortem(app: WarroomApp) -> None:
    """r: the post-mortem screen."""
    from screens.postmortem import PostmortemScreen

    if app.state is not None:
        app.push_screen(PostmortemScreen(app.state))


def postmortem_text(app: WarroomApp, fmt: str) -> str:
    """The post-mortem rendered as ``fmt`` ("md" or "html"); call it in a worker."""
    from tui.amends.postmortem import build, render

    incident_id = app.room.incident_id
    assert incident_id is not None, "a post-mortem needs an open incident"

    def make(store: Store) -> tuple[Any, list[Any]]:
        state = store.state(incident_id)
        return state, list(store.events(incident_id))

    state, events = app.room.read(make)
    report = build(state, events, app.clock.now())
    return render(report, fmt, state.book.template_dirs())


def refresh_postmortem(app: WarroomApp, screen: PostmortemScreen) -> None:
    """The Markdown preview rendered in a worker, then shown on ``screen``."""
    app.background(
        lambda: postmortem_text(app, "md"),
        screen.show_preview,
        what="post-mortem",
        group="postmortem",
    )


def export_postmortem(app: WarroomApp) -> None:
    """Markdown and HTML next to where warroom was started (never half-written)."""
    from tui.core.files import write_atomic

    def work() -> list[str]:
        written = []
        for fmt in ("md", "html"):
            target = Path.cwd() / f"postmortem-{app.room.incident_id}.{fmt}"
            write_atomic(target, postmortem_text(app, fmt))
            written.append(str(target))
        return written

    app.background(
        work,
        lambda written: tell_written(app, *written),
        what="export failed",
        group="postmortem",
    )


def publish_postmortem(app: WarroomApp) -> None:
    """The rendered Markdown, through the publish confirmation like any message; before
    the resolution (read afresh: someone may have just published it) an error says so
    and no confirmation opens (commands.publish refuses too)."""
    from tui.app.flows.publish import confirm_publish
    from tui.commands.postmortem import not_yet

    incident_id = app.room.incident_id
    assert incident_id is not None, "a post-mortem needs an open incident"

    def work() -> str | tuple[str, dict[str, Any]]:
        why = app.room.read(
            lambda store: not_yet(store.state(incident_id), incident_id, "postmortem")
        )
        if why is not None:
            return why
        body = postmortem_text(app, "md")
        return body, app.room.preview_publish("postmortem", body, app.config)

    def back(result: str | tuple[str, dict[str, Any]]) -> None:
        if isinstance(result, str):
            app.error(result)
        else:
            confirm_publish(app, "postmortem", *result)

    app.background(work, back)


def add_remedial_action(app: WarroomApp) -> None:
    """A remedial action: what will be done, by whom, by when (an ISO date or nothing)."""
    from datetime import date

    from screens.form import Field, FormScreen

    def validate(values: dict[str, str]) -> str | None:
        if not values["action"].strip():
            return "say what will be done"
        if values["due"].strip():
            try:
                date.fromisoformat(values["due"].strip())
            except ValueError:
                return "due date must be YYYY-MM-DD"
        return None

    def done(values: dict[str, str] | None) -> None:
        if values is not None:
            app.run_command(
                commands.set_remedial_action,
                None,
                values["action"],
                values["owner"],
                values["due"].strip(),
                "open",
            )

    fields = [
        Field("action", "Remedial action (what we do so this never happens again)"),
        Field("owner", "Owner"),
        Field("due", "Due (YYYY-MM-DD)"),
    ]
    app.push_screen(FormScreen("Add a remedial action", fields, validate=validate), done)


def tell_written(app: WarroomApp, *paths: str) -> None:
    """Say which files were written (post-mortem exports, offers)."""
    app.notify("Written: " + ", ".join(paths), timeout=8, markup=False)

"""The outbox screen's data: every delivery on its way, refreshed each second;
a failed one retried, a pending one cancelled (each an event in the log).

After a retry or a cancel the delivery thread is woken and the list re-read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from screens.outbox import OutboxScreen
    from tui.app.app import WarroomApp


def show_outbox(app: WarroomApp) -> None:
    """o: the outbox screen (it asks for its rows itself)."""
    from screens.outbox import OutboxScreen

    app.push_screen(OutboxScreen())


def refresh_outbox(app: WarroomApp, screen: OutboxScreen) -> None:
    """The outbox's rows read in a worker, then shown on ``screen``."""
    from tui.publish import outbox

    app.background(lambda: app.room.read(outbox.rows), screen.show_rows)


def outbox_action(
    app: WarroomApp, kind: Literal["retry", "cancel"], row_id: int, screen: OutboxScreen
) -> None:
    """Retry or cancel one row, then wake the delivery thread and re-read the list."""
    from tui.publish import outbox

    fn = outbox.retry if kind == "retry" else outbox.cancel

    def done(_row: object) -> None:
        app.courier.wake()
        refresh_outbox(app, screen)

    app.background(
        lambda: app.room.read(lambda store: fn(store, row_id, app.room.actor, app.clock.now())),
        done,
    )

"""Recovery offers: computed from a billing export, shown, written as CSV beside it.

The export is read and judged in a worker. A refused file is said in one
line and shown whole (the first 50 problems and a count); skipping bad rows is
the user's choice, never a default. The offers are written atomically as
``offers-<incident>.csv`` next to the export.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui.app.flows.postmortem import tell_written

if TYPE_CHECKING:
    from tui.amends.offers import OffersError, OffersResult
    from tui.app.app import WarroomApp


def show_offers(app: WarroomApp) -> None:
    """f: which billing export, and whether to skip its bad rows."""
    from screens.form import Field, FormScreen

    fields = [
        Field("path", "Billing export (CSV: customer_id,name,plan,monthly_amount,...)"),
        Field("skip", "Skip bad rows?", value="no", choices=(("No", "no"), ("Yes", "yes"))),
    ]

    def done(values: dict[str, str] | None) -> None:
        if values is not None:
            _compute_offers(app, values["path"].strip(), values["skip"] == "yes")

    app.push_screen(FormScreen("Recovery offers", fields, submit_label="Compute"), done)


def _compute_offers(app: WarroomApp, path: str, skip_bad: bool) -> None:
    from screens.postmortem import OffersRefusedScreen, OffersScreen
    from tui.amends.offers import OffersError, offers_for

    state = app.state
    if state is None:
        return

    def work() -> OffersResult | OffersError:
        try:
            return offers_for(state, path, app.clock.now(), skip_bad=skip_bad)
        except OffersError as exc:  # a refusal is shown whole: the first 50 and a count
            return exc

    def done(result: OffersResult | OffersError) -> None:
        if isinstance(result, OffersError):
            more = f" (+{result.total - 1:,} more)" if result.total > 1 else ""
            app.error(f"refused: {result.problems[0] if result.problems else path}{more}")
            app.push_screen(OffersRefusedScreen(path, result))
        else:
            app.push_screen(OffersScreen(path, result))

    app.background(work, done, group="offers")


def write_offers(app: WarroomApp, source: str, result: OffersResult) -> None:
    """The offers as ``offers-<incident>.csv`` next to the billing export."""
    from tui.core.files import write_atomic

    target = Path(source).with_name(f"offers-{app.room.incident_id}.csv")

    def work() -> str:
        write_atomic(target, result.to_csv())
        return str(target)

    app.background(
        work, lambda path: tell_written(app, path), what="offers not written", group="offers"
    )

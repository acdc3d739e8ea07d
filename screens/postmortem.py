"""The post-mortem: the four parts people write, remedial actions, a live preview.

The timeline and the impact come from the event log; what only people can say
(summary, root cause, trigger, why) is edited here, autosaved like the draft
and shared with every dashboard. Everything shown is literal text.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from screens._host import host
from tui.core.state import PM_FIELDS, IncidentState
from tui.core.textsafe import clean, clean_line
from tui.widgets._text import SafeTextArea
from tui.widgets.keys import bindings

LABELS = {
    "summary": "Summary: what happened, in two sentences a customer understands",
    "root_cause": "Root cause: not just the trigger, the why behind it",
    "trigger": "Trigger: what set it off (a deployment? a cascading failure?)",
    "why": "Why it happened, and why it was not caught earlier",
}
AUTOSAVE_AFTER = 1.0


class PostmortemScreen(Screen):
    BINDINGS = bindings("postmortem")

    def __init__(self, state: IncidentState) -> None:
        super().__init__()
        self.state = state
        self._pending: dict[str, str] = {}
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            Text(f"Post-mortem \u2014 {clean_line(self.state.title)}", style="bold"), id="pm-title"
        )
        with Horizontal(id="pm-body"):
            with VerticalScroll(id="pm-edit"):
                for field in PM_FIELDS:
                    yield Label(Text(LABELS[field]), classes="pm-label")
                    yield SafeTextArea(
                        getattr(self.state.postmortem, field),
                        id=f"pm-{field}",
                        classes="pm-field",
                        soft_wrap=True,
                    )
                yield Label(
                    Text("Remedial actions (enter: next status \u00b7 ctrl+n: add)"),
                    classes="pm-label",
                )
                yield OptionList(id="pm-actions", markup=False)
            with VerticalScroll(id="pm-preview-box"):
                yield Static(Text("Rendering the post-mortem\u2026"), id="pm-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.show_actions(self.state)
        self.query_one(f"#pm-{PM_FIELDS[0]}", TextArea).focus()
        host(self).refresh_postmortem(self)

    # live state ----------------------------------------------------------------------
    def apply_state(self, state: IncidentState) -> None:
        """Another dashboard edited the post-mortem: take their text unless we are typing."""
        self.state = state
        if not self.is_attached:
            return
        for field in PM_FIELDS:
            area = self.query_one(f"#pm-{field}", TextArea)
            theirs = clean(getattr(state.postmortem, field))  # as the editor holds it
            if field not in self._pending and not area.has_focus and area.text != theirs:
                area.load_text(theirs)
        self.show_actions(state)
        host(self).refresh_postmortem(self)

    def show_actions(self, state: IncidentState) -> None:
        listing = self.query_one("#pm-actions", OptionList)
        keep = listing.highlighted
        actions = sorted(state.postmortem.actions.values(), key=lambda a: (a.due or "9", a.id))
        options = []
        for a in actions:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"[{a.status}] ", style="bold")
            line.append(clean_line(a.action))
            who = " \u00b7 ".join(x for x in (a.owner, a.due) if x)
            if who:
                line.append(f"  {clean_line(who)}", style="dim")
            options.append(Option(line, id=a.id))
        if not options:
            options = [Option(Text("None yet: ctrl+n adds one.", style="dim"), disabled=True)]
        listing.set_options(options)
        if actions:
            listing.highlighted = min(keep or 0, len(actions) - 1)

    def show_preview(self, markdown: str) -> None:
        if not self.is_attached:
            return  # closed while the document rendered
        self.query_one("#pm-preview", Static).update(Text(clean(markdown)))

    # editing --------------------------------------------------------------------------
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        field = (event.text_area.id or "").removeprefix("pm-")
        if field not in PM_FIELDS:
            return
        if event.text_area.text == clean(getattr(self.state.postmortem, field)):
            return  # loaded, not typed: the editor holds the stored text made safe
        self._pending[field] = event.text_area.text
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(AUTOSAVE_AFTER, self.action_save)

    def action_save(self) -> None:
        from tui import commands

        pending, self._pending = self._pending, {}
        for field, text in pending.items():
            host(self).run_command(commands.edit_postmortem, field, text, tell_noop=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from tui import commands
        from tui.core.state import ACTION_STATUSES

        action = self.state.postmortem.actions.get(event.option.id or "")
        if action is None:
            return
        nxt = ACTION_STATUSES[(ACTION_STATUSES.index(action.status) + 1) % len(ACTION_STATUSES)]
        host(self).run_command(
            commands.set_remedial_action,
            action.id,
            action.action,
            action.owner,
            action.due,
            nxt,
        )

    def action_add_action(self) -> None:
        host(self).add_remedial_action()

    def action_export(self) -> None:
        self.action_save()
        host(self).export_postmortem()

    def action_publish(self) -> None:
        self.action_save()
        host(self).publish_postmortem()

    def action_back(self) -> None:
        self.action_save()
        self.dismiss(None)


class OffersScreen(Screen):
    """Recovery offers computed from a billing export, with the cost per currency."""

    BINDINGS = bindings("offers")
    AUTO_FOCUS = "#offers-rows"

    def __init__(self, source: str, result) -> None:
        super().__init__()
        self.source = source
        self.result = result

    def compose(self) -> ComposeResult:
        r = self.result
        with Vertical(id="publish-dialog"):
            head = Text(f"Recovery offers from {clean_line(self.source)}", style="bold")
            yield Static(head, id="publish-title")
            # the rows are built here, not in on_mount: nothing to query, so a screen that is
            # dismissed before its mount work runs cannot fail
            yield OptionList(*self._options(), id="offers-rows", markup=False)
            summary = Text()
            offered = [c for c in r.customers if c.offer != "none"]
            summary.append(
                f"Outage {r.outage_minutes} min \u00b7 {len(offered)} of {len(r.customers)} "
                "customers get an offer"
            )
            for currency, total in sorted(r.totals.items()):
                summary.append(f" \u00b7 credits {total} {currency}", style="bold")
            if r.skipped_total:
                summary.append(f" \u00b7 {r.skipped_total:,} bad row(s) skipped", style="bold")
            summary.append(f"\n{clean_line(r.rounding)}", style="dim")
            yield Static(summary, id="offers-summary")
        yield Footer()

    def _options(self) -> list[Option]:
        from tui.amends.offers import fit  # widths in terminal cells: CJK and accents line up

        options = []
        for c in self.result.customers:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{fit(clean_line(c.customer_id), 12)} ", style="bold")
            line.append(f"{fit(clean_line(c.name), 28)} {fit(clean_line(c.plan), 10)} ")
            line.append(clean_line(c.offer), style="bold")
            if c.credit_amount is not None:
                line.append(f"  {c.credit_pct}% = {c.credit_amount} {clean_line(c.currency)}")
            if c.trial_extension_days:
                line.append(f"  +{c.trial_extension_days} days")
            options.append(Option(line))
        for skipped in self.result.skipped_lines:  # the first 50, then "... and N more"
            options.append(Option(Text(f"skipped: {clean_line(skipped)}", style="italic")))
        return options or [Option(Text("No customers in the file."), disabled=True)]

    def action_write(self) -> None:
        host(self).write_offers(self.source, self.result)

    def action_back(self) -> None:
        self.dismiss(None)


class OffersRefusedScreen(Screen):
    """A billing export that was refused: the first problems and how many there are in all."""

    BINDINGS = bindings("offers-refused")
    AUTO_FOCUS = "#offers-problems"

    def __init__(self, source: str, error) -> None:
        super().__init__()
        self.source = source
        self.error = error  # tui.amends.offers.OffersError

    def compose(self) -> ComposeResult:
        e = self.error
        with Vertical(id="publish-dialog"):
            head = Text(
                f"Refused: {e.total:,} problem(s) in {clean_line(self.source)}; nothing computed",
                style="bold",
            )
            yield Static(head, id="publish-title")
            lines = [Option(Text(clean_line(line))) for line in e.lines]
            yield OptionList(*lines, id="offers-problems", markup=False)
            hint = Text(
                "Fix the file, or compute again with \u201cSkip bad rows\u201d", style="dim"
            )
            yield Static(hint, id="offers-summary")
        yield Footer()

    def action_back(self) -> None:
        self.dismiss(None)

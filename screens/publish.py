"""Publish confirmation: exactly what goes where, and the message check.

Errors block. Warnings need a second, explicit key (``w``) before ``y``
publishes. Everything shown is literal text.

Each destination has its block (:func:`tui.publish.preview.describe`): its id,
type and delivery guarantee, and what it receives -- the status and components
on a status page, the chat text, the email subject and how many recipients.
``s`` turns subscriber notification on or off for the highlighted destination
(the default is its config's ``notify_subscribers``); the choice goes into that
destination's payload (``notify``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.textsafe import clean, clean_line
from tui.publish.drafting import PUBLISH_TIME
from tui.publish.preview import describe, has_subscribers
from tui.widgets.keys import bindings


@dataclass(frozen=True)
class PublishPreview:
    purpose: str
    body: str
    destinations: list[str]  # one summary line per destination
    findings: list  # tui.publish.checks.Finding
    promise: str  # "next update promised by 2:45 PM EST" or ""
    approval: str  # "" or "needs approval by maria (Incident commander)"
    plans: list[Any] = field(default_factory=list)  # tui.publish.publishing.Planned, one each
    note: str = ""  # why this publish (a re-publish to the other destinations says so)


class PublishScreen(ModalScreen[dict | None]):
    BINDINGS = bindings("publish")

    def __init__(
        self, preview: PublishPreview, finalize: Callable[[str], str] | None = None
    ) -> None:
        super().__init__()
        self.preview = preview
        # the text as it goes out *now*: the time-of-publishing marker filled in; under the
        # two-person rule it goes out when approved, and the approval fills it in
        self.deferred = bool(preview.approval)
        self.finalize = (lambda body: body) if self.deferred or finalize is None else finalize
        self.shown = self.finalize(preview.body)
        self.errors = [f for f in preview.findings if f.severity == "error"]
        self.warnings = [f for f in preview.findings if f.severity != "error"]
        self.accepted = False
        # subscriber notification per destination id: the config's default, toggled by ``s``
        self.notify_choice: dict[str, bool] = {
            p.destination.id: bool(p.payload.get("notify")) for p in preview.plans
        }

    def compose(self) -> ComposeResult:
        p = self.preview
        with Vertical(id="publish-dialog"):
            title = Text(f"Publish the {p.purpose} message", style="bold")
            yield Static(title, id="publish-title")
            with VerticalScroll(id="publish-scroll"):
                where = Text()
                if p.note:
                    where.append(clean_line(p.note) + "\n", style="bold")
                if not p.plans:
                    for line in p.destinations:
                        where.append("\u2192 ", style="bold")
                        where.append(clean_line(line) + "\n")
                if p.promise:
                    where.append(clean_line(p.promise) + "\n", style="bold")
                if p.approval:
                    where.append(clean_line(p.approval) + "\n", style="bold")
                    if PUBLISH_TIME in p.body:
                        where.append(f"{PUBLISH_TIME} becomes the time it is approved.\n")
                yield Static(where, id="publish-where")
                if p.plans:
                    yield OptionList(
                        *[Option(self._block(plan), id=plan.destination.id) for plan in p.plans],
                        id="publish-destinations",
                        markup=False,
                    )
                yield Static(Text(clean(self.shown)), id="publish-body")
                yield Static(self._findings(), id="publish-findings")
            yield Static(self._status(), id="publish-status")
        yield Footer()

    def _block(self, plan: Any) -> Text:
        """One destination's block: id, type, guarantee, what it receives, notification."""
        shown = describe(plan.destination, plan.payload)
        out = Text()
        out.append("\u2192 ", style="bold")
        out.append(clean_line(shown.dest_id), style="bold")
        out.append(f" ({clean_line(shown.type)}) ")
        out.append(f" {shown.guarantee} ", style="reverse")
        for line in shown.lines:
            out.append("\n    " + clean_line(line))
        dest_id = plan.destination.id
        if has_subscribers(plan.destination.type):
            on = self.notify_choice.get(dest_id, False)
            out.append("\n    subscribers: ")
            out.append("NOTIFIED" if on else "not notified", style="bold" if on else "")
            out.append("  (s toggles)", style="dim")
        return out

    def action_toggle_notify(self) -> None:
        """s: subscriber notification on/off for the highlighted destination."""
        if not self.preview.plans:
            return
        listing = self.query_one("#publish-destinations", OptionList)
        index = listing.highlighted if listing.highlighted is not None else 0
        plan = self.preview.plans[index]
        dest_id = plan.destination.id
        if not has_subscribers(plan.destination.type):
            self.notify(f"{dest_id} has no subscribers to notify.", timeout=3, markup=False)
            return
        self.notify_choice[dest_id] = not self.notify_choice.get(dest_id, False)
        listing.replace_option_prompt_at_index(index, self._block(plan))

    def on_mount(self) -> None:
        # the scroll keeps the keys (end, pgdn reach the findings); tab reaches the destinations
        self.query_one("#publish-scroll", VerticalScroll).focus()
        if self.shown != self.preview.body:  # it carries the time of publishing: keep it true
            self.set_interval(1.0, self._refresh_time)

    def _refresh_time(self) -> bool:
        """Show the final text as of now; True if it changed since last shown."""
        final = self.finalize(self.preview.body)
        if final == self.shown:
            return False
        self.shown = final
        self.query_one("#publish-body", Static).update(Text(clean(final)))
        return True

    def _findings(self) -> Text:
        out = Text()
        if not self.preview.findings:
            out.append("Message check: no findings.", style="bold")
            return out
        for f in self.errors + self.warnings:
            word = "ERROR" if f.severity == "error" else "warning"
            out.append(f" {word} ", style="bold reverse" if word == "ERROR" else "bold")
            out.append(f" {clean_line(f.message)}")
            if f.end > f.start:
                out.append(f"  \u201c{clean_line(self.preview.body[f.start : f.end])[:60]}\u201d")
            if f.suggestion:
                out.append(f"\n    {clean_line(f.suggestion)}", style="italic")
            out.append("\n")
        return out

    def _status(self) -> Text:
        out = Text()
        if self.errors:
            out.append(f" BLOCKED: {len(self.errors)} error(s) ", style="bold reverse")
            out.append("  fix the draft first \u00b7 esc back")
        elif self.warnings and not self.accepted:
            out.append(f" {len(self.warnings)} WARNING(S) ", style="bold reverse")
            out.append("  w accept them, then y publish \u00b7 esc back")
        else:
            out.append(" READY ", style="bold reverse")
            out.append("  y publish \u00b7 esc back")
        return out

    def action_accept_warnings(self) -> None:
        if self.warnings and not self.errors:
            self.accepted = True
            self.query_one("#publish-status", Static).update(self._status())

    def action_publish(self) -> None:
        if self.errors:
            self.notify("Errors block publishing: fix the draft first.", severity="error")
            return
        if self.warnings and not self.accepted:
            self.notify("Press w to accept the warnings first.", severity="warning")
            return
        if self._refresh_time():  # the minute turned since it was shown: never queue unseen text
            self.notify(
                "The time of publishing changed: check the text and press y again.",
                severity="warning",
            )
            return
        self.dismiss(
            {
                "accept_warnings": bool(self.warnings),
                "body": self.shown,
                "notify": dict(self.notify_choice),
            }
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class ApproveScreen(ModalScreen[bool | None]):
    """The approver sees exactly what would go out, and answers."""

    BINDINGS = bindings("approve")

    def __init__(self, heading: str, body: str) -> None:
        super().__init__()
        self.heading = heading
        self.body = body  # its time of publishing already filled in: approving publishes now

    def compose(self) -> ComposeResult:
        with Vertical(id="publish-dialog"):
            yield Static(Text(clean_line(self.heading), style="bold"), id="publish-title")
            with VerticalScroll(id="publish-scroll"):
                yield Static(Text(clean(self.body)), id="publish-body")
            yield Static(Text(" y approve and publish \u00b7 n send back \u00b7 esc later "))
        yield Footer()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

"""Publish confirmation: exactly what goes where, and the message check.

Errors block. Warnings need a second, explicit key (``w``) before ``y``
publishes. Everything shown is literal text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.core.textsafe import clean, clean_line
from tui.publish.drafting import PUBLISH_TIME
from tui.widgets.keys import bindings


@dataclass(frozen=True)
class PublishPreview:
    purpose: str
    body: str
    destinations: list[str]  # one summary line per destination
    findings: list  # tui.publish.checks.Finding
    promise: str  # "next update promised by 2:45 PM EST" or ""
    approval: str  # "" or "needs approval by maria (Incident commander)"


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

    def compose(self) -> ComposeResult:
        p = self.preview
        with Vertical(id="publish-dialog"):
            title = Text(f"Publish the {p.purpose} message", style="bold")
            yield Static(title, id="publish-title")
            with VerticalScroll(id="publish-scroll"):
                where = Text()
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
                yield Static(Text(clean(self.shown)), id="publish-body")
                yield Static(self._findings(), id="publish-findings")
            yield Static(self._status(), id="publish-status")
        yield Footer()

    def on_mount(self) -> None:
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
        self.dismiss({"accept_warnings": bool(self.warnings), "body": self.shown})

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

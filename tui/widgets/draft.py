"""Pane 4: the draft of the next message -- editable, previewed, autosaved."""

from __future__ import annotations

import re
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static, TextArea

from tui.core.state import DraftHold, IncidentState
from tui.core.textsafe import clean, clean_line
from tui.core.vocabulary import PUBLISH_PURPOSES
from tui.publish.drafting import PUBLISH_TIME, DraftError, find_blanks, render, template_kinds
from tui.widgets._host import now_of, pane_host
from tui.widgets._text import SafeTextArea, literal, short_time, update_if_changed
from tui.widgets.keys import bindings
from tui.widgets.messages import DraftEdited

PURPOSE_WORDS = {
    "ack": "acknowledgement",
    "update": "update",
    "resolved": "resolution",
    "postmortem": "post-mortem",
    "amends": "amends",
}


_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|(?<![\w*])_(.+?)_(?!\w)")


def preview(text: str) -> Text:
    """The draft as readers see it: **bold** and _italic_ applied, blanks unmissable."""
    out = Text()
    pos = 0
    for m in _EMPHASIS.finditer(text):
        out.append(text[pos : m.start()])
        if m.group(1) is not None:
            out.append(m.group(1), style="bold")
        else:
            out.append(m.group(2), style="italic")
        pos = m.end()
    out.append(text[pos:])
    plain = out.plain
    for b in find_blanks(plain):
        out.stylize("bold reverse", b.start, b.end)
    return out


class DraftEditor(Vertical):
    """The next message. Autosaved (debounced) to the incident, restored after a crash.

    It opens for *reading*: keys stay keys (``5`` moves to the timeline). ``enter``
    starts editing (one editor at a time: the screen takes the draft's hold), and
    ``EDITING — esc to leave`` stays in sight until ``esc``.
    """

    BINDINGS = bindings("draft")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._state: IncidentState | None = None
        self.purpose: str | None = None  # None: follow the phase
        self._chosen = False
        self._baseline = ""  # the text last loaded or saved: differs => unsaved typing
        self._had_saved = False
        # a message went out from this editor: it owes a fresh start from the template,
        # paid as soon as a state without that draft is shown (however late it arrives)
        self._reset_owed: str | None = None
        # the template render under way: (purpose, the state's last event) -- the first
        # poll's state (the same events) does not start a second render (issue 13)
        self._rendering: tuple[str, int] | None = None
        self.editing = False
        self._hold: DraftHold | None = None
        self._hold_mine = False
        self._holder_here = False

    def compose(self) -> ComposeResult:
        yield Static("", id="draft-title")
        with Horizontal(id="draft-body"):
            yield SafeTextArea(
                "", id="draft-text", soft_wrap=True, show_line_numbers=False, read_only=True
            )
            with VerticalScroll(id="draft-preview-box"):
                yield Static("", id="draft-preview")
        yield Static("", id="draft-status")

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#draft-text", TextArea)

    @property
    def dirty(self) -> bool:
        return self.text_area.text != self._baseline

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # blanks and the template reset change the text: offered while editing only
        return self.editing or action not in ("next_blank", "from_template")

    def set_editing(self, editing: bool) -> None:
        """Reading (keys are keys) or editing (keys type); said in words, in the title."""
        self.editing = editing
        self.text_area.read_only = not editing
        self.set_class(editing, "-editing")
        self.screen.refresh_bindings()
        self.border_subtitle = "EDITING — esc to leave" if editing else "reading"
        self._paint_title()
        self._paint_preview()

    def show_hold(self, hold: DraftHold | None, mine: bool, holder_here: bool) -> None:
        self._hold, self._hold_mine, self._holder_here = hold, mine, holder_here
        self._paint_title()

    def show(self, state: IncidentState, now: datetime) -> None:
        self._state = state
        purpose = self.purpose if self._chosen and self.purpose else state.next_purpose()
        if purpose != self.purpose:
            self.purpose = purpose
            self._load(now, force=True)
        else:
            self._load(now, force=False)
        self._paint_title()

    def _load(self, now: datetime, *, force: bool) -> None:
        """Put the saved draft (or the template) in the editor, unless the user is typing."""
        s = self._state
        if s is None or self.purpose is None:
            return
        saved = s.drafts.get(self.purpose)
        if saved is None:
            # published (or cleared) elsewhere, or published here and the state now says so
            owed = self._reset_owed == self.purpose
            consumed = (self._had_saved or owed) and not self.dirty
            if force or consumed or not self.text_area.text:
                self._render_template(s, self.purpose, now)
            self._had_saved = False
            return
        self._had_saved = True
        self._put(saved.text, force=force)

    def _put(self, text: str, *, force: bool) -> None:
        text = clean(text)  # as the editor holds it: loading is never an edit to autosave
        if text == self.text_area.text:
            self._baseline = text
            self._paint_preview()
            return
        if not force and self.dirty:
            return  # never overwrite what someone is typing here
        self.text_area.load_text(text)
        self._baseline = text  # loading is not typing: nothing to autosave yet
        self._paint_preview()

    def _render_template(self, state: IncidentState, purpose: str, now: datetime) -> None:
        """Render off the UI thread: Jinja2's import and compile stay out of the first paint."""

        key = (purpose, state.last_event_id)
        if self._rendering == key:
            return  # under way already, over the very same events: its text will do
        self._rendering = key

        def work() -> None:
            text: str | None = None
            try:
                text = self._template_text(state, purpose, now)
                if text.strip():  # the check's import and regexes (~60 ms): the preview runs it
                    from tui.publish.checks.lint import lint

                    lint(text, purpose, "statuspage", state.book, pane_host(self).config)
            finally:  # (a failure is the worker's notification; the next render may start)
                self.app.call_from_thread(self._template_ready, key, text)

        # after the frame under way: a thread importing Jinja2 and the check beside the
        # first layout would share the GIL with it and delay the first paint
        self.call_after_refresh(
            self.run_worker, work, thread=True, exit_on_error=False, group="draft-template"
        )

    def _template_ready(self, key: tuple[str, int], text: str | None) -> None:
        if self._rendering == key:
            self._rendering = None
        purpose = key[0]
        if text is None or not self.is_attached:
            return  # the render failed, or the dashboard closed while the template rendered
        s = self._state
        if s is None or purpose != self.purpose or purpose in s.drafts:
            # moved on, someone saved a draft meanwhile, or the state that follows the
            # publish has not arrived yet: an owed reset stays owed (see _load)
            return
        if self._reset_owed == purpose:
            self._reset_owed = None
        self._put(text, force=not self.dirty)

    def _template_text(self, state: IncidentState, purpose: str, now: datetime) -> str:
        kinds = template_kinds(state.book, purpose)
        if not kinds:
            return ""
        kind = "statuspage" if "statuspage" in kinds else kinds[0]
        names: list[str] = []
        for dest in pane_host(self).config.destinations:
            names += [n for n in dest.components if n not in names]
        extra = {"components": names, "now": PUBLISH_TIME}  # filled in when published
        try:
            return render(state, purpose, kind, now, extra)
        except DraftError as exc:
            self.app.call_from_thread(
                self.notify, str(exc), title="Template error", severity="error", markup=False
            )
            return ""

    def consumed(self, purpose: str, now: datetime) -> None:
        """Published (or sent for approval): the editor starts again from the template.

        Rendered against the state that follows the publish: while the state shown
        still holds the draft (sent for approval and not yet approved, or that state
        has not arrived), the reset is owed and paid by the first state without it.
        """
        if purpose != self.purpose or self._state is None:
            return
        self._baseline = self.text_area.text  # what was published is not unsaved typing
        self._had_saved = False
        self._reset_owed = purpose
        if purpose not in self._state.drafts:
            self._render_template(self._state, purpose, now)

    def mark_saved(self, text: str) -> None:
        self._baseline = text
        self._had_saved = True
        self._paint_title()

    def _paint_title(self) -> None:
        s = self._state
        if s is None or self.purpose is None:
            return
        title = Text(no_wrap=True, overflow="ellipsis")
        hold = self._hold
        if self.editing:
            title.append(" EDITING — esc to leave ", style="bold reverse")
            title.append(" ")
        elif hold is not None and not self._hold_mine and self._holder_here:
            title.append_text(literal(f" {hold.actor} is editing ", "bold reverse"))
            title.append(" you read live · enter to take over  ", style="dim")
        elif hold is not None and not self._hold_mine:
            title.append_text(literal(f"{hold.actor} was editing (gone)", "bold"))
            title.append(" · enter to edit  ", style="dim")
        else:
            title.append("reading · enter to edit  ", style="dim")
        title.append(f"Draft: {PURPOSE_WORDS.get(self.purpose, self.purpose)}", style="bold")
        if not self._chosen:
            title.append("  (picked by the phase)", style="dim")
        saved = s.drafts.get(self.purpose)
        if self.dirty:
            title.append("  \u25cf unsaved", style="bold yellow")
        elif saved is not None:
            title.append("  saved ", style="dim")
            when = short_time(saved.at, s.book.timezone)
            title.append_text(literal(f"{when} by {saved.by}", "dim"))
        update_if_changed(self.query_one("#draft-title", Static), title)

    def _paint_preview(self) -> None:
        """The preview and the message check, live while typing (a pure, fast function)."""
        from tui.publish.checks.lint import lint

        text = clean(self.text_area.text)
        s = self._state
        findings = (
            lint(text, self.purpose, "statuspage", s.book, pane_host(self).config)
            if s is not None and self.purpose and text.strip()
            else []
        )
        body = preview(text)
        if findings:
            body.append("\n\n")
            for f in findings:
                word = " ERROR " if f.severity == "error" else " warning "
                body.append(word, style="bold reverse" if f.severity == "error" else "bold")
                body.append(f" {clean_line(f.message)}\n", style="italic")
        update_if_changed(self.query_one("#draft-preview", Static), body, layout=True)
        errors = sum(f.severity == "error" for f in findings)
        warnings = len(findings) - errors
        blanks = sum(f.rule == "blank" for f in findings)
        status = Text(no_wrap=True, overflow="ellipsis")
        if blanks:
            plural = "S" if blanks > 1 else ""
            status.append(f" {blanks} BLANK{plural} TO FILL ", style="bold reverse")
        elif errors:
            status.append(f" {errors} ERROR{'S' if errors > 1 else ''} ", style="bold reverse")
        elif warnings:
            status.append(f" {warnings} WARNING{'S' if warnings > 1 else ''} ", style="bold")
        else:
            status.append(" READY TO PUBLISH ", style="bold")
        if (errors - blanks) > 0 and blanks:
            status.append(f" +{errors - blanks} error(s)", style="bold")
        if warnings and errors:
            status.append(f" {warnings} warning(s)")
        limits = s.book.message_checks.max_length if s else {}
        status.append(f"  {len(text)} chars")
        if "statuspage" in limits:
            status.append(f" / {limits['statuspage']}")
        if self.editing:
            status.append("   ctrl+n next blank \u00b7 esc leave editing", style="dim")
        else:
            status.append("   enter edit \u00b7 p publish \u00b7 ctrl+o versions", style="dim")
        update_if_changed(self.query_one("#draft-status", Static), status)

    def on_resize(self, event) -> None:
        self.set_class(event.size.width >= 90, "-wide")  # preview beside, else below

    def on_key(self, event) -> None:
        """Reading: a letter that is no key is not lost silently; it says how to type."""
        if self.editing:
            return
        if event.key not in ("ctrl+n", "ctrl+r") and (
            not event.is_printable or event.key in self.screen.active_bindings
        ):
            return
        self.notify("Reading the draft: press enter to edit it.", timeout=3)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._paint_preview()
        self._paint_title()
        if self.purpose and self.dirty:
            self.post_message(DraftEdited(self.purpose, self.text_area.text))

    def action_next_purpose(self) -> None:
        s = self._state
        if s is None:
            return
        options = [p for p in PUBLISH_PURPOSES if p in s.book.templates] or list(PUBLISH_PURPOSES)
        current = self.purpose if self.purpose in options else options[0]
        self.purpose = options[(options.index(current) + 1) % len(options)]
        self._chosen = True
        self._load(self.app_now(), force=True)
        self._paint_title()

    def action_next_blank(self) -> None:
        """Select the next [[ blank ]] after the cursor: typing replaces it."""
        from textual.widgets.text_area import Selection

        if not self.editing:
            self.notify("Press enter to edit the draft first.", timeout=3)
            return
        area = self.text_area
        text = area.text
        blanks = find_blanks(text)
        if not blanks:
            self.notify("No blanks left: press p to publish.", timeout=3)
            return
        row, col = area.cursor_location
        lines = text.split("\n")
        offset = sum(len(line) + 1 for line in lines[:row]) + col
        # the cursor sits at the end of a selected blank: the next one after it
        target = next((b for b in blanks if b.start >= offset), blanks[0])

        def location(at: int) -> tuple[int, int]:
            before = text[:at]
            return before.count("\n"), at - (before.rfind("\n") + 1)

        area.selection = Selection(location(target.start), location(target.end))
        area.focus()

    def action_from_template(self) -> None:
        if self._state is None or self.purpose is None:
            return
        if not self.editing:
            self.notify("Press enter to edit the draft first.", timeout=3)
            return
        state, purpose, now = self._state, self.purpose, self.app_now()

        def work() -> None:
            text = self._template_text(state, purpose, now)
            # load_text posts Changed: the reset is autosaved like typing
            self.app.call_from_thread(self.text_area.load_text, text)

        self.run_worker(work, thread=True, exit_on_error=False, group="draft-template")

    def app_now(self) -> datetime:
        return now_of(self)

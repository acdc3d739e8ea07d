"""The dashboard: header, the five panes, the footer. Acts on what the panes ask for.

It paints every state the app hands it and keeps the draft's rule -- one editor
at a time, a take-over asked for, nothing typed ever lost (it is saved as a
version and its author told). It reaches the app only through
:class:`screens._host.Host`: commands, the dialogs, the clock.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, TextArea

from screens import draft_notices as notices
from screens._host import host
from tui import commands
from tui.core.state import IncidentState
from tui.core.store import Presence
from tui.widgets.checklist import PhaseChecklist
from tui.widgets.countdown import UpdateCountdown
from tui.widgets.draft import DraftEditor
from tui.widgets.header import IncidentHeader
from tui.widgets.keys import bindings
from tui.widgets.messages import (
    AdjustQueue,
    DraftEdited,
    EditQueue,
    ShowReply,
    ToggleAction,
    ToggleItem,
)
from tui.widgets.queues import ChannelQueues
from tui.widgets.timeline import Timeline

PANES = {
    "checklist": ("1", "Phase checklist", "#checklist"),
    "countdown": ("2", "Update countdown", "#countdown"),
    "queues": ("3", "Channel queues", "#queues"),
    "draft": ("4", "Draft", "#draft-text"),
    "timeline": ("5", "Timeline", "#timeline"),
}
COMPACT_WIDTH = 110
COMPACT_HEIGHT = 32
AUTOSAVE_AFTER = 1.0  # seconds of no typing before the draft is saved


class Dashboard(Screen[None]):
    BINDINGS = bindings("dashboard")

    def __init__(
        self, state: IncidentState, *, bell: bool = True, me: str = "", session: str = ""
    ) -> None:
        super().__init__()
        self.state = state
        self.bell = bell
        self.me = me
        self.session = session  # this dashboard's, in the room: who holds the draft
        self.active = "checklist"
        self._ready = False  # panes composed: until then, states are only kept
        self._presence: list[Presence] = []
        self._autosave: Timer | None = None
        self._pending_draft: tuple[str, str] | None = None
        self._hold_confirmed = False  # the log says this dashboard holds the draft
        self._editor: DraftEditor | None = None  # kept: the app asks while the DOM is torn down
        self._versions_seen: dict[str, int] | None = None  # per purpose, for "X's text arrived"

    # layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield IncidentHeader(id="header")
        with Container(id="panes"):
            yield PhaseChecklist(id="checklist", classes="pane")
            yield UpdateCountdown(id="countdown", classes="pane")
            yield ChannelQueues(id="queues", classes="pane")
            yield DraftEditor(id="draft", classes="pane")
            yield Timeline(id="timeline", classes="pane")
        yield Footer()

    def on_mount(self) -> None:
        for name, (key, title, _) in PANES.items():
            self.query_one(f"#{name}").border_title = f"{key} {title}"
        self.query_one(UpdateCountdown).bell_enabled = self.bell
        self.query_one(IncidentHeader).me = self.me
        self._editor = self.query_one(DraftEditor)
        self._layout(self.size.width, self.size.height)
        self._ready = True
        self.apply_state(self.state)
        self.apply_presence(self._presence)
        self.query_one(PhaseChecklist).focus()

    def on_resize(self, event: events.Resize) -> None:
        self._layout(event.size.width, event.size.height)

    def _layout(self, width: int, height: int) -> None:
        compact = width < COMPACT_WIDTH or height < COMPACT_HEIGHT
        self.set_class(compact, "-compact")
        self.query_one(IncidentHeader).compact = compact
        for name in PANES:
            self.query_one(f"#{name}").set_class(name == self.active, "-active")

    # state ------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return host(self).clock.now()

    def apply_state(self, state: IncidentState) -> None:
        self.state = state
        if not self._ready:
            return
        with suppress(NoMatches):  # the app is closing: panes are being removed
            self._paint(state)

    def _paint(self, state: IncidentState) -> None:
        now = self.now
        self.query_one(IncidentHeader).show(state, now)
        self.query_one(PhaseChecklist).show(state, now)
        self.query_one(UpdateCountdown).show(state, now)
        self.query_one(ChannelQueues).show(state, now)
        self._follow_hold(state)
        self.query_one(DraftEditor).show(state, now)
        self._tell_arrived_versions(state)
        self.query_one(Timeline).show(state)

    def apply_presence(self, presence: list[Presence]) -> None:
        self._presence = presence
        if self._ready:
            with suppress(NoMatches):
                self.query_one(IncidentHeader).show_presence(presence)
                self._show_hold()

    def tick(self) -> None:
        if not self._ready:
            return
        with suppress(NoMatches):
            self._tick()

    def _tick(self) -> None:
        now = self.now
        self.query_one(IncidentHeader).tick(now)
        self.query_one(UpdateCountdown).tick(now)
        self.query_one(PhaseChecklist).tick(now)
        self.query_one(ChannelQueues).tick(now)

    # panes --------------------------------------------------------------------
    def action_pane(self, name: str) -> None:
        self.active = name
        self._layout(self.size.width, self.size.height)
        self.query_one(PANES[name][2]).focus()

    def action_leave_editor(self) -> None:
        """esc in the draft: stop editing (saved, the draft freed), back to the checklist."""
        if self.editing_draft:
            self._stop_editing(release=True)
        if isinstance(self.focused, TextArea):
            self.action_pane("checklist")

    # the draft: one editor at a time --------------------------------------------------
    @property
    def editing_draft(self) -> bool:
        return self._editor is not None and self._editor.editing

    def _present(self) -> set[str]:
        return {p.session for p in self._presence}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # while editing, enter types a new line: the footer stops offering "Edit"
        return not (action == "edit_draft" and self._ready and self.editing_draft)

    def draft_held_by_other(self) -> str | None:
        """Who else is editing the draft right now (present), if anyone."""
        hold = self.state.draft_hold
        if hold is None or hold.session == self.session or hold.session not in self._present():
            return None
        return hold.actor

    def _show_hold(self) -> None:
        hold = self.state.draft_hold
        mine = hold is not None and hold.session == self.session
        here = hold is not None and hold.session in self._present()
        self.query_one(DraftEditor).show_hold(hold, mine, here)

    def _follow_hold(self, state: IncidentState) -> None:
        """The log moved the hold away from this dashboard: save what was typed, and say so."""
        hold = state.draft_hold
        mine = hold is not None and hold.session == self.session
        if mine:
            self._hold_confirmed = True
        elif self._hold_confirmed:
            self._hold_confirmed = False
            if self.editing_draft:
                taker = hold.actor if hold is not None else None
                self._lost_hold(taker)
        self._show_hold()

    def _lost_hold(self, taker: str | None) -> None:
        editor = self.query_one(DraftEditor)
        purpose, text, dirty = editor.purpose, editor.text_area.text, editor.dirty
        self._cancel_autosave()
        editor.set_editing(False)
        who = taker or "someone"
        if not dirty or not purpose:
            self._tell(notices.taken_over(self.state, who, None))
            return
        host(self).attempt(
            commands.save_draft,
            purpose,
            text,
            self.session,
            done=lambda state: self._tell(notices.taken_over(state, who, (purpose, text))),
        )

    def _tell(self, notice: notices.Notice) -> None:
        self.notify(
            notice.text,
            title="Draft",
            severity=notice.severity,
            timeout=notice.timeout,
            markup=False,
        )

    def _tell_arrived_versions(self, state: IncidentState) -> None:
        """While I edit, another dashboard's text arrived (a save after a take-over): say so."""
        counts = {p: len(v) for p, v in state.draft_versions.items()}
        seen, self._versions_seen = self._versions_seen, counts
        if seen is None or not self.editing_draft:
            return
        text = self.query_one(DraftEditor).text_area.text
        for notice in notices.arrived(state, seen, self.me, text):
            self._tell(notice)

    def action_edit_draft(self) -> None:
        """enter on the draft: edit it; if someone else is editing, offer the take-over."""
        editor = self.query_one(DraftEditor)
        if editor.editing:
            return
        hold = self.state.draft_hold
        if hold is not None and hold.session == self.session:
            self._start_editing(take=False)
            return
        holder = self.draft_held_by_other()
        if holder is None:
            self._start_editing(take=False)
            return
        from screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._start_editing(take=True)

        self.app.push_screen(
            ConfirmScreen(
                "Take over the draft",
                f"{holder} is editing the draft. Take it over?\n"
                f"What {holder} typed is saved as a version first, and {holder} is told.",
                yes="Take over",
            ),
            callback=answered,
        )

    def _start_editing(self, *, take: bool) -> None:
        """Editing starts at once; if the log gives the draft to someone else first, the
        text typed meanwhile is kept as a version and this dashboard is told."""
        editor = self.query_one(DraftEditor)
        if self.active != "draft":  # from the command palette: show the pane first
            self.action_pane("draft")
        editor.set_editing(True)
        editor.text_area.focus()

        def refused(message: str) -> None:
            self._hold_confirmed = False
            if editor.editing:
                purpose, text, dirty = editor.purpose, editor.text_area.text, editor.dirty
                self._cancel_autosave()
                editor.set_editing(False)
                if dirty and purpose:
                    host(self).attempt(
                        commands.save_draft,
                        purpose,
                        text,
                        self.session,
                        done=lambda state: self._tell(notices.kept(state, purpose, text, message)),
                    )
                    return
            self._tell(notices.refused(message))

        def granted(state: IncidentState) -> None:
            hold = state.draft_hold
            if hold is not None and hold.session == self.session:
                self._hold_confirmed = True
            self._show_hold()

        host(self).attempt(
            commands.hold_draft, self.session, take=take, done=granted, failed=refused
        )

    def _cancel_autosave(self) -> None:
        """No autosave for the editor's message (the caller saves it); typing in another
        message (before ctrl+t) is saved now, never dropped."""
        if self._autosave is not None:
            self._autosave.stop()
            self._autosave = None
        pending, self._pending_draft = self._pending_draft, None
        editor = self._editor
        if pending is not None and editor is not None and pending[0] != editor.purpose:
            host(self).attempt(commands.save_draft, pending[0], pending[1], self.session)

    def _stop_editing(self, *, release: bool) -> None:
        """Leave editing: what is unsaved is saved (a version), then the draft is freed."""
        editor = self.query_one(DraftEditor)
        unsaved = None
        if editor.dirty and editor.purpose:
            unsaved = (editor.purpose, editor.text_area.text)
        self._cancel_autosave()
        editor.set_editing(False)
        self._hold_confirmed = False
        if release:
            text = unsaved[1] if unsaved else None
            host(self).attempt(
                commands.release_draft,
                self.session,
                unsaved,
                done=lambda _state: editor.mark_saved(text) if text is not None else None,
            )

    def action_draft_versions(self) -> None:
        """ctrl+o: every saved version of this message (nothing typed is ever lost)."""
        from screens.versions import VersionsScreen

        editor = self.query_one(DraftEditor)
        purpose = editor.purpose
        if not purpose:
            return
        versions = list(self.state.draft_versions.get(purpose, ()))
        if not versions:
            self.notify("No saved versions of this draft yet.", timeout=3)
            return
        tz = self.state.book.timezone

        def chosen(text: str | None) -> None:
            if text is None:
                return
            if not editor.editing:
                self.notify("Press enter to edit the draft, then restore.", timeout=5)
                return
            editor.text_area.load_text(text)  # a change like typing: autosaved

        self.app.push_screen(VersionsScreen(purpose, versions, tz), callback=chosen)

    def action_toggle_bell(self) -> None:
        countdown = self.query_one(UpdateCountdown)
        countdown.bell_enabled = not countdown.bell_enabled
        word = "on" if countdown.bell_enabled else "off"
        self.notify(f"Terminal bell {word} for a late update", timeout=3)

    def action_help(self) -> None:
        host(self).action_help()

    # what the panes ask for ---------------------------------------------------------
    @on(ToggleItem)
    def _toggle_item(self, message: ToggleItem) -> None:
        item = self.state.items.get(message.item_id)
        done = bool(item and item.done)
        host(self).run_command(commands.set_item, message.item_id, not done)

    @on(PhaseChecklist.SkipRequested)
    def _skip_item(self, message: PhaseChecklist.SkipRequested) -> None:
        """``s`` on an item: ask why, then record the skip (an event, shown with the reason)."""
        host(self).skip_item(message.item_id)

    @on(ToggleAction)
    def _toggle_action(self, message: ToggleAction) -> None:
        host(self).run_command(
            commands.set_action, message.channel_id, message.action_id, message.on
        )

    @on(AdjustQueue)
    def _adjust_queue(self, message: AdjustQueue) -> None:
        ch = self.state.channels.get(message.channel_id)
        depth = max(0, (ch.depth or 0) + message.delta) if ch else max(0, message.delta)
        oldest = ch.oldest_since if ch else None
        if depth > 0 and oldest is None:
            oldest = self.now
        host(self).run_command(commands.set_queue, message.channel_id, depth, oldest)
        note = self.query_one(ChannelQueues).counted_note(message.channel_id, self.now)
        if note:
            self.notify(note, severity="warning")

    @on(EditQueue)
    def _edit_queue(self, message: EditQueue) -> None:
        host(self).edit_queue(message.channel_id)

    @on(ShowReply)
    def _show_reply(self, message: ShowReply) -> None:
        host(self).show_reply(message.channel_id)

    @on(DraftEdited)
    def _draft_edited(self, message: DraftEdited) -> None:
        if self._pending_draft and self._pending_draft[0] != message.purpose:
            self.action_save_draft()  # typed into another message before: never overwrite it
        self._pending_draft = (message.purpose, message.text)
        if self._autosave is not None:
            self._autosave.stop()
        self._autosave = self.set_timer(AUTOSAVE_AFTER, self.action_save_draft)

    def action_save_draft(self) -> None:
        pending, self._pending_draft = self._pending_draft, None
        if pending is None:
            return
        purpose, text = pending
        host(self).run_command(
            commands.save_draft,
            purpose,
            text,
            self.session,
            tell_noop=False,
            then=lambda: self._saved(purpose, text),
        )

    def _saved(self, purpose: str, text: str) -> None:
        self.query_one(DraftEditor).mark_saved(text)
        notice = notices.kept_aside(self.state, purpose, text)
        if notice is not None:
            self._tell(notice)

    def published(self, purpose: str) -> None:
        """The draft became a message: drop its pending autosave, start the next afresh."""
        if self._autosave is not None:
            self._autosave.stop()
        if self._pending_draft and self._pending_draft[0] == purpose:
            self._pending_draft = None
        editor = self.query_one(DraftEditor)
        editor.consumed(purpose, self.now)
        if editor.editing:  # published: the hold lapses, the next message starts free
            pending, self._pending_draft = self._pending_draft, None  # another message's typing
            editor.set_editing(False)
            self._hold_confirmed = False
            host(self).attempt(commands.release_draft, self.session, pending)

    def flush_draft(self) -> tuple[str, str] | None:
        """The unsaved draft, for the app to save before it exits."""
        pending, self._pending_draft = self._pending_draft, None
        return pending

    def action_next_phase(self) -> None:
        host(self).confirm_next_phase()

    def action_record_update(self) -> None:
        host(self).record_update()

    def action_assign(self) -> None:
        host(self).assign_role()

    def action_metrics(self) -> None:
        host(self).edit_metrics()

    def action_note(self) -> None:
        host(self).add_note()

    def action_publish(self) -> None:
        host(self).publish_draft()

    def action_approve(self) -> None:
        host(self).approve_pending()

    def action_outbox(self) -> None:
        host(self).show_outbox()

    def action_republish(self) -> None:
        host(self).republish_elsewhere()

    def action_postmortem(self) -> None:
        host(self).show_postmortem()

    def action_offers(self) -> None:
        host(self).show_offers()

"""The dashboard: header, the five panes, the footer. Acts on what the panes ask for."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, TextArea

from tui import commands
from tui.messages import AdjustQueue, DraftEdited, EditQueue, ToggleAction, ToggleItem
from tui.state import IncidentState
from tui.store import Presence
from tui.widgets.checklist import PhaseChecklist
from tui.widgets.countdown import UpdateCountdown
from tui.widgets.draft import DraftEditor
from tui.widgets.header import IncidentHeader
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


class Dashboard(Screen):
    BINDINGS = [
        Binding("1", "pane('checklist')", "Checklist", id="pane.checklist"),
        Binding("2", "pane('countdown')", "Countdown", show=False, id="pane.countdown"),
        Binding("3", "pane('queues')", "Queues", show=False, id="pane.queues"),
        Binding("4", "pane('draft')", "Draft", id="pane.draft"),
        Binding("5", "pane('timeline')", "Timeline", show=False, id="pane.timeline"),
        Binding("n", "next_phase", "Next phase", id="incident.next_phase"),
        Binding("u", "record_update", "Update posted", id="incident.posted"),
        Binding("a", "assign", "Roles", id="incident.assign"),
        Binding("m", "metrics", "Metrics", id="incident.metrics"),
        Binding("t", "note", "Note", id="incident.note"),
        Binding("p", "publish", "Publish", id="publish.draft"),
        Binding("v", "approve", "Approve", show=False, id="publish.approve"),
        Binding("o", "outbox", "Outbox", id="publish.outbox"),
        Binding("r", "postmortem", "Post-mortem", show=False, id="amends.postmortem"),
        Binding("f", "offers", "Offers", show=False, id="amends.offers"),
        Binding("b", "toggle_bell", "Bell", show=False, id="app.bell"),
        Binding("ctrl+s", "save_draft", "Save draft", show=False, id="draft.save"),
        Binding("escape", "leave_editor", "Leave editor", show=False, id="draft.leave"),
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("q", "app.quit", "Quit", id="app.quit"),
    ]

    def __init__(self, state: IncidentState, *, bell: bool = True, me: str = "") -> None:
        super().__init__()
        self.state = state
        self.bell = bell
        self.me = me
        self.active = "checklist"
        self._ready = False  # panes composed: until then, states are only kept
        self._presence: list[Presence] = []
        self._autosave: Timer | None = None
        self._pending_draft: tuple[str, str] | None = None

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
        self._layout(self.size.width, self.size.height)
        self._ready = True
        self.apply_state(self.state)
        self.apply_presence(self._presence)
        self.query_one(PhaseChecklist).focus()

    def on_resize(self, event) -> None:
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
        return self.app.clock.now()  # type: ignore[attr-defined]

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
        self.query_one(DraftEditor).show(state, now)
        self.query_one(Timeline).show(state)

    def apply_presence(self, presence: list[Presence]) -> None:
        self._presence = presence
        if self._ready:
            with suppress(NoMatches):
                self.query_one(IncidentHeader).show_presence(presence)

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
        """esc in the draft: back to the checklist (in the compact layout too)."""
        if isinstance(self.focused, TextArea):
            self.action_pane("checklist")

    def action_toggle_bell(self) -> None:
        countdown = self.query_one(UpdateCountdown)
        countdown.bell_enabled = not countdown.bell_enabled
        word = "on" if countdown.bell_enabled else "off"
        self.notify(f"Terminal bell {word} for a late update", timeout=3)

    def action_help(self) -> None:
        self.app.action_help()  # type: ignore[attr-defined]

    # what the panes ask for ---------------------------------------------------------
    @on(ToggleItem)
    def _toggle_item(self, message: ToggleItem) -> None:
        item = self.state.items.get(message.item_id)
        done = bool(item and item.done)
        self.app.run_command(commands.set_item, message.item_id, not done)  # type: ignore[attr-defined]

    @on(ToggleAction)
    def _toggle_action(self, message: ToggleAction) -> None:
        self.app.run_command(  # type: ignore[attr-defined]
            commands.set_action, message.channel_id, message.action_id, None
        )

    @on(AdjustQueue)
    def _adjust_queue(self, message: AdjustQueue) -> None:
        ch = self.state.channels.get(message.channel_id)
        depth = max(0, (ch.depth or 0) + message.delta) if ch else max(0, message.delta)
        oldest = ch.oldest_since if ch else None
        if depth > 0 and oldest is None:
            oldest = self.now
        self.app.run_command(  # type: ignore[attr-defined]
            commands.set_queue, message.channel_id, depth, oldest
        )

    @on(EditQueue)
    def _edit_queue(self, message: EditQueue) -> None:
        self.app.edit_queue(message.channel_id)  # type: ignore[attr-defined]

    @on(DraftEdited)
    def _draft_edited(self, message: DraftEdited) -> None:
        self._pending_draft = (message.purpose, message.text)
        if self._autosave is not None:
            self._autosave.stop()
        self._autosave = self.set_timer(AUTOSAVE_AFTER, self.action_save_draft)

    def action_save_draft(self) -> None:
        pending, self._pending_draft = self._pending_draft, None
        if pending is None:
            return
        purpose, text = pending
        self.app.run_command(  # type: ignore[attr-defined]
            commands.save_draft, purpose, text, tell_noop=False, then=lambda: self._saved(text)
        )

    def _saved(self, text: str) -> None:
        self.query_one(DraftEditor).mark_saved(text)

    def published(self, purpose: str) -> None:
        """The draft became a message: drop its pending autosave, start the next afresh."""
        if self._autosave is not None:
            self._autosave.stop()
        if self._pending_draft and self._pending_draft[0] == purpose:
            self._pending_draft = None
        self.query_one(DraftEditor).consumed(purpose, self.now)

    def flush_draft(self) -> tuple[str, str] | None:
        """The unsaved draft, for the app to save before it exits."""
        pending, self._pending_draft = self._pending_draft, None
        return pending

    def action_next_phase(self) -> None:
        self.app.confirm_next_phase()  # type: ignore[attr-defined]

    def action_record_update(self) -> None:
        self.app.record_update()  # type: ignore[attr-defined]

    def action_assign(self) -> None:
        self.app.assign_role()  # type: ignore[attr-defined]

    def action_metrics(self) -> None:
        self.app.edit_metrics()  # type: ignore[attr-defined]

    def action_note(self) -> None:
        self.app.add_note()  # type: ignore[attr-defined]

    def action_publish(self) -> None:
        self.app.publish_draft()  # type: ignore[attr-defined]

    def action_approve(self) -> None:
        self.app.approve_pending()  # type: ignore[attr-defined]

    def action_outbox(self) -> None:
        self.app.show_outbox()  # type: ignore[attr-defined]

    def action_postmortem(self) -> None:
        self.app.show_postmortem()  # type: ignore[attr-defined]

    def action_offers(self) -> None:
        self.app.show_offers()  # type: ignore[attr-defined]

"""The Textual application: owns the room (store connection), the clock and the poller.

All database work runs in thread workers (the :class:`~tui.app.room.Room`
serialises them); results come back with ``call_from_thread``. A worker error
becomes a notification, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from screens.dashboard import Dashboard
from tui import commands
from tui.app.lifeline import Lifeline, hard_exit
from tui.app.room import Room
from tui.core.clock import Clock, parse_when
from tui.core.state import IncidentState
from tui.core.store import StoreError
from tui.widgets.keys import bindings

POLL_EVERY = 0.25  # seconds: changes from other dashboards show within ~half a second
TICK_EVERY = 1.0
# leaving: the whole exit stays under 2 s even when a worker never returns
SAVE_TIMEOUT = 0.4  # busy timeout of the draft's last save
CLOSE_WAIT = 0.3  # for the room's connection, the writer thread
WORKERS_WAIT = 0.5  # for worker threads after the app has stopped
QUIT_WITHIN = 1.9  # then the watchdog ends the process


class Loading(Screen):
    def compose(self):
        yield Static("warroom: opening the incident database\u2026", id="loading")


class WarroomApp(App):
    CSS_PATH = ["warroom.tcss", "modals.tcss"]
    TITLE = "warroom"
    BINDINGS = bindings("global")  # ctrl+c, ctrl+p: the action table's "force_quit", "palette"

    def __init__(
        self,
        room: Room,
        *,
        incident: str | None = None,
        bell: bool = True,
        poll_every: float = POLL_EVERY,
        tick_every: float = TICK_EVERY,
        config=None,
        config_error: str | None = None,
        deliver: bool = True,
        welcome: str = "",
        lifeline: Lifeline | None = None,
    ) -> None:
        # on a real terminal, a driver that survives losing it (see tui/app/lifeline.py)
        super().__init__(driver_class=_driver_for(lifeline))
        from tui.core.config import Config
        from tui.widgets._text import guard_terminal

        guard_terminal()  # the last line of text safety: no control character is ever written

        self.room = room
        self.config = config if config is not None else Config()
        # the user's keymap (checked by the config loader): binding id = action id
        self.set_keymap({action: ",".join(keys) for action, keys in self.config.keymap.items()})
        self.config_error = config_error
        self.welcome = welcome
        self.deliver = deliver
        self._stop_delivery = None
        self._deliverer = None
        self._told: dict[int, str] = {}
        self.clock: Clock = room.clock
        self.wanted_incident = incident
        self.bell_enabled = bell
        self.poll_every = poll_every
        self.tick_every = tick_every
        self.dashboard: Dashboard | None = None
        self._polling = False
        self.lifeline = lifeline
        self._loop: asyncio.AbstractEventLoop | None = None
        if lifeline is not None:
            lifeline.on_save(self._save_draft_now)
            lifeline.on_lost(self._terminal_lost)

    # text safety: notifications and titles carry data (titles, errors, HTTP answers) --
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (widgets' and screens' too) as safe, literal text: never markup."""
        from tui.core.textsafe import clean, clean_line

        super().notify(
            clean(message),
            title=clean_line(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def validate_title(self, title: Any) -> str:
        from tui.core.textsafe import clean_line

        return clean_line(str(title))

    def validate_sub_title(self, sub_title: Any) -> str:
        from tui.core.textsafe import clean_line

        return clean_line(str(sub_title))

    # start-up -------------------------------------------------------------------
    def on_mount(self) -> None:
        self.push_screen(Loading())
        if self.lifeline is not None and self.lifeline.lost.is_set():
            self.exit(None, self.lifeline.code)  # the terminal went away during start-up
            return
        self.run_worker(self._boot, thread=True, exit_on_error=False, group="db")

    def _boot(self) -> None:
        try:
            rows = self.room.open()
        except StoreError as exc:
            self.call_from_thread(self.exit, None, 2, f"warroom: {exc}")
            return
        self.call_from_thread(self._route, rows)

    def _route(self, rows) -> None:
        wanted = self.wanted_incident
        if wanted:
            ids = [r.id for r in rows]
            norm = _norm(wanted)
            if norm not in ids:
                self.notify(f"no open incident {wanted}", severity="error", markup=False)
            else:
                self.open_incident(norm)
                return
        if len(rows) == 1:
            self.open_incident(rows[0].id)
        elif len(rows) > 1:
            self.background(self._pick, self._show_picker)
        else:
            self.show_start()

    def _pick(self) -> list[tuple[str, str]]:
        from tui.core.report import oneline_for

        now = self.clock.now()
        return self.room.read(
            lambda store: [
                (r.id, oneline_for(store.state(r.id), now) + "  " + r.title)
                for r in store.incidents()
            ]
        )

    def _show_picker(self, rows) -> None:
        from screens.picker import PickerScreen

        def picked(choice: str | None) -> None:
            if choice is None:
                self.exit()
            elif choice == "new":
                self.show_start()
            else:
                self.open_incident(choice)

        self.push_screen(PickerScreen(rows), callback=picked)

    def show_start(self) -> None:
        from screens.start import StartScreen
        from tui.core.resources import shipped_playbooks

        def started(values: dict | None) -> None:
            if values is None:
                self.exit()
                return
            self.run_worker(lambda: self._start(values), thread=True, exit_on_error=False)

        self.push_screen(StartScreen(shipped_playbooks()), callback=started)

    def _start(self, values: dict) -> None:
        from tui.core.playbook import PlaybookError, load_playbook

        try:
            book = load_playbook(Path(values["playbook"]))
            incident = self.room.start(
                book, values["title"], values["metrics"], force=values.get("force", False)
            )
        except commands.DuplicateIncident as exc:
            self.call_from_thread(self._confirm_duplicate, values, exc)
            return
        except (PlaybookError, commands.CommandError, StoreError) as exc:
            self.call_from_thread(self._error, str(exc))
            self.call_from_thread(self.show_start)
            return
        self.call_from_thread(self.open_incident, incident)

    def _confirm_duplicate(self, values: dict, exc: commands.DuplicateIncident) -> None:
        """Same title as an open incident: ask, and open the existing one unless told twice."""
        from screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                again = {**values, "force": True}
                self.run_worker(lambda: self._start(again), thread=True, exit_on_error=False)
            else:
                self.open_incident(exc.incident_id)

        self.push_screen(
            ConfirmScreen(
                "Already open",
                f"{exc.incident_id} \u201c{values['title']}\u201d is already open."
                " Start a second incident anyway? (No opens the existing one.)",
                yes="Start another",
                no="Open it",
            ),
            callback=answered,
        )

    def open_incident(self, incident_id: str) -> None:
        self.background(lambda: self.room.attach(incident_id), self._show_dashboard)

    def _show_dashboard(self, state: IncidentState) -> None:
        self.dashboard = Dashboard(state, bell=self.bell_enabled, me=self.room.actor)
        self.switch_screen(self.dashboard)
        self.call_after_refresh(_freeze_startup_garbage)
        if self.config_error:
            self._error(self.config_error)
        if self.welcome:
            self.notify(self.welcome, title="warroom demo", timeout=20, markup=False)
            self.welcome = ""
        self._start_delivery()
        if not self._polling:  # once per app, whichever incident is shown
            self._polling = True
            self.set_interval(self.tick_every, self._tick)
            self._schedule_poll(force=True)

    # the poller: one in flight at a time, re-armed after each result -------------
    def _schedule_poll(self, force: bool = False) -> None:
        self.run_worker(lambda: self._poll(force), thread=True, exit_on_error=False, group="poll")

    def _poll(self, force: bool) -> None:
        try:
            sync = self.room.poll(force=force)
        except StoreError as exc:
            self.call_from_thread(self._error, str(exc))
            self.call_from_thread(self.set_timer, 2.0, self._schedule_poll)
            return
        except Exception as exc:  # never let the poller die silently
            self.call_from_thread(self._error, f"sync failed: {type(exc).__name__}: {exc}")
            self.call_from_thread(self.set_timer, 2.0, self._schedule_poll)
            return
        self.call_from_thread(self._synced, sync)

    def _synced(self, sync) -> None:
        if sync.state is not None:
            self._pm_state(sync.state)
        if self.dashboard is not None and self.dashboard.is_attached:
            if sync.state is not None:
                self.dashboard.apply_state(sync.state)
            if sync.presence is not None:
                self.dashboard.apply_presence(sync.presence)
        self.set_timer(self.poll_every, self._schedule_poll)

    def _tick(self) -> None:
        if self.dashboard is not None and self.dashboard.is_attached:
            self.dashboard.tick()

    # commands from keys --------------------------------------------------------------
    def run_command(
        self,
        fn: Callable[..., commands.Outcome],
        *args: Any,
        quiet: bool = True,
        tell_noop: bool = True,
        then: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        """Run a :mod:`tui.commands` function off the UI thread.

        The screen shows the change itself, so a success is silent unless ``quiet``
        is False; a no-op ("already ticked by alice") and an error are always said.
        """

        def done(result) -> None:
            outcome, state = result
            noop = outcome.event_id is None
            say = outcome.message if (noop and tell_noop) or (not noop and not quiet) else None
            self._applied(state, say, then)

        self.background(lambda: self.room.run(fn, *args, **kwargs), done, group="commands")

    def _pm_state(self, state) -> None:
        from screens.postmortem import PostmortemScreen

        if isinstance(self.screen, PostmortemScreen):
            self.screen.apply_state(state)

    def _applied(self, state, message, then) -> None:
        self._pm_state(state)
        if self.dashboard is not None and self.dashboard.is_attached:
            self.dashboard.apply_state(state)
        if message:
            self.notify(message, timeout=3, markup=False)
        if then is not None:
            then()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place for worker failures: a notification, never a crash or a silent stop."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self._error(f"{event.worker.group} failed: {type(error).__name__}: {error}")
            if event.worker.group == "poll":
                self.set_timer(2.0, self._schedule_poll)  # keep syncing

    def background(
        self,
        work: Callable[[], Any],
        done: Callable[[Any], None] | None = None,
        *,
        what: str = "",
        group: str = "db",
    ) -> None:
        """``work()`` in a thread worker, ``done(result)`` back on the UI thread.

        A failure is one notification (the first line of our one-line errors, the
        exception's name for anything else), never a crash and never a silent stop.
        """

        def run() -> None:
            try:
                result = work()
            except Exception as exc:
                lines = str(exc).splitlines() or [type(exc).__name__]
                text = lines[0] + (f" (+{len(lines) - 1} more)" if len(lines) > 1 else "")
                if type(exc).__module__.split(".")[0] != "tui":
                    text = f"{type(exc).__name__}: {text}"
                self._from_thread(self._error, f"{what}: {text}" if what else text)
                return
            if done is not None:
                self._from_thread(done, result)

        self.run_worker(run, thread=True, exit_on_error=False, group=group)

    def _error(self, text: str) -> None:
        self.notify(text, title="warroom", severity="error", timeout=8, markup=False)

    # dialogs -------------------------------------------------------------------------
    @property
    def state(self) -> IncidentState | None:
        return self.dashboard.state if self.dashboard else None

    def confirm_next_phase(self) -> None:
        from screens.confirm import ConfirmScreen

        s = self.state
        if s is None:
            return
        nxt = s.next_phase()
        if nxt is None:
            self._error("this is the last phase of the protocol")
            return
        from tui.core.state import open_items

        current = s.current_phase()
        left = open_items(s, current) if current else []
        if left:  # a phase is over when each item is ticked or skipped (with a reason)
            self._error(
                f"{len(left)} item(s) of \u201c{current.title}\u201d still open: "
                + ", ".join(i.id for i in left)
                + " \u2014 tick them (space) or skip them with a reason (s) in the checklist"
                + " (or move on anyway: warroom phase next --force)"
            )
            return
        msg = (
            f"Move from \u201c{current.title if current else '-'}\u201d to \u201c{nxt.title}\u201d?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_command(commands.advance_phase, quiet=False)

        self.push_screen(ConfirmScreen("Next phase", msg, yes="Move on"), callback=answered)

    def record_update(self) -> None:
        from screens.form import Field, FormScreen

        s = self.state
        if s is None:
            return
        purpose = s.next_purpose()
        choices = tuple(
            (label, value)
            for value, label in (
                ("ack", "Acknowledgement"),
                ("update", "Update"),
                ("resolved", "Resolution"),
                ("postmortem", "Post-mortem"),
                ("amends", "Amends"),
            )
        )
        fields = [
            Field("purpose", "Message", value=purpose, choices=choices),
            Field("next", "Next update promised (30m, 14:15, or empty)", value="30m"),
            Field("note", "Where / what (for the timeline)", placeholder="status page, Twitter"),
        ]

        def parse(values: dict[str, str]):
            promised = None
            if values.get("next", "").strip() and values["purpose"] in ("ack", "update"):
                promised = parse_when(
                    values["next"], self.clock.now(), s.book.timezone, future=True
                )
            return promised

        def validate(values: dict[str, str]) -> str | None:
            try:
                parse(values)
            except ValueError as exc:
                return str(exc)
            return None

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.run_command(
                    commands.record_published,
                    values["purpose"],
                    parse(values),
                    values["note"],
                    quiet=False,
                )

        self.push_screen(
            FormScreen(
                "Record a message published by hand",
                fields,
                validate=validate,
                help_text="The countdown moves to the promise the message made.",
                submit_label="Record",
            ),
            callback=done,
        )

    def assign_role(self) -> None:
        from screens.form import Field, FormScreen

        s = self.state
        if s is None:
            return
        choices = tuple(
            (f"{r.title} ({s.roles.get(r.id) or 'vacant'})", r.id) for r in s.book.roles
        )
        fields = [
            Field("role", "Role", value=s.book.roles[0].id, choices=choices),
            Field("user", "Person (empty: leave vacant)", value=self.room.actor),
        ]

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                user = values["user"].strip() or None
                self.run_command(commands.assign, values["role"], user)

        self.push_screen(FormScreen("Assign a role", fields, submit_label="Assign"), callback=done)

    def edit_metrics(self) -> None:
        from screens.form import Field, FormScreen

        s = self.state
        if s is None:
            return
        book = s.book

        def pairs(values: dict[str, str]) -> list[str]:
            return [f"{k}={v.strip()}" for k, v in values.items() if v.strip()]

        def preview(values: dict[str, str]) -> str:
            try:
                merged = {**s.metrics, **commands.parse_metrics(book, pairs(values))}
            except commands.CommandError as exc:
                return str(exc)
            level = book.classify(merged)
            return (
                f"Severity: {level.title} (protocol {level.protocol})"
                if level
                else ("No severity level matches these metrics")
            )

        def validate(values: dict[str, str]) -> str | None:
            try:
                commands.parse_metrics(book, pairs(values))
            except commands.CommandError as exc:
                return str(exc)
            return None if pairs(values) else "enter at least one value"

        fields = [
            Field(m.id, f"{m.title} ({m.type})", value=_metric_text(s.metrics.get(m.id)))
            for m in book.metrics
        ]

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                changed = [
                    p
                    for p in pairs(values)
                    if _metric_text(s.metrics.get(p.split("=", 1)[0])) != p.split("=", 1)[1]
                ]
                if changed:
                    self.run_command(commands.set_metrics, changed)

        self.push_screen(
            FormScreen("Impact metrics", fields, validate=validate, preview=preview),
            callback=done,
        )

    def add_note(self) -> None:
        from screens.form import Field, FormScreen

        def done(values: dict[str, str] | None) -> None:
            if values is not None and values["text"].strip():
                self.run_command(commands.add_note, values["text"])

        self.push_screen(
            FormScreen("Add a note to the timeline", [Field("text", "Note")], submit_label="Add"),
            callback=done,
        )

    def edit_queue(self, channel_id: str) -> None:
        from screens.form import Field, FormScreen

        s = self.state
        if s is None:
            return
        channel = next(c for c in s.book.channels if c.id == channel_id)
        st = s.channels.get(channel_id)
        now = self.clock.now()
        oldest = ""
        if st and st.oldest_since:
            oldest = f"{max(1, int((now - st.oldest_since).total_seconds() // 60))}m"
        fields = [
            Field(
                "depth", "Waiting now", value=str(st.depth) if st and st.depth is not None else ""
            ),
            Field("oldest", "Oldest waiting for (e.g. 12m; empty if none)", value=oldest),
        ]

        def parse(values: dict[str, str]):
            depth = int(values["depth"].strip())
            when = None
            if values["oldest"].strip():
                when = parse_when(values["oldest"], self.clock.now(), s.book.timezone, future=False)
            return depth, when

        def validate(values: dict[str, str]) -> str | None:
            try:
                depth, _ = parse(values)
            except ValueError as exc:
                text = str(exc)
                return "waiting must be a whole number" if "int()" in text else text
            return None if depth >= 0 else "waiting cannot be negative"

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                depth, when = parse(values)
                self.run_command(commands.set_queue, channel_id, depth, when)

        self.push_screen(
            FormScreen(f"Queue: {channel.title}", fields, validate=validate), callback=done
        )

    # publishing ------------------------------------------------------------------------
    def publish_draft(self) -> None:
        """p: the confirmation screen for the draft in the editor."""
        from tui.widgets.draft import DraftEditor

        if self.dashboard is None:
            return
        editor = self.dashboard.query_one(DraftEditor)
        purpose, body = editor.purpose, editor.text_area.text
        if not purpose:
            return
        holder = self.dashboard.draft_held_by_other()
        if holder:  # they are typing: publishing their half-written text would surprise both
            self._error(f"{holder} is editing the draft: 4, then enter, to take it over first")
            return

        self.background(
            lambda: self.room.preview_publish(purpose, body, self.config),
            lambda preview: self._confirm_publish(purpose, body, preview),
        )

    def _confirm_publish(self, purpose: str, body: str, preview: dict) -> None:
        from screens.publish import PublishPreview, PublishScreen
        from tui.publish.drafting import at_publishing

        tz = self.state.book.timezone if self.state is not None else "UTC"

        def finalize(text: str) -> str:
            return at_publishing(text, self.clock.now(), tz)

        def answered(result: dict | None) -> None:
            if result is None:
                return
            self.run_command(
                commands.publish,
                purpose,
                result.get("body", body),  # the final text the screen showed
                self.config,
                accept_warnings=result["accept_warnings"],
                quiet=False,
                then=lambda: self._after_publish(purpose),
            )

        self.push_screen(
            PublishScreen(PublishPreview(purpose, body, **preview), finalize), answered
        )

    def _after_publish(self, purpose: str) -> None:
        self._wake_delivery()
        if self.dashboard is not None:
            self.dashboard.published(purpose)

    def approve_pending(self) -> None:
        """v: the message waiting for my approval (two-person rule)."""
        from screens.publish import ApproveScreen

        s = self.state
        if s is None:
            return
        mine = [
            r
            for r in s.requests.values()
            if r.status == "pending" and s.roles.get(r.role) == self.room.actor
        ]
        if not mine:
            self.notify("Nothing is waiting for your approval.", timeout=3)
            return
        req = mine[0]
        heading = f"{req.by} asks you to approve the {req.purpose} message ({req.request_id})"

        def answered(yes: bool | None) -> None:
            if yes is None:
                return
            self.run_command(
                commands.decide,
                req.request_id,
                self.config,
                approve=yes,
                quiet=False,
                then=self._wake_delivery,
            )

        from tui.publish.drafting import at_publishing

        body = at_publishing(req.body, self.clock.now(), s.book.timezone)
        self.push_screen(ApproveScreen(heading, body), answered)

    def show_outbox(self) -> None:
        from screens.outbox import OutboxScreen

        self.push_screen(OutboxScreen())

    def refresh_outbox(self, screen) -> None:
        from tui.publish import outbox

        self.background(lambda: self.room.read(outbox.rows), screen.show_rows)

    def outbox_action(self, kind: str, row_id: int, screen) -> None:
        from tui.publish import outbox

        fn = outbox.retry if kind == "retry" else outbox.cancel

        def done(_row) -> None:
            self._wake_delivery()
            self.refresh_outbox(screen)

        self.background(
            lambda: self.room.read(
                lambda store: fn(store, row_id, self.room.actor, self.clock.now())
            ),
            done,
        )

    # post-mortem and recovery offers ------------------------------------------------
    def show_postmortem(self) -> None:
        from screens.postmortem import PostmortemScreen

        if self.state is not None:
            self.push_screen(PostmortemScreen(self.state))

    def _postmortem_text(self, fmt: str) -> str:
        from tui.amends.postmortem import build, render

        def make(store):
            state = store.state(self.room.incident_id)
            return state, list(store.events(self.room.incident_id))

        state, events = self.room.read(make)
        report = build(state, events, self.clock.now())
        return render(report, fmt, state.book.template_dirs())

    def refresh_postmortem(self, screen) -> None:
        self.background(
            lambda: self._postmortem_text("md"),
            screen.show_preview,
            what="post-mortem",
            group="postmortem",
        )

    def export_postmortem(self) -> None:
        """Markdown and HTML next to where warroom was started (never half-written)."""
        from pathlib import Path

        from tui.core.files import write_atomic

        def work() -> list[str]:
            written = []
            for fmt in ("md", "html"):
                target = Path.cwd() / f"postmortem-{self.room.incident_id}.{fmt}"
                write_atomic(target, self._postmortem_text(fmt))
                written.append(str(target))
            return written

        self.background(
            work,
            lambda written: self._written(*written),
            what="export failed",
            group="postmortem",
        )

    def _written(self, *paths: str) -> None:
        self.notify("Written: " + ", ".join(paths), timeout=8, markup=False)

    def publish_postmortem(self) -> None:
        def work() -> tuple[str, dict]:
            body = self._postmortem_text("md")
            return body, self.room.preview_publish("postmortem", body, self.config)

        self.background(work, lambda result: self._confirm_publish("postmortem", *result))

    def add_remedial_action(self) -> None:
        from screens.form import Field, FormScreen

        def validate(values: dict[str, str]) -> str | None:
            from datetime import date

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
                self.run_command(
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
        self.push_screen(FormScreen("Add a remedial action", fields, validate=validate), done)

    def show_offers(self) -> None:
        from screens.form import Field, FormScreen

        fields = [
            Field("path", "Billing export (CSV: customer_id,name,plan,monthly_amount,...)"),
            Field("skip", "Skip bad rows?", value="no", choices=(("No", "no"), ("Yes", "yes"))),
        ]

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self._compute_offers(values["path"].strip(), values["skip"] == "yes")

        self.push_screen(FormScreen("Recovery offers", fields, submit_label="Compute"), done)

    def _compute_offers(self, path: str, skip_bad: bool) -> None:
        from screens.postmortem import OffersRefusedScreen, OffersScreen
        from tui.amends.offers import OffersError, offers_for

        state = self.state
        if state is None:
            return

        def work():
            try:
                return offers_for(state, path, self.clock.now(), skip_bad=skip_bad)
            except OffersError as exc:  # a refusal is shown whole: the first 50 and a count
                return exc

        def done(result) -> None:
            if isinstance(result, OffersError):
                more = f" (+{result.total - 1:,} more)" if result.total > 1 else ""
                self._error(f"refused: {result.problems[0] if result.problems else path}{more}")
                self.push_screen(OffersRefusedScreen(path, result))
            else:
                self.push_screen(OffersScreen(path, result))

        self.background(work, done, group="offers")

    def write_offers(self, source: str, result) -> None:
        from pathlib import Path

        from tui.core.files import write_atomic

        target = Path(source).with_name(f"offers-{self.room.incident_id}.csv")

        def work() -> str:
            write_atomic(target, result.to_csv())
            return str(target)

        self.background(work, self._written, what="offers not written", group="offers")

    # delivery: a thread with its own connection; HTTP never touches the UI thread ---
    def _start_delivery(self) -> None:
        if not self.deliver or not self.config.destinations or self._deliverer is not None:
            return
        import threading

        from tui.core.store import Store
        from tui.publish.delivery import Deliverer

        self._stop_delivery = threading.Event()
        stop = self._stop_delivery

        def loop() -> None:
            try:
                store = Store(self.room.path, timeout=self.room.timeout)
            except Exception as exc:
                self._from_thread(self._error, f"delivery could not start: {exc}")
                return
            deliverer = Deliverer(store, self.config, self.clock)
            self._deliverer = deliverer
            try:
                deliverer.run(stop=stop, report=self._delivery_report)
            except Exception as exc:
                self._from_thread(self._error, f"delivery stopped: {type(exc).__name__}: {exc}")
            finally:
                deliverer.close()
                store.close()

        # A daemon thread, not a worker: a request hanging on a dead status page
        # must not hold up quitting. Killed mid-request, the row keeps our lease;
        # the next deliverer sees this process gone and checks the page first.
        threading.Thread(target=loop, name="warroom-delivery", daemon=True).start()

    def _from_thread(self, fn, *args, **kwargs) -> None:
        with contextlib.suppress(RuntimeError):  # the app is closing
            self.call_from_thread(fn, *args, **kwargs)

    def _wake_delivery(self) -> None:
        if self._deliverer is not None:
            self._deliverer.wake.set()

    def _delivery_report(self, attempt) -> None:
        if attempt.outcome == "sent":
            return  # the timeline says it (delivery.sent event)
        if self._told.get(attempt.row_id) == attempt.outcome:
            return  # said once is enough: the outbox screen (o) has the details
        self._told[attempt.row_id] = attempt.outcome
        severity = "error" if attempt.outcome == "failed" else "warning"
        word = "failed" if attempt.outcome == "failed" else "will be retried"
        self._from_thread(
            self.notify,
            f"Delivery of outbox #{attempt.row_id} {word}: {attempt.detail}",
            severity=severity,
            timeout=8,
            markup=False,
        )

    # help and the command palette: the action table, with the user's keymap ---------
    def action_help(self) -> None:
        from screens.help import HelpScreen
        from tui.app.palette import help_table

        self.push_screen(HelpScreen(help_table(self.config.keymap)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action by name, on every screen: the screen's keys and its focused pane's."""
        from tui.app.palette import system_commands

        yield from super().get_system_commands(screen)
        yield from system_commands(self, screen, self.config.keymap)

    # leaving --------------------------------------------------------------------------
    def exit(self, result=None, return_code: int = 0, message=None) -> None:
        super().exit(result, return_code, message)
        if self.lifeline is not None:  # a hung worker or terminal never keeps us alive
            self.lifeline.exit_within(QUIT_WITHIN, return_code)

    def _terminal_lost(self, code: int) -> None:
        """On the main thread, in a signal handler: the draft is saved; now leave in order."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.exit, None, code)

    def _save_draft_now(self) -> None:
        """What was typed goes to the database now, on a connection of its own.

        Not through the room: a worker stuck on it (a database lock held
        elsewhere) must not hold up leaving. Called on quit, and straight from
        the signal handler when the terminal goes away.
        """
        dash = self.dashboard
        if dash is None or self.room.incident_id is None:
            return
        pending = dash.flush_draft()
        editing = False
        with contextlib.suppress(Exception):
            editing = dash.editing_draft
            from tui.widgets.draft import DraftEditor

            editor = dash.query_one(DraftEditor)
            if (
                editor.purpose
                and editor.dirty
                and (pending is None or pending[0] == editor.purpose)
            ):
                pending = (editor.purpose, editor.text_area.text)  # with the newest keys
        from tui.core.store import Store

        store = Store(self.room.path, timeout=SAVE_TIMEOUT, group=self.room.group)
        try:
            if pending is not None or editing:  # saved as a version, and the draft freed
                commands.release_draft(
                    store,
                    self.clock,
                    self.room.actor,
                    self.room.incident_id,
                    self.room.session,
                    pending,
                )
        finally:
            with contextlib.suppress(Exception):
                store.leave(self.room.session)  # others see us leave the room now
            store.close()

    def on_unmount(self) -> None:
        import gc

        gc.unfreeze()  # let what the app leaves behind be collected again
        if self._stop_delivery is not None:
            self._stop_delivery.set()
            self._wake_delivery()
        if self.lifeline is not None:
            self.lifeline.save_once()  # (already done if the terminal went away)
        else:
            with contextlib.suppress(Exception):
                self._save_draft_now()
        self.room.close(wait=CLOSE_WAIT)


def run_dashboard(app: WarroomApp) -> int:
    """Run the app on a loop of our own and never wait forever for its threads.

    ``asyncio.run`` would wait, without a bound, for every worker thread -- a
    runaway template render or a request to a dead host -- before the
    process could end.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app._loop = loop
    try:
        app.run(loop=loop)
    except OSError:
        if app.lifeline is None or not app.lifeline.dead.is_set():
            raise  # (with the terminal gone, a last message fails to print: nothing to say)
    finally:
        stuck = not _close_loop(loop)
    code = app.return_code or 0
    if app.lifeline is not None:
        if app.lifeline.lost.is_set():
            # the draft is saved and the room left: skip the interpreter's teardown,
            # which took 5-20 s per process with 50 dashboards ending at once (and
            # during which no watchdog thread can run any more)
            hard_exit(app.lifeline.code or code, flush=False)
        if stuck:
            hard_exit(code)  # a worker thread that never ends would block the exit
        app.lifeline.exited()
    return code


def _close_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """What asyncio.run does when it ends, with a bound on waiting for worker threads."""
    try:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        try:
            loop.run_until_complete(
                asyncio.wait_for(loop.shutdown_default_executor(), WORKERS_WAIT)
            )
        except TimeoutError:
            return False
        return True
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _driver_for(lifeline: Lifeline | None):
    """LinuxDriver, made to survive the loss of its terminal (Textual issue #6692).

    Measured (py-spy on survivors): on a hang-up the kernel sends SIGHUP *and*
    SIGCONT; LinuxDriver's SIGCONT handler "resumes" a driver that was never
    suspended and starts a second writer thread. Its first write to the dead
    tty raises EIO, the thread dies, and after 30 more writes the main thread
    blocks forever in ``Queue.put`` (``App._shutdown`` -> ``disable_input``).
    Here: SIGCONT resumes only what SIGTSTP suspended; a failed write means the
    terminal is gone and later writes are dropped (the writer never dies);
    reading a dead tty ends the input thread; closing waits a bounded time.
    """
    if lifeline is None or sys.platform == "win32":
        return None
    from textual.drivers.linux_driver import LinuxDriver

    from tui.app.lifeline import TerminalFile

    class LifelineDriver(LinuxDriver):
        def __init__(self, app, **kwargs) -> None:
            super().__init__(app, **kwargs)
            self._file = TerminalFile(self._file, lifeline)
            self._warroom_suspended = False
            lifeline.on_dead(self.exit_event.set)  # the input thread stops reading

        def _sigtstp_application(self, *args) -> None:
            self._warroom_suspended = True
            super()._sigtstp_application(*args)

        def _sigcont_application(self, *args) -> None:
            if self._warroom_suspended and not lifeline.lost.is_set():
                self._warroom_suspended = False
                super()._sigcont_application(*args)

        def run_input_thread(self) -> None:
            try:
                super().run_input_thread()
            except OSError as exc:  # EIO: the terminal is gone; no traceback, no retry
                lifeline.terminal_lost(f"terminal read failed: {exc.strerror}", 129)

        def close(self) -> None:
            writer = self._writer_thread
            if writer is None:
                return
            with contextlib.suppress(Exception):
                writer._queue.put(None, timeout=CLOSE_WAIT)
            writer.join(timeout=CLOSE_WAIT)

    return LifelineDriver


def _freeze_startup_garbage() -> None:
    """Move everything alive after the first frame out of the collector's sight.

    Measured: a full collection over Textual's start-up objects put a 30-40 ms
    stall into every ~16th key press (p95 over budget); frozen, they are never
    scanned again and key presses stay at ~20 ms.
    """
    import gc

    gc.collect()
    gc.freeze()


def _norm(incident: str) -> str:
    return f"INC-{incident}" if incident.isdigit() else incident.strip().upper()


def _metric_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)

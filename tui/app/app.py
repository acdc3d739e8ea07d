"""The Textual application: boot, the sync poller, and the work off the UI thread.

:class:`WarroomApp` owns the room (store connection), the clock, the poller and
the delivery thread (:mod:`tui.app.courier`). All database work runs in thread
workers (the :class:`~tui.app.room.Room` serialises them); results come back
with ``call_from_thread``. A worker error becomes a notification, never a crash.

Commands from keys go through :mod:`tui.app.command_path`; the dialogs live in
:mod:`tui.app.flows`, one module per purpose. The app names each once, as the
screens ask for it (:class:`screens._host.Host`, which mypy checks this class
against). Running and leaving are in :mod:`tui.app.run`, the terminal driver in
:mod:`tui.app.driver`, help and the palette in :mod:`tui.app.palette`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from textual.app import App, ComposeResult, SystemCommand
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from screens._host import Host
from screens.dashboard import Dashboard
from tui.app import command_path
from tui.app.courier import Courier
from tui.app.driver import driver_for
from tui.app.flows import incident, offers, opening, outbox, postmortem, publish, replies
from tui.app.intake import Intake
from tui.app.lifeline import Lifeline
from tui.app.room import Room, Sync, still_present
from tui.app.run import save_draft_now
from tui.core.clock import Clock
from tui.core.state import IncidentState
from tui.core.store import IncidentRow, Presence, StoreError
from tui.widgets.keys import bindings
from tui.widgets.queues import ChannelQueues

if TYPE_CHECKING:
    from tui.core.config import Config
    from tui.core.store.doorbell import Doorbell
    from tui.publish.outbox import Row
    from tui.queues.status import SourceStatus

# seconds between two looks at PRAGMA data_version, on the UI thread (no thread, no write):
# a change from elsewhere shows within ~half a second, however many dashboards are open
POLL_EVERY = 0.25
POLL_RETRY = 2.0  # seconds after a failed poll before the next one
TICK_EVERY = 1.0
# with the doorbell (inotify) the probe's timer is only its backup: POLL_EVERY times this
DOORBELL_BACKUP = 8
# seconds after the doorbell rings: two more looks (see WarroomApp._rung); the backup
# timer is the last resort
LOOK_AGAIN = (0.05, 0.4)
# leaving: the whole exit stays under 2 s even when a worker never returns (see tui/app/run.py)
CLOSE_WAIT = 0.3  # for the room's connection
QUIT_WITHIN = 1.9  # then the watchdog ends the process
FREEZE_AFTER = 0.1  # seconds after the dashboard is shown: gc.freeze() its start-up objects


class Loading(Screen[None]):
    """What shows while the database opens (a locked or slow file takes a moment)."""

    def compose(self) -> ComposeResult:
        yield Static("warroom: opening the incident database\u2026", id="loading")


class WarroomApp(App[None]):
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
        doorbell: bool = True,
        config: Config | None = None,
        config_error: str | None = None,
        deliver: bool = True,
        welcome: str = "",
        lifeline: Lifeline | None = None,
    ) -> None:
        # on a real terminal, a driver that survives losing it (see tui/app/lifeline.py);
        # NO_COLOR: no colour at all (Textual alone would paint shades of grey)
        no_color = "NO_COLOR" in os.environ
        super().__init__(driver_class=driver_for(lifeline), ansi_color=no_color)
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
        self.courier = Courier(self)  # the delivery thread
        self.intake = Intake(self)  # the queue poller thread
        self.clock: Clock = room.clock
        self.wanted_incident = incident
        self.bell_enabled = bell
        self.poll_every = poll_every
        self.tick_every = tick_every
        self.use_doorbell = doorbell  # False: the probe's timer alone (tests of a slow poll)
        self.dashboard: Dashboard | None = None
        self._polling = False
        self._poll_busy = False  # a poll is in flight (on the poll thread)
        self._poll_requests: queue.SimpleQueue[bool | None] | None = None
        self._poll_force = False  # the next poll reads everything (a new dashboard)
        self._poll_after = 0.0  # time.monotonic() before which no poll (after a failure)
        self._doorbell: Doorbell | None = None  # the kernel says when the database is written
        self._rang = False  # a probe came while a poll was in flight: probe again after it
        self._look_again = 0  # how many looks after a ring are still due (see _rung)
        self._presence: list[Presence] = []  # who is in the room, as last read
        self._deliveries: list[Row] = []  # the incident's unsettled outbox rows, as last read
        self._sources: dict[str, SourceStatus] | None = None  # the queue sources, as last shown
        self.lifeline = lifeline
        self.loop_for_signals: asyncio.AbstractEventLoop | None = None  # set by run_dashboard
        if lifeline is not None:
            lifeline.on_save(lambda: save_draft_now(self))
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

    def _route(self, rows: list[IncidentRow]) -> None:
        opening.route(self, rows)  # the incident asked for, the only one, the picker, or new

    show_start = opening.show_start

    def open_incident(self, incident_id: str) -> None:
        self.background(lambda: self.room.attach(incident_id), self._show_dashboard)

    def _show_dashboard(self, state: IncidentState) -> None:
        self.dashboard = Dashboard(
            state, bell=self.bell_enabled, me=self.room.actor, session=self.room.session
        )
        self.switch_screen(self.dashboard)
        self._poll_force = True  # the new panes read the queue sources and the outbox
        self._sources, self._deliveries, self._presence = None, [], []  # the new panes show none
        # not straight after the first frame: the collection holds the GIL, and the frame's
        # bytes wait in Textual's writer thread until it ends (first paint, issue 13)
        self.set_timer(FREEZE_AFTER, _freeze_startup_garbage)
        if self.config_error:
            self.error(self.config_error)
        if self.welcome:
            self.notify(self.welcome, title="warroom demo", timeout=20, markup=False)
            self.welcome = ""
        # the delivery and queue threads and the first poll start after the first frame:
        # beside it they would share the GIL with it (first paint, issue 13)
        self.call_after_refresh(self.courier.start)
        self.call_after_refresh(self.intake.start)
        if not self._polling:  # once per app, whichever incident is shown
            self._polling = True
            self.set_interval(self.tick_every, self._tick)
            every = self.poll_every
            if self.use_doorbell and self._open_doorbell():
                every *= DOORBELL_BACKUP  # the timer only backs the doorbell up
            self.set_interval(every, self._probe)
            self.call_after_refresh(self._probe)

    def _open_doorbell(self) -> bool:
        """Wake on a write to the database's files (tui/core/store/doorbell.py), not on a
        timer: at rest the process sleeps (issue 13); a change is looked at at once."""
        from tui.core.store.doorbell import Doorbell

        bell = Doorbell.open(self.room.path)
        if bell is None:
            return False
        try:
            asyncio.get_running_loop().add_reader(bell.fd, self._rung)
        except (RuntimeError, NotImplementedError, OSError):
            bell.close()
            return False
        self._doorbell = bell
        return True

    def _rung(self) -> None:
        bell = self._doorbell
        if bell is None or not bell.rang():
            return
        # The kernel tells of the WAL's write before SQLite publishes the commit in its
        # shared-memory index (an mmap: no notice), so a probe right now can miss it:
        # look once more a moment later (measured: 1.8 s p50 to see another connection's
        # change without this, the 2 s backup timer's).
        if not self._look_again:  # (one set of looks at a time: a burst of rings is one)
            self._look_again = len(LOOK_AGAIN)
            for delay in LOOK_AGAIN:
                self.set_timer(delay, self._looked_again)
        self._probe()

    def _looked_again(self) -> None:
        self._look_again -= 1
        self._probe()

    # the poller: a probe on the UI thread; a worker only when the database moved --------
    def _probe(self) -> None:
        """Every ``poll_every``: one ``PRAGMA data_version`` here (:meth:`Room.probe`), and a
        poll worker only when the database moved or our presence is due. At rest this is
        all a dashboard does: no thread, no write, no repaint."""
        if self._poll_busy:
            self._rang = True  # the poll in flight may have read before the write asked about
            return
        if time.monotonic() < self._poll_after:
            return
        force, self._poll_force = self._poll_force, False
        if not force and self.room.probe() is False:
            return
        self._poll_busy = True
        self._poll_thread().put(force)

    def _poll_thread(self) -> queue.SimpleQueue[bool | None]:
        """One poll thread for the app's life, fed a request per poll. (A Textual worker per
        poll -- a new thread and its state messages -- cost ~0.45 of ~1.4 ms per poll, and
        with 50 dashboards each polls after anyone's heartbeat, 1.7 a second: issue 13.)"""
        requests = self._poll_requests
        if requests is None:
            requests = self._poll_requests = queue.SimpleQueue()
            threading.Thread(
                target=self._poll_loop, args=(requests,), name="warroom-poll", daemon=True
            ).start()
        return requests

    def _poll_loop(self, requests: queue.SimpleQueue[bool | None]) -> None:
        while (force := requests.get()) is not None:
            try:
                self._poll(force)
            except Exception as exc:  # showing it failed (as a worker's error was shown)
                self.from_thread(self._poll_failed, f"poll failed: {type(exc).__name__}: {exc}")

    def _poll(self, force: bool) -> None:
        try:
            sync = self.room.poll(force=force)
            sources = self._queue_sources() if sync.changed else None
            # the header's delivery line: the outbox, read only when the database moved
            deliveries = self._unsettled() if sync.changed else None
        except StoreError as exc:
            self.call_from_thread(self._poll_failed, str(exc))
            return
        except Exception as exc:  # never let the poller die silently
            self.call_from_thread(self._poll_failed, f"sync failed: {type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._synced, sync, sources, deliveries)

    def _poll_failed(self, text: str) -> None:
        self.error(text)
        self._poll_busy = False
        self._poll_after = time.monotonic() + POLL_RETRY

    def _queue_sources(self) -> dict[str, SourceStatus]:
        """What each queue source last said (tui/queues/status.py)."""
        from tui.queues.status import read_all

        result: dict[str, SourceStatus] = self.room.read(read_all)
        return result

    def _unsettled(self) -> list[Row]:
        """The incident's pending and failed outbox rows (the ones that can need a person)."""
        from tui.publish.outbox import rows

        incident = self.room.incident_id
        if incident is None:
            return []
        result: list[Row] = self.room.read(lambda store: rows(store, incident, unsettled=True))
        return result

    def _synced(
        self,
        sync: Sync,
        sources: dict[str, SourceStatus] | None = None,
        deliveries: list[Row] | None = None,
    ) -> None:
        self._poll_busy = False
        if self._rang:
            self._rang = False
            self.call_later(self._probe)
        if sync.state is not None:
            self.show_state(sync.state)
        # Anyone's heartbeat moves the database: what did not change is not shown again
        shown = self.dashboard is not None and self.dashboard.is_attached
        if sources is not None and shown and sources != self._sources:
            assert self.dashboard is not None
            self._sources = sources
            self.dashboard.query_one(ChannelQueues).show_sources(sources, self.clock.now())
        if sync.presence is not None:
            if _who(sync.presence) == _who(self._presence):
                self._presence = sync.presence  # only the heartbeats' times moved
            else:
                self._show_presence(sync.presence)
        if deliveries is not None and deliveries != self._deliveries:
            self._deliveries = deliveries
            publish.show_deliveries(self, deliveries)

    def _show_presence(self, presence: list[Presence]) -> None:
        self._presence = presence
        if self.dashboard is not None and self.dashboard.is_attached:
            self.dashboard.apply_presence(presence)

    def _tick(self) -> None:
        """Every second: what time alone changes (each pane repaints only what it shows
        differently); no database."""
        if self.dashboard is None or not self.dashboard.is_attached:
            return
        self.dashboard.tick()
        now = self.clock.now()
        here = still_present(self._presence, now)  # a dashboard that died drops out on time
        if len(here) != len(self._presence):
            self._show_presence(here)
        if self._deliveries:  # a pending row turns stale with time alone
            publish.show_deliveries(self, self._deliveries)

    # the one command path (tui/app/command_path.py) and background work ---------------
    run_command = command_path.run_command
    attempt = command_path.attempt

    def show_state(self, state: IncidentState) -> None:
        """A new state, to every screen that shows one (the dashboard, the post-mortem)."""
        from screens.postmortem import PostmortemScreen

        if isinstance(self.screen, PostmortemScreen):
            self.screen.apply_state(state)
        if self.dashboard is not None and self.dashboard.is_attached:
            self.dashboard.apply_state(state)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place for worker failures: a notification, never a crash or a silent stop."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.error(f"{event.worker.group} failed: {type(error).__name__}: {error}")
            if event.worker.group == "poll":  # keep syncing, after a pause
                self._poll_busy = False
                self._poll_after = time.monotonic() + POLL_RETRY

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
                self.from_thread(self.error, f"{what}: {text}" if what else text)
                return
            if done is not None:
                self.from_thread(done, result)

        self.run_worker(run, thread=True, exit_on_error=False, group=group)

    def error(self, text: str) -> None:
        """An error, said for 8 seconds."""
        self.notify(text, title="warroom", severity="error", timeout=8, markup=False)

    def from_thread(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """``fn`` on the UI thread, from a worker or the delivery thread; dropped while closing."""
        loop = self._loop
        if not self.is_running or loop is None or loop.is_closed():
            return  # closing: asking a closed loop leaves an un-awaited coroutine (a warning)
        with contextlib.suppress(RuntimeError):  # it closed just now
            self.call_from_thread(fn, *args, **kwargs)

    # dialogs: one module per purpose in tui/app/flows/, named as screens/_host.py asks --
    @property
    def state(self) -> IncidentState | None:
        """The incident the dashboard shows (None before one is open)."""
        return self.dashboard.state if self.dashboard else None

    confirm_next_phase = incident.confirm_next_phase
    record_update = incident.record_update
    assign_role = incident.assign_role
    edit_metrics = incident.edit_metrics
    add_note = incident.add_note
    edit_queue = incident.edit_queue
    skip_item = incident.skip_item
    show_reply = replies.show_reply
    publish_draft = publish.publish_draft
    approve_pending = publish.approve_pending
    republish_elsewhere = publish.republish_elsewhere
    show_outbox = outbox.show_outbox
    refresh_outbox = outbox.refresh_outbox
    outbox_action = outbox.outbox_action
    show_postmortem = postmortem.show_postmortem
    refresh_postmortem = postmortem.refresh_postmortem
    add_remedial_action = postmortem.add_remedial_action
    export_postmortem = postmortem.export_postmortem
    publish_postmortem = postmortem.publish_postmortem
    show_offers = offers.show_offers
    write_offers = offers.write_offers

    # help and the command palette: the action table, with the user's keymap ---------
    def action_help(self) -> None:
        from screens.help import HelpScreen
        from tui.app.palette import help_table

        self.push_screen(HelpScreen(help_table(self.config.keymap)))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action by name, on every screen: the screen's keys and its focused pane's."""
        from tui.app.palette import system_commands

        yield from super().get_system_commands(screen)
        yield from system_commands(self, screen, self.config.keymap)

    # leaving --------------------------------------------------------------------------
    def exit(
        self,
        result: None = None,
        return_code: int = 0,
        message: RenderableType | None = None,
    ) -> None:
        super().exit(result, return_code, message)
        if self.lifeline is not None:  # a hung worker or terminal never keeps us alive
            self.lifeline.exit_within(QUIT_WITHIN, return_code)

    def _terminal_lost(self, code: int) -> None:
        """On the main thread, in a signal handler: the draft is saved; now leave in order."""
        loop = self.loop_for_signals
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.exit, None, code)

    def on_unmount(self) -> None:
        import gc

        gc.unfreeze()  # let what the app leaves behind be collected again
        self.courier.stop()
        self.intake.stop()
        if self._poll_requests is not None:
            self._poll_requests.put(None)  # the poll thread ends after its poll
        if self._doorbell is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._doorbell.fd)
            self._doorbell.close()
        if self.lifeline is not None:
            self.lifeline.save_once()  # (already done if the terminal went away)
        else:
            with contextlib.suppress(Exception):
                save_draft_now(self)
        self.room.close(wait=CLOSE_WAIT)


def _who(presence: list[Presence]) -> list[tuple[str, str, str, object]]:
    """What the panes show of who is here (not when each last said so)."""
    return [(p.session, p.user, p.tty, p.since) for p in presence]


def _freeze_startup_garbage() -> None:
    """Move everything alive after the first frame out of the collector's sight.

    Measured: a full collection over Textual's start-up objects put a 30-40 ms
    stall into every ~16th key press (p95 over budget); frozen, they are never
    scanned again and key presses stay at ~20 ms.
    """
    import gc

    gc.collect()
    gc.freeze()


def _is_a_host(app: WarroomApp) -> Host:
    """Never called: mypy checks here that WarroomApp is what the screens ask for."""
    return app

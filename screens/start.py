"""Start an incident: playbook, title, impact metrics, and a live severity preview.

Shown when no incident is open. The playbooks are loaded in a thread worker;
a playbook that fails to load is left out and its first problem line
(``FILE:LINE:COL: message``) is shown. The metric inputs follow the chosen
playbook; every change re-parses them with :func:`tui.commands.parse_metrics`
and re-classifies with :meth:`Playbook.classify`.

Dismisses with ``{"playbook": Path, "title": str, "metrics": dict}`` or
``None`` (``escape``, or ``q`` when not typing in an input; once something was
typed, only after confirming that it is thrown away).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from tui.commands import MAX_TITLE, CommandError, parse_metrics
from tui.core.playbook import Metric, Playbook, PlaybookError, SeverityLevel, load_playbook
from tui.core.textsafe import clean_line
from tui.widgets._text import SafeInput, literal
from tui.widgets.keys import bindings

LOAD_GROUP = "start.playbooks"
NO_MATCH = "No severity level matches these metrics"
PLACEHOLDERS = {
    "bool": "true/false",
    "percent": "0-100",
    "count": "whole number, e.g. 120",
    "number": "a number",
}


def _first_problem(exc: PlaybookError) -> str:
    if exc.problems:
        return str(exc.problems[0])
    return str(exc).splitlines()[0] if str(exc) else "invalid playbook"


def _load_all(paths: list[Path]) -> list[tuple[Path, Playbook | None, str]]:
    """(path, playbook or None, first problem line) for each path; runs in a thread."""
    out: list[tuple[Path, Playbook | None, str]] = []
    for path in paths:
        try:
            out.append((path, load_playbook(path), ""))
        except PlaybookError as exc:
            out.append((path, None, _first_problem(exc)))
        except Exception as exc:  # one unreadable file must not hide the others
            out.append((path, None, f"{path}: {type(exc).__name__}: {exc}"))
    return out


class StartScreen(Screen[dict[str, Any] | None]):
    """Dismisses with {"playbook": Path, "title": str, "metrics": dict}, or None."""

    BINDINGS = bindings("start")

    def __init__(self, playbooks: list[Path]) -> None:
        super().__init__()
        self.playbook_paths = [Path(p) for p in playbooks]
        self.books: dict[Path, Playbook] = {}
        self.problems: list[str] = []
        self.loaded = False
        self._book_path: Path | None = None
        self._metric_values: dict[str, str] = {}  # kept across playbook switches
        self._metric_inputs: dict[str, Input] = {}

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Vertical(id="start"):
            yield Static(Text("Start an incident"), id="heading", markup=False)
            with VerticalScroll(id="form"):
                with Vertical(classes="field"):
                    yield Label(Text("Playbook"), classes="field-label", markup=False)
                    yield Select[Path]([], prompt="Choose a playbook", disabled=True, id="playbook")
                yield Static(
                    Text("Loading playbooks…"), id="problems", classes="-shown", markup=False
                )
                with Vertical(classes="field"):
                    yield Label(Text("Title"), classes="field-label", markup=False)
                    yield SafeInput(
                        placeholder="What customers see, e.g. Checkout fails for EU users",
                        max_length=MAX_TITLE,
                        id="title",
                    )
                yield Static(
                    Text("Impact metrics (blank if unknown; enter: next field)"),
                    id="metrics-heading",
                    markup=False,
                )
                yield Vertical(id="metrics")
                with Horizontal(id="buttons"):
                    yield Button(Content("Start"), variant="primary", id="start-button")
                    yield Button(Content("Cancel"), id="cancel")
            yield Static(Text("Severity: …"), id="preview", markup=False)
            yield Static("", id="error", markup=False)
        yield Footer()

    def _alive(self) -> bool:
        """Still on screen with its widgets. A screen can be dismissed before its
        mount work runs (a quick esc, a loaded machine): then that work is skipped."""
        return self.is_attached and bool(self.query("#title"))

    def on_mount(self) -> None:
        if not self._alive():
            return
        self.query_one("#title", Input).focus()
        self.run_worker(
            lambda: _load_all(self.playbook_paths),
            name="load playbooks",
            group=LOAD_GROUP,
            thread=True,
            exit_on_error=False,
        )

    # ------------------------------------------------------------------ loading
    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != LOAD_GROUP or not self._alive():
            return
        if event.state == WorkerState.SUCCESS:
            await self._loaded(event.worker.result or [])
        elif event.state == WorkerState.ERROR:
            self.problems = [f"Could not load playbooks: {event.worker.error}"]
            self.loaded = True
            self._show_problems()
            self._refresh_preview()

    async def _loaded(self, results: list[tuple[Path, Playbook | None, str]]) -> None:
        self.books = {path: book for path, book, _ in results if book is not None}
        self.problems = [problem for _, book, problem in results if book is None]
        names = Counter(book.name for book in self.books.values())
        options = [
            (
                literal(
                    book.name if names[book.name] == 1 else f"{book.name} — {path.name}", wrap=True
                ),
                path,
            )
            for path, book in self.books.items()
        ]
        select = self.query_one("#playbook", Select)
        if options:
            select.set_options(options)
            select.disabled = False
            first = next(iter(self.books))
            select.value = first
            await self._use_playbook(first)
            if not self._alive():
                return  # dismissed while the inputs were mounted
        self.loaded = True  # only now: the metric inputs are mounted
        self._show_problems()
        self._refresh_preview()

    def _show_problems(self) -> None:
        widget = self.query_one("#problems", Static)
        lines = [f"Playbook problem: {p}" for p in self.problems]
        if self.loaded and not self.books:
            lines.insert(0, "No usable playbook: fix the file(s) and try again.")
        widget.update(Text("\n".join(clean_line(line) for line in lines)))
        widget.set_class(bool(lines), "-shown")

    # ------------------------------------------------------------------ playbook
    @property
    def book(self) -> Playbook | None:
        """The chosen playbook (None while loading or when none is chosen)."""
        return self.books.get(self._book_path) if self._book_path else None

    @on(Select.Changed, "#playbook")
    async def _playbook_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        path = value if isinstance(value, Path) else None
        if path != self._book_path:
            await self._use_playbook(path)
        if self._alive():
            self._refresh_preview()

    async def _use_playbook(self, path: Path | None) -> None:
        """Switch the metric inputs to this playbook's metrics, keeping typed values."""
        self._book_path = path
        container = self.query_one("#metrics", Vertical)
        await container.remove_children()
        self._metric_inputs = {}
        book = self.book
        if book is None:
            return
        fields = []
        for metric in book.metrics:
            field_input = self._metric_input(metric)
            self._metric_inputs[metric.id] = field_input
            label = Label(
                literal(f"{metric.title} ({metric.id}, {metric.type})", wrap=True),
                classes="field-label",
                markup=False,
            )
            fields.append(Vertical(label, field_input, classes="field"))
        await container.mount_all(fields)

    def _metric_input(self, metric: Metric) -> Input:
        return SafeInput(
            value=self._metric_values.get(metric.id, ""),
            placeholder=PLACEHOLDERS.get(metric.type, ""),
            id=f"metric-{metric.id}",
            classes="metric",
        )

    # ------------------------------------------------------------------ evaluation
    def evaluate(self) -> tuple[dict[str, Any], SeverityLevel | None, str]:
        """(parsed metrics, matching level, problem): problem is "" when the metrics parse."""
        book = self.book
        if book is None:
            return {}, None, "Playbooks are loading…" if not self.loaded else "Choose a playbook"
        pairs = [
            f"{metric_id}={field.value}"
            for metric_id, field in self._metric_inputs.items()
            if field.value.strip()
        ]
        try:
            metrics = parse_metrics(book, pairs)
        except CommandError as exc:
            return {}, None, str(exc)
        return metrics, book.classify(metrics), ""

    def preview_text(self) -> str:
        _metrics, level, problem = self.evaluate()
        if problem:
            return f"Severity: ? — {problem}"
        if level is None:
            return NO_MATCH
        assert self.book is not None
        phases = " → ".join(p.title for p in self.book.protocol_phases(level.protocol))
        return f"Severity: {level.title} — protocol {level.protocol}: {phases}"

    def _refresh_preview(self) -> None:
        _, level, problem = self.evaluate()
        preview = self.query_one("#preview", Static)
        preview.update(literal(self.preview_text(), wrap=True))
        preview.set_class(bool(problem) or level is None, "-problem")

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        for metric_id, field in self._metric_inputs.items():
            if field is event.input:
                self._metric_values[metric_id] = event.value
        self._show_error("")
        self._refresh_preview()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter: on to the next input, or start from the last one."""
        event.stop()
        inputs = [self.query_one("#title", Input), *self._metric_inputs.values()]
        try:
            index = inputs.index(event.input)
        except ValueError:
            return
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self.action_submit()

    # ------------------------------------------------------------------ submit
    def _show_error(self, message: str) -> None:
        error = self.query_one("#error", Static)
        error.update(literal(f"Cannot start: {message}", wrap=True) if message else "")
        error.set_class(bool(message), "-shown")

    @on(Button.Pressed, "#start-button")
    def _start_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_submit(self) -> None:
        metrics, level, problem = self.evaluate()
        title_input = self.query_one("#title", Input)
        title = clean_line(title_input.value).strip()
        if self.book is None or self._book_path is None:
            self._show_error(problem or "choose a playbook")
            return
        if not title:
            self._show_error("a title is required")
            title_input.focus()
            return
        if problem:
            self._show_error(problem)
            return
        if level is None:
            self._show_error(NO_MATCH.lower())
            return
        self._show_error("")
        self.dismiss({"playbook": self._book_path, "title": title, "metrics": metrics})

    def action_cancel(self) -> None:
        """Leave; when something was typed, only after a yes (it would be lost)."""
        if not self.typed():
            self.dismiss(None)
            return
        from screens.confirm import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "Discard this incident?",
                "What you typed here (title, metrics) is not saved anywhere yet.",
                yes="Discard",
                no="Keep editing",
            ),
            answered,
        )

    def typed(self) -> bool:
        title = self.query_one("#title", Input).value
        return bool(title.strip()) or any(v.strip() for v in self._metric_values.values())

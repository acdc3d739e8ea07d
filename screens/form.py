"""A small modal form: labelled inputs (or selects), inline error, live preview, Submit/Cancel.

Everything the caller or the user supplies (title, labels, values, error,
preview) is shown as literal text: it goes through :class:`rich.text.Text`
or :class:`textual.content.Content`, never through markup, so ``[red]x`` or
``[@click=app.quit]x[/]`` shows those characters and does nothing.

Keys: ``enter`` in an input moves to the next field (and submits on the last),
``ctrl+s`` submits from anywhere, ``escape`` cancels. The result is the dict
of field values (``name -> str``), or ``None`` when cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui.core.textsafe import clean_line
from tui.widgets._text import SafeInput, literal
from tui.widgets.keys import bindings

KEYS_HINT = "enter: next field · ctrl+s: submit · esc: cancel"


@dataclass(frozen=True)
class Field:
    """One form field. With ``choices`` ((label, value) pairs) it is a Select."""

    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    choices: tuple[tuple[str, str], ...] | None = None
    password: bool = False


class FormScreen(ModalScreen[dict[str, str] | None]):
    """A centred dialog; dismisses with the values, or None when cancelled."""

    BINDINGS = bindings("form")

    def __init__(
        self,
        title: str,
        fields: list[Field],
        *,
        validate: Callable[[dict[str, str]], str | None] | None = None,
        preview: Callable[[dict[str, str]], str] | None = None,
        submit_label: str = "Save",
        help_text: str = "",
    ) -> None:
        super().__init__()
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate field names in form {title!r}: {names}")
        self.form_title = title
        self.fields = list(fields)
        self._validate = validate
        self._preview = preview
        self.submit_label = submit_label
        self.help_text = help_text
        self._controls: dict[str, Input | Select[str]] = {}

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            with Vertical(id="head"):
                yield Static(literal(self.form_title, wrap=True), id="title", markup=False)
                if self.help_text:
                    yield Static(literal(self.help_text, lines=True), id="help", markup=False)
            with Vertical(id="foot"):
                if self._preview is not None:
                    yield Static("", id="preview", markup=False)
                yield Static("", id="error", markup=False)
                with Horizontal(id="buttons"):
                    yield Button(
                        Content(clean_line(self.submit_label)), variant="primary", id="submit"
                    )
                    yield Button(Content("Cancel"), id="cancel")
                yield Static(Text(KEYS_HINT), id="keys", markup=False)
            with Vertical(id="fields"):
                for index, field in enumerate(self.fields):
                    control = self._control(index, field)
                    self._controls[field.name] = control
                    with Vertical(classes="field"):
                        yield Label(
                            literal(field.label, wrap=True), classes="field-label", markup=False
                        )
                        yield control

    def _control(self, index: int, field: Field) -> Input | Select[str]:
        widget_id = f"field-{index}"
        if field.choices is not None:
            options = [(literal(label, wrap=True), value) for label, value in field.choices]
            values = {value for _, value in field.choices}
            return Select(
                options,
                prompt=escape(clean_line(field.placeholder) or "Choose"),  # the prompt is markup
                allow_blank=not options,
                value=field.value if field.value in values else Select.NULL,
                id=widget_id,
            )
        return SafeInput(
            value=field.value,
            placeholder=clean_line(field.placeholder),
            password=field.password,
            id=widget_id,
        )

    def on_mount(self) -> None:
        if self.fields:
            self._controls[self.fields[0].name].focus()
        else:
            self.query_one("#submit", Button).focus()
        self._refresh_preview()

    # ------------------------------------------------------------------ values
    @property
    def values(self) -> dict[str, str]:
        """The current value of every field (a blank select gives "")."""
        out: dict[str, str] = {}
        for name, control in self._controls.items():
            if isinstance(control, Select):
                value = control.value
                out[name] = "" if value is Select.NULL else str(value)
            else:
                out[name] = control.value
        return out

    def show_error(self, message: str) -> None:
        error = self.query_one("#error", Static)
        error.update(literal(f"Error: {message}", wrap=True) if message else "")
        error.set_class(bool(message), "-shown")

    def _refresh_preview(self) -> None:
        if self._preview is None:
            return
        try:
            text = self._preview(self.values)
        except Exception as exc:  # a buggy preview must not take the dialog down
            text = f"(no preview: {type(exc).__name__}: {exc})"
        self.query_one("#preview", Static).update(literal(text or "", lines=True))

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        event.stop()
        self._refresh_preview()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter: on to the next field, or submit from the last one."""
        event.stop()
        controls = list(self._controls.values())
        try:
            index = controls.index(event.input)
        except ValueError:
            return
        if index + 1 < len(controls):
            controls[index + 1].focus()
        else:
            self.action_submit()

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    # ------------------------------------------------------------------ actions
    def action_submit(self) -> None:
        values = self.values
        if self._validate is not None:
            try:
                problem = self._validate(values)
            except Exception as exc:  # show it; the dialog stays open
                problem = f"{type(exc).__name__}: {exc}"
            if problem:
                self.show_error(problem)
                return
        self.show_error("")
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The baselines: what Textual costs on its own, without warroom.

* ``HelloApp``: the bare hello-world app (``python bench/hello.py`` runs it);
  the first-paint and peak-RSS baseline.
* ``ToggleListApp``: one OptionList where space ticks/unticks the highlighted
  option's prompt in place; the key-press -> repaint baseline.
* ``ClockApp``: four bordered panes of text, one of them a ``Digits`` clock updated once
  a second (``python bench/hello.py --clock``): what a countdown costs in Textual itself,
  the floor under a dashboard's idle CPU.
"""

from __future__ import annotations

import sys
import time

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import Digits, OptionList, Static
from textual.widgets.option_list import Option

HELLO_TEXT = "Hello, world"


class HelloApp(App):
    def compose(self) -> ComposeResult:
        yield Static(HELLO_TEXT)


def toggle_prompt(text: str, done: bool) -> str:
    return (" [x] " if done else " [ ] ") + text


class ToggleList(OptionList):
    BINDINGS = [Binding("space", "toggle", "Tick/untick")]

    def __init__(self, items: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(
            *(Option(toggle_prompt(text, False), id=f"item:{key}") for key, text in items),
            markup=False,
            **kwargs,
        )
        self.texts = dict(items)
        self.done = dict.fromkeys(self.texts, False)

    def action_toggle(self) -> None:
        option = self.highlighted_option
        if option is None or option.id is None:
            return
        key = option.id.removeprefix("item:")
        self.done[key] = not self.done[key]
        self.replace_option_prompt(option.id, toggle_prompt(self.texts[key], self.done[key]))


class ToggleListApp(App):
    def __init__(self, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self.items = items

    def compose(self) -> ComposeResult:
        yield ToggleList(self.items, id="checklist")

    def on_mount(self) -> None:
        self.query_one(ToggleList).focus()


CLOCK_TEXT = "Clock baseline"


class ClockApp(App):
    CSS = """
    Grid { grid-size: 2 2; }
    Grid > * { border: round $primary; height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(CLOCK_TEXT)
        with Grid():
            for pane in range(3):
                yield Static("\n".join(f"pane {pane} line {n}: some text" for n in range(30)))
            yield Digits(self._now(), id="clock")

    @staticmethod
    def _now() -> str:
        return time.strftime("%M:%S")

    def on_mount(self) -> None:
        self.set_interval(1.0, lambda: self.query_one(Digits).update(self._now()))


if __name__ == "__main__":
    (ClockApp() if "--clock" in sys.argv[1:] else HelloApp()).run()

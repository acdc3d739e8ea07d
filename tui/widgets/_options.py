"""An OptionList pane that repaints only the rows that changed and keeps its highlight."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from textual.widgets import OptionList
from textual.widgets.option_list import Option


class OptionPane(OptionList):
    """Subclasses yield their rows from ``_rows(state, now)``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(markup=False, **kwargs)
        self._prompts: dict[str, str] = {}
        self._ids: list[str | None] = []
        self._state = None
        self._moved: object = None  # the time-dependent words of the rows shown

    def show(self, state, now: datetime) -> None:
        self._state = state
        self._moved = None  # a new state: the next tick builds the rows again
        self.show_options(list(self._rows(state, now)))

    def tick(self, now: datetime) -> None:
        """Time alone moved: rows are built again only when the words that depend on the
        time (``_moving``) changed -- most seconds nothing in a list does (issue 13)."""
        if self._state is None:
            return
        moving = self._moving(self._state, now)
        if moving is not None and moving == self._moved:
            return
        self.show(self._state, now)
        self._moved = moving

    def _rows(self, state, now: datetime) -> Iterator[Option]:
        raise NotImplementedError

    def _moving(self, state, now: datetime) -> object:
        """What of ``_rows`` depends on ``now``, cheaply (None: unknown, build every tick)."""
        return None

    def show_options(self, options: list[Option]) -> None:
        ids = [o.id for o in options]
        prompts = {o.id: _plain(o) for o in options if o.id}
        if ids == self._ids:
            # same rows: replace only the prompts that changed (no full re-layout)
            for option in options:
                if option.id and prompts[option.id] != self._prompts.get(option.id):
                    self.replace_option_prompt(option.id, option.prompt)
            self._prompts = prompts
            return
        keep = self.highlighted_option.id if self.highlighted_option else None
        self._ids, self._prompts = ids, prompts
        self.set_options(options)
        if keep is not None and keep in ids:  # (disabled rows have no id: never "keep" one)
            self.highlighted = ids.index(keep)
        else:
            self.highlighted = next((i for i, o in enumerate(options) if not o.disabled), None)


def _plain(option: Option) -> str:
    prompt = option.prompt
    return prompt.plain if hasattr(prompt, "plain") else str(prompt)

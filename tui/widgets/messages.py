"""Dataclass messages: widgets say what the user asked for; the screen acts on it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class ToggleItem(Message):
    """Tick or untick a checklist item."""

    item_id: str


@dataclass
class ToggleAction(Message):
    """Turn a channel's playbook action on or off."""

    channel_id: str
    action_id: str
    on: bool | None = None  # None: the other way (True: on, and nothing if it already is)


@dataclass
class EditQueue(Message):
    """Open the queue counts editor for a channel."""

    channel_id: str


@dataclass
class AdjustQueue(Message):
    """Change a channel's queue depth by ``delta``."""

    channel_id: str
    delta: int


@dataclass
class ShowReply(Message):
    """Show a channel's canned reply (to read, copy or write to a file)."""

    channel_id: str


@dataclass
class DraftEdited(Message):
    """The draft text changed (debounced autosave follows)."""

    purpose: str
    text: str

    def can_replace(self, message: Message) -> bool:
        # a burst of keystrokes costs one save
        return isinstance(message, DraftEdited) and message.purpose == self.purpose

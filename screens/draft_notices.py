"""What the dashboard tells its user about the shared draft, worded once.

The draft has one editor at a time and nothing typed is ever lost: when the
hold moves, or a save lands while someone else holds the draft, the text is
kept as a version and its author is told which one (``ctrl+o`` lists them).
These functions turn the incident's state into those sentences; they read
nothing else and show nothing (the dashboard shows each as a notification
titled "Draft").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from tui.core.state import DraftVersion, IncidentState


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    timeout: float
    severity: Literal["information", "warning"] = "warning"


def refused(why: str) -> Notice:
    """Editing was refused (someone took the draft first) and nothing was typed yet."""
    return Notice(why, 10)


def taken_over(state: IncidentState, who: str, unsaved: tuple[str, str] | None) -> Notice:
    """``who`` took the draft from me; ``unsaved`` (purpose, text) is what I had typed,
    now saved (``state`` is the state after that save)."""
    if unsaved is None:
        return Notice(f"{who} took over the draft. Nothing of yours was unsaved.", 10)
    version = saved_as(state, *unsaved)
    number = version.number if version else "?"
    where = (
        "kept aside (ctrl+o: versions)"
        if version and version.aside
        else f"the draft {who} now edits"
    )
    return Notice(
        f"{who} took over the draft. Your unsaved text was saved as version {number}: {where}.", 20
    )


def kept(state: IncidentState, purpose: str, text: str, why: str) -> Notice:
    """Editing was refused after I typed: what I typed was saved as a version."""
    version = saved_as(state, purpose, text)
    number = version.number if version else "?"
    return Notice(f"{why}. What you typed was kept as version {number} (ctrl+o: versions).", 20)


def kept_aside(state: IncidentState, purpose: str, text: str) -> Notice | None:
    """My autosave landed while someone else holds the draft: it was kept aside."""
    versions = state.draft_versions.get(purpose, ())
    if not (versions and versions[-1].aside and versions[-1].text == text):
        return None
    holder = state.draft_hold.actor if state.draft_hold else "someone"
    return Notice(
        f"{holder} is editing the draft: your text was kept as version "
        f"{versions[-1].number} (ctrl+o: versions).",
        20,
    )


def arrived(
    state: IncidentState, seen: Mapping[str, int], me: str, editing_text: str
) -> list[Notice]:
    """While I edit: the versions saved since ``seen`` (a count per purpose) by others,
    or kept aside, each said once."""
    notices = []
    for purpose, versions in state.draft_versions.items():
        for v in versions[seen.get(purpose, 0) :]:
            if v.by == me and not v.aside:
                continue
            if v.aside:
                what = "kept aside as version"
            elif editing_text == v.text:
                what = "is in your editor: version"
            else:
                what = "arrived after you started typing: version"
            notices.append(
                Notice(f"{v.by}'s text {what} {v.number} (ctrl+o: versions).", 15, "information")
            )
    return notices


def saved_as(state: IncidentState, purpose: str, text: str) -> DraftVersion | None:
    """The newest saved version of ``purpose`` holding exactly ``text`` (what a save became)."""
    return next(
        (v for v in reversed(state.draft_versions.get(purpose, ())) if v.text == text), None
    )

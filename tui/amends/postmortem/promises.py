"""Whether the promised update times were kept: one check per promise made.

Every acknowledgement or update that promised the next one by a time is judged by the
next acknowledgement, update or resolution announcement: **on time** when it came by the
promised time, **late** (by whole minutes, rounded up) when after it, **never came** when
none followed and the time has passed (or the incident is over), **not due yet**
otherwise. Pure: the state and *now* decide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from tui.amends.postmortem.words import minutes
from tui.core.clock import wall
from tui.core.state import IncidentState
from tui.core.vocabulary import PROMISING, Purpose

ANSWERING: Final[tuple[Purpose, ...]] = (*PROMISING, "resolved")
"""Purposes that answer a promise: the next update, or the resolution itself."""


@dataclass(frozen=True)
class PromiseCheck:
    promised_at: datetime
    kept_at: datetime | None  # when the next message came (None: it has not)
    on_time: bool
    text: str  # "promised by 2:15 PM EST, next update 2:12 PM EST: on time"
    status: str = "on time"  # on time | late | never came | not due yet
    minutes_late: int = 0


def promise_checks(s: IncidentState, now: datetime) -> list[PromiseCheck]:
    """One check per promise, in the order the promises were made."""
    tz = s.book.timezone
    out = []
    updates = s.updates
    for i, u in enumerate(updates):
        if u.purpose not in PROMISING or u.promised_next_at is None:
            continue
        promised = u.promised_next_at
        nxt = next((n for n in updates[i + 1 :] if n.purpose in ANSWERING), None)
        head = f"promised by {wall(promised, tz)}"
        if nxt is not None:
            what = "resolution announced" if nxt.purpose == "resolved" else "next update"
            head += f", {what} {wall(nxt.at, tz)}"
            if nxt.at <= promised:
                out.append(PromiseCheck(promised, nxt.at, True, f"{head}: on time"))
            else:
                late = math.ceil((nxt.at - promised).total_seconds() / 60)
                out.append(
                    PromiseCheck(
                        promised, nxt.at, False, f"{head}: {minutes(late)} late", "late", late
                    )
                )
        elif s.resolved_at or s.closed_at or now > promised:
            out.append(PromiseCheck(promised, None, False, f"{head}: never came", "never came"))
        else:
            out.append(PromiseCheck(promised, None, False, f"{head}: not due yet", "not due yet"))
    return out

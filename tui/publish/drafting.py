"""Drafts from the playbook's Jinja2 templates: filled in for the team, blanks left for humans.

Templates render in Jinja2's sandbox with ``StrictUndefined``. What only a
person can say is a *blank*: ``{{ blank("what customers are seeing") }}``
renders as ``[[ what customers are seeing ]]``, unmistakable on screen and
found again by :func:`find_blanks` (publishing is refused while one remains).
Jinja2 is imported on first use only: the CLI path never pays for it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from tui.core.clock import local, wall
from tui.core.durations import format_duration
from tui.core.playbook import Playbook
from tui.core.state import IncidentState, cadence_at

if TYPE_CHECKING:
    from jinja2 import Environment

# no brackets or newlines inside, bounded length: linear even on hostile "[[[[..." pastes
BLANK = re.compile(r"\[\[([^\[\]\n]{0,200})\]\]")


class DraftError(Exception):
    """A template that cannot be rendered: one line naming the file and the problem."""


@dataclass(frozen=True, slots=True)
class Blank:
    start: int
    end: int
    description: str


def blank(description: str) -> str:
    return f"[[ {description} ]]"


def find_blanks(text: str) -> list[Blank]:
    return [Blank(m.start(), m.end(), m.group(1).strip()) for m in BLANK.finditer(text)]


# A draft is written minutes before it goes out: the editor's templates render
# ``{{ now }}`` as this marker, and publishing replaces it with the time of
# publishing (the confirm screen shows the final text).
PUBLISH_TIME = "[time of publishing]"


def at_publishing(text: str, now: datetime, tz: str) -> str:
    """The message as it goes out at ``now``: the publish-time marker becomes that time."""
    return text.replace(PUBLISH_TIME, wall(now, tz))


def template_kinds(book: Playbook, purpose: str) -> list[str]:
    return list(book.templates.get(purpose, {}))


def next_update_time(state: IncidentState, now: datetime) -> datetime:
    """What the next message should promise: the cadence from now, on a 5-minute mark,
    never beyond the cadence's ``max`` from now (then the mark before it, or ``max``
    itself when no mark lies between)."""
    cadence = cadence_at(state)
    every = cadence.every if cadence else timedelta(minutes=30)
    at = now + every
    step = 300
    seconds = math.ceil(at.timestamp() / step) * step
    proposed = datetime.fromtimestamp(seconds, tz=at.tzinfo)
    if cadence is None or proposed <= now + cadence.max:
        return proposed
    latest = now + cadence.max
    earlier = datetime.fromtimestamp(math.floor(latest.timestamp() / step) * step, tz=at.tzinfo)
    return earlier if earlier > now else latest


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours.is_integer():
        return f"{int(hours)} hours" if hours != 1 else "1 hour"
    return format_duration(delta)


def context(state: IncidentState, now: datetime) -> dict[str, Any]:
    book, tz = state.book, state.book.timezone
    restored = state.resolved_at or now
    due = restored + book.postmortem_within
    due_local = local(due, tz)
    timeline = [
        SimpleNamespace(at=wall(t.at, tz), text=t.text) for t in state.timeline if not t.quiet
    ]
    impact = []
    for name, value in state.metrics.items():
        metric = book.metric(name)
        title = metric.title if metric else name
        suffix = "%" if metric and metric.type == "percent" else ""
        shown = ("yes" if value else "no") if isinstance(value, bool) else f"{value:g}{suffix}"
        impact.append(f"{title}: {shown}")
    return {
        "incident": SimpleNamespace(id=state.id, title=state.title),
        "company": book.company or blank("company name"),
        "components": [],
        "now": wall(now, tz),
        "detected_at": wall(state.detected_at, tz) if state.detected_at else wall(now, tz),
        "elapsed": format_duration(now - state.detected_at) if state.detected_at else "0m",
        "next_update_at": wall(next_update_time(state, now), tz),
        "restored_at": wall(restored, tz),
        "postmortem_within": _hours(book.postmortem_within),
        "postmortem_due": f"{due_local.strftime('%A, %b')} {due_local.day}, {wall(due, tz)}",
        "status_page_url": book.status_page_url or blank("status page address"),
        "timeline": timeline,
        "impact": impact,
        "remedial_actions": [],
        "customer_name": "",
        "offer": "",
        "blank": blank,
    }


def render(
    state: IncidentState,
    purpose: str,
    kind: str,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> str:
    """Render the playbook's template for (purpose, kind); DraftError on any problem."""
    book = state.book
    name = book.templates.get(purpose, {}).get(kind)
    if name is None:
        raise DraftError(f"the playbook has no {purpose}/{kind} template")
    from tui.core.templating import playbook_environment

    env = playbook_environment(tuple(book.template_dirs()))
    return render_file(env, name, {**context(state, now), **(extra or {})}, DraftError)


def render_file(
    env: Environment, name: str, variables: dict[str, Any], error: type[Exception]
) -> str:
    """Render one template; any problem becomes ``error``: one line naming the file and line.

    Rendering is bounded (time, loops, sizes; see :mod:`tui.core.templating`) when ``env``
    is a BoundedEnvironment: a hostile template ends with an error, never a hang.
    """
    from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

    from tui.core.templating import TemplateLimit, error_line, render_bounded

    def where(exc: BaseException) -> str:
        file, line = error_line(exc, getattr(env.loader, "dirs", ()))
        return f"template {file or name}" + (f" line {line}" if line else "")

    try:
        template = env.get_template(name)
        return render_bounded(template, variables).strip() + "\n"
    except TemplateNotFound as exc:
        missing = f" (included as {exc.name})" if exc.name and exc.name != name else ""
        raise error(f"template {name} not found{missing}") from None
    except TemplateSyntaxError as exc:
        raise error(f"{where(exc)}: {exc.message}") from None
    except TemplateLimit as exc:
        raise error(f"{where(exc)}: {exc}") from None
    except TemplateError as exc:
        raise error(f"{where(exc)}: {exc}") from None
    except RecursionError:
        raise error(f"template {name}: macros call themselves too deeply") from None
    except Exception as exc:  # a sandbox refusal, a filter on the wrong type...
        raise error(f"{where(exc)}: {type(exc).__name__}: {exc}") from None

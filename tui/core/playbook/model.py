"""The playbook model: frozen, typed values a team's playbook file turns into.

Every value here was validated (:mod:`tui.core.playbook.validation`), so readers never
check a playbook again: lookups return None for an unknown id, mappings are read-only.
The constants say which values some fields may take.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from tui.core import conditions as cond

FORMAT_VERSION = 1  # the ``warroom_playbook:`` value this warroom reads

STATUSES = ("investigating", "identified", "monitoring", "resolved")  # a phase's page status
METRIC_TYPES = ("bool", "percent", "count", "number")
OFFERS = ("credit", "trial_extension", "consultation")  # what a plan may offer its customers
CREDIT_BOUNDS = (Decimal(5), Decimal(20))  # every credit, in %, whatever the playbook says
MAX_CADENCE = timedelta(hours=24)  # the longest a cadence may leave customers without news

K = TypeVar("K")
V = TypeVar("V")


def frozen_map(mapping: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only copy: a playbook's mappings cannot change under its readers."""
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Metric:
    id: str
    title: str
    type: str  # bool | percent | count | number


@dataclass(frozen=True, slots=True)
class SeverityLevel:
    id: str
    title: str
    protocol: str
    when: cond.Condition


@dataclass(frozen=True, slots=True)
class Cadence:
    every: timedelta
    max: timedelta


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    id: str
    text: str
    owner: str
    phase: str
    done_by: str | None = None  # a message purpose: publishing it ticks this item


@dataclass(frozen=True, slots=True)
class Phase:
    id: str
    title: str
    deadline: timedelta | None
    cadence: Cadence | None
    closes_with: str | None
    status: str | None
    checklist: tuple[ChecklistItem, ...]


@dataclass(frozen=True, slots=True)
class ChannelAction:
    id: str
    text: str
    default: bool


SWAMPED_MODES = ("propose", "auto")  # what crossing a channel's swamped_at does
MAX_SWAMPED_AT = 1_000_000  # (the largest queue depth a count may record)


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    title: str
    tone: str
    actions: tuple[ChannelAction, ...]
    # "swamped": at this many waiting, ``swamped_action`` is proposed (one key turns it
    # on) or, with ``swamped_mode: auto``, turned on by the count that crossed it
    swamped_at: int | None = None
    swamped_action: str | None = None
    swamped_mode: str = "propose"  # propose | auto

    def action(self, action_id: str) -> ChannelAction | None:
        return next((a for a in self.actions if a.id == action_id), None)

    def swamped(self, depth: int | None) -> bool:
        """This many waiting is at or over the channel's swamped_at."""
        return self.swamped_at is not None and depth is not None and depth >= self.swamped_at


@dataclass(frozen=True, slots=True)
class MessageChecks:
    forbidden_phrases: tuple[str, ...] = ()
    jargon: tuple[str, ...] = ()
    jargon_allow: tuple[str, ...] = ()  # words never flagged as jargon (the team's own terms)
    require: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: frozen_map({}))
    max_length: Mapping[str, int] = field(default_factory=lambda: frozen_map({}))


@dataclass(frozen=True, slots=True)
class CreditStep:
    start: timedelta
    pct: Decimal


@dataclass(frozen=True, slots=True)
class RecoveryPolicy:
    credit_min_pct: Decimal
    credit_max_pct: Decimal
    credit_steps: tuple[CreditStep, ...]
    trial_buffer: timedelta
    plans: Mapping[str, tuple[str, ...]]

    def credit_pct(self, outage: timedelta) -> Decimal:
        """The credit for an outage of this length, always within the bounds."""
        pct = self.credit_min_pct
        for step in self.credit_steps:
            if outage >= step.start:
                pct = step.pct
        return min(max(pct, self.credit_min_pct), self.credit_max_pct)


@dataclass(frozen=True, slots=True)
class Playbook:
    name: str
    description: str
    timezone: str
    due_soon: timedelta
    roles: tuple[Role, ...]
    metrics: tuple[Metric, ...]
    severity: tuple[SeverityLevel, ...]
    protocols: Mapping[str, tuple[str, ...]]
    phases: tuple[Phase, ...]
    postmortem_within: timedelta
    channels: tuple[Channel, ...]
    templates: Mapping[str, Mapping[str, str]]
    templates_dir: str | None
    message_checks: MessageChecks
    recovery: RecoveryPolicy | None
    company: str = ""
    status_page_url: str = ""
    approval_role: str | None = None  # two-person rule: who must approve a publish
    text: str = field(default="", repr=False, compare=False)
    source: str = ""
    sha256: str = ""

    # lookups -------------------------------------------------------------
    def role(self, role_id: str) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def metric(self, metric_id: str) -> Metric | None:
        return next((m for m in self.metrics if m.id == metric_id), None)

    def phase(self, phase_id: str) -> Phase | None:
        return next((p for p in self.phases if p.id == phase_id), None)

    def level(self, level_id: str) -> SeverityLevel | None:
        return next((s for s in self.severity if s.id == level_id), None)

    def classify(self, metrics: Mapping[str, cond.MetricValue]) -> SeverityLevel | None:
        """First severity level whose condition holds (None if none does)."""
        return next((s for s in self.severity if cond.evaluate(s.when, metrics)), None)

    def protocol_phases(self, protocol: str) -> tuple[Phase, ...]:
        ids = self.protocols.get(protocol, ())
        return tuple(p for p in self.phases if p.id in ids)

    def items(self, protocol: str) -> tuple[ChecklistItem, ...]:
        return tuple(i for p in self.protocol_phases(protocol) for i in p.checklist)

    def template_dirs(self) -> list[Path]:
        """Where this playbook's templates are looked up, first match wins."""
        from tui.core.resources import shipped_templates_dir

        dirs: list[Path] = []
        if self.source:
            base = Path(self.source).parent
            if self.templates_dir:
                # the playbook's own folder: a symlink leading out of it is not followed
                found = (base / self.templates_dir).resolve()
                if found.is_relative_to(base.resolve()):
                    dirs.append(found)
            else:
                dirs.extend((base / name).resolve() for name in ["templates", "../templates"])
        shipped = shipped_templates_dir().resolve()
        if shipped not in dirs:
            dirs.append(shipped)
        return dirs

    def summary(self) -> str:
        n_items = sum(len(p.checklist) for p in self.phases)
        return (
            f"{self.name}: {len(self.roles)} roles, {len(self.severity)} severity levels, "
            f"{len(self.phases)} phases, {n_items} checklist items, "
            f"{len(self.channels)} channels, {sum(len(t) for t in self.templates.values())} "
            f"templates"
        )


def value_for_metric(metric: Metric, raw: str) -> bool | int | float:
    """Parse a metric value typed on the command line; raise ValueError with a clear message."""
    text = raw.strip().lower()
    if metric.type == "bool":
        if text in ("true", "yes", "on", "1", "y"):
            return True
        if text in ("false", "no", "off", "0", "n"):
            return False
        raise ValueError(f"metric {metric.id!r} is true/false, got {raw!r}")
    try:
        number = float(text.rstrip("%")) if metric.type != "count" else int(text)
    except ValueError:
        kind = "a whole number" if metric.type == "count" else "a number"
        raise ValueError(f"metric {metric.id!r} must be {kind}, got {raw!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"metric {metric.id!r} must be a finite number, got {raw!r}")
    if metric.type == "percent" and not 0 <= number <= 100:
        raise ValueError(f"metric {metric.id!r} is a percentage from 0 to 100, got {raw!r}")
    if metric.type == "count" and number < 0:
        raise ValueError(f"metric {metric.id!r} cannot be negative, got {raw!r}")
    if isinstance(number, float) and number.is_integer() and metric.type != "number":
        return int(number)
    return number

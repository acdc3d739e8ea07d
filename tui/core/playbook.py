"""The playbook: a strict, validated YAML file turned into frozen typed models.

Validation works on the positioned node tree of :mod:`tui.core.yamlsafe`, so every
problem -- a YAML syntax error or a semantic one -- is reported as
``FILE:LINE:COL: message``, all of them at once, one per line.

We use no validation library on purpose: the errors must carry the YAML
line and column of the offending node, which a validator fed plain dicts
cannot know, and the import must stay cheap for the CLI path.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tui.core import conditions as cond
from tui.core.durations import DurationError, parse_duration
from tui.core.vocabulary import DESTINATION_KINDS, PUBLISH_PURPOSES, REQUIREMENTS, TEMPLATE_PURPOSES
from tui.core.yamlsafe import Map, Node, Problem, Scalar, Seq, YamlLoadError, load_bytes, read_file

FORMAT_VERSION = 1

PURPOSES = TEMPLATE_PURPOSES
STATUSES = ("investigating", "identified", "monitoring", "resolved")
METRIC_TYPES = ("bool", "percent", "count", "number")
OFFERS = ("credit", "trial_extension", "consultation")
CREDIT_BOUNDS = (Decimal(5), Decimal(20))
MAX_CADENCE = timedelta(hours=24)

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")


def template_name_problem(name: str) -> str | None:
    """Why ``name`` may not name a template or a templates_dir (None: it may).

    Names stay inside their directory: relative, forward slashes, no ``..``,
    ``.`` or empty parts. (Symlinks are checked against the files:
    :func:`contained_template`.)
    """
    if not name or name != name.strip():
        return "must be a path inside the directory (no surrounding spaces)"
    if name.startswith(("/", "\\", "~")) or re.match(r"[A-Za-z]:", name) or "\\" in name:
        return "must be a relative path (no absolute path)"
    if any(part in ("", ".", "..") for part in name.rstrip("/").split("/")):
        return "must stay inside the directory (no '..', '.' or empty parts)"
    return None


def _template_syntax_problem(path: Path, name: str) -> str | None:
    """A template that would not compile: ``template NAME line N: message`` (None: it compiles).

    Only ``playbook check`` and ``start`` look (Jinja2 is imported here, lazily).
    """
    from jinja2 import TemplateSyntaxError

    from tui.core.templating import MAX_TEMPLATE_BYTES, BoundedEnvironment

    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            return f"template {name} is larger than {MAX_TEMPLATE_BYTES} bytes"
        source = path.read_text(encoding="utf-8")
        BoundedEnvironment().parse(source, name, str(path))
    except TemplateSyntaxError as exc:
        return f"template {name} line {exc.lineno}: {exc.message}"
    except (OSError, UnicodeDecodeError) as exc:
        return f"template {name} cannot be read: {getattr(exc, 'strerror', None) or exc}"
    return None


def contained_template(directory: Path, name: str) -> tuple[Path | None, str | None]:
    """(the file, None) when ``name`` is a file inside ``directory`` after every symlink is
    resolved; (None, None) when it is missing there; (None, why) when it may not be used."""
    problem = template_name_problem(name)
    if problem:
        return None, f"template name {name!r} {problem}"
    root = Path(directory).resolve()
    path = root / name
    if not os.path.lexists(path):
        return None, None
    real = path.resolve()
    if not real.is_relative_to(root):
        return None, f"template {name!r} leads outside its templates directory {root} (to {real})"
    return (real, None) if real.is_file() else (None, None)


class PlaybookError(Exception):
    """One or more problems, each ``FILE:LINE:COL: message``."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col))
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------- models


def _frozen(mapping: Mapping) -> Mapping:
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


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    title: str
    tone: str
    actions: tuple[ChannelAction, ...]


@dataclass(frozen=True, slots=True)
class MessageChecks:
    forbidden_phrases: tuple[str, ...] = ()
    jargon: tuple[str, ...] = ()
    require: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _frozen({}))
    max_length: Mapping[str, int] = field(default_factory=lambda: _frozen({}))


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


# --------------------------------------------------------------------------- loading


def load_playbook(path: str | os.PathLike, *, check_files: bool = True) -> Playbook:
    """Load and validate a playbook file; raise PlaybookError listing every problem."""
    try:
        data, name = read_file(path)  # regular files only, size-capped: a FIFO cannot block us
    except YamlLoadError as exc:
        raise PlaybookError(list(exc.problems)) from None
    source = str(Path(os.fspath(path)).resolve())
    return parse_playbook(data, name, source=source, check_files=check_files)


def parse_playbook(
    data: bytes, filename: str, *, source: str = "", check_files: bool = False
) -> Playbook:
    """Validate playbook bytes. ``source`` is the resolved path templates are found from."""
    try:
        root = load_bytes(data, filename)
    except YamlLoadError as exc:
        raise PlaybookError(list(exc.problems)) from None
    v = _Validator(filename)
    book = v.playbook(root, data, source)
    if book is not None and check_files:
        v.check_templates(book, root)
    if v.problems or book is None:
        raise PlaybookError(v.problems)
    return book


# --------------------------------------------------------------------------- validator


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Validator:
    def __init__(self, filename: str):
        self.file = filename
        self.problems: list[Problem] = []

    # primitives -----------------------------------------------------------
    def err(self, node: Node | Scalar, message: str) -> None:
        self.problems.append(Problem(self.file, node.mark.line, node.mark.col, message))

    def fields(
        self,
        node: Node,
        what: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> dict[str, Node] | None:
        """A mapping with exactly these keys allowed; returns key -> node, or None."""
        if not isinstance(node, Map):
            self.err(node, f"{what} must be a mapping")
            return None
        allowed = required + optional
        out: dict[str, Node] = {}
        for key, value in node.items:
            k = key.value if isinstance(key.value, str) else key.text
            if k not in allowed:
                self.err(
                    key,
                    f"unknown key {_show(k)} in {what} "
                    f"(allowed: {', '.join(allowed)}){_suggest(k, allowed)}",
                )
                continue
            out[k] = value
        for k in required:
            if k not in out:
                self.err(node, f"{what} is missing required key {k!r}")
        return out

    def string(self, node: Node, what: str, *, allow_empty: bool = False) -> str | None:
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            self.err(node, f"{what} must be text")
            return None
        if not allow_empty and not node.value.strip():
            self.err(node, f"{what} must not be empty")
            return None
        if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in node.value):
            self.err(node, f"{what} contains control characters")
            return None
        return node.value

    def ident(self, node: Node, what: str) -> str | None:
        value = node.value if isinstance(node, Scalar) else None
        if not isinstance(value, str) or not _ID.match(value):
            self.err(
                node,
                f"{what} must be an id: lowercase letters, digits, '-' or '_' "
                f"(got {_show(value) if isinstance(node, Scalar) else 'a ' + type(node).__name__})",
            )
            return None
        return value

    def boolean(self, node: Node, what: str) -> bool | None:
        if not isinstance(node, Scalar) or not isinstance(node.value, bool):
            self.err(node, f"{what} must be true or false")
            return None
        return node.value

    def integer(self, node: Node, what: str, lo: int, hi: int) -> int | None:
        value = node.value if isinstance(node, Scalar) else None
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            self.err(node, f"{what} must be a whole number from {lo} to {hi}")
            return None
        return value

    def decimal(self, node: Node, what: str) -> Decimal | None:
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.err(node, f"{what} must be a number")
            return None
        result = Decimal(str(value))
        if not result.is_finite():
            self.err(node, f"{what} must be a finite number")
            return None
        return result

    def duration(self, node: Node, what: str) -> timedelta | None:
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            hint = " (add a unit, e.g. 15m)" if isinstance(node, Scalar) else ""
            self.err(node, f"{what} must be a duration like 15m, 1h or 72h{hint}")
            return None
        try:
            return parse_duration(node.value)
        except DurationError as exc:
            self.err(node, f"{what}: {exc}")
            return None

    def seq(self, node: Node, what: str, *, allow_empty: bool = False) -> tuple[Node, ...]:
        if not isinstance(node, Seq):
            self.err(node, f"{what} must be a list")
            return ()
        if not node.items and not allow_empty:
            self.err(node, f"{what} must not be empty")
        return node.items

    def strings(self, node: Node, what: str) -> tuple[str, ...]:
        out = []
        for item in self.seq(node, what, allow_empty=True):
            s = self.string(item, f"each entry of {what}")
            if s is not None:
                out.append(s)
        return tuple(out)

    def unique(self, seen: dict[str, Node], key: str | None, node: Node, what: str) -> bool:
        if key is None:
            return False
        if key in seen:
            self.err(node, f"duplicate {what} id {key!r} (first at line {seen[key].mark.line})")
            return False
        seen[key] = node
        return True

    def id_list(
        self,
        node: Node,
        what: str,
        known: Iterable[str],
        kind: str,
    ) -> tuple[str, ...]:
        known = list(known)
        out: list[str] = []
        for item in self.seq(node, what):
            value = self.ident(item, f"each entry of {what}")
            if value is None:
                continue
            if value not in known:
                self.err(item, f"unknown {kind} {value!r} in {what}{_suggest(value, known)}")
            elif value in out:
                self.err(item, f"{kind} {value!r} listed twice in {what}")
            else:
                out.append(value)
        return tuple(out)

    # sections -------------------------------------------------------------
    def playbook(self, root: Node, data: bytes, source: str) -> Playbook | None:
        f = self.fields(
            root,
            "the playbook",
            ("warroom_playbook", "name", "roles", "severity", "protocols", "phases"),
            (
                "description",
                "timezone",
                "due_soon",
                "metrics",
                "postmortem",
                "channels",
                "templates",
                "templates_dir",
                "message_checks",
                "recovery",
                "company",
                "status_page_url",
                "approval_role",
            ),
        )
        if f is None:
            return None
        version = f.get("warroom_playbook")
        if version is not None and not (
            isinstance(version, Scalar) and version.value == FORMAT_VERSION
        ):
            self.err(version, f"warroom_playbook must be {FORMAT_VERSION} (the format version)")
        name = self.string(f["name"], "name") if "name" in f else None
        description = (
            self.string(f["description"], "description", allow_empty=True) or ""
            if "description" in f
            else ""
        )
        timezone = self.timezone(f.get("timezone"))
        due_soon = timedelta(minutes=5)
        if "due_soon" in f:
            due_soon = self.duration(f["due_soon"], "due_soon") or due_soon
        roles = self.roles(f["roles"]) if "roles" in f else ()
        metrics = self.metrics(f["metrics"]) if "metrics" in f else ()
        phases = self.phases(f["phases"], {r.id for r in roles}) if "phases" in f else ()
        protocols = (
            self.protocols(f["protocols"], [p.id for p in phases]) if "protocols" in f else {}
        )
        severity = (
            self.severity(f["severity"], {m.id: m for m in metrics}, protocols)
            if "severity" in f
            else ()
        )
        postmortem_within = timedelta(hours=72)
        if "postmortem" in f:
            pm = self.fields(f["postmortem"], "postmortem", ("within",))
            if pm and "within" in pm:
                postmortem_within = self.duration(pm["within"], "postmortem.within") or (
                    postmortem_within
                )
        channels = self.channels(f["channels"]) if "channels" in f else ()
        templates = self.templates(f["templates"], channels) if "templates" in f else {}
        templates_dir = None
        if "templates_dir" in f:
            templates_dir = self.string(f["templates_dir"], "templates_dir")
            problem = template_name_problem(templates_dir) if templates_dir else None
            if problem:
                self.err(
                    f["templates_dir"],
                    f"templates_dir {_show(templates_dir)} {problem}: "
                    "templates live in a folder beside the playbook",
                )
                templates_dir = None
        checks = self.checks(f["message_checks"]) if "message_checks" in f else MessageChecks()
        recovery = self.recovery(f["recovery"]) if "recovery" in f else None
        company = self.string(f["company"], "company") if "company" in f else None
        status_url = None
        if "status_page_url" in f:
            status_url = self.string(f["status_page_url"], "status_page_url")
            if status_url and not status_url.startswith(("https://", "http://")):
                self.err(f["status_page_url"], "status_page_url must start with https://")
                status_url = None
        approval_role = None
        if "approval_role" in f:
            approval_role = self.ident(f["approval_role"], "approval_role")
            if approval_role and approval_role not in {r.id for r in roles}:
                self.err(
                    f["approval_role"],
                    f"approval_role {approval_role!r} is not a defined role"
                    f"{_suggest(approval_role, [r.id for r in roles])}",
                )
                approval_role = None
        self.cross_checks(phases, templates, channels, f)
        if self.problems or name is None:
            return None
        return Playbook(
            name=name,
            description=description,
            timezone=timezone,
            due_soon=due_soon,
            roles=roles,
            metrics=metrics,
            severity=severity,
            protocols=_frozen(protocols),
            phases=phases,
            postmortem_within=postmortem_within,
            channels=channels,
            templates=_frozen({k: _frozen(v) for k, v in templates.items()}),
            templates_dir=templates_dir,
            message_checks=checks,
            recovery=recovery,
            company=company or "",
            approval_role=approval_role,
            status_page_url=status_url or "",
            text=data.decode("utf-8-sig"),
            source=source,
            sha256=hashlib.sha256(data).hexdigest(),
        )

    def timezone(self, node: Node | None) -> str:
        if node is None:
            return "UTC"
        name = self.string(node, "timezone")
        if name is None:
            return "UTC"
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.err(node, f"unknown time zone {_show(name)} (use an IANA name like Europe/Paris)")
            return "UTC"
        return name

    def roles(self, node: Node) -> tuple[Role, ...]:
        out, seen = [], {}
        for item in self.seq(node, "roles"):
            f = self.fields(item, "a role", ("id", "title"))
            if not f or "id" not in f:
                continue
            rid = self.ident(f["id"], "role id")
            title = self.string(f["title"], "role title") if "title" in f else None
            if self.unique(seen, rid, f["id"], "role") and title is not None and rid:
                out.append(Role(rid, title))
        return tuple(out)

    def metrics(self, node: Node) -> tuple[Metric, ...]:
        out, seen = [], {}
        for item in self.seq(node, "metrics", allow_empty=True):
            f = self.fields(item, "a metric", ("id", "type"), ("title",))
            if not f or "id" not in f:
                continue
            mid = self.ident(f["id"], "metric id")
            mtype = None
            if "type" in f:
                mtype = self.string(f["type"], "metric type")
                if mtype is not None and mtype not in METRIC_TYPES:
                    self.err(
                        f["type"],
                        f"unknown metric type {_show(mtype)} "
                        f"(one of: {', '.join(METRIC_TYPES)}){_suggest(mtype, METRIC_TYPES)}",
                    )
                    mtype = None
            title = (self.string(f["title"], "metric title") if "title" in f else mid) or mid
            if self.unique(seen, mid, f["id"], "metric") and mtype and mid:
                out.append(Metric(mid, title or mid, mtype))
        return tuple(out)

    def condition(self, node: Node, metrics: Mapping[str, Metric], depth: int = 0):
        if isinstance(node, Scalar) and node.value == "always" and depth == 0:
            return cond.Always()
        if isinstance(node, Scalar):
            if not isinstance(node.value, str):
                self.err(
                    node,
                    f"a condition must be text like 'users_affected_pct >= 5', "
                    f"got {_show(node.value)}",
                )
                return None
            try:
                c = cond.parse_comparison(node.value)
            except cond.ConditionSyntaxError as exc:
                self.err(node, str(exc))
                return None
            metric = metrics.get(c.metric)
            if metric is None:
                self.err(
                    node,
                    f"condition uses undefined metric {c.metric!r}{_suggest(c.metric, metrics)}",
                )
                return None
            if (metric.type == "bool") != isinstance(c.value, bool):
                want = "true or false" if metric.type == "bool" else "a number"
                self.err(node, f"metric {c.metric!r} is {metric.type}: compare it with {want}")
                return None
            return c
        if isinstance(node, Map):
            if len(node.items) != 1 or node.keys()[0] not in ("any", "all"):
                self.err(node, "a condition group must be exactly one of 'any:' or 'all:'")
                return None
            key, value = node.items[0]
            parts = [self.condition(i, metrics, depth + 1) for i in self.seq(value, key.value)]
            if any(p is None for p in parts):
                return None
            return cond.AnyOf(tuple(parts)) if key.value == "any" else cond.AllOf(tuple(parts))
        self.err(node, "a condition must be text, 'always', or an any:/all: group")
        return None

    def severity(self, node, metrics, protocols) -> tuple[SeverityLevel, ...]:
        out, seen = [], {}
        for item in self.seq(node, "severity"):
            f = self.fields(item, "a severity level", ("id", "protocol", "when"), ("title",))
            if not f or "id" not in f:
                continue
            sid = self.ident(f["id"], "severity id")
            title = (self.string(f["title"], "severity title") if "title" in f else None) or (
                sid.upper() if sid else None
            )
            protocol = None
            if "protocol" in f:
                protocol = self.ident(f["protocol"], "protocol")
                if protocol and protocol not in protocols:
                    self.err(
                        f["protocol"],
                        f"unknown protocol {protocol!r} (define it under protocols:)"
                        f"{_suggest(protocol, protocols)}",
                    )
                    protocol = None
            when = self.condition(f["when"], metrics) if "when" in f else None
            if self.unique(seen, sid, f["id"], "severity") and sid and protocol and when and title:
                out.append(SeverityLevel(sid, title, protocol, when))
        return tuple(out)

    def protocols(self, node: Node, phase_ids: list[str]) -> dict[str, tuple[str, ...]]:
        if not isinstance(node, Map):
            self.err(node, "protocols must be a mapping of protocol id to a list of phase ids")
            return {}
        out = {}
        for key, value in node.items:
            pid = self.ident(key, "protocol id")
            phases = self.id_list(value, f"protocol {key.value!r}", phase_ids, "phase")
            if pid:
                out[pid] = phases
        if not out:
            self.err(node, "protocols must define at least one protocol")
        return out

    def phases(self, node: Node, role_ids: set[str]) -> tuple[Phase, ...]:
        out, seen, seen_items = [], {}, {}
        for item in self.seq(node, "phases"):
            f = self.fields(
                item,
                "a phase",
                ("id", "title"),
                ("deadline", "cadence", "closes_with", "status", "checklist"),
            )
            if not f or "id" not in f:
                continue
            pid = self.ident(f["id"], "phase id")
            title = self.string(f["title"], "phase title") if "title" in f else None
            deadline = self.duration(f["deadline"], "deadline") if "deadline" in f else None
            cadence = self.cadence(f["cadence"]) if "cadence" in f else None
            closes_with = None
            if "closes_with" in f:
                closes_with = self.choice(f["closes_with"], "closes_with", PUBLISH_PURPOSES)
            status = self.choice(f["status"], "status", STATUSES) if "status" in f else None
            items = []
            for entry in self.seq(f["checklist"], "checklist") if "checklist" in f else ():
                g = self.fields(entry, "a checklist item", ("id", "text", "owner"), ("done_by",))
                if not g or "id" not in g:
                    continue
                iid = self.ident(g["id"], "checklist item id")
                text = self.string(g["text"], "checklist item text") if "text" in g else None
                owner = self.ident(g["owner"], "owner") if "owner" in g else None
                if owner and owner not in role_ids:
                    self.err(
                        g["owner"],
                        f"checklist item {iid!r} is owned by undefined role {owner!r}"
                        f"{_suggest(owner, role_ids)}",
                    )
                    owner = None
                done_by = self.done_by(g["done_by"], iid) if "done_by" in g else None
                if (
                    self.unique(seen_items, iid, g["id"], "checklist item")
                    and iid
                    and text
                    and owner
                    and pid
                ):
                    items.append(ChecklistItem(iid, text, owner, pid, done_by))
            if self.unique(seen, pid, f["id"], "phase") and pid and title:
                out.append(Phase(pid, title, deadline, cadence, closes_with, status, tuple(items)))
        return tuple(out)

    def done_by(self, node: Node, item_id: str | None) -> str | None:
        """``publish.PURPOSE``: publishing that message ticks the item (and says so)."""
        value = self.string(node, "done_by")
        if value is None:
            return None
        kind, _, purpose = value.partition(".")
        if kind != "publish" or purpose not in PUBLISH_PURPOSES:
            choices = ", ".join(f"publish.{p}" for p in PUBLISH_PURPOSES)
            self.err(
                node,
                f"checklist item {item_id!r}: done_by must be one of {choices}, got {value!r}",
            )
            return None
        return purpose

    def choice(self, node: Node, what: str, choices: tuple[str, ...]) -> str | None:
        value = self.string(node, what)
        if value is not None and value not in choices:
            self.err(
                node,
                f"{what} must be one of: {', '.join(choices)} "
                f"(got {_show(value)}){_suggest(value, choices)}",
            )
            return None
        return value

    def cadence(self, node: Node) -> Cadence | None:
        f = self.fields(node, "cadence", ("every",), ("max",))
        if not f or "every" not in f:
            return None
        every = self.duration(f["every"], "cadence.every")
        most = self.duration(f["max"], "cadence.max") if "max" in f else every
        if every is None or most is None:
            return None
        if every <= timedelta(0):
            self.err(f["every"], "cadence.every must be longer than zero")
            return None
        if every > most:
            self.err(
                f["every"],
                f"cadence every {f['every'].value} is over its maximum {f['max'].value}",
            )
            return None
        if most > MAX_CADENCE:
            self.err(f.get("max", f["every"]), "cadence.max must be at most 24h")
            return None
        return Cadence(every, most)

    def channels(self, node: Node) -> tuple[Channel, ...]:
        out, seen = [], {}
        for item in self.seq(node, "channels", allow_empty=True):
            f = self.fields(item, "a channel", ("id", "title"), ("tone", "actions"))
            if not f or "id" not in f:
                continue
            cid = self.ident(f["id"], "channel id")
            title = self.string(f["title"], "channel title") if "title" in f else None
            tone = (self.string(f["tone"], "tone") if "tone" in f else "") or ""
            actions, seen_actions = [], {}
            for a in self.seq(f["actions"], "actions", allow_empty=True) if "actions" in f else ():
                g = self.fields(a, "a channel action", ("id", "text"), ("default",))
                if not g or "id" not in g:
                    continue
                aid = self.ident(g["id"], "action id")
                text = self.string(g["text"], "action text") if "text" in g else None
                default = self.boolean(g["default"], "default") if "default" in g else False
                if self.unique(seen_actions, aid, g["id"], "action") and aid and text:
                    actions.append(ChannelAction(aid, text, bool(default)))
            if self.unique(seen, cid, f["id"], "channel") and cid and title:
                out.append(Channel(cid, title, tone, tuple(actions)))
        return tuple(out)

    def templates(self, node: Node, channels: tuple[Channel, ...]) -> dict[str, dict[str, str]]:
        if not isinstance(node, Map):
            self.err(node, "templates must be a mapping of purpose to {destination: file}")
            return {}
        out: dict[str, dict[str, str]] = {}
        for key, value in node.items:
            purpose = key.value
            if purpose not in PURPOSES:
                self.err(
                    key,
                    f"unknown template purpose {_show(purpose)} (one of: {', '.join(PURPOSES)})"
                    f"{_suggest(str(purpose), PURPOSES)}",
                )
                continue
            kinds = [c.id for c in channels] if purpose == "channel_reply" else DESTINATION_KINDS
            what = "channel" if purpose == "channel_reply" else "destination kind"
            if not isinstance(value, Map) or not value.items:
                self.err(value, f"templates.{purpose} must map each {what} to a template file")
                continue
            entries = {}
            for k, v in value.items:
                if k.value not in kinds:
                    self.err(
                        k,
                        f"unknown {what} {_show(k.value)} in templates.{purpose} "
                        f"(one of: {', '.join(kinds)}){_suggest(str(k.value), kinds)}",
                    )
                    continue
                fname = self.string(v, f"templates.{purpose}.{k.value}")
                if fname is None:
                    continue
                if not _TEMPLATE_NAME.match(fname) or ".." in fname.split("/"):
                    self.err(v, f"template file name {_show(fname)} must be a relative path")
                    continue
                entries[k.value] = fname
            out[purpose] = entries
        return out

    def checks(self, node: Node) -> MessageChecks:
        f = self.fields(
            node, "message_checks", (), ("forbidden_phrases", "jargon", "require", "max_length")
        )
        if not f:
            return MessageChecks()
        forbidden = (
            self.strings(f["forbidden_phrases"], "forbidden_phrases")
            if ("forbidden_phrases" in f)
            else ()
        )
        jargon = self.strings(f["jargon"], "jargon") if "jargon" in f else ()
        require: dict[str, tuple[str, ...]] = {}
        if "require" in f:
            r = f["require"]
            if not isinstance(r, Map):
                self.err(r, "message_checks.require must map a purpose to a list of requirements")
            else:
                for key, value in r.items:
                    if key.value not in PUBLISH_PURPOSES:
                        self.err(
                            key,
                            f"unknown purpose {_show(key.value)} in message_checks.require "
                            f"(one of: {', '.join(PUBLISH_PURPOSES)})",
                        )
                        continue
                    require[key.value] = self.id_list(
                        value, f"require.{key.value}", REQUIREMENTS, "requirement"
                    )
        max_length: dict[str, int] = {}
        if "max_length" in f:
            m = f["max_length"]
            if not isinstance(m, Map):
                self.err(m, "message_checks.max_length must map a destination kind to a number")
            else:
                for key, value in m.items:
                    if key.value not in DESTINATION_KINDS:
                        self.err(
                            key,
                            f"unknown destination kind {_show(key.value)} in max_length "
                            f"(one of: {', '.join(DESTINATION_KINDS)})",
                        )
                        continue
                    n = self.integer(value, f"max_length.{key.value}", 1, 1_000_000)
                    if n is not None:
                        max_length[key.value] = n
        return MessageChecks(
            forbidden_phrases=forbidden,
            jargon=jargon,
            require=_frozen(require),
            max_length=_frozen(max_length),
        )

    def recovery(self, node: Node) -> RecoveryPolicy | None:
        f = self.fields(node, "recovery", ("credit", "plans"), ("trial_extension",))
        if not f:
            return None
        lo, hi = CREDIT_BOUNDS
        min_pct, max_pct, steps = lo, hi, []
        if "credit" in f:
            c = self.fields(f["credit"], "recovery.credit", ("steps",), ("min_pct", "max_pct"))
            if c:
                for key, default in (("min_pct", lo), ("max_pct", hi)):
                    if key in c:
                        value = self.decimal(c[key], f"credit.{key}")
                        if value is not None and not lo <= value <= hi:
                            self.err(c[key], f"credit.{key} must be within {lo}-{hi} %")
                            value = None
                        if key == "min_pct":
                            min_pct = value if value is not None else default
                        else:
                            max_pct = value if value is not None else default
                if min_pct > max_pct:
                    self.err(c.get("min_pct", f["credit"]), "credit.min_pct is over credit.max_pct")
                previous = None
                for s in self.seq(c["steps"], "credit.steps") if "steps" in c else ():
                    g = self.fields(s, "a credit step", ("from", "pct"))
                    if not g or "from" not in g or "pct" not in g:
                        continue
                    start = self.duration(g["from"], "credit step 'from'")
                    pct = self.decimal(g["pct"], "credit step 'pct'")
                    if pct is not None and not min_pct <= pct <= max_pct:
                        self.err(
                            g["pct"], f"credit {pct} % is outside the bounds {min_pct}-{max_pct} %"
                        )
                        continue
                    if start is None or pct is None:
                        continue
                    if previous is not None and start <= previous:
                        self.err(g["from"], "credit steps must be in increasing order of 'from'")
                        continue
                    previous = start
                    steps.append(CreditStep(start, pct))
        buffer = timedelta(0)
        if "trial_extension" in f:
            t = self.fields(f["trial_extension"], "recovery.trial_extension", ("buffer",))
            if t and "buffer" in t:
                buffer = self.duration(t["buffer"], "trial_extension.buffer") or buffer
        plans: dict[str, tuple[str, ...]] = {}
        if "plans" in f:
            p = f["plans"]
            if not isinstance(p, Map) or not p.items:
                self.err(p, "recovery.plans must map each plan name to a list of offers")
            else:
                for key, value in p.items:
                    plan = self.ident(key, "plan name")
                    offers = self.id_list(value, f"plan {key.value!r}", OFFERS, "offer")
                    if plan:
                        plans[plan] = offers
        return RecoveryPolicy(min_pct, max_pct, tuple(steps), buffer, _frozen(plans))

    def cross_checks(self, phases, templates, channels, f) -> None:
        where = f.get("templates") or f.get("phases")
        for phase in phases:
            if phase.closes_with and phase.closes_with not in templates and where is not None:
                self.err(
                    where,
                    f"phase {phase.id!r} closes with a {phase.closes_with!r} message "
                    f"but templates has no {phase.closes_with!r} entry",
                )
        if channels and "templates" in f:
            replies = templates.get("channel_reply", {})
            for ch in channels:
                if ch.id not in replies:
                    self.err(
                        f["templates"],
                        f"channel {ch.id!r} has no canned reply under templates.channel_reply",
                    )

    def check_templates(self, book: Playbook, root: Node) -> None:
        """Every template file the playbook names must exist (user dir, then shipped)."""
        from tui.core.resources import shipped_templates_dir

        dirs = book.template_dirs()
        shipped = shipped_templates_dir().resolve()
        tnode = root.get("templates") if isinstance(root, Map) else None
        if book.templates_dir and book.source and isinstance(root, Map):
            base = Path(book.source).parent
            found = (base / book.templates_dir).resolve()
            if not found.is_relative_to(base.resolve()):
                self.err(
                    root.get("templates_dir") or root,
                    f"templates_dir {book.templates_dir!r} leads outside the playbook's folder "
                    f"(to {found})",
                )
        for purpose, entries in book.templates.items():
            for kind, fname in entries.items():
                node: Node = root
                if isinstance(tnode, Map) and isinstance(tnode.get(purpose), Map):
                    node = tnode.get(purpose).get(kind) or tnode
                path, escapes = None, None
                for d in dirs:
                    path, escapes = contained_template(d, fname)
                    if path is not None or escapes:
                        break
                if escapes:
                    self.err(node, f"{purpose}/{kind}: {escapes}")
                    continue
                if path is not None:
                    # the shipped templates are compiled by the test suite: only a team's own
                    # are compiled here (so the CLI path imports Jinja2 only for those)
                    problem = (
                        None
                        if path.is_relative_to(shipped)
                        else _template_syntax_problem(path, fname)
                    )
                    if problem:
                        self.err(node, f"{purpose}/{kind}: {problem}")
                    continue
                self.err(
                    node,
                    f"template {fname!r} for {purpose}/{kind} not found "
                    f"(looked in {', '.join(str(d) for d in dirs)})",
                )


# --------------------------------------------------------------------------- pinned copies

_CACHE: dict[str, Playbook] = {}


def playbook_from_text(text: str, source: str = "") -> Playbook:
    """Re-validate a playbook pinned in the database (cached by content)."""
    data = text.encode("utf-8")
    key = hashlib.sha256(data).hexdigest() + "\0" + source
    book = _CACHE.get(key)
    if book is None:
        book = parse_playbook(data, source or "<pinned playbook>", source=source)
        _CACHE[key] = book
    return book


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

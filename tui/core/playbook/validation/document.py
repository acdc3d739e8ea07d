"""The playbook document as a whole: its top-level keys, and the validator of every section.

:class:`Validator` checks the top level (format version, name, time zone, roles, ...)
and hands each section to the rules that own it: :mod:`.severity`, :mod:`.phases`,
:mod:`.messages`, :mod:`.recovery`. It returns a :class:`Playbook` only when no
problem was found; the problems are in ``problems`` either way.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from tui.core.playbook.model import FORMAT_VERSION, MessageChecks, Playbook, Role, frozen_map
from tui.core.playbook.templates import template_name_problem
from tui.core.playbook.validation.messages import MessageRules
from tui.core.playbook.validation.nodes import show, suggest
from tui.core.playbook.validation.phases import PhaseRules
from tui.core.playbook.validation.recovery import RecoveryRules
from tui.core.playbook.validation.severity import SeverityRules
from tui.core.yamlsafe.nodes import Node, Scalar


class Validator(SeverityRules, PhaseRules, MessageRules, RecoveryRules):
    """Every rule of the playbook format, section by section."""

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
                    f"templates_dir {show(templates_dir)} {problem}: "
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
                    f"{suggest(approval_role, [r.id for r in roles])}",
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
            protocols=frozen_map(protocols),
            phases=phases,
            postmortem_within=postmortem_within,
            channels=channels,
            templates=frozen_map({k: frozen_map(v) for k, v in templates.items()}),
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
            self.err(node, f"unknown time zone {show(name)} (use an IANA name like Europe/Paris)")
            return "UTC"
        return name

    def roles(self, node: Node) -> tuple[Role, ...]:
        out: list[Role] = []
        seen: dict[str, Node] = {}
        for item in self.seq(node, "roles"):
            f = self.fields(item, "a role", ("id", "title"))
            if not f or "id" not in f:
                continue
            rid = self.ident(f["id"], "role id")
            title = self.string(f["title"], "role title") if "title" in f else None
            if self.unique(seen, rid, f["id"], "role") and title is not None and rid:
                out.append(Role(rid, title))
        return tuple(out)

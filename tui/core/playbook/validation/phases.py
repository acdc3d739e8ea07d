"""Playbook rules for protocols, phases, their checklists and cadences.

A protocol lists phases by id; a phase may have a deadline (from detection), a
cadence (``every``, at most its ``max``, at most 24h), the message it closes with
and a checklist whose items are owned by defined roles; ``done_by: publish.PURPOSE``
lets publishing that message tick an item. Ids are unique across the file.
"""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from tui.core.playbook.model import MAX_CADENCE, STATUSES, Cadence, ChecklistItem, Phase
from tui.core.playbook.validation.nodes import NodeChecker, suggest
from tui.core.vocabulary import PUBLISH_PURPOSES
from tui.core.yamlsafe.nodes import Map, Node, Scalar


class PhaseRules(NodeChecker):
    """The ``protocols`` and ``phases`` sections."""

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
        out: list[Phase] = []
        seen: dict[str, Node] = {}
        seen_items: dict[str, Node] = {}
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
                        f"{suggest(owner, role_ids)}",
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
                f"cadence every {cast(Scalar, f['every']).value} is over its maximum "
                f"{cast(Scalar, f['max']).value}",  # both read as durations: scalars
            )
            return None
        if most > MAX_CADENCE:
            self.err(f.get("max", f["every"]), "cadence.max must be at most 24h")
            return None
        return Cadence(every, most)

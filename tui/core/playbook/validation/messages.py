"""Playbook rules for what the team says: channels, templates and message checks.

Templates map a purpose to a file per destination kind (or, for ``channel_reply``,
per channel); every channel needs a canned reply and every phase's closing message
a template. ``message_checks`` names forbidden phrases, jargon (and ``jargon_allow``: the
team's own words never flagged as jargon), the elements each
purpose requires and the longest message per destination kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tui.core.playbook.model import (
    MAX_SWAMPED_AT,
    SWAMPED_MODES,
    Channel,
    ChannelAction,
    MessageChecks,
    Phase,
    frozen_map,
)
from tui.core.playbook.validation.nodes import NodeChecker, show, suggest
from tui.core.vocabulary import (
    DESTINATION_KINDS,
    PUBLISH_PURPOSES,
    REQUIREMENTS,
    TEMPLATE_PURPOSES,
)
from tui.core.yamlsafe.nodes import Map, Node

_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")


class MessageRules(NodeChecker):
    """The ``channels``, ``templates`` and ``message_checks`` sections."""

    def channels(self, node: Node) -> tuple[Channel, ...]:
        out: list[Channel] = []
        seen: dict[str, Node] = {}
        for item in self.seq(node, "channels", allow_empty=True):
            f = self.fields(
                item,
                "a channel",
                ("id", "title"),
                ("tone", "actions", "swamped_at", "swamped_action", "swamped_mode"),
            )
            if not f or "id" not in f:
                continue
            cid = self.ident(f["id"], "channel id")
            title = self.string(f["title"], "channel title") if "title" in f else None
            tone = (self.string(f["tone"], "tone") if "tone" in f else "") or ""
            actions: list[ChannelAction] = []
            seen_actions: dict[str, Node] = {}
            for a in self.seq(f["actions"], "actions", allow_empty=True) if "actions" in f else ():
                g = self.fields(a, "a channel action", ("id", "text"), ("default",))
                if not g or "id" not in g:
                    continue
                aid = self.ident(g["id"], "action id")
                text = self.string(g["text"], "action text") if "text" in g else None
                default = self.boolean(g["default"], "default") if "default" in g else False
                if self.unique(seen_actions, aid, g["id"], "action") and aid and text:
                    actions.append(ChannelAction(aid, text, bool(default)))
            swamped = self.swamped(f, cid or "?", actions)
            if self.unique(seen, cid, f["id"], "channel") and cid and title:
                out.append(Channel(cid, title, tone, tuple(actions), *swamped))
        return tuple(out)

    def swamped(
        self, f: dict[str, Node], cid: str, actions: list[ChannelAction]
    ) -> tuple[int | None, str | None, str]:
        """``swamped_at`` (a positive count), the action it means, and propose | auto."""
        at = None
        if "swamped_at" in f:
            at = self.integer(f["swamped_at"], f"channel {cid!r}: swamped_at", 1, MAX_SWAMPED_AT)
        action = None
        if "swamped_action" in f:
            action = self.ident(f["swamped_action"], "swamped_action")
            ids = [a.id for a in actions]
            if action is not None and action not in ids:
                self.err(
                    f["swamped_action"],
                    f"channel {cid!r}: swamped_action {action!r} is not one of its actions "
                    f"({', '.join(ids) or 'it has none'}){suggest(action, ids)}",
                )
                action = None
        mode = "propose"
        if "swamped_mode" in f:
            mode = self.choice(f["swamped_mode"], "swamped_mode", SWAMPED_MODES) or mode
        if "swamped_at" in f and "swamped_action" not in f:
            self.err(
                f["swamped_at"],
                f"channel {cid!r}: swamped_at needs swamped_action "
                "(the id of the action that \u201cswamped\u201d turns on)",
            )
        for key in ("swamped_action", "swamped_mode"):
            if key in f and "swamped_at" not in f:
                self.err(f[key], f"channel {cid!r}: {key} needs swamped_at (how many waiting)")
        if at is None or action is None:
            return None, None, "propose"
        return at, action, mode

    def templates(self, node: Node, channels: tuple[Channel, ...]) -> dict[str, dict[str, str]]:
        if not isinstance(node, Map):
            self.err(node, "templates must be a mapping of purpose to {destination: file}")
            return {}
        out: dict[str, dict[str, str]] = {}
        for key, value in node.items:
            purpose = key.value
            if not isinstance(purpose, str) or purpose not in TEMPLATE_PURPOSES:
                self.err(
                    key,
                    f"unknown template purpose {show(purpose)} "
                    f"(one of: {', '.join(TEMPLATE_PURPOSES)})"
                    f"{suggest(str(purpose), TEMPLATE_PURPOSES)}",
                )
                continue
            kinds = [c.id for c in channels] if purpose == "channel_reply" else DESTINATION_KINDS
            what = "channel" if purpose == "channel_reply" else "destination kind"
            if not isinstance(value, Map) or not value.items:
                self.err(value, f"templates.{purpose} must map each {what} to a template file")
                continue
            entries: dict[str, str] = {}
            for k, v in value.items:
                kind = k.value
                if not isinstance(kind, str) or kind not in kinds:
                    self.err(
                        k,
                        f"unknown {what} {show(k.value)} in templates.{purpose} "
                        f"(one of: {', '.join(kinds)}){suggest(str(k.value), kinds)}",
                    )
                    continue
                fname = self.string(v, f"templates.{purpose}.{kind}")
                if fname is None:
                    continue
                if not _TEMPLATE_NAME.match(fname) or ".." in fname.split("/"):
                    self.err(v, f"template file name {show(fname)} must be a relative path")
                    continue
                entries[kind] = fname
            out[purpose] = entries
        return out

    def checks(self, node: Node) -> MessageChecks:
        f = self.fields(
            node,
            "message_checks",
            (),
            ("forbidden_phrases", "jargon", "jargon_allow", "require", "max_length"),
        )
        if not f:
            return MessageChecks()
        forbidden = (
            self.strings(f["forbidden_phrases"], "forbidden_phrases")
            if ("forbidden_phrases" in f)
            else ()
        )
        jargon = self.strings(f["jargon"], "jargon") if "jargon" in f else ()
        allow = self.strings(f["jargon_allow"], "jargon_allow") if "jargon_allow" in f else ()
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
                            f"unknown purpose {show(key.value)} in message_checks.require "
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
                            f"unknown destination kind {show(key.value)} in max_length "
                            f"(one of: {', '.join(DESTINATION_KINDS)})",
                        )
                        continue
                    n = self.integer(value, f"max_length.{key.value}", 1, 1_000_000)
                    if n is not None:
                        max_length[key.value] = n
        return MessageChecks(
            forbidden_phrases=forbidden,
            jargon=jargon,
            jargon_allow=allow,
            require=frozen_map(require),
            max_length=frozen_map(max_length),
        )

    def cross_checks(
        self,
        phases: tuple[Phase, ...],
        templates: Mapping[str, Mapping[str, str]],
        channels: tuple[Channel, ...],
        f: Mapping[str, Node],
    ) -> None:
        """Every phase's closing message has a template, every channel a canned reply."""
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

"""The words warroom's layers share, each defined once.

A purpose says what a published message is for; a requirement names an
element a message of some purpose must contain; a destination kind says what
sort of reader a message is written for (the message check judges each kind by
its own length and tone). Everything else imports these names rather than
retyping the strings, so a new purpose or kind is added in one place and the
type checker finds every ``match`` and table that must learn about it.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Purpose = Literal["ack", "update", "resolved", "postmortem", "amends"]
"""What a published update is for, in the order an incident uses them."""

PUBLISH_PURPOSES: Final[tuple[Purpose, ...]] = get_args(Purpose)

PROMISING: Final[tuple[Purpose, ...]] = ("ack", "update")
"""Purposes that promise the next update (and so start a countdown)."""

CLOSING: Final[tuple[Purpose, ...]] = ("resolved", "postmortem", "amends")
"""Purposes published once the incident is resolved: they promise no next update."""

TemplatePurpose = Literal[Purpose, "channel_reply"]
"""Every purpose a playbook template may have: publish purposes plus channel replies."""

TEMPLATE_PURPOSES: Final[tuple[str, ...]] = (*PUBLISH_PURPOSES, "channel_reply")

Requirement = Literal[
    "apology", "ownership", "next_update", "restore_time", "thanks", "postmortem_promise"
]
"""An element a message must contain (playbook ``message_checks.require``)."""

REQUIREMENTS: Final[tuple[Requirement, ...]] = get_args(Requirement)

DestinationKind = Literal["statuspage", "social", "email", "webhook"]
"""What sort of reader a message is written for; the check's ``--kind``."""

DESTINATION_KINDS: Final[tuple[DestinationKind, ...]] = get_args(DestinationKind)

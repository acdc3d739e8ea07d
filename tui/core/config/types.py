"""Destination types: the keys each ``type:`` takes, its secrets and its defaults.

One table (:data:`TYPE_KEYS`) says, per type, which keys are allowed (in the
order errors list them), which are required, which secrets it reads (given as
``NAME_env`` or ``NAME_file``, never as a value) and its default ``base_url``.
The loader (:mod:`tui.core.config.loading`) checks a config against it; the
adapters (:mod:`tui.publish.destinations`) read the values it admitted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Final

TYPES = (
    "statuspage",
    "instatus",
    "cachet",
    "openstatus",
    "betterstack",
    "slack",
    "mattermost",
    "teams",
    "discord",
    "webhook",
    "email",
)
CHAT_TYPES = ("slack", "mattermost", "teams", "discord")
DEFAULT_STATUSPAGE = "https://api.statuspage.io/v1"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_KEY_FILE_MAX = 64 * 1024

# what each secret is called in messages ("key file ...", "the key in ...")
SECRET_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {"api_key": "key", "url": "webhook URL", "secret": "signing secret", "password": "password"}
)


@dataclass(frozen=True, slots=True)
class TypeKeys:
    """The keys one destination ``type:`` takes (beyond ``id`` and ``type``)."""

    keys: tuple[str, ...]  # every allowed key, in the order the error message lists them
    required: tuple[str, ...]  # keys that must be given (secrets: see ``secrets``)
    secrets: Mapping[str, bool]  # secret name -> required (given as NAME_env or NAME_file)
    base_url: str | None = None  # the default base_url; None: required when allowed


STALE_AFTER: Final = timedelta(minutes=10)
"""The default ``stale_after``: how long a delivery may wait before a person is told."""
_STALE_BOUNDS = (timedelta(minutes=1), timedelta(hours=24))

_LIMITS = ("rate_per_second", "timeout", "stale_after")
_API_KEY = ("api_key_env", "api_key_file")
_CHAT = TypeKeys(("url", "url_env", "url_file", "components", *_LIMITS), (), {"url": False})

TYPE_KEYS: Final[Mapping[str, TypeKeys]] = MappingProxyType(
    {
        "statuspage": TypeKeys(
            ("base_url", "page_id", *_API_KEY, "components", "notify_subscribers", *_LIMITS),
            ("page_id",),
            {"api_key": True},
            DEFAULT_STATUSPAGE,
        ),
        "instatus": TypeKeys(
            ("base_url", "page_id", *_API_KEY, "components", "notify_subscribers", *_LIMITS),
            ("page_id",),
            {"api_key": True},
            "https://api.instatus.com",
        ),
        "cachet": TypeKeys(
            ("base_url", "version", *_API_KEY, "components", "notify_subscribers", *_LIMITS),
            ("base_url",),
            {"api_key": True},
            None,
        ),
        "openstatus": TypeKeys(
            ("base_url", "page_id", *_API_KEY, "components", *_LIMITS),
            ("page_id",),
            {"api_key": True},
            "https://api.openstatus.dev/v1",
        ),
        "betterstack": TypeKeys(
            (
                "base_url",
                "status_page_id",
                *_API_KEY,
                "components",
                "notify_subscribers",
                *_LIMITS,
            ),
            ("status_page_id",),
            {"api_key": True},
            "https://uptime.betterstack.com/api/v2",
        ),
        "slack": _CHAT,
        "mattermost": _CHAT,
        "teams": _CHAT,
        "discord": _CHAT,
        "webhook": TypeKeys(
            ("url", "secret_env", "secret_file", "components", *_LIMITS),
            ("url",),
            {"secret": False},
        ),
        "email": TypeKeys(
            (
                "host",
                "port",
                "starttls",
                "tls",
                "username",
                "password_env",
                "password_file",
                "from",
                "to",
                "to_file",
                "components",
                *_LIMITS,
            ),
            ("host", "from"),
            {"password": False},
        ),
    }
)
"""Destination ``type:`` -> its keys: allowed, required, secrets, default base_url."""


# --- queue sources (config ``channels:``) ------------------------------------------------

SOURCES = ("zendesk", "freshdesk", "intercom", "json", "command")

# what each queue source's secret is called in messages
SOURCE_SECRET_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {"token": "token", "api_key": "API key", "url": "URL"}
)

EVERY_DEFAULT: Final = timedelta(seconds=60)
EVERY_BOUNDS: Final = (timedelta(seconds=5), timedelta(hours=1))
SOURCE_TIMEOUT_BOUNDS: Final = (1.0, 120.0)


@dataclass(frozen=True, slots=True)
class SourceKeys:
    """The keys one queue ``source:`` takes (beyond ``source``, ``every``, ``timeout``)."""

    keys: tuple[str, ...]  # every allowed key, in the order the error message lists them
    required: tuple[str, ...]  # keys that must be given
    secrets: Mapping[str, bool]  # secret name -> required (given as NAME_env or NAME_file)
    one_of: tuple[str, ...] = ()  # exactly one of these must be given ("" if none)


SOURCE_KEYS: Final[Mapping[str, SourceKeys]] = MappingProxyType(
    {
        "zendesk": SourceKeys(
            ("subdomain", "base_url", "email", "token_env", "token_file", "query", "oldest"),
            ("email", "query"),
            {"token": True},
            ("subdomain", "base_url"),
        ),
        "freshdesk": SourceKeys(
            ("domain", "base_url", "api_key_env", "api_key_file", "query"),
            ("query",),
            {"api_key": True},
            ("domain", "base_url"),
        ),
        "intercom": SourceKeys(
            ("base_url", "token_env", "token_file", "query", "oldest"),
            (),
            {"token": True},
        ),
        "json": SourceKeys(
            ("url", "url_env", "headers_env", "count", "oldest"),
            ("count",),
            {},
            ("url", "url_env"),
        ),
        "command": SourceKeys(("command", "count", "oldest"), ("command",), {}),
    }
)
"""Queue ``source:`` -> its keys: allowed, required, secrets, exactly-one-of."""

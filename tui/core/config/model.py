"""What a loaded config is: :class:`Config`, its :class:`Destination` s, and their secrets.

A destination holds where its secrets are (variable or file names), never a
value: :meth:`Destination.secret` reads one at send time and checks it (one line
of printable ASCII), and its errors name the variable or the file, never the value.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tui.core.config.types import (
    _KEY_FILE_MAX,
    SECRET_LABELS,
    SOURCE_SECRET_LABELS,
    STALE_AFTER,
    TYPE_KEYS,
)
from tui.core.yamlsafe import Problem


class ConfigError(Exception):
    def __init__(self, problems: list[Problem], *, keymap: bool = False):
        self.problems = problems
        self.keymap = keymap  # a problem is in the keymap: the dashboard must not start
        super().__init__("\n".join(str(p) for p in problems))


class SecretError(Exception):
    """A secret could not be read; the message names where we looked, never a value."""


@dataclass(frozen=True, slots=True)
class Destination:
    id: str
    type: str
    base_url: str
    page_id: str = ""  # the provider's page (Better Stack: status_page_id); "" for chat and email
    api_key_env: str | None = None
    api_key_file: str | None = None
    components: Any = field(default_factory=lambda: MappingProxyType({}))
    notify_subscribers: bool = True
    rate_per_second: float = 1.0
    timeout: float = 10.0
    # a row waiting (or retrying) longer than this is named on the dashboard header
    stale_after: timedelta = STALE_AFTER
    # validated type-specific values (cachet {"version"}, webhook/chat {"url"}, email {...})
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # secret name ("url", "secret", "password") -> (environment variable, file); api_key
    # lives in api_key_env / api_key_file. Names of places only: never a value.
    secret_refs: Mapping[str, tuple[str | None, str | None]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def api_key(self) -> str:
        """The key, read now from the environment variable or the 0600 file, and checked.

        A key is one line of printable ASCII without spaces (a trailing newline
        and blank lines after it are fine); anything else -- a comment line, a
        second key, a non-ASCII or control character -- is a :class:`SecretError`
        that names the variable or the file, never the value.
        """
        value = self.secret("api_key")
        if value is None:
            raise SecretError(
                f"destination {self.id!r}: no key configured (api_key_env or api_key_file)"
            )
        return value

    def secret(self, name: str) -> str | None:
        """The secret ``name`` (api_key, url, secret, password), read now and checked.

        Read from ``<name>_env`` or the 0600 ``<name>_file`` at every call (never
        kept); the checks of :meth:`api_key`. None when it is not configured and
        the destination's type makes it optional; every error names the variable
        or the file, never the value.
        """
        label = SECRET_LABELS.get(name)
        if label is None:
            raise ValueError(f"unknown secret {name!r} (known: {', '.join(SECRET_LABELS)})")
        if name == "api_key":
            env, file = self.api_key_env, self.api_key_file
        else:
            env, file = self.secret_refs.get(name, (None, None))
        if not env and not file:
            spec = TYPE_KEYS.get(self.type)
            if spec is not None and not spec.secrets.get(name, False):
                return None
            raise SecretError(
                f"destination {self.id!r}: no {label} configured ({name}_env or {name}_file)"
            )
        return read_secret(f"destination {self.id!r}", label, env, file)


def read_secret(
    owner: str, label: str, env: str | None, file: str | None, *, spaces: bool = False
) -> str:
    """A secret read now from environment variable ``env`` or the 0600 file ``file``, checked.

    One line of printable ASCII (without spaces unless ``spaces``: a header value
    such as ``Bearer abc`` has one); a trailing newline and blank lines after it
    are fine. Every :class:`SecretError` starts with ``owner`` ("destination
    'status'", "channel 'tickets'") and names the variable or the file, never the value.
    """
    if env:
        value = os.environ.get(env, "")
        where = f"environment variable {env}"
        if not value.strip():
            raise SecretError(f"{owner}: {where} is not set")
        return _checked(owner, value, where, label, spaces)
    if not file:
        raise SecretError(f"{owner}: no {label} configured")
    path = Path(file).expanduser()
    where = f"{label} file {path}"
    try:
        st = path.stat()
    except OSError as exc:
        raise SecretError(f"{owner}: cannot read {label} file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise SecretError(f"{owner}: {where} is not a regular file")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise SecretError(
            f"{owner}: {label} file {path} must be private "
            f"(mode 0600; it is {stat.S_IMODE(st.st_mode):04o})"
        )
    try:
        with path.open("rb") as f:
            data = f.read(_KEY_FILE_MAX + 1)
    except OSError as exc:
        raise SecretError(f"{owner}: cannot read {label} file {path}: {exc.strerror}") from None
    if len(data) > _KEY_FILE_MAX:
        raise SecretError(f"{owner}: {where} is too large to be a {label}")
    if not data.strip():
        raise SecretError(f"{owner}: {label} file {path} is empty")
    # bytes, not text: a decoding error would quote a byte of the secret
    return _checked(owner, data.decode("latin-1"), where, label, spaces)


def _checked(owner: str, raw: str, where: str, label: str, spaces: bool = False) -> str:
    value = raw.strip(" \t\r\n")
    if not value:
        raise SecretError(f"{owner}: {where} is empty")
    if "\n" in value or "\r" in value:
        raise SecretError(
            f"{owner}: {where} holds more than one line; it must hold "
            f"the {label} alone (no comment, no second key)"
        )
    low = " " if spaces else "!"
    bad = next((i for i, ch in enumerate(value) if not low <= ch <= "~"), None)
    if bad is not None:
        raise SecretError(
            f"{owner}: the {label} in {where} must be printable ASCII"
            f"{'' if spaces else ' without spaces'} (character {bad + 1} is not)"
        )
    return value


@dataclass(frozen=True, slots=True)
class QueueSource:
    """Where one support channel's queue is counted (config ``channels:``).

    ``channel``: the playbook channel id it fills; ``source``: zendesk | freshdesk |
    intercom | json | command; ``every``: the poll interval; ``options``: the
    validated type-specific values (subdomain, email, query, url, count, oldest,
    command...); ``secret_refs``: secret name -> (environment variable, file) --
    names of places only, never a value (``headers_env`` maps a header to a
    variable name and lives in ``options``).
    """

    channel: str
    source: str
    every: timedelta = timedelta(seconds=60)
    timeout: float = 10.0
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    secret_refs: Mapping[str, tuple[str | None, str | None]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    line: int = 0  # where it is in the config file, for messages

    def secret(self, name: str) -> str:
        """The secret ``name`` (token, api_key, url), read now and checked.

        Read from ``<name>_env`` or the 0600 ``<name>_file`` at every call (never
        kept), with the checks of :meth:`Destination.api_key`; every error names the
        variable or the file, never the value.
        """
        label = SOURCE_SECRET_LABELS.get(name)
        if label is None:
            known = ", ".join(SOURCE_SECRET_LABELS)
            raise ValueError(f"unknown secret {name!r} (known: {known})")
        env, file = self.secret_refs.get(name, (None, None))
        if not env and not file:
            raise SecretError(
                f"channel {self.channel!r}: no {label} configured ({name}_env or {name}_file)"
            )
        return read_secret(f"channel {self.channel!r}", label, env, file)

    def headers(self) -> dict[str, str]:
        """The ``headers_env`` headers, each value read now from its variable (and checked:
        one line of printable ASCII, spaces allowed); errors name the variable."""
        refs: Mapping[str, str] = self.options.get("headers_env") or {}
        return {
            header: read_secret(
                f"channel {self.channel!r}", f"{header} header", env, None, spaces=True
            )
            for header, env in refs.items()
        }


@dataclass(frozen=True, slots=True)
class Config:
    destinations: tuple[Destination, ...] = ()
    source: str = ""
    # action id -> the keys that replace its defaults (Textual's names: ctrl+p, question_mark)
    keymap: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    # config ``channels:``: channel id -> where its queue is counted, in file order
    queue_sources: tuple[QueueSource, ...] = ()

    def destination(self, dest_id: str) -> Destination | None:
        return next((d for d in self.destinations if d.id == dest_id), None)

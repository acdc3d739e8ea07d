"""The user's config: where updates are published (destinations) and how to find their keys.

```yaml
destinations:
  - id: status
    type: statuspage
    base_url: https://api.statuspage.io/v1
    page_id: abc123
    api_key_env: STATUSPAGE_API_KEY   # or api_key_file: a file that must be mode 0600
    components: {API: 8kbf7d35c070}
keymap:                             # optional: action id -> key, or a list of keys
  publish: ctrl+u
  next_phase: [n, ctrl+right]
```

Strict like the playbook: unknown keys are errors, every problem is
``FILE:LINE:COL: message``. A keymap is checked against the action table
(:mod:`tui.core.actions`): an unknown action id, a string that is not a key,
or two actions on one key where both are live is an error (and
:attr:`ConfigError.keymap` says the keymap is at fault: the dashboard refuses
to start on it rather than open with keys the user did not ask for).

API keys are never read here into anything that is stored or shown:
:meth:`Destination.api_key` reads the environment variable or the file at send
time, and errors name the variable or file, never a key.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from tui.core import actions
from tui.core.durations import DurationError, parse_duration
from tui.core.yamlsafe import Map, Node, Problem, Scalar, Seq, YamlLoadError, load_bytes, read_file

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
        if env:
            value = os.environ.get(env, "")
            where = f"environment variable {env}"
            if not value.strip():
                raise SecretError(f"destination {self.id!r}: {where} is not set")
            return self._checked(value, where, label)
        assert file
        path = Path(file).expanduser()
        where = f"{label} file {path}"
        try:
            st = path.stat()
        except OSError as exc:
            raise SecretError(
                f"destination {self.id!r}: cannot read {label} file {path}: {exc.strerror}"
            ) from None
        if not stat.S_ISREG(st.st_mode):
            raise SecretError(f"destination {self.id!r}: {where} is not a regular file")
        if stat.S_IMODE(st.st_mode) & 0o077:
            raise SecretError(
                f"destination {self.id!r}: {label} file {path} must be private "
                f"(mode 0600; it is {stat.S_IMODE(st.st_mode):04o})"
            )
        try:
            with path.open("rb") as f:
                data = f.read(_KEY_FILE_MAX + 1)
        except OSError as exc:
            raise SecretError(
                f"destination {self.id!r}: cannot read {label} file {path}: {exc.strerror}"
            ) from None
        if len(data) > _KEY_FILE_MAX:
            raise SecretError(f"destination {self.id!r}: {where} is too large to be a {label}")
        if not data.strip():
            raise SecretError(f"destination {self.id!r}: {label} file {path} is empty")
        # bytes, not text: a decoding error would quote a byte of the secret
        return self._checked(data.decode("latin-1"), where, label)

    def _checked(self, raw: str, where: str, label: str = "key") -> str:
        value = raw.strip(" \t\r\n")
        if not value:
            raise SecretError(f"destination {self.id!r}: {where} is empty")
        if "\n" in value or "\r" in value:
            raise SecretError(
                f"destination {self.id!r}: {where} holds more than one line; it must hold "
                f"the {label} alone (no comment, no second key)"
            )
        bad = next((i for i, ch in enumerate(value) if not "!" <= ch <= "~"), None)
        if bad is not None:
            raise SecretError(
                f"destination {self.id!r}: the {label} in {where} must be printable ASCII "
                f"without spaces (character {bad + 1} is not)"
            )
        return value


@dataclass(frozen=True, slots=True)
class Config:
    destinations: tuple[Destination, ...] = ()
    source: str = ""
    # action id -> the keys that replace its defaults (Textual's names: ctrl+p, question_mark)
    keymap: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def destination(self, dest_id: str) -> Destination | None:
        return next((d for d in self.destinations if d.id == dest_id), None)


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("warroom", appauthor=False)) / "config.yaml"


def load_config(path: str | os.PathLike[str] | None, *, required: bool = False) -> Config:
    """The config at ``path`` (or WARROOM_CONFIG, or the default); empty if there is none."""
    explicit = path or os.environ.get("WARROOM_CONFIG")
    target = Path(explicit).expanduser() if explicit else default_config_path()
    if not target.exists() and not explicit and not required:
        return Config()
    try:
        data, name = read_file(target)
        root = load_bytes(data, name)
    except YamlLoadError as exc:
        raise ConfigError(list(exc.problems)) from None
    return parse_config(root, name, str(target))


def parse_config(root: Node, name: str, source: str = "") -> Config:
    problems: list[Problem] = []

    def err(node: Node | None, message: str) -> None:
        mark = (node or root).mark  # (None: a key that was checked to be there)
        problems.append(Problem(name, mark.line, mark.col, message))

    if not isinstance(root, Map):
        err(root, "the config must be a mapping with a 'destinations' list")
        raise ConfigError(problems)
    for key, _ in root.items:
        if key.value not in ("destinations", "keymap"):
            err(key, f"unknown key {key.text!r} in the config (allowed: destinations, keymap)")
    keymap_problems: list[Problem] = []
    keymap = parse_keymap(
        root.get("keymap"),
        lambda n, m: keymap_problems.append(Problem(name, n.mark.line, n.mark.col, m)),
    )
    problems += keymap_problems
    dests: list[Destination] = []
    node = root.get("destinations")
    if node is not None and not isinstance(node, Seq):
        err(node, "destinations must be a list")
    seen: dict[str, int] = {}
    for item in node.items if isinstance(node, Seq) else ():
        if not isinstance(item, Map):
            err(item, "a destination must be a mapping")
            continue
        dest = _parse_destination(item, err, seen)
        if dest is not None:
            dests.append(dest)
    if problems:
        raise ConfigError(
            sorted(problems, key=lambda p: (p.line, p.col)), keymap=bool(keymap_problems)
        )
    return Config(tuple(dests), source, MappingProxyType(keymap))


# a value that is a secret, given in the config itself: refused with these words
_PLAIN_SECRETS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "api_key": "never put an API key in the config: use api_key_env "
        "(an environment variable) or api_key_file (a 0600 file)",
        "secret": "never put the signing secret in the config: use secret_env "
        "(an environment variable) or secret_file (a 0600 file)",
        "password": "never put a password in the config: use password_env "
        "(an environment variable) or password_file (a 0600 file)",
    }
)


def _parse_destination(
    item: Map, err: Callable[[Node | None, str], None], seen: dict[str, int]
) -> Destination | None:
    """One destination, or None when it has a problem (each told to ``err`` at its place)."""
    counted = _Count(err)
    err = counted  # counts the problems of this destination

    def text(node: Node, what: str) -> str | None:
        if isinstance(node, Scalar) and isinstance(node.value, str) and node.value.strip():
            return node.value.strip()
        err(node, f"{what} must be non-empty text")
        return None

    def ident(node: Node, what: str) -> str | None:
        """An id on the provider: text or a whole number (Cachet, Better Stack use numbers)."""
        v = node.value if isinstance(node, Scalar) else None
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            return str(v)
        return text(node, what)

    def flag(node: Node, what: str) -> bool | None:
        if isinstance(node, Scalar) and isinstance(node.value, bool):
            return node.value
        err(node, f"{what} must be true or false")
        return None

    def url(node: Node, what: str) -> str | None:
        value = text(node, what)
        if value and not value.startswith(("https://", "http://")):
            err(node, f"{what} must start with https:// (or http:// for a local page)")
            return None
        return value

    fields: dict[str, Any] = {}
    for required in ("id", "type"):
        given = item.get(required)
        if given is None:
            err(item, f"a destination is missing required key {required!r}")
        else:
            fields[required] = text(given, required)
    if fields.get("id") and not _ID.match(fields["id"]):
        err(item.get("id"), "id must be lowercase letters, digits, '-' or '_'")
        fields["id"] = None
    if fields.get("id"):
        if fields["id"] in seen:
            err(
                item.get("id"),
                f"duplicate destination id {fields['id']!r} (first at line {seen[fields['id']]})",
            )
        seen[fields["id"]] = (item.get("id") or item).mark.line
    kind = fields.get("type")
    if kind and kind not in TYPES:
        err(item.get("type"), f"unknown destination type {kind!r} (supported: {', '.join(TYPES)})")
        return None
    if not kind:
        return None
    spec = TYPE_KEYS[kind]
    # statuspage keeps the words it always had; the other types say which type
    a_dest = (
        "a destination"
        if kind == "statuspage"
        else f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} destination"
    )
    allowed = ("id", "type", *spec.keys)
    for key, given_value in item.items:
        if key.value in _PLAIN_SECRETS:
            err(given_value, _PLAIN_SECRETS[str(key.value)])
        elif key.value not in allowed:
            err(key, f"unknown key {key.text!r} in {a_dest} (allowed: {', '.join(allowed)})")
    for required in spec.required:
        given = item.get(required)
        if given is None:
            err(item, f"{a_dest} is missing required key {required!r}")
    options: dict[str, Any] = {}
    # where the provider is ------------------------------------------------------
    if "base_url" in spec.keys:
        base = item.get("base_url")
        fields["base_url"] = url(base, "base_url") if base is not None else spec.base_url
    else:
        fields["base_url"] = ""
    if (given := item.get("page_id")) is not None and "page_id" in spec.keys:
        if kind == "openstatus":
            v = given.value if isinstance(given, Scalar) else None
            if isinstance(v, str) and v.strip().isdigit():
                v = int(v.strip())
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                err(given, "page_id must be a number (openstatus page ids are numbers)")
            else:
                fields["page_id"] = str(v)
        else:
            fields["page_id"] = text(given, "page_id")
    if (given := item.get("status_page_id")) is not None and "status_page_id" in spec.keys:
        fields["page_id"] = ident(given, "status_page_id")
    if (given := item.get("version")) is not None and "version" in spec.keys:
        v = given.value if isinstance(given, Scalar) else None
        if isinstance(v, bool) or v not in (2, 3, "2", "3"):
            err(given, "version must be 2 (Cachet 2.x, base_url ending in /api/v1) or 3")
        else:
            options["version"] = 2 if v in (2, "2") else 3
    elif kind == "cachet":
        options["version"] = 3
    # secrets: the names of the places they are read from, never a value ----------------
    refs: dict[str, tuple[str | None, str | None]] = {}
    for secret, must in spec.secrets.items():
        env, file = item.get(f"{secret}_env"), item.get(f"{secret}_file")
        plain = item.get(secret) if secret == "url" else None
        if kind in CHAT_TYPES and secret == "url":
            if sum(n is not None for n in (plain, env, file)) != 1:
                err(
                    item,
                    f"{a_dest} needs exactly one of url_env or url_file (the webhook URL "
                    "is a secret), or url (a local sink)",
                )
            if plain is not None and (plain_url := url(plain, "url")):
                options["url"] = plain_url
        elif (env is not None and file is not None) or (must and env is None and file is None):
            err(item, f"{a_dest} needs exactly one of {secret}_env or {secret}_file")
        env_name = file_name = None
        if env is not None:
            env_name = text(env, f"{secret}_env")
            if env_name and not _ENV.match(env_name):
                err(env, f"{secret}_env must be the NAME of an environment variable")
        if file is not None:
            file_name = text(file, f"{secret}_file")
        if secret == "api_key":
            fields["api_key_env"], fields["api_key_file"] = env_name, file_name
        elif env_name or file_name:
            refs[secret] = (env_name, file_name)
    if kind == "webhook" and (given := item.get("url")) is not None:
        options["url"] = url(given, "url")
    if kind == "email":
        has_password = item.get("password_env") is not None or item.get("password_file") is not None
        _email_options(item, options, err, text, flag, has_password)
    # what it shows -------------------------------------------------------------------
    comps = item.get("components")
    components: dict[str, str] = {}
    if comps is not None:
        if isinstance(comps, Seq) and "base_url" not in spec.keys:
            # chat, webhook, email: no provider ids, the names are what is shown
            for entry in comps.items:
                if cname := text(entry, "a component name"):
                    components[cname] = cname
        elif not isinstance(comps, Map):
            err(comps, "components must map a component name to its id on the page")
        else:
            for k, component in comps.items:
                cid = ident(component, f"component {k.text!r}")
                if cid:
                    components[str(k.value)] = cid
    fields["components"] = MappingProxyType(components)
    notify = item.get("notify_subscribers")
    if notify is not None and "notify_subscribers" in spec.keys:
        fields["notify_subscribers"] = flag(notify, "notify_subscribers")
    for limited, lo, hi in (("rate_per_second", 0.01, 100.0), ("timeout", 1.0, 120.0)):
        given = item.get(limited)
        if given is None:
            continue
        v = given.value if isinstance(given, Scalar) else None
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            err(given, f"{limited} must be a number from {lo:g} to {hi:g}")
        else:
            fields[limited] = float(v)
    stale = item.get("stale_after")
    if stale is not None:
        try:
            if not isinstance(stale, Scalar) or not isinstance(stale.value, str):
                raise DurationError("not text")
            wait = parse_duration(stale.value)
        except DurationError:
            wait = None
        if wait is None or not _STALE_BOUNDS[0] <= wait <= _STALE_BOUNDS[1]:
            err(stale, "stale_after must be a duration from 1m to 24h (such as 10m)")
        else:
            fields["stale_after"] = wait
    if counted.count:
        return None
    fields["options"] = MappingProxyType(options)
    fields["secret_refs"] = MappingProxyType(refs)
    return Destination(**{k: v for k, v in fields.items() if v is not None})


class _Count:
    """An ``err`` that counts what it was told."""

    def __init__(self, err: Callable[[Node | None, str], None]):
        self.err = err
        self.count = 0

    def __call__(self, node: Node | None, message: str) -> None:
        self.count += 1
        self.err(node, message)


def _email_options(
    item: Map,
    options: dict[str, Any],
    err: Callable[[Node | None, str], None],
    text: Callable[[Node, str], str | None],
    flag: Callable[[Node, str], bool | None],
    has_password: bool,
) -> None:
    """host, port (587; 465 means TLS), starttls/tls, username (with a password), from, to."""
    if (given := item.get("host")) is not None:
        options["host"] = text(given, "host")
    port = 587
    if (given := item.get("port")) is not None:
        v = given.value if isinstance(given, Scalar) else None
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 65535:
            err(given, "port must be a number from 1 to 65535 (587: STARTTLS, 465: TLS)")
        else:
            port = v
    options["port"] = port
    tls_node, starttls_node = item.get("tls"), item.get("starttls")
    tls = flag(tls_node, "tls") if tls_node is not None else port == 465
    starttls = flag(starttls_node, "starttls") if starttls_node is not None else not tls
    if tls and starttls:
        err(
            starttls_node or tls_node,
            "starttls and tls exclude each other: tls is TLS from the start (port 465), "
            "starttls upgrades a plain connection (port 587)",
        )
    options["tls"], options["starttls"] = bool(tls), bool(starttls)
    username = None
    if (given := item.get("username")) is not None:
        username = text(given, "username")
    if (given is not None) != has_password:
        err(
            given or item,
            "username and password_env (or password_file) go together: give both or neither",
        )
    options["username"] = username
    if (given := item.get("from")) is not None:
        sender = text(given, "from")
        if sender and "@" not in sender:
            err(given, "from must be an email address (status@acme.example)")
        options["from"] = sender
    to: list[str] = []
    if (given := item.get("to")) is not None:
        entries = given.items if isinstance(given, Seq) else (given,)
        for entry in entries:
            address = text(entry, "an address in to")
            if address and "@" not in address:
                err(entry, f"{address!r} in to is not an email address")
            elif address:
                to.append(address)
        if isinstance(given, Seq) and not entries:
            err(given, "to is an empty list: give an address, or leave it out and use to_file")
    options["to"] = tuple(to)
    options["to_file"] = None
    if (given := item.get("to_file")) is not None:
        options["to_file"] = text(given, "to_file")
    elif item.get("to") is None:
        err(item, "an email destination needs to (addresses) and/or to_file (one address a line)")


def parse_keymap(node: Node | None, err: Callable[[Node, str], None]) -> dict[str, tuple[str, ...]]:
    """``keymap:`` as action id -> keys (normalized), each problem told to ``err`` at its place."""
    if node is None:
        return {}
    if not isinstance(node, Map):
        err(node, "keymap must map an action id to a key or a list of keys (keymap: {publish: P})")
        return {}
    keymap: dict[str, tuple[str, ...]] = {}
    where: dict[str, Node] = {}
    for name, value in node.items:
        action_id = str(name.value)
        if action_id not in actions.BY_ID:
            err(name, f"unknown action {name.text!r} in keymap (the README lists the action ids)")
            continue
        if action_id in keymap:
            err(name, f"action {action_id!r} is in the keymap twice")
            continue
        items = value.items if isinstance(value, Seq) else (value,)
        keys: list[str] = []
        for item in items:
            raw = item.value if isinstance(item, Scalar) else None
            if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 9:
                raw = str(raw)  # keymap: {checklist: 1}
            if not isinstance(raw, str):
                err(item, f"the key for {action_id!r} must be a key name such as ctrl+p")
                continue
            try:
                keys.append(actions.normalize_key(raw))
            except actions.KeyError_ as exc:
                err(item, f"keymap {action_id}: {exc}")
        if not items:
            err(value, f"keymap {action_id}: give at least one key")
        elif len(keys) == len(items):
            keymap[action_id] = tuple(dict.fromkeys(keys))
            where[action_id] = value
    for action_id, key, other in actions.clashes(keymap, changed=keymap):
        err(
            where[action_id],
            f"keymap {action_id}: {key} is already the key of {other!r} where both apply "
            f"(give {other!r} another key too, or choose another)",
        )
    return keymap

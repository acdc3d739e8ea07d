"""Reading the config file: strict per-type keys, every problem ``FILE:LINE:COL: message``.

Unknown keys are errors naming the keys the destination's type takes
(:data:`tui.core.config.types.TYPE_KEYS`); a secret written as a value is
refused at its place without quoting it; all problems are collected and raised
together as one :class:`~tui.core.config.model.ConfigError`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from tui.core.config.keymap import parse_keymap
from tui.core.config.model import Config, ConfigError, Destination
from tui.core.config.queues import parse_channels
from tui.core.config.types import _ENV, _ID, _STALE_BOUNDS, CHAT_TYPES, TYPE_KEYS, TYPES
from tui.core.durations import DurationError, parse_duration
from tui.core.yamlsafe import Map, Node, Problem, Scalar, Seq, YamlLoadError, load_bytes, read_file


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
        if key.value not in ("destinations", "keymap", "channels"):
            err(
                key,
                f"unknown key {key.text!r} in the config (allowed: destinations, keymap, channels)",
            )
    keymap_problems: list[Problem] = []
    keymap = parse_keymap(
        root.get("keymap"),
        lambda n, m: keymap_problems.append(Problem(name, n.mark.line, n.mark.col, m)),
    )
    problems += keymap_problems
    queue_sources = parse_channels(root.get("channels"), err)
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
    return Config(tuple(dests), source, MappingProxyType(keymap), queue_sources)


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

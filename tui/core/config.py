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
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tui.core import actions
from tui.core.yamlsafe import Map, Node, Problem, Scalar, Seq, YamlLoadError, load_bytes, read_file

TYPES = ("statuspage",)
DEFAULT_STATUSPAGE = "https://api.statuspage.io/v1"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_KEY_FILE_MAX = 64 * 1024


class ConfigError(Exception):
    def __init__(self, problems: list[Problem], *, keymap: bool = False):
        self.problems = problems
        self.keymap = keymap  # a problem is in the keymap: the dashboard must not start
        super().__init__("\n".join(str(p) for p in problems))


class SecretError(Exception):
    """The key could not be read; the message names where we looked, never a key."""


@dataclass(frozen=True, slots=True)
class Destination:
    id: str
    type: str
    base_url: str
    page_id: str
    api_key_env: str | None = None
    api_key_file: str | None = None
    components: Any = field(default_factory=lambda: MappingProxyType({}))
    notify_subscribers: bool = True
    rate_per_second: float = 1.0
    timeout: float = 10.0

    def api_key(self) -> str:
        """The key, read now from the environment variable or the 0600 file, and checked.

        A key is one line of printable ASCII without spaces (a trailing newline
        and blank lines after it are fine); anything else -- a comment line, a
        second key, a non-ASCII or control character -- is a :class:`SecretError`
        that names the variable or the file, never the value.
        """
        if self.api_key_env:
            value = os.environ.get(self.api_key_env, "")
            where = f"environment variable {self.api_key_env}"
            if not value.strip():
                raise SecretError(f"destination {self.id!r}: {where} is not set")
            return self._checked(value, where)
        assert self.api_key_file
        path = Path(self.api_key_file).expanduser()
        where = f"key file {path}"
        try:
            st = path.stat()
        except OSError as exc:
            raise SecretError(
                f"destination {self.id!r}: cannot read key file {path}: {exc.strerror}"
            ) from None
        if not stat.S_ISREG(st.st_mode):
            raise SecretError(f"destination {self.id!r}: {where} is not a regular file")
        if stat.S_IMODE(st.st_mode) & 0o077:
            raise SecretError(
                f"destination {self.id!r}: key file {path} must be private "
                f"(mode 0600; it is {stat.S_IMODE(st.st_mode):04o})"
            )
        try:
            with path.open("rb") as f:
                data = f.read(_KEY_FILE_MAX + 1)
        except OSError as exc:
            raise SecretError(
                f"destination {self.id!r}: cannot read key file {path}: {exc.strerror}"
            ) from None
        if len(data) > _KEY_FILE_MAX:
            raise SecretError(f"destination {self.id!r}: {where} is too large to be a key")
        if not data.strip():
            raise SecretError(f"destination {self.id!r}: key file {path} is empty")
        # bytes, not text: a decoding error would quote a byte of the key
        return self._checked(data.decode("latin-1"), where)

    def _checked(self, raw: str, where: str) -> str:
        value = raw.strip(" \t\r\n")
        if not value:
            raise SecretError(f"destination {self.id!r}: {where} is empty")
        if "\n" in value or "\r" in value:
            raise SecretError(
                f"destination {self.id!r}: {where} holds more than one line; it must hold "
                "the key alone (no comment, no second key)"
            )
        bad = next((i for i, ch in enumerate(value) if not "!" <= ch <= "~"), None)
        if bad is not None:
            raise SecretError(
                f"destination {self.id!r}: the key in {where} must be printable ASCII "
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

    def text(node: Node, what: str) -> str | None:
        if isinstance(node, Scalar) and isinstance(node.value, str) and node.value.strip():
            return node.value.strip()
        err(node, f"{what} must be non-empty text")
        return None

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
        allowed = (
            "id",
            "type",
            "base_url",
            "page_id",
            "api_key_env",
            "api_key_file",
            "api_key",
            "components",
            "notify_subscribers",
            "rate_per_second",
            "timeout",
        )
        for key, _ in item.items:
            if key.value not in allowed:
                err(
                    key,
                    f"unknown key {key.text!r} in a destination (allowed: "
                    f"{', '.join(a for a in allowed if a != 'api_key')})",
                )
        if item.get("api_key") is not None:
            err(
                item.get("api_key"),
                "never put an API key in the config: use api_key_env "
                "(an environment variable) or api_key_file (a 0600 file)",
            )
        fields: dict[str, Any] = {}
        for required in ("id", "type", "page_id"):
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
                    f"duplicate destination id {fields['id']!r} "
                    f"(first at line {seen[fields['id']]})",
                )
            seen[fields["id"]] = (item.get("id") or item).mark.line
        if fields.get("type") and fields["type"] not in TYPES:
            err(
                item.get("type"),
                f"unknown destination type {fields['type']!r} (supported: {', '.join(TYPES)})",
            )
            fields["type"] = None
        base = item.get("base_url")
        fields["base_url"] = text(base, "base_url") if base is not None else DEFAULT_STATUSPAGE
        if fields["base_url"] and not fields["base_url"].startswith(("https://", "http://")):
            err(base, "base_url must start with https:// (or http:// for a local page)")
        env, file = item.get("api_key_env"), item.get("api_key_file")
        if (env is None) == (file is None):
            err(item, "a destination needs exactly one of api_key_env or api_key_file")
        if env is not None:
            fields["api_key_env"] = text(env, "api_key_env")
            if fields["api_key_env"] and not _ENV.match(fields["api_key_env"]):
                err(env, "api_key_env must be the NAME of an environment variable")
        if file is not None:
            fields["api_key_file"] = text(file, "api_key_file")
        comps = item.get("components")
        components: dict[str, str] = {}
        if comps is not None:
            if not isinstance(comps, Map):
                err(comps, "components must map a component name to its id on the page")
            else:
                for k, component in comps.items:
                    cid = text(component, f"component {k.text!r}")
                    if cid:
                        components[str(k.value)] = cid
        fields["components"] = MappingProxyType(components)
        notify = item.get("notify_subscribers")
        if notify is not None:
            if isinstance(notify, Scalar) and isinstance(notify.value, bool):
                fields["notify_subscribers"] = notify.value
            else:
                err(notify, "notify_subscribers must be true or false")
        for limited, lo, hi in (("rate_per_second", 0.01, 100.0), ("timeout", 1.0, 120.0)):
            given = item.get(limited)
            if given is None:
                continue
            v = given.value if isinstance(given, Scalar) else None
            if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
                err(given, f"{limited} must be a number from {lo:g} to {hi:g}")
            else:
                fields[limited] = float(v)
        if all(fields.get(k) for k in ("id", "type", "page_id", "base_url")) and (
            fields.get("api_key_env") or fields.get("api_key_file")
        ):
            dests.append(Destination(**{k: v for k, v in fields.items() if v is not None}))
    if problems:
        raise ConfigError(
            sorted(problems, key=lambda p: (p.line, p.col)), keymap=bool(keymap_problems)
        )
    return Config(tuple(dests), source, MappingProxyType(keymap))


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

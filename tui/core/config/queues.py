"""The config's ``channels:``: where each support channel's queue is counted.

``channels`` maps a playbook channel id to a source spec (``source:`` zendesk,
freshdesk, intercom, json or command; the keys each takes are
:data:`tui.core.config.types.SOURCE_KEYS`). Every problem is told to ``err`` at
its place (``FILE:LINE:COL``): an unknown key (listing the allowed ones), a
missing or doubled one, a secret written as a value, an address that is not
https, a JMESPath expression that does not compile (compiled here, once, so a
typo is found when the config is read, not at the first poll).

Whether the channel exists in a playbook is not checked here: the config is not
tied to one playbook, and the poller skips channels no open incident has.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

from tui.core.config.model import QueueSource
from tui.core.config.types import (
    _ENV,
    _ID,
    EVERY_BOUNDS,
    EVERY_DEFAULT,
    SOURCE_KEYS,
    SOURCE_TIMEOUT_BOUNDS,
    SOURCES,
)
from tui.core.durations import DurationError, parse_duration
from tui.core.yamlsafe import Map, Node, Scalar, Seq

Err = Callable[[Node | None, str], None]

_COMMON = ("source", "every", "timeout")
_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_HOST = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}(\.[a-z0-9][a-z0-9-]{0,62})*$")
_HEADER = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
INTERCOM_DEFAULT_URL: Final = "https://api.intercom.io"
# open conversations, in Intercom's search syntax
INTERCOM_DEFAULT_QUERY: Final[Mapping[str, Any]] = MappingProxyType(
    {"field": "open", "operator": "=", "value": True}
)

# a secret written as a value, refused with these words (never quoted)
_PLAIN_SECRETS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "token": "never put a token in the config: use token_env (an environment "
        "variable) or token_file (a 0600 file)",
        "api_key": "never put an API key in the config: use api_key_env (an environment "
        "variable) or api_key_file (a 0600 file)",
        "headers": "never put header values in the config: use headers_env "
        "(header name -> the environment variable that holds its value)",
        "password": "never put a password in the config: use token_env or token_file",
    }
)


def parse_channels(node: Node | None, err: Err) -> tuple[QueueSource, ...]:
    """The sources of ``channels:`` in file order; each problem told to ``err``."""
    if node is None:
        return ()
    if not isinstance(node, Map):
        err(node, "channels must map a channel id to its queue source ({source: zendesk, ...})")
        return ()
    out: list[QueueSource] = []
    seen: set[str] = set()
    for key, spec in node.items:
        channel = key.value if isinstance(key.value, str) else key.text
        if not _ID.match(channel):
            err(key, f"channel id {key.text!r} must be lowercase letters, digits, '-' or '_'")
            continue
        if channel in seen:  # the YAML loader refuses duplicate keys; kept for safety
            err(key, f"duplicate channel {channel!r}")
            continue
        seen.add(channel)
        if not isinstance(spec, Map):
            err(spec, f"channel {channel!r} must be a mapping with a 'source' key")
            continue
        source = _parse_source(channel, spec, err)
        if source is not None:
            out.append(source)
    return tuple(out)


def _parse_source(channel: str, item: Map, outer: Err) -> QueueSource | None:
    problems = 0

    def err(node: Node | None, message: str) -> None:
        nonlocal problems
        problems += 1
        outer(node or item, message)

    def text(node: Node, what: str) -> str | None:
        if isinstance(node, Scalar) and isinstance(node.value, str) and node.value.strip():
            return node.value.strip()
        err(node, f"{what} must be non-empty text")
        return None

    kind_node = item.get("source")
    if kind_node is None:
        err(item, f"channel {channel!r} is missing required key 'source' ({', '.join(SOURCES)})")
        return None
    kind = text(kind_node, "source")
    if kind is None:
        return None
    if kind not in SOURCES:
        err(kind_node, f"unknown source {kind!r} (supported: {', '.join(SOURCES)})")
        return None
    spec = SOURCE_KEYS[kind]
    a_source = f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} source"
    allowed = (*_COMMON, *spec.keys)
    for key, value in item.items:
        name = key.value if isinstance(key.value, str) else key.text
        if name in _PLAIN_SECRETS and name not in allowed:
            err(value, _PLAIN_SECRETS[name])
        elif name not in allowed:
            err(key, f"unknown key {key.text!r} in {a_source} (allowed: {', '.join(allowed)})")
    for required in spec.required:
        if item.get(required) is None:
            err(item, f"{a_source} is missing required key {required!r}")
    if spec.one_of and sum(item.get(k) is not None for k in spec.one_of) != 1:
        err(item, f"{a_source} needs exactly one of {' or '.join(spec.one_of)}")
    # common keys -------------------------------------------------------------------
    every = EVERY_DEFAULT
    if (given := item.get("every")) is not None:
        wait = _duration(given)
        if wait is None or not EVERY_BOUNDS[0] <= wait <= EVERY_BOUNDS[1]:
            err(given, "every must be a duration from 5s to 1h (such as 30s or 2m)")
        else:
            every = wait
    timeout = 10.0
    if (given := item.get("timeout")) is not None:
        v = given.value if isinstance(given, Scalar) else None
        lo, hi = SOURCE_TIMEOUT_BOUNDS
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            err(given, f"timeout must be a number of seconds from {lo:g} to {hi:g}")
        else:
            timeout = float(v)
    # secrets: the names of the places they are read from --------------------------------
    refs: dict[str, tuple[str | None, str | None]] = {}
    for secret, must in spec.secrets.items():
        env, file = item.get(f"{secret}_env"), item.get(f"{secret}_file")
        if (env is not None and file is not None) or (must and env is None and file is None):
            err(item, f"{a_source} needs exactly one of {secret}_env or {secret}_file")
        env_name = text(env, f"{secret}_env") if env is not None else None
        if env is not None and env_name and not _ENV.match(env_name):
            err(env, f"{secret}_env must be the NAME of an environment variable")
        file_name = text(file, f"{secret}_file") if file is not None else None
        if env_name or file_name:
            refs[secret] = (env_name, file_name)
    options: dict[str, Any] = {}
    if kind == "zendesk":
        _zendesk(item, options, err, text)
    elif kind == "freshdesk":
        _freshdesk(item, options, err, text)
    elif kind == "intercom":
        _intercom(item, options, err, text)
    elif kind == "json":
        _json(item, options, refs, err, text)
    else:
        _command(item, options, err, text)
    for path_key in ("count", "oldest"):
        if kind in ("json", "command") and (given := item.get(path_key)) is not None:
            expr = text(given, path_key)
            if expr is not None:
                compiled = _compile(expr)
                if isinstance(compiled, str):
                    err(given, f"{path_key} is not a JMESPath expression: {compiled}")
                else:
                    options[path_key] = expr
                    options[f"{path_key}_expr"] = compiled
    if problems:
        return None
    return QueueSource(
        channel=channel,
        source=kind,
        every=every,
        timeout=timeout,
        options=MappingProxyType(options),
        secret_refs=MappingProxyType(refs),
        line=item.mark.line,
    )


def _duration(node: Node) -> timedelta | None:
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        return None
    try:
        return parse_duration(node.value)
    except DurationError:
        return None


def _flag(node: Node | None, what: str, err: Err) -> bool:
    if node is None:
        return False
    if isinstance(node, Scalar) and isinstance(node.value, bool):
        return node.value
    err(node, f"{what} must be true or false")
    return False


def _base_url(
    node: Node, what: str, err: Err, text: Callable[[Node, str], str | None], *, base: bool = True
) -> str:
    """An https address (http only for 127.0.0.1 / localhost); a base (no query, no
    trailing slash) unless ``base`` is false (a whole URL: a query is fine)."""
    value = text(node, what)
    if value is None:
        return ""
    parts = urlsplit(value)
    local = parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
    if not (parts.scheme == "https" or local) or not parts.hostname:
        err(node, f"{what} must start with https:// (http:// only for 127.0.0.1 or localhost)")
        return ""
    if (base and parts.query) or parts.fragment or parts.username or parts.password:
        err(
            node, f"{what} must be a plain address (no {'query, ' if base else ''}fragment or user)"
        )
        return ""
    return value.rstrip("/") if base else value


def _zendesk(item: Map, options: dict[str, Any], err: Err, text: Any) -> None:
    if (given := item.get("subdomain")) is not None:
        sub = text(given, "subdomain")
        if sub and not _SUBDOMAIN.match(sub):
            err(given, "subdomain must be the name before .zendesk.com (acme for acme.zendesk.com)")
        elif sub:
            options["base_url"] = f"https://{sub}.zendesk.com"
    if (given := item.get("base_url")) is not None:
        options["base_url"] = _base_url(given, "base_url", err, text)
    if (given := item.get("email")) is not None:
        email = text(given, "email")
        if email and ("@" not in email or any(c.isspace() or c == ":" for c in email)):
            err(given, "email must be the agent's email address (bot@acme.example)")
        options["email"] = email
    if (given := item.get("query")) is not None:
        options["query"] = text(given, "query")
    options["oldest"] = _flag(item.get("oldest"), "oldest", err)


def _freshdesk(item: Map, options: dict[str, Any], err: Err, text: Any) -> None:
    if (given := item.get("domain")) is not None:
        domain = text(given, "domain")
        host = (domain or "").lower()
        if domain and not _HOST.match(host):
            err(given, "domain must be acme or acme.freshdesk.com (no https://, no path)")
        elif domain:
            options["base_url"] = f"https://{host if '.' in host else host + '.freshdesk.com'}"
    if (given := item.get("base_url")) is not None:
        options["base_url"] = _base_url(given, "base_url", err, text)
    if (given := item.get("query")) is not None:
        query = text(given, "query")
        if query and (len(query) > 512 or '"' in query):
            err(
                given,
                "query must be Freshdesk filter syntax without double quotes, at most 512 "
                "characters (status:2 AND tag:'outage'); warroom adds the quotes",
            )
        options["query"] = query


def _intercom(item: Map, options: dict[str, Any], err: Err, text: Any) -> None:
    options["base_url"] = INTERCOM_DEFAULT_URL
    if (given := item.get("base_url")) is not None:
        options["base_url"] = _base_url(given, "base_url", err, text)
    query: Any = INTERCOM_DEFAULT_QUERY
    if (given := item.get("query")) is not None:
        if not isinstance(given, Map):
            err(
                given,
                "query must be an Intercom search query: {field: open, operator: '=', "
                "value: true}, or {operator: AND, value: [...]}",
            )
        else:
            query = _intercom_query(given, err, depth=0)
    options["query"] = query
    options["oldest"] = _flag(item.get("oldest"), "oldest", err)


_INTERCOM_OPERATORS = ("=", "!=", "IN", "NIN", "<", ">", "~", "!~", "^", "$")


def _intercom_query(node: Map, err: Err, depth: int) -> Any:
    """One Intercom search filter ({field, operator, value}) or group ({operator: AND|OR,
    value: [filters]}), as plain JSON values; at most two levels of nesting, as Intercom."""
    allowed = ("field", "operator", "value")
    for key, _ in node.items:
        if key.value not in allowed:
            err(
                key,
                f"unknown key {key.text!r} in an Intercom query (allowed: field, operator, value)",
            )
            return None
    op_node, value_node = node.get("operator"), node.get("value")
    if op_node is None or value_node is None:
        err(node, "an Intercom query needs operator and value (and field, unless a group)")
        return None
    op = op_node.value if isinstance(op_node, Scalar) else None
    if node.get("field") is None:
        if op not in ("AND", "OR") or not isinstance(value_node, Seq) or not value_node.items:
            err(node, "an Intercom query group is {operator: AND or OR, value: [filters]}")
            return None
        if depth >= 2:
            err(node, "an Intercom query nests at most two groups")
            return None
        parts = []
        for entry in value_node.items:
            if not isinstance(entry, Map):
                err(entry, "each filter of an Intercom query group is a mapping")
                return None
            parts.append(_intercom_query(entry, err, depth + 1))
        return {"operator": op, "value": parts}
    field = node.get("field")
    fname = field.value if isinstance(field, Scalar) else None
    if not isinstance(fname, str) or not fname.strip():
        err(field, "field must be the name of a conversation field (open, state, tag_ids...)")
        return None
    if op not in _INTERCOM_OPERATORS:
        err(op_node, f"operator must be one of {', '.join(_INTERCOM_OPERATORS)}")
        return None
    value = _plain(value_node)
    if value is _BAD:
        err(value_node, "value must be text, a number, true/false, or a list of them")
        return None
    return {"field": fname.strip(), "operator": op, "value": value}


_BAD = object()


def _plain(node: Node) -> Any:
    if isinstance(node, Scalar):
        return node.value if node.value is not None else _BAD
    if isinstance(node, Seq):
        items = [_plain(n) for n in node.items]
        return _BAD if any(i is _BAD or isinstance(i, list) for i in items) else items
    return _BAD


def _json(
    item: Map,
    options: dict[str, Any],
    refs: dict[str, tuple[str | None, str | None]],
    err: Err,
    text: Any,
) -> None:
    if (given := item.get("url")) is not None:
        options["url"] = _base_url(given, "url", err, text, base=False)
    if (given := item.get("url_env")) is not None:
        env = text(given, "url_env")
        if env and not _ENV.match(env):
            err(given, "url_env must be the NAME of an environment variable")
        elif env:
            refs["url"] = (env, None)
    headers: dict[str, str] = {}
    if (given := item.get("headers_env")) is not None:
        if not isinstance(given, Map):
            err(given, "headers_env must map a header name to an environment variable name")
        else:
            for key, value in given.items:
                header = key.value if isinstance(key.value, str) else key.text
                if not _HEADER.match(header):
                    err(key, f"{key.text!r} is not a header name")
                    continue
                env = text(value, f"headers_env {header}")
                if env and not _ENV.match(env):
                    err(value, f"headers_env {header} must be the NAME of an environment variable")
                elif env:
                    headers[header] = env
    options["headers_env"] = MappingProxyType(headers)


def _command(item: Map, options: dict[str, Any], err: Err, text: Any) -> None:
    given = item.get("command")
    if given is None:
        return
    if isinstance(given, Seq):
        argv: list[str] = []
        for part in given.items:
            if (
                isinstance(part, Scalar)
                and isinstance(part.value, str | int | float)
                and (not isinstance(part.value, bool))
            ):
                argv.append(part.text if not isinstance(part.value, str) else part.value)
            else:
                err(part, "each part of command must be text")
        if not given.items:
            err(given, "command is an empty list: give the program and its arguments")
        elif argv and not argv[0].strip():
            err(given.items[0], "the program of command must be non-empty text")
        options["command"] = tuple(argv)
        options["argv"] = tuple(argv)
    else:
        line = text(given, "command")
        if line is not None:
            options["command"] = line
            options["argv"] = ("/bin/sh", "-c", line)


def _compile(expr: str) -> Any:
    """The compiled JMESPath expression, or the reason (one line) it is not one."""
    import jmespath
    from jmespath.exceptions import IncompleteExpressionError, JMESPathError

    try:
        return jmespath.compile(expr)
    except JMESPathError as exc:
        if isinstance(exc, IncompleteExpressionError):
            return f"it ends too soon ({expr!r})"
        reason = str(getattr(exc, "msg", "") or exc).splitlines()[0]
        pos = getattr(exc, "lex_position", None)
        where = f" at character {pos + 1}" if isinstance(pos, int) else ""
        return f"{reason}{where} of {expr!r}"

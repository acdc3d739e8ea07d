"""What the publisher's API accepts: request bodies and query numbers, checked before use.

Every refusal is an :class:`ApiError` (status and message) answered as
``{"message": "..."}``, and nothing is stored for a refused request:

* 400 -- a body that is not JSON (``NaN`` and ``Infinity`` included), text that is not
  valid Unicode (a lone surrogate such as ``"\\ud800"``, which no UTF-8 database or response
  can hold), or a body without its root object (``{"incident": {...}}``);
* 422 -- a value of the wrong type, a name or body longer than its limit, a blank name, a
  status or impact Statuspage does not know, a query number that is not a positive ASCII
  integer.

Limits: names :data:`MAX_NAME`, update bodies :data:`MAX_BODY`, post-mortems
:data:`MAX_POSTMORTEM` characters; pages of at most :data:`MAX_PER_PAGE` items.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request

from tui.localpage.schema import COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES

MAX_NAME = 255
MAX_BODY = 25_000
MAX_POSTMORTEM = 200_000
MAX_PER_PAGE = 100


class ApiError(Exception):
    """A refused request: answered ``status`` with ``{"message": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


async def payload(request: Request, root: str) -> dict[str, Any]:
    """The object under ``root`` in the request's JSON body (400 for anything else)."""
    raw = await request.body()

    def no_constants(name: str) -> None:
        raise ValueError(name)

    try:
        data = json.loads(raw, parse_constant=no_constants) if raw.strip() else None
    except (ValueError, RecursionError):
        raise ApiError(400, "The request body is not valid JSON") from None
    _check_unicode(data)
    if not isinstance(data, dict) or root not in data:
        raise ApiError(400, f"The request body must be a JSON object with a {root!r} key")
    if not isinstance(data[root], dict):
        raise ApiError(400, f"{root!r} must be a JSON object")
    found: dict[str, Any] = data[root]
    return found


def _check_unicode(data: Any) -> None:
    """400 for a string (or key) that is not valid Unicode: JSON can spell a lone surrogate
    (``"\\ud800"``), which no UTF-8 database or response can hold. Iterative: the parser
    already bounds the depth, this walk must not add a recursion limit of its own."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as e:
                bad = item[e.start]
                raise ApiError(
                    400,
                    f"The request body is not valid JSON text: it holds a lone surrogate "
                    f"(\\u{ord(bad):04x}); send UTF-8 text",
                ) from None


def text(
    d: Mapping[str, Any], key: str, where: str, limit: int, *, blank_ok: bool = True
) -> str | None:
    """``d[key]`` as a string of at most ``limit`` characters (None when absent)."""
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise ApiError(422, f"{where}.{key} must be a string")
    if len(v) > limit:
        raise ApiError(422, f"{where}.{key} is too long (maximum {limit} characters)")
    if not blank_ok and not v.strip():
        raise ApiError(422, f"{where}.{key} can't be blank")
    return v


def choice(d: Mapping[str, Any], key: str, where: str, choices: Sequence[str]) -> str | None:
    """``d[key]``, one of ``choices`` (None when absent)."""
    v = d.get(key)
    if v is None:
        return None
    if v not in choices:
        raise ApiError(422, f"{where}.{key} must be one of: {', '.join(choices)}")
    found: str = v
    return found


def boolean(d: Mapping[str, Any], key: str, where: str) -> bool | None:
    """``d[key]``, true or false (None when absent)."""
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, bool):
        raise ApiError(422, f"{where}.{key} must be true or false")
    return v


def incident_fields(obj: Mapping[str, Any], *, create: bool) -> dict[str, Any]:
    """The fields sent, validated; keys absent (or null) are left out, except that a null
    ``impact_override`` on a PATCH clears it."""
    w = "incident"
    out: dict[str, Any] = {}
    name = text(obj, "name", w, MAX_NAME, blank_ok=False)
    if name is not None:
        out["name"] = name
    elif create:
        raise ApiError(422, "incident.name can't be blank")
    if (status := choice(obj, "status", w, INCIDENT_STATUSES)) is not None:
        out["status"] = status
    if (body := text(obj, "body", w, MAX_BODY)) is not None:
        out["body"] = body
    if "impact_override" in obj:
        out["impact_override"] = choice(obj, "impact_override", w, IMPACTS)
    ids = obj.get("component_ids")
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ApiError(422, "incident.component_ids must be a list of component ids")
        out["component_ids"] = ids
    comps = obj.get("components")
    if comps is not None:
        if not isinstance(comps, dict):
            raise ApiError(422, "incident.components must be an object {component_id: status}")
        for cid, st in comps.items():
            if st not in COMPONENT_STATUSES:
                raise ApiError(
                    422,
                    f"incident.components[{cid!r}] must be one of: {', '.join(COMPONENT_STATUSES)}",
                )
        out["components"] = comps
    if (deliver := boolean(obj, "deliver_notifications", w)) is not None:
        out["deliver_notifications"] = deliver
    meta = obj.get("metadata")
    if meta is not None:
        if not isinstance(meta, dict) or not all(isinstance(v, dict) for v in meta.values()):
            raise ApiError(
                422, "incident.metadata must be an object whose top-level values are objects"
            )
        out["metadata"] = meta
    return out


def int_param(request: Request, *names: str, default: int, maximum: int | None = None) -> int:
    """The first of the query parameters ``names`` given, a positive integer (capped at
    ``maximum``); ``default`` when none is."""
    for name in names:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            continue
        # ASCII digits only: int() would also take "1_000", " 7 " and other scripts' digits
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise ApiError(422, f"{name} must be a positive integer")
        value = int(raw)
        if value < 1:
            raise ApiError(422, f"{name} must be a positive integer")
        return min(value, maximum) if maximum else value
    return default

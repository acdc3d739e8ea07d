"""A checkpoint of the fold: an :class:`IncidentState` (and the fold's own memory) as JSON.

Opening a 10,000-event incident replays 10,000 events; a checkpoint saved at event N
lets a reader restore the state at N and fold only the events after it. The database
keeps one per incident (``checkpoints``, see :mod:`tui.core.store.schema`); the store
decides when one is written and refuses one that does not fit (:mod:`tui.core.store.
database`).

The format is plain JSON, read by a strict decoder driven by the dataclasses' own
field types: the database is shared by a group and must never become code execution
(no pickle, no marshal, nothing that names a class to build). A value of the wrong
type, a missing or extra field, a bad date: :class:`CheckpointError`, and the caller
rebuilds the state by replay. The playbook is kept by its sha256 (and source) and read
back through the same resolver the fold uses.

:func:`code_version` names the code that made a checkpoint: the warroom version,
:data:`CHECKPOINT_FORMAT` (bumped by hand when the state's shape changes) and a digest
of the state's shape and of the fold's source files, so a checkpoint is never read by
a fold that could have built a different state from the same events.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import tui.core.state.incident as incident
import tui.core.state.projection as projection
import tui.core.state.queuefold as queuefold
from tui.core.playbook.model import Playbook
from tui.core.state.incident import IncidentState, TimelineEntry
from tui.core.state.projection import PlaybookResolver, Projector

CHECKPOINT_FORMAT = 1
"""Bump when the state's shape or meaning changes: every older checkpoint is then refused."""


# What the fold's result depends on besides the events: a change here may change the state.
_FOLD_SOURCES = (
    "state/incident.py",
    "state/projection.py",
    "state/queuefold.py",
    "state/wording.py",
    "state/events.py",
    "state/checkpoint.py",
    "playbook/model.py",
    "durations.py",
    "clock.py",
    "vocabulary.py",
)


# Where the fold's own memory (Projector attributes besides the state) may take its
# dataclasses from: the Projector's module and its mixins'. Nothing else is decoded.
_FOLD_MODULES = (projection, queuefold)


def _fold_class(name: str) -> type | None:
    """The fold's own dataclass called ``name``, or None."""
    return next((c for m in _FOLD_MODULES for c in _dataclasses_of(m) if c.__name__ == name), None)


class CheckpointError(Exception):
    """A checkpoint that cannot be used: the state is rebuilt by replaying the log."""


@cache
def code_version() -> str:
    """The code that makes and reads checkpoints: equal strings, the same fold."""
    from tui import __version__

    digest = hashlib.sha256()
    # every class a checkpoint holds (the state's, the fold's memory's): names and field types
    for cls in [c for m in (incident, *_FOLD_MODULES) for c in _dataclasses_of(m)]:
        digest.update(cls.__name__.encode())
        for f in dataclasses.fields(cls):
            digest.update(f"|{f.name}:{f.type}".encode())
    core = Path(__file__).resolve().parent.parent
    for name in _FOLD_SOURCES:
        try:
            digest.update((core / name).read_bytes())
        except OSError:
            digest.update(f"missing {name}".encode())
    return f"{__version__}+f{CHECKPOINT_FORMAT}.{digest.hexdigest()[:16]}"


def _dataclasses_of(module: types.ModuleType) -> list[type]:
    """The dataclasses ``module`` defines (not those it imports), in their order there."""
    found = [v for v in vars(module).values() if isinstance(v, type)]
    return [c for c in found if dataclasses.is_dataclass(c) and c.__module__ == module.__name__]


# ---------------------------------------------------------------- the codec, by type

Codec = Callable[[Any], Any]


def _fail(what: str, value: Any) -> CheckpointError:
    return CheckpointError(f"expected {what}, found {type(value).__name__}")


def _hints(cls: type) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(cls)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _prim(*kinds: type) -> Codec:
    """A JSON scalar of exactly one of these types (a bool is not an int here)."""
    names = "|".join(k.__name__ for k in kinds)

    def check(v: Any) -> Any:
        if type(v) not in kinds:
            raise _fail(names, v)
        return v

    return check


def _decode_float(v: Any) -> float:
    if type(v) not in (int, float):
        raise _fail("float", v)
    return float(v)


def _decode_datetime(v: Any) -> datetime:
    if type(v) is not str:
        raise _fail("a date", v)
    try:
        return datetime.fromisoformat(v)
    except ValueError:
        raise CheckpointError(f"not a date: {v[:40]!r}") from None


# The timeline (one entry per event: the bulk of a checkpoint) goes by columns, actors and
# kinds as indices into their names: reading it back makes no list, actor or kind string
# per entry (10,000 entries: ~3 MB less at the peak, and faster).
_ENTRY_FIELDS = ("event_id", "at", "actor", "kind", "text")  # what the two below handle
_TIMELINE_KEYS = {"id", "at", "actors", "actor", "kinds", "kind", "text"}


def _encode_timeline(v: list[TimelineEntry]) -> dict[str, list[Any]]:
    actors: dict[str, int] = {}
    kinds: dict[str, int] = {}
    return {
        "id": [t.event_id for t in v],
        "at": [t.at.isoformat() for t in v],
        "actor": [actors.setdefault(t.actor, len(actors)) for t in v],
        "actors": list(actors),
        "kind": [kinds.setdefault(t.kind, len(kinds)) for t in v],
        "kinds": list(kinds),
        "text": [t.text for t in v],
    }


def _decode_timeline(v: Any) -> list[TimelineEntry]:
    if type(v) is not dict or set(v) != _TIMELINE_KEYS:
        raise _fail("the timeline's columns", v)
    ids, ats, texts = v["id"], v["at"], v["text"]
    actors, kinds, actor, kind = v["actors"], v["kinds"], v["actor"], v["kind"]
    columns = (ids, ats, texts, actors, kinds, actor, kind)
    if any(type(c) is not list for c in columns):
        raise CheckpointError("a timeline column is not a list")
    n = len(ids)
    if any(len(c) != n for c in (ats, texts, actor, kind)):
        raise CheckpointError("the timeline's columns differ in length")
    # the checks run over whole columns at C speed (a set of the types, min and max): a
    # 10,000-entry timeline is read at a dashboard's start, before its first frame
    for names in (actors, kinds):
        if not _only(names, str):
            raise CheckpointError("a timeline name is not a string")
    for values, kind_ in ((ids, int), (texts, str)):
        if not _only(values, kind_):
            raise CheckpointError(f"a timeline value is not {kind_.__name__}")
    for idx, names in ((actor, actors), (kind, kinds)):
        if idx and (not _only(idx, int) or min(idx) < 0 or max(idx) >= len(names)):
            raise CheckpointError("a timeline index is out of range")
    if not _only(ats, str):
        raise _fail("a date", next(a for a in ats if type(a) is not str))
    try:
        when = list(map(datetime.fromisoformat, ats))
    except ValueError:
        for a in ats:
            _decode_datetime(a)  # the first that is not a date, named
        raise
    return list(
        map(
            TimelineEntry,
            ids,
            when,
            map(actors.__getitem__, actor),
            map(kinds.__getitem__, kind),
            texts,
        )
    )


def _only(values: list[Any], kind: type) -> bool:
    """Every value is of exactly this type (a bool is not an int)."""
    return set(map(type, values)) <= {kind}


@cache
def _encoder(tp: Any) -> Codec:
    origin = typing.get_origin(tp)
    if tp is datetime:
        return lambda v: v.isoformat()
    if tp is Playbook:
        return lambda v: [v.sha256, v.source]
    if tp == list[TimelineEntry]:
        return _encode_timeline
    if dataclasses.is_dataclass(tp):
        parts = [(name, _encoder(t)) for name, t in _hints(typing.cast(type, tp))]
        return lambda v: [enc(getattr(v, name)) for name, enc in parts]
    if _is_union(tp):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if all(a in (bool, int, float, str) for a in options):
            return lambda v: v
        (inner,) = options  # X | None
        enc = _encoder(inner)
        return lambda v: None if v is None else enc(v)
    if origin is dict:
        key, val = typing.get_args(tp)
        venc = _encoder(val)
        if key is str:
            return lambda v: {k: venc(x) for k, x in v.items()}
        return lambda v: [[k, venc(x)] for k, x in v.items()]  # JSON keys are strings
    if origin in (list, tuple):
        args = typing.get_args(tp)
        if origin is list:
            item = _encoder(args[0])
            return lambda v: [item(x) for x in v]
        encs = [_encoder(a) for a in args]
        return lambda v: [e(x) for e, x in zip(encs, v, strict=True)]
    if tp in (str, int, bool, float):
        return lambda v: v
    raise TypeError(f"a checkpoint cannot hold {tp!r}")  # a new kind of field: teach the codec


def _decoder(tp: Any, playbooks: PlaybookResolver) -> Codec:
    origin = typing.get_origin(tp)
    if tp is datetime:
        return _decode_datetime
    if tp is Playbook:

        def book(v: Any) -> Playbook:
            if type(v) is not list or len(v) != 2 or not all(type(x) is str for x in v):
                raise _fail("[playbook sha, source]", v)
            found = playbooks(v[0], v[1])
            if found.sha256 != v[0]:
                raise CheckpointError(f"the playbook {v[0][:12]} resolves to another one")
            return found

        return book
    if tp == list[TimelineEntry]:
        return _decode_timeline
    if dataclasses.is_dataclass(tp):
        cls = typing.cast(type, tp)
        parts = [_decoder(t, playbooks) for _, t in _hints(cls)]
        n = len(parts)

        def build(v: Any) -> Any:
            if type(v) is not list or len(v) != n:
                raise _fail(f"{cls.__name__} ({n} fields)", v)
            return cls(*[dec(x) for dec, x in zip(parts, v, strict=True)])

        return build
    if _is_union(tp):
        args = typing.get_args(tp)
        options = [a for a in args if a is not type(None)]
        nullable = len(options) < len(args)
        if all(a in (bool, int, float, str) for a in options):
            inner = _prim(*options)
        else:
            (one,) = options
            inner = _decoder(one, playbooks)
        if not nullable:
            return inner
        return lambda v: None if v is None else inner(v)
    if origin is dict:
        key, val = typing.get_args(tp)
        vdec = _decoder(val, playbooks)
        if key is str:

            def mapping(v: Any) -> dict[str, Any]:
                if type(v) is not dict:
                    raise _fail("an object", v)
                return {k: vdec(x) for k, x in v.items()}

            return mapping
        kdec = _decoder(key, playbooks)

        def pairs(v: Any) -> dict[Any, Any]:
            if type(v) is not list:
                raise _fail("a list of pairs", v)
            out: dict[Any, Any] = {}
            for pair in v:
                if type(pair) is not list or len(pair) != 2:
                    raise _fail("a pair", pair)
                out[kdec(pair[0])] = vdec(pair[1])
            return out

        return pairs
    if origin is list:
        item = _decoder(typing.get_args(tp)[0], playbooks)

        def items(v: Any) -> list[Any]:
            if type(v) is not list:
                raise _fail("a list", v)
            for i, x in enumerate(v):  # in place: each raw entry goes as its value comes
                v[i] = item(x)
            return v

        return items
    if origin is tuple:
        decs = [_decoder(a, playbooks) for a in typing.get_args(tp)]

        def fixed(v: Any) -> tuple[Any, ...]:
            if type(v) is not list or len(v) != len(decs):
                raise _fail(f"a list of {len(decs)}", v)
            return tuple(d(x) for d, x in zip(decs, v, strict=True))

        return fixed
    if tp is float:
        return _decode_float
    if tp in (str, int, bool):
        return _prim(tp)
    raise TypeError(f"a checkpoint cannot hold {tp!r}")


# ---------------------------------------------------------------- the checkpoint


# The fold's own memory (Projector attributes besides the state, e.g. the run of queue
# counts being folded into one timeline line): whatever they are, kept with the state.
_NOT_MEMORY = frozenset({"state", "_playbooks"})


def _memory_names(projector: Projector) -> set[str]:
    return set(vars(projector)) - _NOT_MEMORY


def _encode_memory(v: Any) -> Any:
    """A value of the fold's memory, tagged with its shape (its type is not declared)."""
    if v is None or type(v) in (str, int, bool, float):
        return ["v", v]
    if type(v) is datetime:
        return ["t", v.isoformat()]
    if dataclasses.is_dataclass(v) and _fold_class(type(v).__name__) is type(v):
        cls: Any = type(v)
        return ["dc", cls.__name__, _encoder(cls)(v)]
    if type(v) is dict and all(type(k) is str for k in v):
        return ["map", {k: _encode_memory(x) for k, x in v.items()}]
    if type(v) is list:
        return ["list", [_encode_memory(x) for x in v]]
    raise TypeError(f"a checkpoint cannot hold the fold's {type(v).__name__}")


def _decode_memory(v: Any, playbooks: PlaybookResolver) -> Any:
    if type(v) is not list or not v or type(v[0]) is not str:
        raise _fail("a tagged value", v)
    tag = v[0]
    if tag == "v" and len(v) == 2 and (v[1] is None or type(v[1]) in (str, int, bool, float)):
        return v[1]
    if tag == "t" and len(v) == 2:
        return _decode_datetime(v[1])
    if tag == "dc" and len(v) == 3 and type(v[1]) is str:
        cls = _fold_class(v[1])  # only the fold's own dataclasses
        if cls is None:
            raise CheckpointError(f"not a class of the fold: {v[1][:40]!r}")
        return _decoder(cls, playbooks)(v[2])
    if tag == "map" and len(v) == 2 and type(v[1]) is dict:
        return {k: _decode_memory(x, playbooks) for k, x in v[1].items()}
    if tag == "list" and len(v) == 2 and type(v[1]) is list:
        return [_decode_memory(x, playbooks) for x in v[1]]
    raise CheckpointError(f"not a value of the fold: tag {tag[:20]!r}")


def dump(projector: Projector) -> str:
    """The fold at its last event, as JSON text (the state and the fold's own memory)."""
    doc = {
        "format": CHECKPOINT_FORMAT,
        "state": _encoder(IncidentState)(projector.state),
        "memory": {k: _encode_memory(getattr(projector, k)) for k in _memory_names(projector)},
    }
    # ASCII: the text read back is a 1-byte-per-character string (one curly quote in a
    # timeline sentence would make all of it 2 bytes per character in memory)
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def playbook_sha(projector: Projector) -> str:
    """The playbook the state was folded with ("" before the incident started)."""
    book = projector.state.playbook
    return book.sha256 if book is not None else ""


def restore(text: str, incident_id: str, playbooks: PlaybookResolver) -> Projector:
    """A :class:`Projector` at the checkpoint's event, ready to fold the events after it.

    Raises :class:`CheckpointError` for anything that is not a checkpoint of this
    incident in this format (the caller replays the log instead). ``playbooks`` may
    raise its own error for a playbook it cannot give; the caller treats it the same.
    """
    try:
        doc = json.loads(text)
        del text  # (the caller passes it on without keeping it: only the parsed doc lives)
        if type(doc) is not dict or set(doc) != {"format", "state", "memory"}:
            raise CheckpointError("not a checkpoint")
        if doc["format"] != CHECKPOINT_FORMAT:
            raise CheckpointError(f"format {doc['format']!r}, not {CHECKPOINT_FORMAT}")
        state = _decoder(IncidentState, playbooks)(doc["state"])
        projector = Projector(incident_id, playbooks)
        memory = doc["memory"]
        if type(memory) is not dict or set(memory) != _memory_names(projector):
            raise CheckpointError("the fold's memory is not this fold's")
        for name, value in memory.items():
            setattr(projector, name, _decode_memory(value, playbooks))
    except CheckpointError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        raise CheckpointError(f"does not restore: {type(exc).__name__}") from None
    if state.id != incident_id:
        raise CheckpointError(f"a checkpoint of {state.id!r}, not {incident_id!r}")
    projector.state = state
    return projector

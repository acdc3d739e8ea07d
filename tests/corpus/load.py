"""Read ``messages.yaml``: the labelled corpus the message check is measured on.

Used by ``tests/unit/test_corpus.py`` and ``bench/lint_agreement.py``. Strict: a
message with a missing or extra field, an unknown purpose or stage, or a label
that is not ``true``/``false`` is a :class:`CorpusError` naming its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tui.publish.checks import LABELS

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "messages.yaml"

PURPOSES: tuple[str, ...] = ("ack", "update", "resolved")
STAGES: tuple[str, ...] = ("investigating", "identified", "monitoring")
_REQUIRED = {"id", "purpose", "style", "text", "labels"}
_OPTIONAL = {"stage", "note"}


class CorpusError(ValueError):
    """The corpus file is malformed; the message names the entry."""


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    purpose: str
    stage: str | None
    style: str
    text: str
    labels: dict[str, bool]
    note: str = ""


def _message(raw: Any, index: int, name: str) -> Message:
    where = f"{name} entry {index}"
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: not a mapping")
    where = f"{name} {raw.get('id', f'entry {index}')}"
    keys = set(raw)
    if missing := _REQUIRED - keys:
        raise CorpusError(f"{where}: missing {', '.join(sorted(missing))}")
    if extra := keys - _REQUIRED - _OPTIONAL:
        raise CorpusError(f"{where}: unknown field {', '.join(sorted(extra))}")
    for field in ("id", "purpose", "style", "text"):
        if not isinstance(raw[field], str) or not raw[field].strip():
            raise CorpusError(f"{where}: {field} must be a non-empty string")
    purpose = raw["purpose"]
    if purpose not in PURPOSES:
        raise CorpusError(f"{where}: purpose {purpose!r} is not one of {', '.join(PURPOSES)}")
    stage = raw.get("stage")
    if purpose == "update" and stage not in STAGES:
        raise CorpusError(f"{where}: an update needs a stage ({', '.join(STAGES)})")
    if purpose != "update" and stage is not None:
        raise CorpusError(f"{where}: only updates have a stage")
    labels = raw["labels"]
    if not isinstance(labels, dict) or set(labels) != set(LABELS):
        raise CorpusError(f"{where}: labels must be exactly {', '.join(LABELS)}")
    if not all(isinstance(v, bool) for v in labels.values()):
        raise CorpusError(f"{where}: every label is true or false")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise CorpusError(f"{where}: note must be a string")
    return Message(
        id=raw["id"],
        purpose=purpose,
        stage=stage,
        style=raw["style"],
        text=raw["text"],
        labels={name: labels[name] for name in LABELS},
        note=note,
    )


def load(path: Path = CORPUS) -> list[Message]:
    """Every message in the file, in order; ids must be unique."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise CorpusError(f"{path.name}: expected a top-level 'messages' list")
    messages = [_message(raw, i, path.name) for i, raw in enumerate(data["messages"], 1)]
    seen: set[str] = set()
    for m in messages:
        if m.id in seen:
            raise CorpusError(f"{path.name}: id {m.id} appears twice")
        seen.add(m.id)
    return messages

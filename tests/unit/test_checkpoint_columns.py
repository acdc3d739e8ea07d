"""The timeline's columns are checked whole (issue 13: read at C speed before the first frame).

Each column is checked as a whole (the set of its types, min and max of an index); every
wrong value still refuses the checkpoint (the caller replays the log instead), and a bad
date is named.
"""

from __future__ import annotations

import json

import pytest

from tests.unit.test_state import T0, resolver, started
from tui.core import state as ev
from tui.core.state import Event, Projector
from tui.core.state.checkpoint import CheckpointError, dump, restore


def _doc() -> dict:
    projector = Projector("INC-1", resolver)
    projector.apply_all(
        [
            started(),
            Event(2, "INC-1", T0, "bob", ev.NOTE, {"text": "hi"}),
            Event(3, "INC-1", T0, "carol", ev.NOTE, {"text": "there"}),
        ]
    )
    return json.loads(dump(projector))


def _timeline(doc: dict) -> dict:
    return next(v for v in doc["state"] if isinstance(v, dict) and "actors" in v)


def _restore_with(key: str, change) -> Projector:
    doc = _doc()
    timeline = _timeline(doc)
    timeline[key] = change(timeline[key])
    return restore(json.dumps(doc), "INC-1", resolver)


def test_the_columns_read_back_entry_for_entry():
    doc = _doc()
    again = restore(json.dumps(doc), "INC-1", resolver)
    timeline = again.state.timeline
    assert [t.event_id for t in timeline] == _timeline(doc)["id"] == [1, 2, 3]
    assert [t.actor for t in timeline] == ["alice", "bob", "carol"]
    assert [t.at for t in timeline] == [T0, T0, T0]
    assert timeline[1].text.endswith("hi") and timeline[2].kind == ev.NOTE


@pytest.mark.parametrize(
    ("key", "change", "why"),
    [
        ("id", lambda v: [v[0], True, v[2]], "not int"),  # a bool is not an event id
        ("id", lambda v: [v[0], 2.0, v[2]], "not int"),
        ("text", lambda v: [v[0], None, v[2]], "not str"),
        ("actors", lambda v: [*v[:-1], 7], "name is not a string"),
        ("actor", lambda v: [0, -1, 0], "out of range"),  # min
        ("actor", lambda v: [0, 3, 0], "out of range"),  # max (three names)
        ("actor", lambda v: [0, False, 0], "out of range"),
        ("kind", lambda v: [0, 0, 9], "out of range"),
        ("at", lambda v: [v[0], 5, v[2]], "a date"),
        ("at", lambda v: [v[0], v[1], "yesterday"], "not a date: 'yesterday'"),
    ],
)
def test_every_wrong_value_refuses_the_checkpoint(key, change, why):
    with pytest.raises(CheckpointError, match=why):
        _restore_with(key, change)

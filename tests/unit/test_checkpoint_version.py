"""The checkpoint's code version covers the whole fold, wherever its parts live.

A checkpoint made by other code is refused (its ``code_version`` differs); that only holds
if the version reads every module the fold's result depends on and every dataclass the
fold keeps. These tests fail when the fold grows a module (a mixin, a wording helper) that
the version does not read, or keeps a memory the checkpoint cannot carry.
"""

from __future__ import annotations

import ast
import json
from datetime import timedelta
from pathlib import Path

import tui.core.state.checkpoint as checkpoint
from tests.unit.test_state import T0, resolver, started
from tui.core import state as ev
from tui.core.state import Event, Projector
from tui.core.state.checkpoint import dump, restore
from tui.core.state.queuefold import AUTOMATIC_COUNTERS

CORE = Path(checkpoint.__file__).resolve().parent.parent
# imported by the fold's modules but not deciding what it folds: where shipped files live
NOT_THE_FOLD = {"resources.py"}


def _imports_of(rel: str) -> set[str]:
    """The tui.core modules ``rel`` imports (at the top or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse((CORE / rel).read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if not name.startswith("tui.core."):
                continue
            path = name.removeprefix("tui.core.").replace(".", "/")
            for candidate in (f"{path}.py", f"{path}/__init__.py"):
                if (CORE / candidate).is_file():
                    found.add(candidate)
                    break
    return found


def test_the_code_version_reads_every_module_the_fold_imports():
    seen: set[str] = set()
    todo = ["state/projection.py"]
    while todo:
        rel = todo.pop()
        if rel not in seen:
            seen.add(rel)
            todo.extend(_imports_of(rel))
    assert {"state/queuefold.py", "state/wording.py"} <= seen  # the walk follows the split
    missing = seen - set(checkpoint._FOLD_SOURCES) - NOT_THE_FOLD
    assert not missing, f"the checkpoint's code_version does not read {sorted(missing)}"


def test_the_checkpoint_knows_every_class_the_projector_is_made_of():
    parts = {c.__module__ for c in Projector.__mro__ if c is not object}
    assert parts == {"tui.core.state.projection", "tui.core.state.queuefold"}
    assert parts <= {m.__name__ for m in checkpoint._FOLD_MODULES}
    for name in ("_QueueRun", "_AutoRun"):
        cls = checkpoint._fold_class(name)
        assert cls is not None and cls.__module__ == "tui.core.state.queuefold"
    assert checkpoint._fold_class("Projector") is None  # a class, not a dataclass of the fold
    assert checkpoint._fold_class("IncidentState") is None  # the state's, not the memory's


def _counts(actor: str, depths: list[int], first_id: int = 2) -> list[Event]:
    return [
        Event(
            n,
            "INC-1",
            T0 + timedelta(seconds=30 * n),
            actor,
            ev.QUEUE,
            {"channel": "tickets", "depth": depth, "oldest_since": None},
        )
        for n, depth in enumerate(depths, start=first_id)
    ]


def test_the_pollers_run_survives_a_checkpoint_and_goes_on_as_one_line():
    (poller,) = AUTOMATIC_COUNTERS
    events = [started(), *_counts(poller, [12, 30, 25, 47])]
    whole = Projector("INC-1", resolver)
    whole.apply_all(events)
    part = Projector("INC-1", resolver)
    part.apply_all(events[:3])
    text = dump(part)
    memory = json.loads(text)["memory"]
    assert memory["_auto_runs"][1]["tickets"][:2] == ["dc", "_AutoRun"]
    again = restore(text, "INC-1", resolver)
    again.apply_all(events[3:])
    lines = [t.text for t in again.state.timeline]
    assert lines == [t.text for t in whole.state.timeline]
    assert sum("counted" in line for line in lines) == 1  # one line for the whole run
    assert "(12 \u2192 47 in 4 counts since" in lines[-1]


def test_a_persons_run_survives_a_checkpoint_as_its_dataclass():
    events = [started(), *_counts("bob", [40, 44, 47])]
    part = Projector("INC-1", resolver)
    part.apply_all(events[:2])
    text = dump(part)
    assert json.loads(text)["memory"]["_queue_run"][:2] == ["dc", "_QueueRun"]
    again = restore(text, "INC-1", resolver)
    again.apply_all(events[2:])
    assert again.state.timeline[-1].text.endswith("(40 \u2192 47)")

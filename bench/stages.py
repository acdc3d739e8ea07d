"""Where the dashboard's first paint and memory go: the stages of one start (issue 13).

``python bench/stages.py OUT.json [hello] [trace]`` runs the real ``warroom`` dashboard
(or the hello app) with marks at each stage of its start, and writes them to OUT.json
one second after the first frame, then quits. ``trace``: tracemalloc from the first
line, and the live Python memory at the end grouped by package (slower: its own run).
:func:`stage_notes` runs both apps in tmux (the paint rows' private server) and turns
the marks into the notes under ``make bench``'s table.

A stage's time is the wall time from the process's start (as the kernel saw it) to the
mark; RSS is VmRSS at the mark. The hooks wrap methods; they change no behaviour.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WAIT = 30.0  # seconds for a stage run to write its marks


def _since_start_ms() -> float:
    """Milliseconds since this process started (the kernel's start time, 10 ms ticks)."""
    start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return (uptime - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _probe(out: Path, hello: bool, trace: bool) -> None:  # pragma: no cover - a subprocess
    if trace:
        import tracemalloc

        tracemalloc.start(1)
    t0 = time.perf_counter()
    t0_ms = _since_start_ms()  # the interpreter's own start, before this line
    marks: list[tuple[str, float, float, int]] = []

    def mark(name: str) -> None:
        ms = t0_ms + (time.perf_counter() - t0) * 1000
        marks.append((name, round(ms), round(_rss_mb(), 1), len(sys.modules)))

    mark("interpreter up")
    sys.path.insert(0, str(HERE.parent))
    import textual.screen

    if hello:
        sys.path.insert(0, str(HERE))
        from hello import HelloApp

        mark("imports done")
    else:
        import tui.cli
        from tui.app import app as app_module
        from tui.app import room as room_module

        mark("imports done")
        wrap(app_module.WarroomApp, "_boot", lambda: mark("app running, database opening"))
        wrap(room_module.Room, "attach", None, lambda: mark("incident state loaded"))
    first: dict[str, Any] = {}
    refresh = textual.screen.Screen._compositor_refresh

    def compositor_refresh(self: Any) -> None:
        refresh(self)
        name = type(self).__name__
        if name in first:
            return
        first[name] = True
        mark(f"first frame of {name}")
        if name in ("Dashboard", "Screen") and (hello or name == "Dashboard"):
            first["modules"] = set(sys.modules)
            self.app.set_timer(1.0, lambda: done(self.app))

    def done(app: Any) -> None:
        mark("1 s after the first frame")
        doc: dict[str, Any] = {"marks": marks}
        later = set(sys.modules) - first["modules"]
        doc["after"] = sorted({_short(m) for m in later if not m.startswith(("encodings", "_"))})
        if trace:
            import tracemalloc

            sizes: dict[str, int] = {}
            for stat in tracemalloc.take_snapshot().statistics("filename"):
                sizes[_package(stat.traceback[0].filename)] = (
                    sizes.get(_package(stat.traceback[0].filename), 0) + stat.size
                )
            doc["live"] = sorted(((v, k) for k, v in sizes.items()), reverse=True)[:8]
        out.write_text(json.dumps(doc))
        app.exit()

    textual.screen.Screen._compositor_refresh = compositor_refresh  # type: ignore[method-assign]
    if hello:
        HelloApp().run()
    else:
        sys.argv = ["warroom"]
        raise SystemExit(tui.cli.main())


def wrap(cls: type, name: str, before: Callable[[], None] | None, after=None) -> None:
    original = getattr(cls, name)

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        if before:
            before()
        result = original(self, *args, **kwargs)
        if after:
            after()
        return result

    setattr(cls, name, wrapped)


def _short(module: str) -> str:
    """A package for others' modules; ours down to the module (tui.publish.checks)."""
    parts = module.split(".")
    return ".".join(parts[:3]) if parts[0] in ("tui", "screens") else parts[0]


def _package(filename: str) -> str:
    """A live allocation's owner: a package, ours by layer, or 'code objects' (imports)."""
    if filename.startswith("<frozen importlib"):
        return "modules (code objects, imports)"
    for root in ("site-packages/", str(HERE.parent) + "/"):
        if root in filename:
            parts = filename.split(root, 1)[1].split("/")
            return "/".join(parts[:2]) if parts[0] in ("tui", "screens") else parts[0]
    path = Path(filename)
    return f"stdlib {path.parent.name}/{path.stem}" if path.parent.name else path.stem


def _run(tmux: Any, command: str, out: Path) -> dict[str, Any] | None:
    session = tmux.new_name("stages")
    tmux.sessions.add(session)
    try:
        tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", session, command)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if out.exists() and out.stat().st_size:
                time.sleep(0.05)
                result: dict[str, Any] = json.loads(out.read_text())
                return result
            time.sleep(0.05)
        return None
    finally:
        tmux.kill(session)


def stage_notes(tmux: Any, db: Path, tmp: Path, env: str) -> list[str]:
    """One staged start of warroom (``db``) and of hello, one traced start of warroom."""
    here = shlex.quote(str(HERE / "stages.py"))
    py = shlex.quote(sys.executable)
    warroom_env = f"{env} WARROOM_DB={shlex.quote(str(db))} WARROOM_AS=bench WARROOM_NO_BELL=1"
    runs: dict[str, dict[str, Any] | None] = {}
    for name, extra in (("warroom", ""), ("hello", " hello"), ("traced", " trace")):
        out = tmp / f"stages-{name}.json"
        out.unlink(missing_ok=True)
        prefix = env if name == "hello" else warroom_env
        runs[name] = _run(tmux, f"exec {prefix} {py} {here} {shlex.quote(str(out))}{extra}", out)
    notes = []
    for name in ("warroom", "hello"):
        got = runs[name]
        if got is None:
            notes.append(f"stages, {name}: no marks within {WAIT:g} s")
            continue
        steps, last = [], 0
        for stage, ms, rss, modules in got["marks"]:
            steps.append(f"{stage} {ms} ms (+{ms - last}), {rss:.1f} MB, {modules} modules")
            last = ms
        notes.append(f"where the time and memory go, {name} (one start): " + "; ".join(steps))
        if got["after"]:
            notes.append(f"imported after {name}'s first frame: {', '.join(got['after'])}")
    traced = runs["traced"]
    if traced is not None and traced.get("live"):
        live = ", ".join(f"{k} {v / 2**20:.1f} MB" for v, k in traced["live"])
        notes.append(f"live Python memory 1 s after warroom's first frame (tracemalloc): {live}")
    return notes


if __name__ == "__main__":
    _probe(Path(sys.argv[1]), "hello" in sys.argv[2:], "trace" in sys.argv[2:])

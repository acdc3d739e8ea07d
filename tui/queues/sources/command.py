"""The command source: any program that prints a queue's size.

``command:`` is a list (run as it is, no shell) or a string (run by ``/bin/sh -c``),
in the poller's working directory, with the poller's environment. It must finish
within the source's ``timeout`` (its whole process group is killed otherwise) and
print, on stdout (at most 64 KiB):

- a whole number (``12``), or
- JSON: a whole number, or an object read with the optional JMESPath expressions
  ``count`` (default: the key ``count``) and ``oldest`` (an ISO 8601 time, or Unix
  epoch seconds: since when the oldest contact waits).

A non-zero exit is an error naming the status and the last line of stderr
(cleaned, at most 200 characters).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from tui.core.clock import ensure_utc
from tui.core.textsafe import clean_line
from tui.queues.sources.base import Reading, SourceError

if TYPE_CHECKING:
    from tui.core.config import QueueSource

MAX_OUTPUT: Final = 64 * 1024
MAX_COUNT: Final = 1_000_000
MAX_ERROR: Final = 200


def _argv(options: Mapping[str, Any]) -> list[str]:
    command = options.get("command")
    if isinstance(command, str) and command.strip():
        return ["/bin/sh", "-c", command]
    if isinstance(command, (list, tuple)) and command and all(isinstance(a, str) for a in command):
        return [str(a) for a in command]
    raise SourceError("command: no command configured", permanent=True)


def _name(command: Any) -> str:
    """The program's name only: a command line may carry a secret (``curl -H ...``)."""
    words = command.split() if isinstance(command, str) else list(command)[:1]
    program = next((str(w) for w in words if "=" not in str(w)), "command")  # not VAR=value
    return clean_line(os.path.basename(program.rstrip("/")) or program)[:60]


def _search(expr: Any, data: Any) -> Any:
    """A JMESPath expression, compiled (has ``.search``) or as text."""
    if hasattr(expr, "search"):
        return expr.search(data)
    import jmespath

    return jmespath.search(str(expr), data)


def _expr_text(expr: Any) -> str:
    return str(getattr(expr, "expression", expr))


def _count(value: Any, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        found = "nothing" if value is None else type(value).__name__
        raise SourceError(f"command: {where} is not a whole number ({found})", permanent=True)
    number: int = value
    if not 0 <= number <= MAX_COUNT:
        raise SourceError(f"command: {where} is {number}, outside 0..{MAX_COUNT}", permanent=True)
    return number


def _instant(value: Any, where: str) -> datetime | None:
    """An ISO 8601 time or Unix epoch seconds; null: unknown."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            pass
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            return ensure_utc(at)
    shown = clean_line(str(value))[:40]
    raise SourceError(
        f"command: {where} is not a time (ISO 8601 or epoch seconds): {shown!r}", permanent=True
    )


def parse_output(text: str, options: Mapping[str, Any]) -> Reading:
    """What the command printed -> a Reading (a number, or JSON read with count/oldest)."""
    stripped = text.strip()
    if not stripped:
        raise SourceError("command: printed nothing (expected a number or JSON)")
    try:
        data = json.loads(stripped)
    except ValueError:
        shown = clean_line(stripped.splitlines()[0])[:40]
        raise SourceError(
            f"command: output is not a number or JSON: {shown!r}", permanent=True
        ) from None
    # the config compiles each expression once (``count_expr``); its text names it
    count_expr = options.get("count_expr") or options.get("count")
    oldest_expr = options.get("oldest_expr") or options.get("oldest")
    if count_expr is None and not isinstance(data, dict):
        return Reading(_count(data, "the output"), None)
    if count_expr is None:
        count_value, where = data.get("count"), "the key 'count'"
    else:
        count_value, where = _search(count_expr, data), f"count {_expr_text(count_expr)!r}"
    if count_value is None:
        raise SourceError(f"command: {where} found nothing in the output", permanent=True)
    count = _count(count_value, where)
    oldest = None
    if oldest_expr is not None:
        where = f"oldest {_expr_text(oldest_expr)!r}"
        oldest = _instant(_search(oldest_expr, data), where)
    elif isinstance(data, dict) and "oldest" in data:
        oldest = _instant(data["oldest"], "the key 'oldest'")
    return Reading(count, oldest)


def _read_bounded(stream: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        if size <= limit:  # keep one byte more than the limit: "too long" is seen
            chunks.append(chunk[: limit + 1 - size])
        size += len(chunk)
    return b"".join(chunks)


def run(argv: list[str], timeout: float, name: str) -> tuple[int, bytes, bytes]:
    """Run ``argv`` in a process group of its own; killed (the group) after ``timeout``.

    Returns (exit status, stdout, stderr), each output at most 64 KiB (+1 byte: too long).
    """
    import threading

    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise SourceError(
            f"command: cannot run {name!r}: {exc.strerror or exc}", permanent=True
        ) from None
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out.append(_read_bounded(proc.stdout, MAX_OUTPUT))),
        threading.Thread(target=lambda: err.append(_read_bounded(proc.stderr, MAX_OUTPUT))),
    ]
    for t in readers:
        t.daemon = True
        t.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise SourceError(
            f"command: {name!r} did not finish within {timeout:g}s (killed)"
        ) from None
    finally:
        _kill_group(proc)  # what it left running would hold our pipes open: end it
        for t in readers:
            t.join(timeout=5)
        if not any(t.is_alive() for t in readers):  # (closing under a blocked read would wait)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
    return code, b"".join(out), b"".join(err)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _last_line(data: bytes) -> str:
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return clean_line(lines[-1]).strip()[:MAX_ERROR] if lines else ""


def fetch(source: QueueSource, client: Any = None) -> Reading:
    """Run the source's command and read its count (``client`` is unused)."""
    argv = _argv(source.options)
    name = _name(source.options.get("command"))
    code, stdout, stderr = run(argv, float(source.timeout), name)
    if code != 0:
        why = f"exit status {code}" if code > 0 else f"killed by signal {-code}"
        last = _last_line(stderr)
        raise SourceError(f"command: {name!r} failed ({why})" + (f": {last}" if last else ""))
    if len(stdout) > MAX_OUTPUT:
        raise SourceError(
            f"command: {name!r} printed more than {MAX_OUTPUT // 1024} KiB", permanent=True
        )
    return parse_output(stdout.decode("utf-8", "replace"), source.options)

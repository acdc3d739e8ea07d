"""The ``warroom`` console script: the status line's short way in, else the CLI.

tmux's status line runs ``warroom --db DB status --oneline`` for every client every few
seconds. When the command line is exactly that (``status --oneline`` with the global
options ``--db``, ``--config``, ``--group``, ``--timeout``, each once, before or after)
and the user's cache answers for the database (:func:`tui.core.oneline.cached_line`),
the line is printed before the CLI is imported (argparse, the parser, every command
group: ~20 ms of a ~60 ms run). Anything else -- another command or option, a value the
CLI would refuse, no ``--db``/``WARROOM_DB`` (the default database is the CLI's to find),
a cache miss, any surprise -- goes to :func:`tui.cli.main` as it is, which says any
error in its usual way. This module imports nothing at load time but ``os`` and ``sys``.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # (not typing's: importing typing costs this path ~3 ms)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# The global options the status line may carry, and the attribute each sets.
_VALUED = {"--db": "db", "--config": "config", "--group": "group", "--timeout": "timeout"}


def oneline_request(argv: Sequence[str]) -> dict[str, str] | None:
    """The global options of ``status --oneline`` when ARGV asks for exactly that; else None."""
    options: dict[str, str] = {}
    words: list[str] = []
    rest = iter(argv)
    for arg in rest:
        name, eq, value = arg.partition("=")
        if name not in _VALUED:
            words.append(arg)
            continue
        if not eq:
            value = next(rest, "")
        dest = _VALUED[name]
        if dest in options or not value.strip() or value.startswith("-") or _not_utf8(value):
            return None  # twice, empty, missing or not text: the CLI says what is wrong
        options[dest] = value
    return options if words == ["status", "--oneline"] else None


def _not_utf8(text: str) -> bool:
    """Bytes that are not UTF-8 (lone surrogates): the CLI names the option."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def quick_line(argv: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The status line from the user's cache, or None (the CLI's turn)."""
    options = oneline_request(argv)
    if options is None:
        return None
    db = options.get("db") or environ.get("WARROOM_DB")
    if not db:
        return None
    try:
        timeout = float(options.get("timeout") or environ.get("WARROOM_TIMEOUT") or "5")
    except ValueError:
        return None
    if not 0 <= timeout <= 600:
        return None
    from datetime import UTC, datetime

    from tui.core.oneline import cached_line

    now = datetime.now(UTC)
    if environ.get("WARROOM_NOW"):  # a frozen clock (scripts, tests): the clock's parser
        from tui.core.clock import parse_instant

        try:
            now = parse_instant(environ["WARROOM_NOW"])
        except ValueError:
            return None  # the CLI says what is wrong with it
    return cached_line(os.path.expanduser(db), now, timeout)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        line = quick_line(args, os.environ)
    except Exception:  # never an error of its own: the CLI does the same the long way
        line = None
    if line is not None:
        from tui.core.textsafe import clean

        try:
            sys.stdout.write(clean(line) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # tmux closed the pipe: as the CLI, no error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    from tui.cli import main as cli_main

    return cli_main(args)


__all__ = ["main", "oneline_request", "quick_line"]

"""What every command handler is given and how it answers: the context, output, exit codes.

A handler is ``def cmd_x(ctx: Context) -> int``: it reads its options from
``ctx.args``, opens the database through ``ctx.store()`` (lazily: ``--help``
and usage errors never touch it), prints with :func:`out` (text from users and
files has its escape sequences removed), and returns an exit status. A problem
with what the user asked for is a :class:`UsageError`: one line on stderr,
exit 2. Imports stay light (no Textual, no httpx, no Jinja2): the parser
imports every command module, and start-up time is a feature.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.core.clock import Clock
    from tui.core.config import Config
    from tui.core.store import Store

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERNAL = 70

# (dest, option) of the options every command takes, before or after its name
GLOBAL_OPTIONS = (
    ("db", "--db"),
    ("actor", "--as"),
    ("timeout", "--timeout"),
    ("group", "--group"),
    ("config", "--config"),
)


class UsageError(Exception):
    """A one-line problem with what the user asked for (exit 2)."""


class Context:
    """What every command needs: options, the clock, the actor, the store (opened lazily)."""

    def __init__(self, args: argparse.Namespace):
        from tui.core.clock import clock_from_env

        self.args = args
        for dest, option in GLOBAL_OPTIONS:  # `--db ""` must not mean "the default database"
            value = getattr(args, dest, None)
            if value is not None and not value.strip():
                raise UsageError(f"{option} is empty: give a value or leave the option out")
        try:
            self.clock: Clock = clock_from_env()
        except ValueError as exc:
            raise UsageError(f"WARROOM_NOW: {exc}") from None
        self._store: Store | None = None

    @property
    def actor(self) -> str:
        from tui.commands import check_actor

        name = self.args.actor or os.environ.get("WARROOM_AS") or _os_user()
        return check_actor(name)

    def db_path(self) -> Path:
        explicit = self.args.db or os.environ.get("WARROOM_DB")
        if explicit:
            return Path(explicit).expanduser()
        from tui.core.store import default_db_path

        path = default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def timeout(self) -> float:
        raw = self.args.timeout or os.environ.get("WARROOM_TIMEOUT") or "5"
        try:
            value = float(raw)
        except ValueError:
            raise UsageError(f"--timeout must be a number of seconds, got {raw!r}") from None
        if not 0 <= value <= 600:
            raise UsageError("--timeout must be between 0 and 600 seconds")
        return value

    def store(self, *, create: bool = False) -> Store:
        """The database; only ``start`` creates one (reading a missing one is an error)."""
        if self._store is None:
            from tui.core.store import Store

            group = self.args.group or os.environ.get("WARROOM_GROUP") or None
            self._store = Store(self.db_path(), timeout=self.timeout(), group=group, create=create)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return f"uid{os.getuid()}"


# ------------------------------------------------------------------------- output


def out(text: str = "") -> None:
    """Print text from users and files safely: no escape sequences reach the terminal."""
    from tui.core.textsafe import clean

    sys.stdout.write(clean(text) + "\n")


def err(text: str) -> None:
    """One line on stderr, ``warroom: `` first (the caller returns exit 2)."""
    from tui.core.textsafe import clean_line

    sys.stderr.write("warroom: " + clean_line(text) + "\n")


def safe(text: str) -> str:
    """TEXT on one line with no escape sequences (for lines written as they are)."""
    from tui.core.textsafe import clean_line

    return clean_line(text)


def print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------- what commands share


def when(ctx: Context, option: str, text: str | None, tz: str, *, future: bool) -> datetime | None:
    """A time typed on the command line (30m, -10m, 14:15, ISO), or None when not given."""
    if text is None:
        return None
    if not text.strip():
        raise UsageError(f"{option} is empty: give a time, e.g. 30m, 14:15 or {option}=-10m")
    from tui.core.clock import parse_when

    try:
        return parse_when(text, ctx.clock.now(), tz, future=future)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def config(ctx: Context) -> Config:
    """The destinations config (``--config``, ``$WARROOM_CONFIG`` or the default file)."""
    from tui.core.config import load_config

    return load_config(ctx.args.config)


def incident(ctx: Context, *, create: bool = False) -> tuple[Store, str]:
    """The store and the id of the incident ``--incident`` names (or the one open)."""
    from tui import commands

    store = ctx.store(create=create)
    return store, commands.resolve_incident(store, ctx.args.incident)


def run(ctx: Context, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """Apply one command to the incident and print its outcome: ``INC-3: <message>``."""
    store, incident_id = incident(ctx)
    outcome = fn(store, ctx.clock, ctx.actor, incident_id, *args, **kwargs)
    out(f"{incident_id}: {outcome.message}")
    return EXIT_OK


def read_text_arg(name: str) -> str:
    """The text of file NAME (``-`` is stdin), or a UsageError naming the file."""
    try:
        return sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {name}: {exc}") from None


def write(path: str, text: str) -> None:
    """Write TEXT to PATH whole (never half-written, never through a link, 0600)."""
    from tui.core.files import write_atomic

    try:
        write_atomic(path, text)
    except OSError as exc:  # files.WriteError: one line naming the file and the cause
        raise UsageError(str(exc)) from None

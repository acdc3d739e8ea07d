"""The parsing rules every command shares: one-line usage errors, global options anywhere.

Each command group registers its subcommands with :func:`add_command` (or
``sub.add_parser`` for a group of actions such as ``outbox retry``), beside its
handlers. What this module guarantees for all of them, once the tree is built:

- a usage error is one line naming the command and its ``--help``, exit 2;
- the global options (``--db``, ``--as``, ``--timeout``, ``--group``,
  ``--config``) and ``--incident`` work before or after the command's name;
- ``--next -10m`` is a time, not an unknown option (:func:`negative_times`);
- text typed on the command line that is not UTF-8 is refused with the option
  named (:func:`check_utf8`); file names may hold any bytes.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from tui.cli.context import EXIT_USAGE, Context, UsageError

Handler: TypeAlias = Callable[[Context], int]
"""A command: reads ``ctx.args``, returns the exit status."""

if TYPE_CHECKING:
    Subparsers: TypeAlias = argparse._SubParsersAction["Parser"]


class Parser(argparse.ArgumentParser):
    """Usage errors in one line (and exit 2), like every other error."""

    epilog_factory: Callable[[], str] | None = None
    """Computes the epilog when help is asked for (not at every start-up)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message} (see: {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)

    def format_help(self) -> str:
        if self.epilog_factory is not None:
            self.epilog = self.epilog_factory()
        return super().format_help()


def add_command(
    sub: Subparsers, name: str, func: Handler, help: str, incident: bool = True
) -> Parser:
    """A subcommand running FUNC; with INCIDENT, it takes ``--incident/-i ID``."""
    sp = sub.add_parser(name, help=help, description=help)
    sp.set_defaults(func=func)
    if incident:
        sp.add_argument("--incident", "-i", metavar="ID", help="the incident (e.g. INC-3)")
    return sp


def add_globals(p: argparse.ArgumentParser, *, top: bool) -> None:
    """The global options: on the top parser, and again (suppressed defaults) on each command."""
    g: Any = p if top else p.add_argument_group("global options (before or after the command)")
    kw: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    g.add_argument("--db", metavar="PATH", help="incident database (env WARROOM_DB)", **kw)
    g.add_argument(
        "--as", dest="actor", metavar="NAME", help="act as NAME, e.g. a bot (env WARROOM_AS)", **kw
    )
    g.add_argument(
        "--timeout",
        metavar="SECONDS",
        help="how long to wait for a database lock (default 5; env WARROOM_TIMEOUT)",
        **kw,
    )
    g.add_argument(
        "--group",
        metavar="GROUP",
        help="create the database 0660 for this shared war-room group (env WARROOM_GROUP)",
        **kw,
    )
    g.add_argument(
        "--config",
        metavar="PATH",
        help="destinations config (env WARROOM_CONFIG; see warroom publish --help)",
        **kw,
    )


def globals_everywhere(p: argparse.ArgumentParser) -> None:
    """Give every command the global options, and let a parent's ``--incident`` reach it."""
    for sp in subparsers(p):  # global options work after the command's name too
        add_globals(sp, top=False)
        own = [a for a in sp._actions if a.dest == "incident"]
        for action in own:
            action.default = argparse.SUPPRESS  # a parent's --incident survives the child
        sp.set_defaults(incident_ok=bool(own))


def subparsers(p: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every command and action parser under P, depth first, in the order registered."""
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sp in dict.fromkeys(action.choices.values()):
                yield sp
                yield from subparsers(sp)


def when_options(p: argparse.ArgumentParser) -> set[str]:
    """The option strings that take a time (metavar WHEN), in every command."""
    found = {o for a in p._actions if a.metavar == "WHEN" for o in a.option_strings}
    for sp in subparsers(p):
        found |= {o for a in sp._actions if a.metavar == "WHEN" for o in a.option_strings}
    return found


def negative_times(argv: list[str], options: set[str]) -> list[str]:
    """``--next -10m`` means ``--next=-10m`` (argparse would take -10m for an option)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out += argv[i:]
            break
        if arg in options and i + 1 < len(argv) and re.match(r"-\d", argv[i + 1]):
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def settle_incident(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``warroom --incident 3 check x`` is ``warroom check x --incident 3``."""
    before = args.incident_before
    after = getattr(args, "incident", None)
    if before is not None:
        if not args.incident_ok:
            parser.error("--incident: this command is not about one incident")
        if after is not None and after != before:
            parser.error(f"--incident given twice ({before!r} and {after!r})")
    args.incident = after if after is not None else before


# Options whose values are file names: any bytes the OS allows (not text to store).
_PATH_METAVARS = ("FILE", "PATH")


def check_utf8(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Text typed on the command line must be UTF-8; name the option that is not.

    Python hands undecodable bytes over as lone surrogates (U+DC80..U+DCFF); stored,
    they would fail deep in SQLite or JSON. File names may hold any bytes.
    """
    names: dict[str, tuple[str, bool]] = {}

    def collect(p: argparse.ArgumentParser) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    collect(sub)
                continue
            label = action.option_strings[0] if action.option_strings else str(action.metavar)
            metavar = str(action.metavar or "")
            is_path = any(m in metavar for m in _PATH_METAVARS) or action.dest == "db"
            names.setdefault(action.dest, (label, is_path))

    collect(parser)
    for dest, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if not isinstance(v, str):
                continue
            bad = next((ch for ch in v if "\udc80" <= ch <= "\udcff"), None)
            label, is_path = names.get(dest, (dest, False))
            if bad is not None and not is_path:
                raise UsageError(
                    f"{label}: not valid UTF-8 (the byte 0x{ord(bad) - 0xDC00:02x}); "
                    "type the text again or fix the terminal's encoding"
                )

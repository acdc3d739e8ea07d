"""``warroom playbook check|list|reload``, and what a playbook name on the command line means.

A name is a file path, or the stem of a playbook that ships with warroom
(``saas-major-outage``); a typo of a shipped name gets a "did you mean". A
playbook that does not load is reported as ``FILE:LINE:COL: problem`` lines on
stderr, exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.cli.context import EXIT_OK, EXIT_USAGE, Context, UsageError, err, out, safe

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers
    from tui.core.playbook import Playbook


def load_book(name: str) -> Playbook:
    """The playbook NAME means, loaded (PlaybookError lists its problems)."""
    from tui.core.playbook import load_playbook

    return load_playbook(playbook_path(name))


def playbook_path(name: str, *, list_shipped: bool = True) -> Path:
    """The playbook file NAME means; a typo of a shipped name gets a "did you mean"."""
    from tui.core.resources import resolve_playbook, shipped_playbooks

    path = resolve_playbook(name)
    if path.exists() or "/" in name or not name.strip():
        return path
    import difflib

    stems = [p.stem for p in shipped_playbooks()]
    stem = name.strip().removesuffix(".yaml").removesuffix(".yml")
    close = difflib.get_close_matches(stem, stems, n=1, cutoff=0.6)
    if close:
        raise UsageError(f"no playbook {name!r}: did you mean {close[0]}?")
    if not list_shipped:
        return path  # reading it reports FILE:LINE:COL: cannot read
    shipped = ", ".join(stems) or "none"
    raise UsageError(f"no playbook {name!r}: not a file, nor a shipped playbook ({shipped})")


def cmd_playbook_check(ctx: Context) -> int:
    from tui.core.playbook import PlaybookError, load_playbook

    failed = False
    for name in ctx.args.files:
        try:
            path = playbook_path(name, list_shipped=False)
        except UsageError as exc:
            failed = True
            err(str(exc))
            continue
        try:
            book = load_playbook(path)
        except PlaybookError as exc:
            failed = True
            for problem in exc.problems:
                sys.stderr.write(safe(str(problem)) + "\n")
            continue
        out(f"{name}: ok \u2014 {book.summary()}")
    return EXIT_USAGE if failed else EXIT_OK


def cmd_playbook_list(ctx: Context) -> int:
    from tui.core.playbook import PlaybookError, load_playbook
    from tui.core.resources import shipped_playbooks

    for path in shipped_playbooks():
        try:
            book = load_playbook(path)
            out(f"{path.stem:<24} {book.name} \u2014 {book.description[:80]}")
        except PlaybookError as exc:
            out(f"{path.stem:<24} (invalid: {exc.problems[0].message})")
    return EXIT_OK


def cmd_playbook_reload(ctx: Context) -> int:
    from tui import commands

    store = ctx.store(create=False)
    incident = commands.resolve_incident(store, ctx.args.incident)
    state = store.state(incident)
    source = ctx.args.file or state.book.source
    if not source:
        raise UsageError("this incident's playbook has no file on record: name one")
    book = load_book(source)
    outcome = commands.reload_playbook(store, ctx.clock, ctx.actor, incident, book)
    out(f"{incident}: {outcome.message}")
    return EXIT_OK


def register(sub: Subparsers) -> None:
    pb = sub.add_parser("playbook", help="check, list or reload playbooks")
    pbs = pb.add_subparsers(title="playbook commands", metavar="ACTION", required=True)
    c = pbs.add_parser("check", help="validate playbook files (FILE:LINE:COL errors)")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.set_defaults(func=cmd_playbook_check)
    c = pbs.add_parser("list", help="the playbooks that ship with warroom")
    c.set_defaults(func=cmd_playbook_list)
    c = pbs.add_parser("reload", help="re-read the incident's playbook (or FILE) into it")
    c.add_argument("file", nargs="?", metavar="FILE")
    c.add_argument("--incident", "-i", metavar="ID")
    c.set_defaults(func=cmd_playbook_reload)

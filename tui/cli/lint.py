"""``warroom lint``: the message check on any text, with no incident and no database.

``warroom lint [FILE | -] --purpose P [--kind K] [--playbook FILE|NAME] [--json]``
runs the same check as the dashboard and ``warroom publish``
(:func:`tui.publish.checks.lint.lint`) and says what it finds, one line each:
``LINE:COL severity rule: message`` with the better phrasing indented below,
then a summary line. ``--json`` prints the findings with character offsets into
the text (``quote`` is ``text[start:end]``).

Exit 0 when nothing blocks publishing (warnings may remain), 1 when an error
blocks it, 2 for bad input (a file that cannot be read, is not UTF-8 or is
larger than 1 MiB; a playbook or config that does not load). An empty message is
not bad input: it is the ``blank`` error. No database is opened or created. The
destinations config, when there is one (``--config``, ``$WARROOM_CONFIG`` or the
default file), gives the page's component names, as it does for ``publish``: a
component's name is never jargon.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui.cli.context import EXIT_OK, Context, UsageError, config, out, safe
from tui.cli.parser import add_command
from tui.core.vocabulary import DESTINATION_KINDS, PUBLISH_PURPOSES

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers
    from tui.publish.checks import Finding

EXIT_BLOCKED = 1
"""An error-severity finding: the message would be refused."""

LIMIT = 1 << 20
"""The most bytes read (1 MiB): a status message is a few thousand characters."""

DEFAULT_PLAYBOOK = "saas-major-outage"

PURPOSE_HELP = """purposes:
  ack         the first acknowledgement
  update      investigating, identified, monitoring
  resolved    service is restored
  postmortem  the incident report
  amends      what customers are offered"""


def read_message(name: str) -> str:
    """The text of FILE (``-``: stdin), UTF-8, at most :data:`LIMIT` bytes, or a UsageError.

    The text is kept as it is (line endings included; a UTF-8 byte order mark is
    dropped), so the offsets of the findings are offsets into it.
    """
    where = "stdin" if name == "-" else name
    try:
        if name == "-":
            data = sys.stdin.buffer.read(LIMIT + 1)
        else:
            with open(name, "rb") as f:
                data = f.read(LIMIT + 1)
    except OSError as exc:
        from tui.core.files import os_reason

        raise UsageError(f"cannot read {where}: {os_reason(exc)}") from None
    if len(data) > LIMIT:
        raise UsageError(f"{where}: larger than 1 MiB; a message to customers is far shorter")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{where}:{line}: not UTF-8 (the byte 0x{data[exc.start]:02x} at byte {exc.start})"
        ) from None


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of the character at ``offset``; columns count characters."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def summary(findings: list[Finding]) -> str:
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors

    def n(count: int, word: str) -> str:
        return f"{count} {word}" + ("" if count == 1 else "s")

    if errors:
        return f"{n(errors, 'error')}, {n(warnings, 'warning')}: publishing is blocked"
    if warnings:
        return f"{n(warnings, 'warning')}: nothing blocks publishing (read them first)"
    return "no findings: nothing blocks publishing"


def as_json(text: str, purpose: str, kind: str, findings: list[Finding]) -> dict[str, Any]:
    from tui.publish.checks import has_errors

    return {
        "purpose": purpose,
        "kind": kind,
        "blocked": has_errors(findings),
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "start": f.start,
                "end": f.end,
                "quote": text[f.start : f.end],
            }
            for f in findings
        ],
    }


def _escape_for_terminal(ch: str) -> str:
    return f"\\u{ord(ch):04x}"


def print_json_safely(data: Any) -> None:
    """JSON with every character a terminal could act on (C1 controls, bidi overrides,
    line separators) written as ``\\uXXXX``: the same JSON, safe to print."""
    import json
    import re

    text = json.dumps(data, indent=2, ensure_ascii=False)
    # outside strings JSON holds only ASCII, so these occur only inside strings
    text = re.sub(
        r"[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
        lambda m: _escape_for_terminal(m.group()),
        text,
    )
    sys.stdout.write(text + "\n")


def cmd_lint(ctx: Context) -> int:
    from tui.cli.playbook import load_book
    from tui.publish.checks import has_errors
    from tui.publish.checks.lint import lint

    args = ctx.args
    name = args.file
    if name is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("lint: name a FILE, or - to read the message from stdin")
        name = "-"
    purpose: str = args.purpose
    kind: str = args.kind
    book = load_book(args.playbook)  # a bad playbook: FILE:LINE:COL lines, exit 2
    cfg = config(ctx)  # the page's component names, as publish has them
    text = read_message(name)
    findings = lint(text, purpose, kind, book, cfg)
    if args.json:
        print_json_safely(as_json(text, purpose, kind, findings))
    else:
        for f in findings:
            line, col = position(text, f.start)
            out(safe(f"{line}:{col} {f.severity} {f.rule}: {f.message}"))
            if f.suggestion:
                out("    " + safe(f.suggestion))
        out(safe(f"{purpose} for {kind}: {summary(findings)}"))
    return EXIT_BLOCKED if has_errors(findings) else EXIT_OK


def register(sub: Subparsers) -> None:
    c = add_command(
        sub,
        "lint",
        cmd_lint,
        "check a message's wording, no incident needed (exit 1 when an error blocks it)",
        incident=False,
    )
    c.formatter_class = argparse.RawDescriptionHelpFormatter
    c.description = (
        "Check a message to customers as the dashboard and `warroom publish` would,\n"
        "with no incident and no database. One line per finding:\n"
        "LINE:COL severity rule: message (the better phrasing indented below).\n\n"
        + PURPOSE_HELP
        + "\n\n"
        "Exit status: 0 nothing blocks publishing, 1 an error blocks it, 2 bad input."
    )
    c.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="the message (- for stdin; default stdin when it is not a terminal)",
    )
    c.add_argument(
        "--purpose",
        required=True,
        choices=PUBLISH_PURPOSES,
        help="what the message is for: " + ", ".join(PUBLISH_PURPOSES),
    )
    c.add_argument(
        "--kind",
        choices=DESTINATION_KINDS,
        default="statuspage",
        help="where it goes (length and tone differ): "
        + ", ".join(DESTINATION_KINDS)
        + " (default statuspage)",
    )
    c.add_argument(
        "--playbook",
        metavar="FILE|NAME",
        default=DEFAULT_PLAYBOOK,
        help=f"a playbook file or shipped name whose checks apply (default {DEFAULT_PLAYBOOK})",
    )
    c.add_argument("--json", action="store_true", help="the findings as JSON")

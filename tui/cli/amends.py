"""Making amends: ``postmortem`` (export, edit, action, publish) and ``offers``.

The post-mortem is built from the event log and rendered as Markdown, HTML or
JSON; it is published through the same outbox as any update (``--yes`` to
queue it). ``offers`` reads a billing export (CSV) and computes each
customer's recovery offer; a bad file is refused whole, every problem listed,
unless ``--skip-bad``. Files are written whole or not at all.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tui.cli.context import (
    EXIT_OK,
    EXIT_USAGE,
    Context,
    UsageError,
    config,
    err,
    incident,
    out,
    print_json,
    read_text_arg,
    run,
    safe,
    write,
)
from tui.cli.parser import add_command

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers
    from tui.core.store import Store


def _postmortem_text(ctx: Context, store: Store, incident_id: str, fmt: str) -> str:
    from tui.amends.postmortem import build, render

    state = store.state(incident_id)
    report = build(state, list(store.events(incident_id)), ctx.clock.now())
    return render(report, fmt, state.book.template_dirs())


def cmd_postmortem(ctx: Context) -> int:
    store, incident_id = incident(ctx)
    text = _postmortem_text(ctx, store, incident_id, ctx.args.format)
    if ctx.args.out:
        write(ctx.args.out, text)
        out(f"{incident_id}: post-mortem written to {ctx.args.out} ({ctx.args.format})")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def cmd_postmortem_edit(ctx: Context) -> int:
    from tui import commands

    if ctx.args.file:
        text = read_text_arg(ctx.args.file)
    elif ctx.args.text is not None:
        text = ctx.args.text
    else:
        raise UsageError("give --text TEXT or --file FILE")
    field = ctx.args.part.replace("-", "_")
    return run(ctx, commands.edit_postmortem, field, text.strip())


def cmd_postmortem_action(ctx: Context) -> int:
    from tui import commands

    return run(
        ctx,
        commands.set_remedial_action,
        ctx.args.id,
        ctx.args.action,
        ctx.args.owner or "",
        ctx.args.due or "",
        ctx.args.status,
    )


def cmd_postmortem_publish(ctx: Context) -> int:
    from tui import commands
    from tui.commands.postmortem import not_yet

    cfg = config(ctx)
    store, incident_id = incident(ctx)
    # after the resolution only (commands.publish refuses too): one line, not the preview
    how = " (warroom publish --template resolved --yes)"
    why = not_yet(store.state(incident_id), incident_id, "postmortem", how)
    if why is not None:
        err(why)
        return EXIT_USAGE
    body = _postmortem_text(ctx, store, incident_id, "md")
    if not ctx.args.yes:
        out(body)
        err("nothing queued: add --yes to publish this post-mortem")
        return EXIT_USAGE
    outcome = commands.publish(
        store,
        ctx.clock,
        ctx.actor,
        incident_id,
        "postmortem",
        body,
        cfg,
        destinations=ctx.args.destination,
        accept_warnings=True,
    )
    out(f"{incident_id}: {outcome.message}")
    return EXIT_OK


def cmd_offers(ctx: Context) -> int:
    from tui.amends.offers import OffersError, fit, offers_for

    store, incident_id = incident(ctx)
    try:
        result = offers_for(
            store.state(incident_id),
            ctx.args.customers,
            ctx.clock.now(),
            skip_bad=ctx.args.skip_bad,
        )
    except OffersError as exc:
        for problem in exc.lines:  # the first 50, then "... and N more problems"
            sys.stderr.write(safe(problem) + "\n")
        err(f"refused: {exc.total:,} problem(s); nothing written (--skip-bad skips bad rows)")
        return EXIT_USAGE
    for skipped in result.skipped_lines:
        sys.stderr.write("skipped: " + safe(skipped) + "\n")
    if ctx.args.out:
        write(ctx.args.out, result.to_csv())
    if ctx.args.json:
        print_json(result.to_json())
        return EXIT_OK
    offered = [c for c in result.customers if c.offer != "none"]
    out(
        f"{incident_id}: outage {result.outage_minutes} min; {len(offered)} of "
        f"{len(result.customers)} customers get an offer"
    )
    for c in result.customers:
        parts = [c.offer]
        if c.credit_amount is not None:
            parts.append(f"{c.credit_pct}% = {c.credit_amount} {c.currency}")
        if c.trial_extension_days:
            parts.append(f"+{c.trial_extension_days} days of trial")
        # widths in terminal cells, not characters: CJK names and accents keep the columns
        cells = (fit(safe(v), w) for v, w in ((c.customer_id, 10), (c.name, 30), (c.plan, 10)))
        out("  " + " ".join(cells) + " " + ", ".join(parts))
    for currency, total in sorted(result.totals.items()):
        out(f"cost of credits: {total} {currency}")
    out(result.rounding)
    if ctx.args.out:
        out(f"written to {ctx.args.out}")
    return EXIT_OK


def register(sub: Subparsers) -> None:
    pm = sub.add_parser("postmortem", help="the post-mortem: export, edit, publish")
    pm.add_argument("--incident", "-i", metavar="ID")
    pm.add_argument("--format", choices=["md", "html", "json"], default="md")
    pm.add_argument("--out", metavar="FILE", help="write to FILE (default: stdout)")
    pm.set_defaults(func=cmd_postmortem)
    pms = pm.add_subparsers(title="post-mortem commands", metavar="ACTION")
    c = pms.add_parser("edit", help="write a part: summary, root-cause, trigger, why")
    c.add_argument("part", choices=["summary", "root-cause", "trigger", "why"])
    c.add_argument("--text", metavar="TEXT")
    c.add_argument("--file", metavar="FILE", help="the text from a file (- for stdin)")
    c.add_argument("--incident", "-i", metavar="ID")
    c.set_defaults(func=cmd_postmortem_edit)
    c = pms.add_parser("action", help="add (or with --id change) a remedial action")
    c.add_argument("action", metavar="TEXT")
    c.add_argument("--id", metavar="ID", help="the action to change")
    c.add_argument("--owner", metavar="NAME")
    c.add_argument("--due", metavar="YYYY-MM-DD")
    c.add_argument("--status", choices=["open", "in progress", "done"], default="open")
    c.add_argument("--incident", "-i", metavar="ID")
    c.set_defaults(func=cmd_postmortem_action)
    c = pms.add_parser("publish", help="publish the post-mortem to the status page(s)")
    c.add_argument("--destination", action="append", metavar="ID")
    c.add_argument("--yes", action="store_true")
    c.add_argument("--incident", "-i", metavar="ID")
    c.set_defaults(func=cmd_postmortem_publish)

    c = add_command(sub, "offers", cmd_offers, "recovery offers from a billing export (CSV)")
    c.add_argument("--customers", required=True, metavar="FILE.csv")
    c.add_argument("--out", metavar="FILE.csv", help="write the offers as CSV")
    c.add_argument("--json", action="store_true")
    c.add_argument("--skip-bad", action="store_true", help="write the good rows, list the bad")

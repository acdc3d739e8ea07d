"""Messages to customers: ``draft``, ``publish``, ``approve``/``reject``, ``deliver``, ``outbox``.

``draft`` renders the message the phase owes and lists what the checks find;
``publish`` queues it in the durable outbox only when nothing blocks it and
``--yes`` is given (errors always block, warnings unless
``--accept-warnings``). ``deliver`` sends the queue to the destinations of the
config file (see ``warroom publish --help``); ``outbox`` shows each row, and
puts a failed one back or gives up on it.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

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
    safe,
    when,
)
from tui.cli.parser import add_command
from tui.core.vocabulary import DESTINATION_KINDS, PUBLISH_PURPOSES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tui.cli.parser import Subparsers
    from tui.core.config import Config
    from tui.core.store import Store
    from tui.publish.checks import Finding
    from tui.publish.worker import Attempt


def fill_blanks(text: str, pairs: list[str]) -> str:
    """``--set "what customers are seeing=Logins fail"`` fills the blank of that name."""
    from tui.publish.drafting import find_blanks

    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set takes BLANK=TEXT, got {pair!r}")
        matches = [b for b in find_blanks(text) if b.description == name.strip()]
        if not matches:
            names = sorted({b.description for b in find_blanks(text)})
            known = "; ".join(names) if names else "none left"
            raise UsageError(f"no blank {name.strip()!r} in the message (blanks: {known})")
        for b in reversed(matches):
            text = text[: b.start] + value + text[b.end :]
    return text


def message(ctx: Context, store: Store, incident_id: str, cfg: Config) -> tuple[str, str]:
    """(purpose, text) from --body-file or the template, blanks filled by --set."""
    from tui.publish.drafting import DraftError, render

    state = store.state(incident_id)
    purpose = ctx.args.template or state.next_purpose()
    if getattr(ctx.args, "body_file", None):
        text = read_text_arg(ctx.args.body_file)
    else:
        kind = getattr(ctx.args, "kind", None) or "statuspage"
        names: list[str] = []
        for dest in cfg.destinations:  # the affected components, by name
            names += [n for n in dest.components if n not in names]
        try:
            text = render(state, purpose, kind, ctx.clock.now(), {"components": names})
        except DraftError as exc:
            raise UsageError(str(exc)) from None
    return purpose, fill_blanks(text, ctx.args.set or [])


def findings_lines(findings: Sequence[Finding]) -> list[str]:
    return [
        f"{f.severity}: {f.rule}: {f.message}" + (f" — {f.suggestion}" if f.suggestion else "")
        for f in findings
    ]


def cmd_draft(ctx: Context) -> int:
    from tui.publish.checks.lint import lint

    store, incident_id = incident(ctx)
    cfg = config(ctx)
    purpose, text = message(ctx, store, incident_id, cfg)
    kind = ctx.args.kind or "statuspage"
    findings = lint(text, purpose, kind, store.state(incident_id).book, cfg)
    if ctx.args.json:
        print_json(
            {
                "incident": incident_id,
                "purpose": purpose,
                "kind": kind,
                "text": text,
                "findings": [
                    {
                        "rule": f.rule,
                        "severity": f.severity,
                        "start": f.start,
                        "end": f.end,
                        "message": f.message,
                        "suggestion": f.suggestion,
                    }
                    for f in findings
                ],
            }
        )
    else:
        out(text.rstrip())
        out()
        for line in findings_lines(findings) or ["no findings"]:
            out(line)
    return EXIT_OK


def cmd_publish(ctx: Context) -> int:
    from tui import commands
    from tui.publish.checks.lint import lint

    cfg = config(ctx)  # a broken config says so before anything else
    store, incident_id = incident(ctx)
    purpose, text = message(ctx, store, incident_id, cfg)
    state = store.state(incident_id)
    findings = lint(text, purpose, "statuspage", state.book, cfg)
    blocking = [f for f in findings if f.severity == "error"] or (
        [] if ctx.args.accept_warnings else findings
    )
    if blocking or not ctx.args.yes:
        for line in findings_lines(findings):
            sys.stderr.write(safe(line) + "\n")
        if blocking:
            errors = any(f.severity == "error" for f in blocking)
            err(
                f"refused: {len(blocking)} finding(s) "
                + ("block publishing" if errors else "to accept with --accept-warnings")
            )
        else:
            err("nothing queued: add --yes to publish")
        return EXIT_USAGE
    promised = when(ctx, "--next", ctx.args.next, state.book.timezone, future=True)
    outcome = commands.publish(
        store,
        ctx.clock,
        ctx.actor,
        incident_id,
        purpose,
        text,
        cfg,
        destinations=ctx.args.destination,
        promised_next_at=promised,
        accept_warnings=ctx.args.accept_warnings,
    )
    out(f"{incident_id}: {outcome.message}")
    return EXIT_OK


def cmd_approve(ctx: Context) -> int:
    return _decide(ctx, approve=True)


def cmd_reject(ctx: Context) -> int:
    return _decide(ctx, approve=False, reason=ctx.args.reason or "")


def _decide(ctx: Context, **kwargs: Any) -> int:
    """Approve or send back the message waiting for this person (two-person rule)."""
    from tui import commands

    store, incident_id = incident(ctx)
    outcome = commands.decide(
        store, ctx.clock, ctx.actor, incident_id, ctx.args.request, config(ctx), **kwargs
    )
    out(f"{incident_id}: {outcome.message}")
    return EXIT_OK


def cmd_deliver(ctx: Context) -> int:
    from tui.publish.worker import Deliverer

    cfg = config(ctx)
    store = ctx.store()
    deliverer = Deliverer(store, cfg, ctx.clock)

    def report(attempt: Attempt) -> None:
        out(f"outbox {attempt.row_id}: {attempt.outcome} — {attempt.detail}")

    try:
        if ctx.args.once:
            attempt = deliverer.deliver_one()
            if attempt is None:
                out("nothing due")
            else:
                report(attempt)
        else:
            sent = deliverer.run(until_idle=ctx.args.until_idle, report=report)
            out(f"{sent} sent")
    finally:
        deliverer.close()
    return EXIT_OK


def cmd_outbox(ctx: Context) -> int:
    from tui.publish import outbox

    store = ctx.store()  # no database there is an error (exit 2), not an empty outbox
    incident_id = None
    if ctx.args.incident:
        from tui.commands import resolve_incident

        incident_id = resolve_incident(store, ctx.args.incident)
    rows = outbox.rows(store, incident_id)
    if ctx.args.json:
        print_json([r.as_dict() for r in rows])
        return EXIT_OK
    if not rows:
        out("the outbox is empty")
    for r in rows:
        line = f"{r.id:>4} {r.incident_id:<7} {r.purpose:<9} -> {r.destination:<12} {r.state:<9}"
        line += f" attempts {r.attempts}"
        if r.last_error:  # a sent row keeps one only when it may not have arrived
            line += f"  last error: {r.last_error}"
        out(line)
    return EXIT_OK


def cmd_outbox_retry(ctx: Context) -> int:
    from tui.publish import outbox

    store = ctx.store(create=False)
    row = outbox.retry(store, ctx.args.id, ctx.actor, ctx.clock.now())
    out(f"outbox {row.id}: back in the queue")
    return EXIT_OK


def cmd_outbox_cancel(ctx: Context) -> int:
    from tui.publish import outbox

    store = ctx.store(create=False)
    row = outbox.cancel(store, ctx.args.id, ctx.actor, ctx.clock.now())
    out(f"outbox {row.id}: cancelled (it will not be sent)")
    return EXIT_OK


def config_help() -> str:
    """The epilog of ``publish --help`` and ``deliver --help``: where messages go."""
    from tui.core.config import default_config_path

    return (
        "Where messages go is read from a config file: --config PATH, else\n"
        f"$WARROOM_CONFIG, else {default_config_path()}\n"
        "A minimal one (the API key stays in an environment variable, never in the file):\n\n"
        "  destinations:\n"
        "    - id: status\n"
        "      type: statuspage\n"
        "      base_url: https://api.statuspage.io/v1\n"
        "      page_id: YOUR_PAGE_ID\n"
        "      api_key_env: STATUSPAGE_API_KEY\n"
        "      components: {API: COMPONENT_ID}   # optional\n\n"
        "Instead of api_key_env, api_key_file names a file of mode 0600. To try it\n"
        "locally, `warroom page serve` runs a status page with the same API."
    )


def register(sub: Subparsers) -> None:
    c = add_command(
        sub, "draft", cmd_draft, "render the next message from its template and check it"
    )
    c.add_argument(
        "--template", choices=PUBLISH_PURPOSES, help="the message (default: what the phase owes)"
    )
    c.add_argument("--kind", choices=DESTINATION_KINDS, help="default statuspage")
    c.add_argument("--set", action="append", metavar="BLANK=TEXT", help="fill a blank")
    c.add_argument("--json", action="store_true")
    c = add_command(sub, "publish", cmd_publish, "check and queue a message for the status page(s)")
    c.epilog_factory = config_help
    c.formatter_class = argparse.RawDescriptionHelpFormatter
    c.add_argument("--template", choices=PUBLISH_PURPOSES)
    c.add_argument("--body-file", metavar="FILE", help="the message text (- for stdin)")
    c.add_argument("--set", action="append", metavar="BLANK=TEXT", help="fill a blank")
    c.add_argument("--destination", action="append", metavar="ID", help="default: all")
    c.add_argument("--next", metavar="WHEN", help="the next update promised (default: from text)")
    c.add_argument("--accept-warnings", action="store_true", help="publish despite warnings")
    c.add_argument("--yes", action="store_true", help="really queue it")
    c = add_command(
        sub, "approve", cmd_approve, "approve a message waiting for you (two-person rule)"
    )
    c.add_argument("request", nargs="?", metavar="REQUEST")
    c = add_command(sub, "reject", cmd_reject, "send a waiting message back")
    c.add_argument("request", nargs="?", metavar="REQUEST")
    c.add_argument("--reason", metavar="TEXT")
    c = add_command(
        sub, "deliver", cmd_deliver, "send the outbox to the status page(s)", incident=False
    )
    c.epilog_factory = config_help
    c.formatter_class = argparse.RawDescriptionHelpFormatter
    g = c.add_mutually_exclusive_group()
    g.add_argument("--once", action="store_true", help="one row, then exit")
    g.add_argument("--until-idle", action="store_true", help="until nothing is pending")
    ob = sub.add_parser("outbox", help="what is queued, sent or failed")
    ob.add_argument("--json", action="store_true")
    ob.add_argument("--incident", "-i", metavar="ID")
    ob.set_defaults(func=cmd_outbox)
    obs = ob.add_subparsers(title="outbox commands", metavar="ACTION")
    c = obs.add_parser("retry", help="put a failed row back in the queue")
    c.add_argument("id", type=int, metavar="ID")
    c.set_defaults(func=cmd_outbox_retry)
    c = obs.add_parser("cancel", help="give up on a failed or pending row")
    c.add_argument("id", type=int, metavar="ID")
    c.set_defaults(func=cmd_outbox_cancel)

"""The ``warroom`` command: every action scriptable, without a terminal UI.

Imports stay light here (no Textual, no httpx, no Jinja2): start-up time is a
product feature, and a tmux status line calls ``warroom status --oneline``
every few seconds. Errors are one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERNAL = 70


class UsageError(Exception):
    """A one-line problem with what the user asked for (exit 2)."""


# ------------------------------------------------------------------------- context


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
            self.clock = clock_from_env()
        except ValueError as exc:
            raise UsageError(f"WARROOM_NOW: {exc}") from None
        self._store = None

    @property
    def actor(self) -> str:
        from tui.commands import check_actor

        name = self.args.actor or os.environ.get("WARROOM_AS") or _os_user()
        return check_actor(name)

    def db_path(self):
        from pathlib import Path

        from tui.core.store import default_db_path

        explicit = self.args.db or os.environ.get("WARROOM_DB")
        if explicit:
            return Path(explicit).expanduser()
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

    def store(self, *, create: bool = False):
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


def out(text: str = "") -> None:
    """Print text from users and files safely: no escape sequences reach the terminal."""
    from tui.core.textsafe import clean

    sys.stdout.write(clean(text) + "\n")


def err(text: str) -> None:
    from tui.core.textsafe import clean_line

    sys.stderr.write("warroom: " + clean_line(text) + "\n")


def _json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _when(ctx: Context, option: str, text: str | None, tz: str, *, future: bool):
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


def _load_book(name: str):
    from tui.core.playbook import load_playbook

    return load_playbook(_playbook_path(name))


def _playbook_path(name: str, *, list_shipped: bool = True):
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


# ------------------------------------------------------------------------- playbook


def cmd_playbook_check(ctx: Context) -> int:
    from tui.core.playbook import PlaybookError, load_playbook

    failed = False
    for name in ctx.args.files:
        try:
            path = _playbook_path(name, list_shipped=False)
        except UsageError as exc:
            failed = True
            err(str(exc))
            continue
        try:
            book = load_playbook(path)
        except PlaybookError as exc:
            failed = True
            for problem in exc.problems:
                sys.stderr.write(_safe(str(problem)) + "\n")
            continue
        out(f"{name}: ok \u2014 {book.summary()}")
    return EXIT_USAGE if failed else EXIT_OK


def _safe(text: str) -> str:
    from tui.core.textsafe import clean_line

    return clean_line(text)


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
    book = _load_book(source)
    outcome = commands.reload_playbook(store, ctx.clock, ctx.actor, incident, book)
    out(f"{incident}: {outcome.message}")
    return EXIT_OK


# ------------------------------------------------------------------------- incident


def cmd_start(ctx: Context) -> int:
    from tui import commands

    book = _load_book(ctx.args.playbook)
    metrics = commands.parse_metrics(book, ctx.args.metric or [])
    detected = _when(ctx, "--detected-at", ctx.args.detected_at, book.timezone, future=False)
    outcome = commands.start(
        ctx.store(create=True),
        ctx.clock,
        ctx.actor,
        book,
        ctx.args.title,
        metrics,
        detected,
        force=ctx.args.force,
    )
    if ctx.args.json:
        _json({"id": outcome.incident_id})
    else:
        out(outcome.incident_id)
    return EXIT_OK


def _incident(ctx: Context, *, create: bool = False) -> tuple[Any, str]:
    from tui import commands

    store = ctx.store(create=create)
    return store, commands.resolve_incident(store, ctx.args.incident)


def _run(ctx: Context, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    store, incident = _incident(ctx)
    outcome = fn(store, ctx.clock, ctx.actor, incident, *args, **kwargs)
    out(f"{incident}: {outcome.message}")
    return EXIT_OK


def cmd_check(ctx: Context) -> int:
    from tui import commands

    return _run(ctx, commands.set_item, ctx.args.item, True)


def cmd_uncheck(ctx: Context) -> int:
    from tui import commands

    return _run(ctx, commands.set_item, ctx.args.item, False)


def cmd_skip(ctx: Context) -> int:
    from tui import commands

    return _run(ctx, commands.skip_item, ctx.args.item, ctx.args.reason)


def cmd_assign(ctx: Context) -> int:
    from tui import commands

    return _run(ctx, commands.assign, ctx.args.role, ctx.args.user)


def cmd_unassign(ctx: Context) -> int:
    from tui import commands

    return _run(ctx, commands.assign, ctx.args.role, None)


def cmd_metric(ctx: Context) -> int:
    from tui import commands

    return _run(ctx, commands.set_metrics, ctx.args.pairs)


def cmd_phase(ctx: Context) -> int:
    from tui import commands

    return _run(ctx, commands.advance_phase, force=ctx.args.force)


def cmd_posted(ctx: Context) -> int:
    from tui import commands

    store, incident = _incident(ctx)
    tz = store.state(incident).book.timezone
    promised = _when(ctx, "--next", ctx.args.next, tz, future=True)
    outcome = commands.record_published(
        store, ctx.clock, ctx.actor, incident, ctx.args.purpose, promised, ctx.args.note or ""
    )
    out(f"{incident}: {outcome.message}")
    return EXIT_OK


def cmd_note(ctx: Context) -> int:
    from tui import commands

    return _run(ctx, commands.add_note, " ".join(ctx.args.text))


def cmd_queue(ctx: Context) -> int:
    from tui import commands

    store, incident = _incident(ctx)
    try:
        depth = int(ctx.args.depth)
    except ValueError:
        raise UsageError(f"queue depth must be a whole number, got {ctx.args.depth!r}") from None
    tz = store.state(incident).book.timezone
    oldest = _when(ctx, "--oldest", ctx.args.oldest, tz, future=False)
    outcome = commands.set_queue(
        store, ctx.clock, ctx.actor, incident, ctx.args.channel, depth, oldest
    )
    out(f"{incident}: {outcome.message}")
    return EXIT_OK


def cmd_action(ctx: Context) -> int:
    from tui import commands

    on = {"on": True, "off": False, "toggle": None}[ctx.args.state]
    return _run(ctx, commands.set_action, ctx.args.channel, ctx.args.action, on)


# ------------------------------------------------------------------------- publishing


def _config(ctx: Context):
    from tui.core.config import load_config

    return load_config(ctx.args.config)


def _fill_blanks(text: str, pairs: list[str]) -> str:
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


def _message(ctx: Context, store, incident: str, config) -> tuple[str, str]:
    """(purpose, text) from --body-file or the template, blanks filled by --set."""
    from tui.publish.drafting import DraftError, render

    state = store.state(incident)
    purpose = ctx.args.template or state.next_purpose()
    if getattr(ctx.args, "body_file", None):
        try:
            from pathlib import Path

            if ctx.args.body_file == "-":
                text = sys.stdin.read()
            else:
                text = Path(ctx.args.body_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {ctx.args.body_file}: {exc}") from None
    else:
        kind = getattr(ctx.args, "kind", None) or "statuspage"
        names: list[str] = []
        for dest in config.destinations:  # the affected components, by name
            names += [n for n in dest.components if n not in names]
        try:
            text = render(state, purpose, kind, ctx.clock.now(), {"components": names})
        except DraftError as exc:
            raise UsageError(str(exc)) from None
    return purpose, _fill_blanks(text, ctx.args.set or [])


def _findings_lines(findings) -> list[str]:
    return [
        f"{f.severity}: {f.rule}: {f.message}" + (f" — {f.suggestion}" if f.suggestion else "")
        for f in findings
    ]


def cmd_draft(ctx: Context) -> int:
    from tui.publish.checks import check_message

    store, incident = _incident(ctx)
    purpose, text = _message(ctx, store, incident, _config(ctx))
    kind = ctx.args.kind or "statuspage"
    findings = check_message(text, purpose, kind, store.state(incident).book.message_checks)
    if ctx.args.json:
        _json(
            {
                "incident": incident,
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
        for line in _findings_lines(findings) or ["no findings"]:
            out(line)
    return EXIT_OK


def cmd_publish(ctx: Context) -> int:
    from tui import commands
    from tui.publish.checks import check_message

    config = _config(ctx)  # a broken config says so before anything else
    store, incident = _incident(ctx)
    purpose, text = _message(ctx, store, incident, config)
    state = store.state(incident)
    findings = check_message(text, purpose, "statuspage", state.book.message_checks)
    blocking = [f for f in findings if f.severity == "error"] or (
        [] if ctx.args.accept_warnings else findings
    )
    if blocking or not ctx.args.yes:
        for line in _findings_lines(findings):
            sys.stderr.write(_safe(line) + "\n")
        if blocking:
            errors = any(f.severity == "error" for f in blocking)
            err(
                f"refused: {len(blocking)} finding(s) "
                + ("block publishing" if errors else "to accept with --accept-warnings")
            )
        else:
            err("nothing queued: add --yes to publish")
        return EXIT_USAGE
    promised = _when(ctx, "--next", ctx.args.next, state.book.timezone, future=True)
    outcome = commands.publish(
        store,
        ctx.clock,
        ctx.actor,
        incident,
        purpose,
        text,
        config,
        destinations=ctx.args.destination,
        promised_next_at=promised,
        accept_warnings=ctx.args.accept_warnings,
    )
    out(f"{incident}: {outcome.message}")
    return EXIT_OK


def cmd_approve(ctx: Context) -> int:
    from tui import commands

    store, incident = _incident(ctx)
    outcome = commands.decide(
        store, ctx.clock, ctx.actor, incident, ctx.args.request, _config(ctx), approve=True
    )
    out(f"{incident}: {outcome.message}")
    return EXIT_OK


def cmd_reject(ctx: Context) -> int:
    from tui import commands

    store, incident = _incident(ctx)
    outcome = commands.decide(
        store,
        ctx.clock,
        ctx.actor,
        incident,
        ctx.args.request,
        _config(ctx),
        approve=False,
        reason=ctx.args.reason or "",
    )
    out(f"{incident}: {outcome.message}")
    return EXIT_OK


def cmd_deliver(ctx: Context) -> int:
    from tui.publish.delivery import Deliverer

    config = _config(ctx)
    store = ctx.store()
    deliverer = Deliverer(store, config, ctx.clock)

    def report(attempt) -> None:
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
    incident = None
    if ctx.args.incident:
        from tui.commands import resolve_incident

        incident = resolve_incident(store, ctx.args.incident)
    rows = outbox.rows(store, incident)
    if ctx.args.json:
        _json([r.as_dict() for r in rows])
        return EXIT_OK
    if not rows:
        out("the outbox is empty")
    for r in rows:
        line = f"{r.id:>4} {r.incident_id:<7} {r.purpose:<9} -> {r.destination:<12} {r.state:<9}"
        line += f" attempts {r.attempts}"
        if r.last_error and r.state != "sent":
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


def cmd_page_serve(ctx: Context) -> int:
    from pathlib import Path

    from tui.localpage.serve import serve

    key = os.environ.get(ctx.args.key_env, "")
    if not key.strip():
        raise UsageError(
            f"set the page's API key in ${ctx.args.key_env} (the publisher uses the same one)"
        )
    db = (
        Path(ctx.args.page_db).expanduser()
        if ctx.args.page_db
        else ctx.db_path().with_name("status-page.db")
    )
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(ctx.args.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--time-zone: unknown time zone {ctx.args.time_zone!r} "
            "(use an IANA name like America/New_York)"
        ) from None
    out(f"status page on http://{ctx.args.host}:{ctx.args.port}/ (API: /v1, data in {db})")
    serve(
        db,
        api_key=key.strip(),
        host=ctx.args.host,
        port=ctx.args.port,
        page_name=ctx.args.name,
        time_zone=ctx.args.time_zone,
    )
    return EXIT_OK


# ------------------------------------------------------------------------- amends


def _postmortem_text(ctx: Context, store, incident: str, fmt: str) -> str:
    from tui.amends.postmortem import build, render

    state = store.state(incident)
    report = build(state, list(store.events(incident)), ctx.clock.now())
    return render(report, fmt, state.book.template_dirs())


def _write(path: str, text: str) -> None:
    from tui.core.files import write_atomic

    try:
        write_atomic(path, text)  # never half-written, never through a link, 0600
    except OSError as exc:  # files.WriteError: one line naming the file and the cause
        raise UsageError(str(exc)) from None


def cmd_postmortem(ctx: Context) -> int:
    store, incident = _incident(ctx)
    text = _postmortem_text(ctx, store, incident, ctx.args.format)
    if ctx.args.out:
        _write(ctx.args.out, text)
        out(f"{incident}: post-mortem written to {ctx.args.out} ({ctx.args.format})")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def cmd_postmortem_edit(ctx: Context) -> int:
    from tui import commands

    if ctx.args.file:
        from pathlib import Path

        try:
            text = (
                sys.stdin.read()
                if ctx.args.file == "-"
                else Path(ctx.args.file).read_text(encoding="utf-8")
            )
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {ctx.args.file}: {exc}") from None
    elif ctx.args.text is not None:
        text = ctx.args.text
    else:
        raise UsageError("give --text TEXT or --file FILE")
    field = ctx.args.part.replace("-", "_")
    return _run(ctx, commands.edit_postmortem, field, text.strip())


def cmd_postmortem_action(ctx: Context) -> int:
    from tui import commands

    return _run(
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

    config = _config(ctx)
    store, incident = _incident(ctx)
    body = _postmortem_text(ctx, store, incident, "md")
    if not ctx.args.yes:
        out(body)
        err("nothing queued: add --yes to publish this post-mortem")
        return EXIT_USAGE
    outcome = commands.publish(
        store,
        ctx.clock,
        ctx.actor,
        incident,
        "postmortem",
        body,
        config,
        destinations=ctx.args.destination,
        accept_warnings=True,
    )
    out(f"{incident}: {outcome.message}")
    return EXIT_OK


def cmd_offers(ctx: Context) -> int:
    from tui.amends.offers import OffersError, fit, offers_for

    store, incident = _incident(ctx)
    try:
        result = offers_for(
            store.state(incident), ctx.args.customers, ctx.clock.now(), skip_bad=ctx.args.skip_bad
        )
    except OffersError as exc:
        for problem in exc.lines:  # the first 50, then "... and N more problems"
            sys.stderr.write(_safe(problem) + "\n")
        err(f"refused: {exc.total:,} problem(s); nothing written (--skip-bad skips bad rows)")
        return EXIT_USAGE
    for skipped in result.skipped_lines:
        sys.stderr.write("skipped: " + _safe(skipped) + "\n")
    if ctx.args.out:
        _write(ctx.args.out, result.to_csv())
    if ctx.args.json:
        _json(result.to_json())
        return EXIT_OK
    offered = [c for c in result.customers if c.offer != "none"]
    out(
        f"{incident}: outage {result.outage_minutes} min; {len(offered)} of "
        f"{len(result.customers)} customers get an offer"
    )
    for c in result.customers:
        parts = [c.offer]
        if c.credit_amount is not None:
            parts.append(f"{c.credit_pct}% = {c.credit_amount} {c.currency}")
        if c.trial_extension_days:
            parts.append(f"+{c.trial_extension_days} days of trial")
        # widths in terminal cells, not characters: CJK names and accents keep the columns
        cells = (fit(_safe(v), w) for v, w in ((c.customer_id, 10), (c.name, 30), (c.plan, 10)))
        out("  " + " ".join(cells) + " " + ", ".join(parts))
    for currency, total in sorted(result.totals.items()):
        out(f"cost of credits: {total} {currency}")
    out(result.rounding)
    if ctx.args.out:
        out(f"written to {ctx.args.out}")
    return EXIT_OK


def cmd_close(ctx: Context) -> int:
    from tui import commands

    return _run(ctx, commands.close, force=ctx.args.force)


# ------------------------------------------------------------------------- reading


def cmd_status(ctx: Context) -> int:
    from tui.core import report

    if ctx.args.oneline:
        return _status_oneline(ctx)
    store, incident = _incident(ctx)
    state = store.state(incident)
    now = ctx.clock.now()
    if ctx.args.json:
        _json(report.status_dict(state, now))
    else:
        out(report.status_text(state, now))
    return EXIT_OK


def _status_oneline(ctx: Context) -> int:
    """For a tmux status line: a short marker on stdout, exit 2 when the database is not usable.

    ``warroom: no db`` (no database there) and ``warroom: bad db`` (unreadable,
    foreign, damaged) must stand out on a status bar; the reason goes to stderr.
    """
    import sqlite3

    from tui.core import report
    from tui.core.store import StoreError, explain

    try:
        store = ctx.store()
        line = report.oneline(store, ctx.clock.now(), ctx.args.incident)
    except (StoreError, sqlite3.Error, OSError) as exc:
        path = ctx.db_path()
        missing = not os.path.exists(path) and not os.path.islink(path)
        out("warroom: no db" if missing else "warroom: bad db")
        reason = str(exc) if isinstance(exc, StoreError) else explain(path, exc, ctx.timeout())
        err(reason)
        return EXIT_USAGE
    out(line)
    return EXIT_OK


def cmd_log(ctx: Context) -> int:
    from tui.core import report

    store, incident = _incident(ctx)
    state = store.state(incident)
    if ctx.args.json:
        _json(report.log_dicts(state, everything=ctx.args.all))
    else:
        for line in report.log_lines(state, everything=ctx.args.all):
            out(line)
    return EXIT_OK


def cmd_list(ctx: Context) -> int:
    from tui.core import report

    store = ctx.store()  # no database there: one line, exit 2 (a typo'd path is not "no incidents")
    rows = report.list_dicts(store, ctx.clock.now(), include_closed=ctx.args.all)
    if ctx.args.json:
        _json(rows)
    elif not rows:
        out("no open incidents" if not ctx.args.all else "no incidents")
    else:
        for line in report.list_lines(rows):
            out(line)
    return EXIT_OK


def cmd_demo(ctx: Context) -> int:
    from tui.cli.demo import run_demo

    return run_demo(ctx)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_dashboard(ctx: Context) -> int:
    """The dashboard (on a terminal); the status of open incidents otherwise."""
    if getattr(ctx.args, "dashboard", True) and _interactive():
        return launch_dashboard(ctx, incident=getattr(ctx.args, "incident", None))
    from tui.core import report
    from tui.core.store import StoreError

    try:
        store = ctx.store()
        rows = store.incidents()
    except StoreError:
        if os.path.exists(ctx.db_path()):  # foreign, damaged, unreadable: say so (exit 2)
            raise
        rows = []  # no database yet: the first-run guidance below
    if not rows:
        out("No open incident. Start one:")
        out("  warroom start --playbook saas-major-outage --title 'API down' \\")
        out("      --metric users_affected_pct=12")
        out("or see it all on a sample incident: warroom demo")
        return EXIT_OK
    now = ctx.clock.now()
    for row in rows:
        out(report.status_text(store.state(row.id), now))
        out()
    return EXIT_OK


def launch_dashboard(
    ctx: Context, *, incident: str | None = None, db_path=None, welcome: str = ""
) -> int:
    """Start the Textual dashboard (the only place Textual is imported)."""
    from tui.app.lifeline import Lifeline
    from tui.app.room import Room

    # first of all: the terminal can go away before the first frame, and then
    # the process ends within 2 s (see tui/app/lifeline.py)
    lifeline = Lifeline()
    lifeline.install()

    group = ctx.args.group or os.environ.get("WARROOM_GROUP") or None
    room = Room(db_path or ctx.db_path(), ctx.clock, ctx.actor, timeout=ctx.timeout(), group=group)
    from tui.core.config import Config, ConfigError, load_config

    try:
        config, config_error = load_config(ctx.args.config), None
    except ConfigError as exc:  # the dashboard still opens; publishing says why it can't
        config, config_error = Config(), f"config: {exc.problems[0]}"
    from tui.app.app import WarroomApp, run_dashboard

    # COLUMNS/LINES are a snapshot of some earlier size (bash exports them with
    # checkwinsize in some setups); Textual would believe them over the terminal
    # and never follow a resize or a second tmux client. The tty is the truth.
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
    bell = not getattr(ctx.args, "no_bell", False) and not os.environ.get("WARROOM_NO_BELL")
    app = WarroomApp(
        room,
        incident=incident,
        bell=bell,
        config=config,
        config_error=config_error,
        welcome=welcome,
        lifeline=lifeline,
    )
    if lifeline.lost.is_set():  # gone during start-up: nothing to save, nothing to show
        from tui.app.lifeline import hard_exit

        hard_exit(lifeline.code, flush=False)
    return run_dashboard(app)


# ------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (and exit 2), like every other error."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: {message} (see: {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)

    def format_help(self) -> str:
        if getattr(self, "config_help", False):  # computed only when asked for
            self.epilog = _config_help()
        return super().format_help()


def _config_help() -> str:
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


def build_parser() -> argparse.ArgumentParser:
    from tui import __version__

    p = _Parser(
        prog="warroom",
        description="The customer side of a major outage, in a terminal.",
        epilog="Errors are one line on stderr with exit status 2. See README.md.",
    )
    p.add_argument("--version", action="version", version=f"warroom {__version__}")
    _add_globals(p, top=True)
    p.add_argument(
        "--incident",
        "-i",
        dest="incident_before",
        metavar="ID",
        help="the incident (e.g. INC-3), before or after the command",
    )
    p.set_defaults(func=cmd_dashboard, incident_ok=True)
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    def cmd(name: str, func: Callable[[Context], int], help: str, incident: bool = True):
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(func=func)
        if incident:
            sp.add_argument("--incident", "-i", metavar="ID", help="the incident (e.g. INC-3)")
        return sp

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

    c = cmd("start", cmd_start, "start an incident; prints its id", incident=False)
    c.add_argument("--playbook", "-p", required=True, metavar="FILE|NAME")
    c.add_argument("--title", "-t", required=True, metavar="TEXT")
    c.add_argument("--metric", "-m", action="append", metavar="NAME=VALUE")
    c.add_argument(
        "--detected-at",
        metavar="WHEN",
        help="when the outage was detected: -10m, 14:02 (customers' zone) or ISO 8601",
    )
    c.add_argument("--json", action="store_true", help='print {"id": ...}')
    c.add_argument(
        "--force", action="store_true", help="open it even if an open incident has this title"
    )

    c = cmd("status", cmd_status, "the incident at a glance")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="machine-readable")
    g.add_argument("--oneline", action="store_true", help="one line for a tmux status bar")

    c = cmd("check", cmd_check, "tick a checklist item")
    c.add_argument("item", metavar="ITEM")
    c = cmd("uncheck", cmd_uncheck, "untick a checklist item (or take back its skip)")
    c.add_argument("item", metavar="ITEM")
    c = cmd("skip", cmd_skip, "say a checklist item will not be done, and why")
    c.add_argument("item", metavar="ITEM")
    c.add_argument("--reason", "-r", required=True, metavar="TEXT", help="why (shown and logged)")
    c = cmd("assign", cmd_assign, "give a role to a person")
    c.add_argument("role", metavar="ROLE")
    c.add_argument("user", metavar="USER")
    c = cmd("unassign", cmd_unassign, "leave a role vacant")
    c.add_argument("role", metavar="ROLE")
    c = cmd("metric", cmd_metric, "report impact metrics (severity follows the rules)")
    c.add_argument("pairs", nargs="+", metavar="NAME=VALUE")
    c = cmd("phase", cmd_phase, "move to the next phase (once each item is ticked or skipped)")
    c.add_argument("direction", choices=["next"], metavar="next")
    c.add_argument(
        "--force", action="store_true", help='move on anyway: open items are skipped as "forced"'
    )
    c = cmd("posted", cmd_posted, "record a message published outside warroom")
    c.add_argument("purpose", choices=["ack", "update", "resolved", "postmortem", "amends"])
    c.add_argument("--next", metavar="WHEN", help="the next update it promised: 30m or 14:15")
    c.add_argument("--note", metavar="TEXT", help="where or what, for the timeline")
    c = cmd("note", cmd_note, "add a line to the timeline")
    c.add_argument("text", nargs="+", metavar="TEXT")
    c = cmd("queue", cmd_queue, "report a support channel's queue depth")
    c.add_argument("channel", metavar="CHANNEL")
    c.add_argument("depth", metavar="DEPTH")
    c.add_argument("--oldest", metavar="WHEN", help="how long the oldest waits: 12m, or 14:02")
    c = cmd("action", cmd_action, "turn a channel's playbook action on or off")
    c.add_argument("channel", metavar="CHANNEL")
    c.add_argument("action", metavar="ACTION")
    c.add_argument("state", choices=["on", "off", "toggle"])
    c = cmd("close", cmd_close, "close the incident (once its resolution is out)")
    c.add_argument("--force", action="store_true", help="close an unresolved one (recorded)")

    purposes = ["ack", "update", "resolved", "postmortem", "amends"]
    c = cmd("draft", cmd_draft, "render the next message from its template and check it")
    c.add_argument(
        "--template", choices=purposes, help="the message (default: what the phase owes)"
    )
    c.add_argument("--kind", choices=["statuspage", "social", "email"], help="default statuspage")
    c.add_argument("--set", action="append", metavar="BLANK=TEXT", help="fill a blank")
    c.add_argument("--json", action="store_true")
    c = cmd("publish", cmd_publish, "check and queue a message for the status page(s)")
    c.config_help = True  # type: ignore[attr-defined]
    c.formatter_class = argparse.RawDescriptionHelpFormatter
    c.add_argument("--template", choices=purposes)
    c.add_argument("--body-file", metavar="FILE", help="the message text (- for stdin)")
    c.add_argument("--set", action="append", metavar="BLANK=TEXT", help="fill a blank")
    c.add_argument("--destination", action="append", metavar="ID", help="default: all")
    c.add_argument("--next", metavar="WHEN", help="the next update promised (default: from text)")
    c.add_argument("--accept-warnings", action="store_true", help="publish despite warnings")
    c.add_argument("--yes", action="store_true", help="really queue it")
    c = cmd("approve", cmd_approve, "approve a message waiting for you (two-person rule)")
    c.add_argument("request", nargs="?", metavar="REQUEST")
    c = cmd("reject", cmd_reject, "send a waiting message back")
    c.add_argument("request", nargs="?", metavar="REQUEST")
    c.add_argument("--reason", metavar="TEXT")
    c = cmd("deliver", cmd_deliver, "send the outbox to the status page(s)", incident=False)
    c.config_help = True  # type: ignore[attr-defined]
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

    c = cmd("offers", cmd_offers, "recovery offers from a billing export (CSV)")
    c.add_argument("--customers", required=True, metavar="FILE.csv")
    c.add_argument("--out", metavar="FILE.csv", help="write the offers as CSV")
    c.add_argument("--json", action="store_true")
    c.add_argument("--skip-bad", action="store_true", help="write the good rows, list the bad")

    pg = sub.add_parser("page", help="the local status page")
    pgs = pg.add_subparsers(title="page commands", metavar="ACTION", required=True)
    c = pgs.add_parser("serve", help="serve a local status page (Statuspage v1 API + HTML)")
    c.add_argument("--port", type=int, default=8765)
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--page-db", metavar="PATH", help="its own SQLite file")
    c.add_argument("--name", default="Status", help="the page's title")
    c.add_argument(
        "--time-zone",
        default="UTC",
        metavar="ZONE",
        help="the customers' time zone, for the times the page shows (IANA, e.g. America/New_York)",
    )
    c.add_argument("--key-env", default="WARROOM_PAGE_KEY", help="env variable holding the API key")
    c.set_defaults(func=cmd_page_serve)

    c = cmd("log", cmd_log, "the timeline, as sentences")
    c.add_argument("--json", action="store_true")
    c.add_argument("--all", action="store_true", help="draft saves too")
    c = cmd("list", cmd_list, "open incidents", incident=False)
    c.add_argument("--all", action="store_true", help="closed ones too")
    c.add_argument("--json", action="store_true")
    c = cmd("dashboard", cmd_dashboard, "the live dashboard (what plain `warroom` opens)")
    c.add_argument("--no-bell", action="store_true", help="no terminal bell when an update is late")
    c = cmd("demo", cmd_demo, "the dashboard on a sample incident in a temporary database", False)
    c.add_argument("--no-bell", action="store_true", help="no terminal bell when an update is late")
    c.add_argument("--print", action="store_true", help="print the walk-through, no dashboard")
    for sp in _subparsers(p):  # global options work after the command's name too
        _add_globals(sp, top=False)
        own = [a for a in sp._actions if a.dest == "incident"]
        for action in own:
            action.default = argparse.SUPPRESS  # a parent's --incident survives the child
        sp.set_defaults(incident_ok=bool(own))
    return p


# (dest, option) of the options every command takes, before or after its name
GLOBAL_OPTIONS = (
    ("db", "--db"),
    ("actor", "--as"),
    ("timeout", "--timeout"),
    ("group", "--group"),
    ("config", "--config"),
)


def _add_globals(p: argparse.ArgumentParser, *, top: bool) -> None:
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


def _subparsers(p: argparse.ArgumentParser):
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sp in dict.fromkeys(action.choices.values()):
                yield sp
                yield from _subparsers(sp)


def _when_options(p: argparse.ArgumentParser) -> set[str]:
    """The option strings that take a time (metavar WHEN), in every command."""
    found = {o for a in p._actions if a.metavar == "WHEN" for o in a.option_strings}
    for sp in _subparsers(p):
        found |= {o for a in sp._actions if a.metavar == "WHEN" for o in a.option_strings}
    return found


def _negative_times(argv: list[str], options: set[str]) -> list[str]:
    """``--next -10m`` means ``--next=-10m`` (argparse would take -10m for an option)."""
    import re

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


def _settle_incident(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
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


def _check_utf8(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
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


def _os_error(exc: OSError) -> str:
    from tui.core.files import os_reason

    reason = os_reason(exc)
    where = exc.filename
    return f"{where}: {reason}" if where else reason


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(_negative_times(argv, _when_options(parser)))
        _settle_incident(parser, args)
    except SystemExit as exc:  # argparse: usage errors exit 2 with one line
        return int(exc.code or 0)
    import sqlite3

    from tui.commands import CommandError
    from tui.core.config import ConfigError
    from tui.core.playbook import PlaybookError
    from tui.core.store import StoreError

    ctx = None
    try:
        _check_utf8(parser, args)
        ctx = Context(args)
        return args.func(ctx)
    except (PlaybookError, ConfigError) as exc:
        for problem in exc.problems:
            sys.stderr.write(_safe(str(problem)) + "\n")
        return EXIT_USAGE
    except (CommandError, StoreError, UsageError) as exc:
        err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    # Conditions a user meets (full disk, a damaged database, a file that cannot be
    # written): one line naming the cause, exit 2. Transactions roll back: nothing half-done.
    except sqlite3.Error as exc:
        from tui.core.store import explain

        where = ctx.db_path() if ctx is not None else "?"
        err(explain(where, exc, ctx.timeout() if ctx is not None else 5.0))
        return EXIT_USAGE
    except OSError as exc:
        err(_os_error(exc))
        return EXIT_USAGE
    except UnicodeEncodeError as exc:
        err(f"text that is not valid UTF-8 cannot be stored ({exc.reason}); nothing was written")
        return EXIT_USAGE
    except Exception as exc:  # never a traceback on a stressed engineer's screen
        if os.environ.get("WARROOM_DEBUG"):
            raise
        err(f"internal error: {type(exc).__name__}: {exc} (set WARROOM_DEBUG=1 for details)")
        return EXIT_INTERNAL
    finally:
        if ctx is not None:
            ctx.close()

"""``warroom destinations``: what the config publishes to, and ``check``: can each be reached?

``warroom destinations`` lists the configured destinations (id, type, delivery
guarantee). ``warroom destinations check [ID]`` builds each destination's adapter
and makes its one read-only call (:meth:`tui.publish.destinations.Adapter.check`:
auth and reachability; a connection check where the provider has none), then
prints ``ID (type): OK — ...`` or ``ID (type): <the problem in words>``.

Exit status: 0 when every destination checked is OK, 1 when any failed, 2 for a
bad config, no destinations or an unknown ID. Nothing is sent. Secrets are read
as at send time; no value of theirs is ever printed (every problem text is
redacted of them before it is shown).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.cli.context import EXIT_OK, Context, UsageError, config, out, safe

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers
    from tui.core.config import Config, Destination

EXIT_FAILED = 1  # a destination could not be reached or refused us


def _configured(ctx: Context) -> Config:
    cfg = config(ctx)
    if not cfg.destinations:
        where = cfg.source or "the config file (see warroom publish --help)"
        raise UsageError(f"no destinations configured in {where}")
    return cfg


def _guarantee(dest: Destination) -> str:
    from tui.publish.destinations import ADAPTERS

    factory = ADAPTERS.get(dest.type)
    if factory is None:
        return "no adapter in this build"
    return str(getattr(factory, "guarantee", "?"))


def cmd_list(ctx: Context) -> int:
    cfg = _configured(ctx)
    width = max(len(d.id) for d in cfg.destinations)
    kinds = max(len(d.type) for d in cfg.destinations)
    rows = [(d, _guarantee(d)) for d in cfg.destinations]
    sure = max(len(g) for _, g in rows)
    for d, guarantee in rows:
        out(f"{d.id:<{width}}  {d.type:<{kinds}}  {guarantee:<{sure}}  {safe(_where(d))}")
    return EXIT_OK


def _secret_values(dest: Destination) -> list[str]:
    """Every secret of ``dest`` that can be read now (to keep them out of what is shown)."""
    from tui.core.config import SECRET_LABELS, SecretError
    from tui.publish.destinations.redaction import secret_url_parts

    values = []
    for name in SECRET_LABELS:
        try:
            value = dest.secret(name)
        except SecretError:
            continue
        if value:  # a hook URL: its path and query are the secret, its host is shown
            values.extend(secret_url_parts(value) if name == "url" else [value])
    return values


def _where(dest: Destination) -> str:
    """Where ``dest`` publishes, as scheme://host (never a secret URL's path or query)."""
    from tui.core.config import SecretError
    from tui.publish.destinations.redaction import url_origin

    url = dest.base_url or dest.options.get("url")
    if not isinstance(url, str) or not url:
        try:
            url = dest.secret("url")
        except (SecretError, ValueError):
            url = None
    return url_origin(url) if url else "-"


def _in_words(dest: Destination, problem: str) -> str:
    """The adapter's problem, with what to check when it is a common one."""
    if problem.startswith(("HTTP 401", "HTTP 403")):
        where = (
            f"${dest.api_key_env}"
            if dest.api_key_env
            else dest.api_key_file or "the key, URL or password of this destination"
        )
        return f"the credentials were refused ({problem}): check {where}"
    if problem.startswith("HTTP 404"):
        return f"not found ({problem}): check base_url and the page id in the config"
    if problem.startswith("could not connect"):
        return f"unreachable: {problem}"
    if problem.startswith("no answer in time"):
        return f"no answer within {dest.timeout:g} s (the service hangs or is overloaded)"
    return problem


def check_one(client: object, dest: Destination) -> tuple[bool, str]:
    """(OK?, the line's text) for one destination: its adapter's read-only call."""
    from tui.publish.destinations import ADAPTERS
    from tui.publish.destinations.redaction import redact
    from tui.publish.retry import DeliveryError

    factory = ADAPTERS.get(dest.type)
    if factory is None:
        return False, f"no adapter for type {dest.type!r} in this build of warroom"
    ok = False
    try:
        text = factory(dest, None).check(client)  # type: ignore[arg-type]
        ok = True
    except DeliveryError as exc:
        text = _in_words(dest, str(exc))
    except Exception as exc:  # an adapter's own failure: words, never a traceback
        text = f"{type(exc).__name__}: {exc}"
    for value in _secret_values(dest):
        text = redact(text, value)
    return ok, safe(text)


def cmd_check(ctx: Context) -> int:
    import httpx

    cfg = _configured(ctx)
    chosen = list(cfg.destinations)
    if ctx.args.id:
        dest = cfg.destination(ctx.args.id)
        if dest is None:
            known = ", ".join(d.id for d in cfg.destinations)
            raise UsageError(f"unknown destination {ctx.args.id!r} (configured: {known})")
        chosen = [dest]
    failed = 0
    with httpx.Client(follow_redirects=False) as client:
        for dest in chosen:
            ok, text = check_one(client, dest)
            failed += not ok
            out(f"{dest.id} ({dest.type}): " + (f"OK — {text}" if ok else text))
    return EXIT_FAILED if failed else EXIT_OK


def register(sub: Subparsers) -> None:
    help_ = "the configured destinations (and check that each can be reached)"
    d = sub.add_parser("destinations", help=help_, description=help_)
    d.set_defaults(func=cmd_list)
    ds = d.add_subparsers(title="destinations commands", metavar="ACTION")
    lst = ds.add_parser("list", help="id, type and delivery guarantee of each destination")
    lst.set_defaults(func=cmd_list)
    c = ds.add_parser(
        "check",
        help="one read-only call per destination (auth and reachability): OK or the problem",
        description="One read-only call per destination (auth and reachability); prints OK "
        "or the problem in words. Exit 0: all OK; 1: any failed; 2: bad config or ID.",
    )
    c.add_argument("id", nargs="?", metavar="ID", help="only this destination")
    c.set_defaults(func=cmd_check)

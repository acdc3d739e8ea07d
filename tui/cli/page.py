"""``warroom page serve``: the local status page (Statuspage v1 API + HTML) in the foreground.

Refuses to start without an API key in the named environment variable (the
publisher uses the same one) or with an unknown time zone. Its data lives in
its own SQLite file, next to the incident database unless ``--page-db`` says.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from tui.cli.context import EXIT_OK, Context, UsageError, out

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers


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

    def listening(url: str) -> None:  # the real port (--port 0: the one picked), at once
        out(f"status page on {url}/ (API: /v1, data in {db})")
        sys.stdout.flush()

    try:
        serve(
            db,
            api_key=key.strip(),
            host=ctx.args.host,
            port=ctx.args.port,
            page_name=ctx.args.name,
            time_zone=ctx.args.time_zone,
            listening=listening,
        )
    except OSError as exc:  # the port is taken, or the host is not ours
        raise UsageError(
            f"cannot listen on {ctx.args.host}:{ctx.args.port}: {exc.strerror or exc}"
        ) from None
    return EXIT_OK


def register(sub: Subparsers) -> None:
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

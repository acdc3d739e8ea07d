"""``warroom demo``: a realistic incident, about 40 minutes in, in a temporary database."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from tui import commands
from tui.cli.context import Context
from tui.core.clock import FrozenClock
from tui.core.playbook import load_playbook
from tui.core.resources import shipped_playbooks_dir
from tui.core.store import Store

if TYPE_CHECKING:
    from tui.localpage.serve import BackgroundServer

Step: TypeAlias = tuple[float, str, Callable[..., object], tuple[Any, ...]]
"""(minutes after detection, who, which command, its arguments after the incident id)"""

DEMO_TITLE = "API and dashboard unavailable for most customers"


def seed_demo(store: Store, now: datetime) -> str:
    """Write the sample incident: acknowledged, an update due within minutes."""
    book = load_playbook(shipped_playbooks_dir() / "saas-major-outage.yaml")
    detected = now - timedelta(minutes=40)
    clock = FrozenClock(detected + timedelta(minutes=2))

    def at(minutes: float) -> FrozenClock:
        clock.set(detected + timedelta(minutes=minutes))
        return clock

    incident = commands.start(
        store,
        clock,
        "maria",
        book,
        DEMO_TITLE,
        {"users_affected_pct": 38, "core_feature_down": True, "error_rate_pct": 61},
        detected_at=detected,
    ).incident_id
    steps: list[Step] = [
        (3, "maria", commands.assign, ("commander", "maria")),
        (3, "maria", commands.assign, ("comms", "dev")),
        (4, "maria", commands.assign, ("support", "sam")),
        (4, "maria", commands.assign, ("engineering", "lee")),
        (5, "maria", commands.set_item, ("war-room", True)),
        (6, "sam", commands.set_item, ("tickets-auto-ack", True)),
        (7, "sam", commands.set_item, ("pause-auto-replies", True)),
        (9, "lee", commands.add_note, ("Primary database cluster stopped accepting writes",)),
    ]
    for minute, actor, fn, args in steps:
        fn(store, at(minute), actor, incident, *args)
    ack_at = at(13)
    commands.record_published(
        store,
        ack_at,
        "dev",
        incident,
        "ack",
        ack_at.now() + timedelta(minutes=30),
        note="status page, Twitter and LinkedIn",
    )
    later: list[Step] = [
        (13.5, "dev", commands.set_item, ("ack-status-page", True)),
        (14, "dev", commands.set_item, ("ack-social", True)),
        (15, "maria", commands.skip_item, ("brief-leadership", "the CTO is in the war room")),
        (16, "maria", commands.advance_phase, ()),
        (21, "lee", commands.set_metrics, (["customers_affected=1240"],)),
        (27, "lee", commands.set_item, ("cause-identified", True)),
        (31, "lee", commands.add_note, ("Failover to the standby cluster started",)),
    ]
    for minute, actor, fn, args in later:
        fn(store, at(minute), actor, incident, *args)
    return incident


DEMO_KEY_ENV = "WARROOM_DEMO_PAGE_KEY"
DEMO_SECRET_ENV = "WARROOM_DEMO_WEBHOOK_SECRET"
DEMO_PORT = 8765


def start_demo_page(folder: Path) -> tuple[BackgroundServer | None, Path | None]:
    """The local status page for the demo, a webhook sink beside it, and a config
    that publishes to both: one update fans out to two destinations.

    The sink (``/sink`` on the page's server, :mod:`tui.localpage.sink`) verifies
    our signed webhook and lists what it received. The API key and the webhook
    secret are random, live only in this process's environment (the config
    names the variables), and are never written to disk.
    """
    import os
    import secrets

    from tui.localpage.serve import BackgroundServer
    from tui.localpage.store import component_id

    key = secrets.token_urlsafe(24)
    os.environ[DEMO_KEY_ENV] = key
    os.environ[DEMO_SECRET_ENV] = secrets.token_urlsafe(24)
    components = ["API", "Dashboard", "Integrations"]
    server = None
    for port in (DEMO_PORT, 0):  # the usual port, or any free one
        try:
            server = BackgroundServer(
                folder / "status-page.db",
                api_key=key,
                port=port,
                page_name="Acme Cloud Status",
                components=components,
                time_zone="America/New_York",
                sink_secret=os.environ[DEMO_SECRET_ENV],
            ).start()
            break
        except (OSError, RuntimeError):
            continue
    if server is None:
        return None, None
    config = folder / "config.yaml"
    config.write_text(
        "destinations:\n"
        "  - id: status\n"
        "    type: statuspage\n"
        f"    base_url: {server.api_base}\n"
        "    page_id: local\n"
        f"    api_key_env: {DEMO_KEY_ENV}\n"
        "    rate_per_second: 5\n"
        "    components:\n"
        + "".join(f"      {name}: {component_id(name)}\n" for name in components[:2])
        + "  - id: webhook-sink\n"
        "    type: webhook\n"
        f"    url: {server.url}/sink\n"
        f"    secret_env: {DEMO_SECRET_ENV}\n"
        "    rate_per_second: 5\n"
    )
    return server, config


def add_demo_channels(folder: Path, config: Path | None, url: str) -> Path:
    """The demo config with ``channels:`` counted from the demo queue source at URL
    (appended to the page's config, or a config of its own when the page is off)."""
    from tui.cli.demo_queues import channels_yaml

    target = config or folder / "config.yaml"
    before = target.read_text(encoding="utf-8") if config is not None else ""
    target.write_text(before + channels_yaml(url), encoding="utf-8")
    return target


SAMPLE_CUSTOMERS = """customer_id,name,plan,monthly_amount,currency,affected,affected_minutes
C-1001,Northwind Traders,enterprise,4800.00,USD,yes,
C-1002,"Café Zoë, Lyon",standard,129.00,EUR,yes,
C-1003,Globex,standard,249.99,USD,yes,95
C-1004,Initech,standard,99.00,USD,no,
C-1005,Hooli Labs,trial,0.00,USD,yes,
C-1006,Pied Piper,free,0.00,USD,yes,
C-1007,株式会社サンプル,enterprise,520000,JPY,yes,
C-1008,Umbrella Health,enterprise,12500.00,EUR,no,
"""


def run_demo(ctx: Context) -> int:
    import sys

    from tui.core import report

    folder = Path(tempfile.mkdtemp(prefix="warroom-demo-"))
    path = folder / "demo.db"
    now = ctx.clock.now()
    with Store(path) as store:
        incident = seed_demo(store, now)
        state = store.state(incident)
    if not ctx.args.print and sys.stdin.isatty() and sys.stdout.isatty():
        from tui.cli.demo_queues import start_demo_queues
        from tui.cli.launch import launch_dashboard

        server, config = start_demo_page(folder)
        queues = start_demo_queues()  # the real clock, even under WARROOM_NOW: they move
        if queues is not None:
            config = add_demo_channels(folder, config, queues.url)
        if config is not None:
            ctx.args.config = str(config)
        customers = folder / "customers.csv"
        customers.write_text(SAMPLE_CUSTOMERS, encoding="utf-8")
        welcome = (
            f"Local status page: {server.url}/ and webhook sink: {server.url}/sink -- one "
            "publish reaches both. Fill the draft's blanks, then p to publish. "
            f"A sample billing export for the offers (f): {customers}"
            if server
            else "The local status page could not start: publishing is off in this demo"
        )
        if queues is not None:
            welcome += (
                f" -- The queues fill themselves from a demo helpdesk ({queues.url}): live chat "
                "passes its swamped mark in about 90 s (w turns the notice on), c shows a "
                "channel's canned reply"
            )
        try:
            code = launch_dashboard(ctx, incident=incident, db_path=path, welcome=welcome)
        finally:
            if server is not None:
                server.stop()
            if queues is not None:
                queues.stop()
        print(f"Demo database kept at {path}  ({_again(path)})")
        return code
    print(report.status_text(state, now))
    print()
    print("Timeline:")
    for line in report.log_lines(state):
        print("  " + line)
    print()
    print(f"Demo database: {path}")
    print(f"Try:  {_again(path)} status --oneline")
    print(f"      {_again(path)} posted update --next 30m")
    return 0


def _again(db: Path) -> str:
    """A shell command that runs this same warroom on the demo database, as shown.

    ``warroom`` only when that name finds this very program on PATH (after
    ``make demo`` it usually does not: the venv is not activated); otherwise
    the script's path, relative when it is under the current directory.
    """
    import os
    import shlex
    import shutil
    import sys

    env = f"WARROOM_DB={shlex.quote(str(db))}"
    script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if not script or not os.path.isfile(script) or script.endswith(".py"):
        return f"{env} {shlex.quote(sys.executable)} -m tui"  # python -m tui, or embedded
    found = shutil.which("warroom")
    if found and os.path.realpath(found) == os.path.realpath(script):
        return f"{env} warroom"
    here = os.getcwd()
    if script.startswith(here.rstrip(os.sep) + os.sep):
        return f"{env} {shlex.quote(os.path.relpath(script, here))}"
    return f"{env} {shlex.quote(script)}"

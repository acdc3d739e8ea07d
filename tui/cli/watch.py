"""``warroom watch [--once]``: the queue poller without a dashboard (cron, systemd).

The same :class:`tui.queues.poller.Poller` a dashboard runs: it polls only while it
holds the database's ``queue-poller`` lease. Without ``--once`` it runs until
SIGTERM or SIGINT (then releases the lease), printing one line per change or
error; when another process holds the lease it says who and takes over when
that one stops. ``--once`` polls every source once: exit 0 when all answered,
1 when one failed, 2 for a bad config (no ``channels:``); when another process
holds the lease it says who and polls nothing (exit 0).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tui.cli.context import EXIT_OK, Context, UsageError, config, out
from tui.cli.parser import add_command

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers
    from tui.queues.lease import Holder
    from tui.queues.poller import Poll

EXIT_SOURCE_FAILED = 1


def _say(text: str) -> None:
    out(text)
    sys.stdout.flush()  # a pipe (systemd, a log file) sees each line as it happens


def _holder_words(holder: Holder) -> str:
    from tui.core.clock import to_iso

    return f"{holder.words()} (since {to_iso(holder.since)})"


def cmd_watch(ctx: Context) -> int:
    cfg = config(ctx)
    if not cfg.queue_sources:
        where = cfg.source or "the config file"
        raise UsageError(
            f"{where}: no `channels:` -- nothing to watch (name each channel's queue source "
            "there; see README, Queue sources)"
        )
    import signal
    import threading

    from tui.queues.poller import Poller

    store = ctx.store()
    poller = Poller(store, cfg, ctx.clock)
    try:
        if ctx.args.once:
            holder = poller.take_lease()
            if holder.owner != poller.owner:
                _say(f"not polled: the queue poller runs in {_holder_words(holder)}")
                return EXIT_OK
            polls = poller.poll_all()
            for poll in polls:
                _say(poll.line())
            return EXIT_OK if all(p.ok for p in polls) else EXIT_SOURCE_FAILED
        stop = threading.Event()

        def on_signal(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

        def report(poll: Poll) -> None:
            if poll.written or not poll.ok:
                _say(poll.line())

        def waiting(holder: Holder) -> None:
            _say(f"waiting: the queue poller runs in {_holder_words(holder)}")

        def took_over() -> None:
            names = ", ".join(s.channel for s in cfg.queue_sources)
            _say(f"polling {names} (lease held by {poller.owner.rsplit(':', 1)[0]})")

        def trouble(words: str) -> None:
            _say(f"database: {words} (trying again)")

        poller.run(stop, report=report, waiting=waiting, took_over=took_over, trouble=trouble)
        _say("stopped (lease released)")
        return EXIT_OK
    finally:
        poller.release()
        poller.close()


def register(sub: Subparsers) -> None:
    c = add_command(
        sub,
        "watch",
        cmd_watch,
        "poll the support queues of the config's channels: (one poller per database)",
        incident=False,
    )
    c.add_argument(
        "--once", action="store_true", help="poll every source once and exit (1: one failed)"
    )

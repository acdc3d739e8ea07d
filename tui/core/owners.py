"""Who holds a lease: ``host:pid:tag``, and whether that process died on this host.

The outbox rows (:mod:`tui.publish.outbox`) and the named leases
(:mod:`tui.queues.lease`) both name their holder this way, so a holder killed with
``kill -9`` is taken over at once rather than when its lease runs out.
"""

from __future__ import annotations

import os
import socket


def dead_here(owner: str | None) -> bool:
    """The owner is a process on this host that no longer runs (a zombie counts as dead).

    False when it is on another host, when its pid is not a number, or when the
    process exists (also: when this user may not signal it -- it is alive).
    """
    host, _, rest = (owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    # a zombie still answers kill(0): it is dead all the same
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    state = stat[stat.rfind(b")") + 2 :].split(b" ", 1)[0]
    return state in (b"Z", b"X")

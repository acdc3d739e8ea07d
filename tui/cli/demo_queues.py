"""The demo's queue source: a local HTTP JSON endpoint whose counts move by themselves.

``warroom demo`` starts it beside the status page and names it in the demo's
config (``channels:``, ``source: json``, JMESPath ``count`` and ``oldest``), so
the dashboard's poller fills the queue pane the way a real helpdesk would.

The counts are a pure function of the time since the source started
(:func:`counts`): each channel rises from its usual level to a peak, falls back
over minutes, and starts again every 20 minutes, with a small wobble so that
nearly every poll sees a change. Live chat passes its ``swamped_at`` (40 in the
shipped playbook) about a minute and a half in, so the pane proposes the swamped
notice; the tickets pass 200 later, social stays below 100. ``GET /queues``
answers::

    {"tickets": {"waiting": 152, "oldest_waiting": "2026-11-30T14:02:11Z"},
     "chat": {...}, "social": {...}, "elapsed_seconds": 95}

Standard library only (``http.server`` in a daemon thread, 127.0.0.1, port 0):
no secret, nothing written to disk.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from tui.core.clock import Clock

CYCLE: Final = 1200  # seconds: the whole story, then again


@dataclass(frozen=True, slots=True)
class Curve:
    """One channel's story: from ``base`` to ``peak`` at ``peak_at`` s, back to ``base``
    at ``back_at`` s; the oldest waits about ``wait_per`` seconds per person waiting."""

    base: int
    peak: int
    peak_at: int
    back_at: int
    wait_per: int


CURVES: Final = {
    "tickets": Curve(base=140, peak=236, peak_at=420, back_at=1080, wait_per=9),
    "chat": Curve(base=18, peak=55, peak_at=150, back_at=720, wait_per=12),
    "social": Curve(base=30, peak=84, peak_at=270, back_at=900, wait_per=20),
}


def level(curve: Curve, seconds: float) -> int:
    """The waiting count ``seconds`` into the cycle: up in a line, down in a line, a wobble."""
    t = seconds % CYCLE
    if t <= curve.peak_at:
        smooth = curve.base + (curve.peak - curve.base) * t / curve.peak_at
    elif t <= curve.back_at:
        smooth = curve.peak - (curve.peak - curve.base) * (t - curve.peak_at) / (
            curve.back_at - curve.peak_at
        )
    else:
        smooth = curve.base
    step = int(t // 5)  # a new wobble every 5 s (the shortest poll interval)
    wobble = (step * 7 + curve.base) % 5 - 2
    return max(0, round(smooth) + wobble)


def counts(seconds: float, now: datetime) -> dict[str, Any]:
    """The endpoint's answer, ``seconds`` after the source started, at ``now``."""
    answer: dict[str, Any] = {}
    for channel, curve in CURVES.items():
        waiting = level(curve, seconds)
        oldest = now - timedelta(seconds=waiting * curve.wait_per) if waiting else None
        answer[channel] = {
            "waiting": waiting,
            "oldest_waiting": oldest.strftime("%Y-%m-%dT%H:%M:%SZ") if oldest else None,
        }
    answer["elapsed_seconds"] = int(seconds)
    return answer


class DemoQueues:
    """The endpoint, running: ``url`` (``…/queues``), :meth:`stop` ends it."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.started = clock.now()
        source = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != "/queues":
                    self.send_error(404, "only /queues here")
                    return
                now = source.clock.now()
                seconds = max(0.0, (now - source.started).total_seconds())
                body = json.dumps(counts(seconds, now)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the dashboard owns the terminal

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/queues"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="warroom-demo-queues", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def channels_yaml(url: str, every: str = "10s") -> str:
    """The config's ``channels:`` block: each channel counted from the demo source."""
    lines = ["channels:"]
    for channel in CURVES:
        lines.append(
            f"  {channel}: {{source: json, url: {json.dumps(url)}, every: {every}, "
            f'count: "{channel}.waiting", oldest: "{channel}.oldest_waiting"}}'
        )
    return "\n".join(lines) + "\n"


def start_demo_queues(clock: Clock | None = None) -> DemoQueues | None:
    """The source on a free port (None when it cannot start: the demo goes on without)."""
    if clock is None:
        from tui.core.clock import SystemClock

        clock = SystemClock()
    try:
        return DemoQueues(clock)
    except OSError:
        return None


__all__ = ["CURVES", "DemoQueues", "channels_yaml", "counts", "level", "start_demo_queues"]

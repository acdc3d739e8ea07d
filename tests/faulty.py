"""A fault-injecting HTTP proxy for the delivery tests.

``FaultyProxy(upstream_url, script)`` listens on 127.0.0.1 (a free port) in a daemon
thread and forwards each request to ``upstream_url`` (a real local status page) with
``httpx.AsyncClient`` -- unless the script says otherwise. It parses just enough
HTTP/1.1 (request line, headers, a ``Content-Length`` body) and answers every request
with ``Connection: close``.

The script is either a list of faults consumed one per request, in order (``None``
passes through; an exhausted list passes everything through), or a function
``(method, path, n) -> fault | None`` where ``n`` counts requests from 1.

Faults:

* ``"500"``: 500 without forwarding (nothing committed);
  ``"500-after"``: forward (the page commits), then answer 500;
* ``"429"`` / ``"420"``: throttled, ``Retry-After: 1``, not forwarded;
* ``"hang-after"``: forward (the page commits), then hold the connection open,
  silent, for ``hold`` seconds (longer than the client's timeout), then close it;
* ``"reset-after"``: forward, then drop the connection with a TCP reset, no answer;
  ``"close-after"``: forward, then close the connection (FIN), no answer;
* ``"html"``: 200 ``text/html`` ``<html>proxy error</html>`` without forwarding;
  ``"html-after"``: forward, then answer that HTML instead of the page's JSON;
* ``"401"`` / ``"422"``: permanent errors, not forwarded; ``"401-echo"`` is a 401
  whose message repeats the ``Authorization`` header it received (a careless server),
  after ``echo_offset`` characters of other text (so a cut at 200 can split the key);
* ``"302-json"``: a 302 to :data:`ELSEWHERE` whose body is JSON with an ``id`` (a
  redirect that looks like a created incident); ``"301-empty"``: a 301 to
  :data:`ELSEWHERE` with an empty body. Neither is forwarded.

Every request is recorded in :attr:`FaultyProxy.seen` (``Seen``: n, method, path, the
fault applied, whether the page committed it, monotonic arrival time).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

Fault = str | None
Script = Sequence[Fault] | Callable[[str, str, int], Fault] | None

FAULTS = frozenset(
    {
        "500",
        "500-after",
        "429",
        "420",
        "hang-after",
        "reset-after",
        "close-after",
        "html",
        "html-after",
        "401",
        "401-echo",
        "422",
        "302-json",
        "301-empty",
    }
)
ELSEWHERE = "https://status.example.net/api/v1/pages/moved/incidents"
FILLER = "Could not authenticate this request; check the credentials you sent. " * 8
HTML = b"<html>proxy error</html>"
_REASONS = {
    200: "OK",
    201: "Created",
    301: "Moved Permanently",
    302: "Found",
    401: "Unauthorized",
    420: "Enhance Your Calm",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_HOP = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "content-length",
        "transfer-encoding",
        "proxy-connection",
        "te",
        "upgrade",
        "accept-encoding",
    }
)


@dataclass
class Seen:
    n: int
    method: str
    path: str
    fault: Fault
    at: float  # time.monotonic() when the request arrived
    authorization: str = ""
    forwarded: bool = False  # the page answered it (so it committed whatever it did)
    upstream_status: int | None = None
    answered: float | None = None  # time.monotonic() when the proxy was done with it


def on_request(n: int, fault: str) -> Callable[[str, str, int], Fault]:
    """The fault on the n-th request (from 1), whatever it is."""
    return lambda method, path, i: fault if i == n else None


def on_method(method: str, k: int, fault: str) -> Callable[[str, str, int], Fault]:
    """The fault on the k-th request (from 1) with this method (e.g. the 2nd PATCH)."""
    count = {"n": 0}
    lock = threading.Lock()

    def script(m: str, path: str, i: int) -> Fault:
        if m != method:
            return None
        with lock:
            count["n"] += 1
            return fault if count["n"] == k else None

    return script


class FaultyProxy:
    def __init__(
        self,
        upstream: str,
        script: Script = None,
        *,
        latency: float = 0.0,
        hold: float = 5.0,
        throttle_phase: float | None = None,
        echo_offset: int = 0,
    ):
        self.upstream = upstream.rstrip("/")
        self.latency = latency
        self.hold = hold
        # answer 420/429 when the wall clock is this far into a second (e.g. 0.5): a
        # client that rounds its retry time to whole seconds then shows it every time
        self.throttle_phase = throttle_phase
        self.echo_offset = echo_offset
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._script: Script = None
        self.set_script(script)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task] = set()
        self.port = 0

    # -- control (any thread) ------------------------------------------------------
    def set_script(self, script: Script) -> None:
        with self._lock:
            if script is not None and not callable(script):
                script = list(script)
                bad = [f for f in script if f is not None and f not in FAULTS]
                if bad:
                    raise ValueError(f"unknown faults: {bad}")
            self._script = script

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.url + "/v1"

    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self.seen)

    def wait_for(self, predicate: Callable[[list[Seen]], bool], timeout: float = 20.0) -> bool:
        """Block until ``predicate(seen)`` holds (re-checked on every change)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self.seen)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.2))
        return True

    def start(self) -> FaultyProxy:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:  # reported to start()
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._close())
                loop.close()

        self._thread = threading.Thread(target=run, name="faulty-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the faulty proxy did not start")
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        self._thread = None

    def __enter__(self) -> FaultyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the server (the proxy's loop) ----------------------------------------------
    async def _open(self) -> None:
        self._client = httpx.AsyncClient(timeout=30.0, follow_redirects=False)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def _next_fault(self, method: str, path: str) -> tuple[int, Fault]:
        with self._lock:
            n = len(self.seen) + 1
            script = self._script
            if callable(script):
                fault = script(method, path, n)
            elif script:
                fault = script.pop(0)
            else:
                fault = None
            if fault is not None and fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}")
            return n, fault

    def _record(self, seen: Seen) -> None:
        with self._changed:
            self.seen.append(seen)
            self._changed.notify_all()

    def _touch(self) -> None:
        with self._changed:
            self._changed.notify_all()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the proxy is stopping
        finally:
            if task is not None:
                self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = await reader.readline()
        if not line.strip():
            return
        method, target, _version = line.decode("latin-1").strip().split(" ", 2)
        headers: list[tuple[str, str]] = []
        while True:
            h = await reader.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            name, _, value = h.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
        body = await reader.readexactly(length) if length else b""
        n, fault = self._next_fault(method, target)
        auth = next((v for k, v in headers if k.lower() == "authorization"), "")
        seen = Seen(n, method, target, fault, time.monotonic(), auth)
        self._record(seen)

        if fault in (
            "500",
            "429",
            "420",
            "html",
            "401",
            "401-echo",
            "422",
            "302-json",
            "301-empty",
        ):
            if fault in ("429", "420") and self.throttle_phase is not None:
                await asyncio.sleep((self.throttle_phase - time.time()) % 1.0)
            await self._answer_fault(writer, fault, auth)
            seen.answered = time.monotonic()
            return
        if self.latency:
            await asyncio.sleep(self.latency)
        assert self._client is not None
        try:
            upstream = await self._client.request(
                method,
                self.upstream + target,
                headers=[(k, v) for k, v in headers if k.lower() not in _HOP],
                content=body,
            )
        except httpx.HTTPError as exc:
            await self._write(writer, 502, "application/json", _msg(f"proxy: {exc}"))
            return
        seen.forwarded = True
        seen.upstream_status = upstream.status_code
        self._touch()
        if fault == "500-after":
            await self._write(writer, 500, "application/json", _msg("proxy: internal error"))
        elif fault == "html-after":
            await self._write(writer, 200, "text/html", HTML)
        elif fault == "hang-after":
            await asyncio.sleep(self.hold)  # silent: the client times out
        elif fault == "reset-after":
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        elif fault == "close-after":
            pass  # closed by _serve without a word
        else:
            extra = [
                (k, v)
                for k, v in upstream.headers.items()
                if k.lower() in ("retry-after", "location")
            ]
            await self._write(
                writer,
                upstream.status_code,
                upstream.headers.get("content-type", "application/octet-stream"),
                upstream.content,
                extra,
            )
        seen.answered = time.monotonic()

    async def _answer_fault(self, writer: asyncio.StreamWriter, fault: str, auth: str) -> None:
        if fault == "500":
            await self._write(writer, 500, "application/json", _msg("proxy: internal error"))
        elif fault in ("429", "420"):
            await self._write(
                writer,
                int(fault),
                "application/json",
                _msg("Rate limit exceeded"),
                [("Retry-After", "1")],
            )
        elif fault == "html":
            await self._write(writer, 200, "text/html", HTML)
        elif fault == "401":
            await self._write(writer, 401, "application/json", _msg("Could not authenticate"))
        elif fault == "401-echo":
            await self._write(
                writer,
                401,
                "application/json",
                _msg(f"{FILLER[: self.echo_offset]}Could not authenticate with {auth}"),
            )
        elif fault == "302-json":
            await self._write(
                writer,
                302,
                "application/json",
                json.dumps({"id": "redirected-incident"}).encode(),
                [("Location", ELSEWHERE)],
            )
        elif fault == "301-empty":
            await self._write(writer, 301, "text/plain", b"", [("Location", ELSEWHERE)])
        elif fault == "422":
            await self._write(
                writer, 422, "application/json", _msg("incident.status is not valid (proxy)")
            )

    async def _write(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        content_type: str,
        body: bytes,
        extra: Sequence[tuple[str, str]] = (),
    ) -> None:
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{k}: {v}" for k, v in extra),
        ]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()


def _msg(text: str) -> bytes:
    return json.dumps({"message": text}).encode()

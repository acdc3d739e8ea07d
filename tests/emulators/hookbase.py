"""A small real HTTP server for the hook emulators (stdlib ``ThreadingHTTPServer``).

``HookServer`` listens on 127.0.0.1 (a free port) in a thread; every request is read
whole (a ``Content-Length`` body) and handed to :meth:`HookServer.handle`, whose
answer is written with ``Connection: close`` (so no handler thread outlives its
request). ``stop()`` shuts the server down and joins every thread it started.

Every request is recorded (:class:`Request`: method, path, query, headers, raw body,
the status answered). ``refuse`` makes the server answer the next requests with a
fixed refusal (status, content type, text; ``{url}`` in the text is replaced by the
full URL of the request -- a careless server echoing a secret hook URL).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, str, bytes, dict[str, str]]  # status, content type, body, extra headers


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int = 0

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Refusal:
    status: int
    text: str
    content_type: str = "text/plain; charset=utf-8"
    times: int = 1_000_000  # how many requests get it


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _any(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        req = Request(
            self.command,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        owner = self.server.owner
        refusal = owner.take_refusal()
        if refusal is not None:
            full = f"{owner.url}{self.path}"
            reply: Reply = (
                refusal.status,
                refusal.content_type,
                refusal.text.replace("{url}", full).encode(),
                {},
            )
        else:
            try:
                reply = owner.handle(req)
            except Exception as exc:  # an emulator bug: a 500 the test will see
                reply = (500, "text/plain", f"emulator error: {exc!r}".encode(), {})
        status, ctype, data, extra = reply
        req.status = status
        owner.record(req)
        self.send_response(status)
        if data or status not in (202, 204):
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True

    def __init__(self, owner: HookServer):
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)


class HookServer:
    """Subclasses implement :meth:`handle`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.refusal: Refusal | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- control ------------------------------------------------------------------
    def start(self) -> Any:
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def refuse(
        self,
        status: int,
        text: str,
        content_type: str = "text/plain; charset=utf-8",
        times: int = 1_000_000,
    ) -> None:
        with self._lock:
            self.refusal = Refusal(status, text, content_type, times)

    def take_refusal(self) -> Refusal | None:
        with self._lock:
            r = self.refusal
            if r is None:
                return None
            r.times -= 1
            if r.times <= 0:
                self.refusal = None
            return r

    def record(self, req: Request) -> None:
        with self._lock:
            self.requests.append(req)

    def seen(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    # -- the emulated API ---------------------------------------------------------
    def handle(self, req: Request) -> Reply:
        raise NotImplementedError

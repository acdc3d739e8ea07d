"""Run the local status page under uvicorn: blocking (:func:`serve`) or in a daemon thread
(:class:`BackgroundServer`, for ``warroom demo`` and the tests).

uvicorn runs with ``log_level="warning"``, the access log off (so no request line, let
alone an ``Authorization`` header, is ever logged) and ``log_config=None``: the process's
own logging setup is left alone; uvicorn's warnings propagate to it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import uvicorn

DEFAULT_COMPONENTS = ("API", "Dashboard", "Integrations")
START_TIMEOUT = 10.0


class _Server(uvicorn.Server):
    """A uvicorn server that sets ``ready`` once it listens."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event | None):
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._ready is not None:
            self._ready.set()


def _server(
    db_path: str | os.PathLike[str],
    *,
    api_key: str,
    host: str,
    port: int,
    page_id: str,
    page_name: str,
    components: Sequence[str],
    time_zone: str,
    ready: threading.Event | None,
    sink_secret: str | None = None,
) -> _Server:
    from tui.localpage.app import create_app

    app = create_app(
        db_path,
        api_key=api_key,
        page_id=page_id,
        page_name=page_name,
        components=list(components),
        time_zone=time_zone,
        sink_secret=sink_secret,
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        ws="none",
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=3,
    )
    return _Server(config, ready)


def serve(
    db_path: str | os.PathLike[str],
    *,
    api_key: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    page_id: str = "local",
    page_name: str = "Status",
    components: Sequence[str] = DEFAULT_COMPONENTS,
    time_zone: str = "UTC",
    ready: threading.Event | None = None,
    listening: Callable[[str], None] | None = None,
) -> None:
    """Serve the page until interrupted (Ctrl-C / SIGTERM when run on the main thread).

    The socket is bound here, before serving: ``port=0`` picks a free port, and
    ``listening(url)`` is told the page's URL with the port it really has (a
    port already taken raises OSError here, before anything is served).
    """
    server = _server(
        db_path,
        api_key=api_key,
        host=host,
        port=port,
        page_id=page_id,
        page_name=page_name,
        components=components,
        time_zone=time_zone,
        ready=ready,
    )
    sock = _listen(host, port)
    try:
        server.config.port = sock.getsockname()[1]
        if listening is not None:
            listening(f"http://{_url_host(host)}:{server.config.port}")
        server.run(sockets=[sock])
    finally:
        sock.close()


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0: a free port, held from now on)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class BackgroundServer:
    """The page in a daemon thread. ``port=0`` picks a free port: the socket is bound
    here and handed to uvicorn, so no other process can take the port in between.

    ``with BackgroundServer(db, api_key=k) as page: ...`` starts and stops it.
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        *,
        api_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        **kw: Any,
    ):
        self.db_path = db_path
        self.host = host
        self.port = port
        self._api_key = api_key
        self._kw = {
            "page_id": "local",
            "page_name": "Status",
            "components": DEFAULT_COMPONENTS,
            "time_zone": "UTC",
            **kw,
        }
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def __repr__(self) -> str:  # never shows the key
        return f"BackgroundServer({self.host!r}, port={self.port})"

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the port is not known before start()")
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.url + "/v1"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> BackgroundServer:
        if self._thread is not None:
            raise RuntimeError("already started")
        ready = threading.Event()
        # Built here, so a bad key, page id or DB file raises in the caller's thread.
        server = _server(
            self.db_path,
            api_key=self._api_key,
            host=self.host,
            port=self.port,
            ready=ready,
            **self._kw,
        )
        sock = _listen(self.host, self.port)
        self.port = sock.getsockname()[1]
        server.config.port = self.port
        self._sock, self._server = sock, server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="warroom-page", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.wait(0.05):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the status page did not start on {self.host}:{self.port}")
        return self

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._sock
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=START_TIMEOUT)
        if sock is not None:
            sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

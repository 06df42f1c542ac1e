"""Serving a homeserver over a real socket with uvicorn, in the foreground or a thread.

The listening socket is bound here, before uvicorn starts, so a port in use
is reported as one clear error and port 0 yields the real port at once.
:class:`ThreadedServer` (used by the pytest plugin) returns from
:meth:`~ThreadedServer.start` only once uvicorn reports it is serving.

The app is wrapped so that each request's scope carries a way to abort its
connection (the fault rules' "drop the connection"): uvicorn hands the app
its request cycle's bound ``send``, whose ``transport`` is the socket's.
"""

from __future__ import annotations

import socket
import threading

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver import http11
from mockserver.app import create_app
from mockserver.homeserver import Homeserver
from mockserver.traffic.middleware import ABORT_KEY


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; raises ``OSError`` (e.g. the port is in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio disables Nagle (TCP_NODELAY) only on such sockets, and
    # without it every answer on a kept-alive connection waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, announcing through ``ready`` that it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


def with_connection_abort(app: ASGIApp) -> ASGIApp:
    """Put the connection's ``abort`` in each HTTP scope, when the server exposes it."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            abort = getattr(transport, "abort", None)
            if abort is not None:
                scope[ABORT_KEY] = abort
        await app(scope, receive, send)

    return asgi


def uvicorn_server(
    homeserver: Homeserver, *, log_level: str = "warning", access_log: bool = False
) -> _Server:
    config = uvicorn.Config(
        with_connection_abort(create_app(homeserver=homeserver)),
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=1,
        ws="none",
        http=http11.protocol(homeserver.config.read_timeout),
    )
    return _Server(config)


class ThreadedServer:
    """A homeserver on a background thread, for tests and embedding."""

    def __init__(self, homeserver: Homeserver) -> None:
        self.homeserver = homeserver
        self._sock = bind(homeserver.config.host, homeserver.config.port)
        homeserver.bound_port = self._sock.getsockname()[1]
        self._server = uvicorn_server(homeserver)
        self._server.config.install_signal_handlers = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._run, name="mockserver", daemon=True)
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        assert self.homeserver.bound_port is not None
        return self.homeserver.bound_port

    @property
    def base_url(self) -> str:
        return self.homeserver.base_url()

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # pragma: no cover - reported by start()
            self._error = exc
        finally:
            self._server.ready.set()

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        """Serve on the background thread; return once connections are accepted."""
        if self._thread.is_alive():
            raise RuntimeError("server already started")
        self._thread.start()
        if not self._server.ready.wait(timeout) or not self._server.started:
            raise RuntimeError(f"mockserver did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()

"""uvicorn's h11 connection, with a read timeout and Matrix errors for requests it cannot parse.

- **Read timeout.** A connection that owes the server the rest of a request
  (its head, or its body) and sends nothing for ``read_timeout`` seconds is
  closed: a client that never finishes a request no longer holds a
  connection forever. Between requests uvicorn's keep-alive timeout rules;
  while the app is answering (a long-poll) nothing is owed, so no timer runs.
- **One write per answer.** Each request's cycle is a
  :class:`~mockserver.http11_cycle.OneWriteCycle`: a plain answer's head and
  body leave in one write, its headers checked once per distinct list.
- **Unparsable requests.** A head over h11's size limit (``431``) or
  otherwise broken (``400``) is answered with a Matrix error body instead of
  uvicorn's plain text, and the connection is half-closed after it, so the
  client reads the answer rather than a reset.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

import h11
import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol, RequestResponseCycle

from mockserver.http11_cycle import OneWriteCycle

#: Seconds a connection may go without sending a byte of a request it has begun.
DEFAULT_READ_TIMEOUT = 30.0
#: How long a refused connection is drained before it is closed.
_LINGER = 2.0


def protocol(read_timeout: float = DEFAULT_READ_TIMEOUT) -> type[H11Protocol]:
    """The h11 protocol class to give ``uvicorn.Config(http=...)``."""
    return type("MatrixH11Protocol", (MatrixH11Protocol,), {"read_timeout": read_timeout})


class MatrixH11Protocol(H11Protocol):
    read_timeout: float = DEFAULT_READ_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timer: asyncio.TimerHandle | None = None
        self._refused = False
        self._error: h11.RemoteProtocolError | None = None
        next_event = self.conn.next_event

        def noting_errors() -> Any:
            try:
                return next_event()
            except h11.RemoteProtocolError as exc:
                self._error = exc
                raise

        self.conn.next_event = noting_errors  # type: ignore[method-assign]

    def handle_events(self) -> None:
        super().handle_events()
        cycle = self.cycle
        if cycle is not None and type(cycle) is RequestResponseCycle:
            # A request just came in: its task has not run yet, so every message its
            # answer sends goes through OneWriteCycle.send (same fields, same layout).
            cycle.__class__ = OneWriteCycle

    # -- the read timeout ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # drained: the answer is sent, the connection closing
        super().data_received(data)
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self._refused:
            self._arm()  # part of a request is in: the rest is owed
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:
            self._arm()  # the app is slow to read what came: the client owes nothing yet
            return
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            # A body cut short reaches the app as a disconnect (ClientDisconnect).
            self.transport.close()

    # -- Matrix errors for what h11 cannot parse -------------------------------------------

    def send_400_response(self, msg: str) -> None:
        self._disarm()
        hint = self._error.error_status_hint if self._error is not None else 400
        too_large = hint in (413, 414, 431)
        status = hint if too_large else 400
        body = orjson.dumps(
            {
                "errcode": "M_TOO_LARGE" if too_large else "M_UNKNOWN",
                "error": "Request head too large" if too_large else "Invalid HTTP request",
            }
        )
        head = (
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n"
        ) % (status, HTTPStatus(status).phrase.encode(), len(body))
        self.transport.write(head + body)
        self._refused = True
        # Half-close and drain what the client still sends, so it reads the answer
        # instead of a reset; then close for good.
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER, self.transport.close)

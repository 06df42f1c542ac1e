"""How an answer leaves the server: its head checked once per distinct header list,
and written to the socket in one piece with its body.

uvicorn's h11 cycle builds an ``h11.Response`` for every answer, which checks each
header name and value against h11's regular expressions (~3 us for a six-word CORS
value on the loaded bench machine; seven headers an answer), and then writes the
head and the body with two socket writes, each a system call that on loopback also
runs the receiving side's TCP work. Every mockserver answer
carries the same few headers (uvicorn's ``server`` and ``date``, its length and
type, the CORS headers), and its head and body are ready together. So
:class:`OneWriteCycle`:

- keeps the checked form of each distinct header list (h11's own check, run once:
  a header h11 refuses is refused as before);
- holds the head until the body's first message, and writes a whole answer (head,
  body and end) with one ``transport.write``; a body over :data:`ONE_WRITE_MOST`
  goes in a write of its own after the head's, as uvicorn writes it (joining them
  copied the body: ~10 ms of CPU for the big account's 11.7 MB initial sync).

The bytes on the wire are the same as uvicorn's; only the number of writes changes.
Anything out of the ordinary (a paused transport, an access log, a client gone, a
body in several messages) takes uvicorn's own path after the held head is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import h11
from uvicorn._types import ASGISendEvent
from uvicorn.protocols.http.flow_control import CLOSE_HEADER
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, RequestResponseCycle

if TYPE_CHECKING:
    from h11._headers import Headers

#: Checked header lists kept at most; the ``date`` header moves every second.
MOST_KEPT = 64
#: The largest body written in one piece with its head (a bigger one is not copied).
ONE_WRITE_MOST = 64 * 1024
_checked: dict[tuple[tuple[bytes, bytes], ...], Headers] = {}


def checked_headers(headers: list[tuple[bytes, bytes]]) -> Headers:
    """``headers`` as h11 checks and normalises them, once per distinct list."""
    key = tuple(headers)
    found = _checked.get(key)
    if found is None:
        found = h11.Response(status_code=200, headers=headers).headers
        if len(_checked) >= MOST_KEPT:
            _checked.clear()
        _checked[key] = found
    return found


class OneWriteCycle(RequestResponseCycle):
    """uvicorn's request/response cycle, writing a plain answer with one write.

    :class:`~mockserver.http11.MatrixH11Protocol` turns each new cycle into one
    (before its task first runs), so uvicorn's own parsing and task handling stay
    as they are.
    """

    #: The head's bytes, held until the body's first message.
    held: bytes | None = None

    async def send(self, message: ASGISendEvent) -> None:
        if self.disconnected:
            self.held = None
            return  # as uvicorn: nothing more goes to a client that left
        if (
            message["type"] == "http.response.start"
            and not self.response_started
            and not self.access_log
            and not self.flow.write_paused
        ):
            self.hold_head(message["status"], list(message.get("headers", [])))
            return
        held = self.held
        if held is None:
            await super().send(message)
            return
        self.held = None
        if (
            message["type"] == "http.response.body"
            and not message.get("more_body", False)
            and not self.flow.write_paused
        ):
            self.write_whole(held, message.get("body", b""))
            return
        self.transport.write(held)
        await super().send(message)

    def hold_head(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        """What uvicorn does for ``http.response.start``, but the head is kept, not written."""
        self.response_started = True
        self.waiting_for_100_continue = False
        headers = self.default_headers + headers
        if CLOSE_HEADER in self.scope["headers"] and CLOSE_HEADER not in headers:
            headers = headers + [CLOSE_HEADER]
        response = h11.Response(
            status_code=status, headers=checked_headers(headers), reason=STATUS_PHRASES[status]
        )
        self.held = self.conn.send(event=response)

    def write_whole(self, head: bytes, body: bytes) -> None:
        """The head, the only body message and the end, in one write (then as uvicorn)."""
        data = b"" if self.scope["method"] == "HEAD" else body
        if len(data) > ONE_WRITE_MOST:
            self.transport.write(head)
            head = b""
        output = head + (self.conn.send(event=h11.Data(data=data)) or b"")
        self.response_complete = True
        self.message_event.set()
        output += self.conn.send(event=h11.EndOfMessage()) or b""
        self.transport.write(output)
        if self.conn.our_state is h11.MUST_CLOSE or not self.keep_alive:
            self.conn.send(event=h11.ConnectionClosed())
            self.transport.close()
        self.on_response()

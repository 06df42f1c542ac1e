"""The answers mockserver sends: the orjson JSON response and media bytes, with CORS headers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import orjson
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from mockserver.cors import RAW_HEADERS, applies_to

#: Where a response notes, in the request's scope, the status it started to send.
STATUS_KEY = "mockserver.status"


class Chunked(Protocol):
    """A JSON answer put together as it is sent (a big initial ``/sync``'s)."""

    #: Its length in bytes.
    size: int

    def chunks(self) -> Iterator[bytes]:
        """Its bytes, in order."""
        ...


#: An encoded JSON answer.
Body = bytes | Chunked


class OrjsonResponse(JSONResponse):
    """A JSON answer, sent with the CORS headers (not under ``/_mock``), that notes in the scope that it started.

    Every answer mockserver sends is one of these, so no layer has to add
    the CORS headers on the way out, and the middleware knows from
    :data:`STATUS_KEY` whether an answer has begun (and with what status)
    without a wrapper around ``send``.
    """

    media_type = "application/json"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        if headers is None and media_type is None and background is None and (
            200 <= status_code and status_code not in (204, 304)
        ):
            # What Response.__init__ and init_headers produce for this case, in half the
            # time: every answer, a woken /sync's included, is built here.
            self._plain(self.render(content), status_code)
            return
        super().__init__(content, status_code, headers, media_type, background)

    @classmethod
    def encoded(cls, body: Body) -> OrjsonResponse:
        """A 200 whose JSON is already encoded (a shared /sync answer), or put together
        as it is sent (then each chunk goes out in a body message of its own)."""
        response = cls.__new__(cls)
        if isinstance(body, bytes):
            response._plain(body, 200)
        else:
            response._plain(b"", 200, body.size)
            response.chunked = body
        return response

    #: The answer, when it is put together as it is sent (``body`` is then empty).
    chunked: Chunked | None = None

    def _plain(self, body: bytes, status_code: int, size: int | None = None) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-length", b"%d" % (len(body) if size is None else size)),
            (b"content-type", b"application/json"),
        ]

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the answer with the CORS headers added (no handler sets them itself)."""
        scope[STATUS_KEY] = self.status_code
        headers = self.raw_headers + RAW_HEADERS if applies_to(scope.get("path", "")) else self.raw_headers
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        if self.chunked is not None:
            if scope.get("method") != "HEAD":
                for chunk in self.chunked.chunks():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        else:
            await send({"type": "http.response.body", "body": self.body})
        if self.background is not None:
            await self.background()


#: How much of a media body :class:`BytesResponse` sends per ASGI message.
BODY_CHUNK = 64 * 1024


class BytesResponse(Response):
    """A non-JSON answer (media): its bytes sent from a view, never copied whole.

    Like :class:`OrjsonResponse` it sends the CORS headers and notes its
    status in the scope. The body goes out in :data:`BODY_CHUNK` slices of
    ``content`` (a read-only view of the stored bytes), so serving a large
    file holds one slice beside it, not a second copy; a ``HEAD`` gets the
    headers alone.
    """

    def __init__(
        self,
        content: bytes | memoryview,
        headers: Mapping[str, str],
        status_code: int = 200,
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.content = memoryview(content)
        self.body = b""
        self.raw_headers = [
            (b"content-length", b"%d" % self.content.nbytes),
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[STATUS_KEY] = self.status_code
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.raw_headers + RAW_HEADERS,
            }
        )
        content = self.content if scope.get("method") != "HEAD" else memoryview(b"")
        size = content.nbytes
        for start in range(0, size, BODY_CHUNK):
            end = min(start + BODY_CHUNK, size)
            await send(
                {"type": "http.response.body", "body": bytes(content[start:end]), "more_body": end < size}
            )
        if not size:
            await send({"type": "http.response.body", "body": b""})

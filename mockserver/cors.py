"""CORS for browser clients: every response allows any origin; preflights get ``{}``.

Every response means a 500 too: Starlette renders unexpected exceptions
outside all user middleware, where no CORS header would reach it and a
browser would report a CORS failure instead of the Matrix error. So this
middleware hands an exception that escapes the app to the one handler in
:mod:`mockserver.errors` itself, and sends its answer with the headers.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.errors import on_unexpected

HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization, Date",
}


class CorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
            headers += [(b"content-type", b"application/json"), (b"content-length", b"2")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"{}"})
            return

        started = False

        async def send_with_cors(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for key, value in HEADERS.items():
                    headers[key] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception as exc:
            if started:
                raise
            response = await on_unexpected(Request(scope), exc)
            await response(scope, receive, send_with_cors)

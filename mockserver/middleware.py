"""The one ASGI middleware in front of the routes: preflights, unexpected errors, traffic.

- A CORS preflight (any ``OPTIONS``) is answered with ``{}``; like every
  answer it carries the CORS headers (see :mod:`mockserver.cors`).
- With the control API on, each client request goes through
  :func:`~mockserver.traffic.middleware.serve_journaled` (journal and fault
  rules); ``/_mock`` requests go straight to the routes.
- An exception that escapes the app before its answer started is handed to
  the one handler in :mod:`mockserver.errors` and answered with its
  ``500 M_UNKNOWN`` here: Starlette would render it outside all user
  middleware and raise it again to the server.

It wraps neither ``send`` nor, for requests it does not journal,
``receive``: whether an answer started, and with what status, is the note
:class:`~mockserver.responses.OrjsonResponse` leaves in the scope.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.errors import on_unexpected
from mockserver.responses import STATUS_KEY, OrjsonResponse
from mockserver.traffic.middleware import is_control_path, serve_journaled


class HttpMiddleware:
    def __init__(self, app: ASGIApp, *, journal: bool) -> None:
        self.app = app
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await OrjsonResponse({})(scope, receive, send)
            return
        try:
            if self.journal and not is_control_path(scope["path"]):
                await serve_journaled(self.app, scope, receive, send)
            else:
                await self.app(scope, receive, send)
        except Exception as exc:
            if STATUS_KEY in scope:
                raise
            response = await on_unexpected(Request(scope), exc)
            await response(scope, receive, send)

"""The one ASGI middleware in front of the routes: preflights, errors, client traffic.

- A ``/_mock`` request is first checked against the control API's Host and
  Origin rules (:mod:`mockserver.control.access`); its answers carry no
  CORS headers, and a preflight for it gets ``{}`` without them.
- A client API CORS preflight (any ``OPTIONS``) is answered with ``{}``;
  like every client API answer it carries the CORS headers (see
  :mod:`mockserver.cors`).
- With the control API on, each client request goes through
  :func:`~mockserver.traffic.middleware.serve_journaled` (journal and fault
  rules); ``/_mock`` requests go straight to the routes.
- A client that hangs up before its answer (``ClientDisconnect`` while its
  body is read) is answered with nothing and logged as nothing; the journal
  notes it as gone.
- An exception the routes raise before an answer started is answered with
  what :func:`mockserver.errors.error_response` makes of it (a Matrix error,
  Starlette's 404/405, or a logged ``500 M_UNKNOWN``), inside the journal so
  that it records that answer.

It stands in for Starlette's error and exception middleware and its router
(see :class:`mockserver.app.MockserverApp`), and wraps neither ``send``
nor, for requests it does not journal, ``receive``: whether an answer
started, and with what status, is the note
:class:`~mockserver.responses.OrjsonResponse` leaves in the scope.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from mockserver.control.access import ControlAccess
from mockserver.errors import error_response, render
from mockserver.responses import STATUS_KEY, OrjsonResponse
from mockserver.traffic.middleware import is_control_path, serve_journaled


async def answered(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run ``app``; if it raises before its answer started, send the error's answer."""
    try:
        await app(scope, receive, send)
    except ClientDisconnect:
        raise  # no one to answer (HttpMiddleware lets it end there)
    except Exception as exc:
        if STATUS_KEY in scope:
            raise
        await error_response(scope, exc)(scope, receive, send)


class HttpMiddleware:
    """HTTP requests to ``routes``; the lifespan to ``app`` (Starlette's router)."""

    def __init__(
        self, app: ASGIApp, *, routes: ASGIApp, journal: bool, control: ControlAccess | None
    ) -> None:
        self.app = app
        self.answer: ASGIApp = partial(answered, routes)
        self.journaled: ASGIApp | None = (
            partial(serve_journaled, self.answer) if journal else None
        )
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Nothing is served over a websocket: closed, as Starlette's router does.
            await WebSocketClose()(scope, receive, send)
        elif scope["type"] != "http":
            await self.app(scope, receive, send)
        elif self.control is not None and is_control_path(scope["path"]):
            await self.serve_control(self.control, scope, receive, send)
        elif scope["method"] == "OPTIONS":
            await OrjsonResponse({})(scope, receive, send)
        else:
            try:
                if self.journaled is not None:
                    # Answered twice over: the routes' errors inside the journal, and
                    # anything the traffic code itself raises, outside it.
                    await answered(self.journaled, scope, receive, send)
                else:
                    await self.answer(scope, receive, send)
            except ClientDisconnect:
                # The client hung up before its answer (the journal noted it): there is
                # no one to answer, and nothing went wrong here to log.
                pass

    async def serve_control(
        self, control: ControlAccess, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """A ``/_mock`` request: refused unless Host and Origin allow it; not journaled."""
        refusal = control.refusal(scope)
        if refusal is not None:
            await render(refusal)(scope, receive, send)
        elif scope["method"] == "OPTIONS":
            await OrjsonResponse({})(scope, receive, send)
        else:
            try:
                await self.answer(scope, receive, send)
            except ClientDisconnect:
                pass  # hung up mid-body: no one to answer

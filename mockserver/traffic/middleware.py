"""Client traffic on its way to the client API: journal every request, apply faults.

The app's middleware (:mod:`mockserver.middleware`) hands it every HTTP
request except preflights and those to the control API (``/_mock``), which
are neither journaled nor subject to faults. For each client request it
resolves the access token to a user (read-only, through the store's
public lookup), opens a journal entry, asks the fault rules whether one
fires, and then serves the request normally or as the rule says. The
request body is recorded as the app reads it (or drained, when a fault
answers instead of the app); the status, once the request is served, from
the note the response leaves in the scope (``STATUS_KEY``). Of an upload,
only the size is recorded: its handler marks the body binary.

Dropping a connection needs the server's transport: :mod:`mockserver.server`
puts an ``abort`` callable in the scope under :data:`ABORT_KEY`. Without
one (an in-process ASGI client), the response is started and then broken off
by raising :class:`ConnectionDropped`, which any ASGI server turns into a
closed connection and an in-process client sees as that exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.api.auth import scope_access_token
from mockserver.api.params import BINARY_BODY, query_pairs
from mockserver.core.errors import MatrixError
from mockserver.core.store import Store
from mockserver.errors import render
from mockserver.homeserver import Homeserver
from mockserver.responses import STATUS_KEY
from mockserver.traffic.faults import FaultRule
from mockserver.traffic.journal import JournalEntry

CONTROL_PREFIX = "/_mock"
ABORT_KEY = "mockserver.abort"
#: The journal keeps at most this much of a request body.
MAX_RECORDED_BODY = 64 * 1024


class ConnectionDropped(BaseException):
    """Raised to break off a started response when the transport cannot be aborted.

    A ``BaseException`` so that no error handler inside the app turns it into
    a 500 answer: the point is that the client gets no answer at all.
    """


def is_control_path(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def user_of(scope: Scope, store: Store) -> str | None:
    """The user a request's access token belongs to, or None (no or bad token)."""
    try:
        token = scope_access_token(scope)
    except MatrixError:
        return None
    session = store.session_for(token) if token is not None else None
    return session.user_id if session is not None else None


def query_of(scope: Scope) -> dict[str, str | list[str]]:
    """The query parameters as Starlette parses them; a repeated one maps to a list."""
    query: dict[str, str | list[str]] = {}
    for key, value in query_pairs(scope):
        present = query.get(key)
        if present is None:
            query[key] = value
        elif isinstance(present, list):
            present.append(value)
        else:
            query[key] = [present, value]
    return query


class _Body:
    """Records the request body as it passes to the app (up to MAX_RECORDED_BODY).

    A handler that marks its body binary in the scope (:data:`BINARY_BODY`, an
    upload) before reading it has its size recorded and none of its bytes.
    """

    def __init__(self, receive: Receive, scope: Scope) -> None:
        self._receive = receive
        self._scope = scope
        self._chunks: list[bytes] = []
        self.size = 0
        self.complete = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if self.size < MAX_RECORDED_BODY and not self._scope.get(BINARY_BODY):
                self._chunks.append(chunk[: MAX_RECORDED_BODY - self.size])
            self.size += len(chunk)
            if not message.get("more_body", False):
                self.complete = True
        elif message["type"] == "http.disconnect":
            self.complete = True
        return message

    async def drain(self) -> None:
        while not self.complete:
            await self.receive()

    def value(self) -> Any:
        if not self.size or self._scope.get(BINARY_BODY):
            return None  # no body (a GET such as a /sync), or one not to keep
        raw = b"".join(self._chunks)
        if not raw.strip():
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw.decode("utf-8", "replace")


async def serve_journaled(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one client request through ``app``: journal it, apply the rule that fires."""
    hs: Homeserver = scope["app"].homeserver
    method = scope["method"]
    path = scope["path"]
    user_id = user_of(scope, hs.store)
    entry = hs.journal.open(
        ts=hs.store.now(), method=method, path=path, query=query_of(scope), user_id=user_id
    )
    body = _Body(receive, scope)
    rule = hs.faults.pick(method, path, user_id)
    try:
        if rule is None:
            await app(scope, body.receive, send)
        else:
            entry.fault = rule.id
            await _apply(app, rule, scope, body, send, entry)
    except ClientDisconnect:
        # The client hung up (mid-body, say): it was sent nothing, not a 500.
        entry.client_gone = True
        raise
    except Exception:
        # Unless the answer had started, the client gets a 500 for this.
        entry.status = scope.get(STATUS_KEY, 500)
        raise
    finally:
        if entry.status is None:
            entry.status = scope.get(STATUS_KEY)
        entry.body = body.value()
        entry.body_size = body.size
        hs.journal.completed(entry)


async def _apply(
    app: ASGIApp, rule: FaultRule, scope: Scope, body: _Body, send: Send, entry: JournalEntry
) -> None:
    action = rule.action
    if action.delay_ms:
        await anyio.sleep(action.delay_ms / 1000)
    error = action.matrix_error()
    if error is not None:
        await body.drain()
        await render(error)(scope, body.receive, send)
    elif action.drop == "before":
        await body.drain()
        await _drop(scope, body, send, entry)
    elif action.drop == "after":

        async def swallow(message: Message) -> None:
            pass

        await app(scope, body.receive, swallow)
        scope.pop(STATUS_KEY, None)  # the client was sent nothing of that answer
        await _drop(scope, body, send, entry)
    else:
        await app(scope, body.receive, send)


async def _drop(scope: Scope, body: _Body, send: Send, entry: JournalEntry) -> None:
    entry.dropped = True
    abort: Callable[[], None] | None = scope.get(ABORT_KEY)
    if abort is not None:
        abort()
        # Wait for the server to notice, so it neither logs nor answers.
        while (await body.receive())["type"] != "http.disconnect":
            pass
        return
    await send(
        {"type": "http.response.start", "status": 500, "headers": [(b"content-length", b"1")]}
    )
    raise ConnectionDropped("connection dropped by a fault rule")

"""Route tables as data, and the one wrapper that turns a handler into an endpoint.

A handler is ``async def verb_resource(call: Call) -> Reply``. The wrapper
authenticates (unless the endpoint is public), hands the handler a
:class:`Call` with the homeserver, the session and the decoded path
parameters, and renders whatever it returns as JSON. Path parameters are
matched on the raw, still percent-encoded path and decoded one segment at a
time, so ids and state keys containing ``/`` (``%2F``) work as in Synapse.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from mockserver.api import params
from mockserver.api.auth import authenticate
from mockserver.core.model import JsonDict, Session
from mockserver.core.store import Store
from mockserver.homeserver import Homeserver
from mockserver.responses import OrjsonResponse

Reply = JsonDict | list[Any] | tuple[int, Any] | Response
#: Where :func:`request_path` keeps a request's raw path in its scope.
RAW_PATH = "mockserver.raw_path"
Handler = Callable[["Call"], Awaitable[Reply]]


@dataclass(slots=True)
class Call:
    """One request as a handler sees it."""

    request: Request
    hs: Homeserver
    session: Session | None
    path: Mapping[str, str]

    @property
    def store(self) -> Store:
        return self.hs.store

    @property
    def user_id(self) -> str:
        assert self.session is not None
        return self.session.user_id

    @property
    def device_id(self) -> str:
        assert self.session is not None
        return self.session.device_id

    @property
    def query(self) -> Mapping[str, str]:
        """The query parameters; a repeated one has its last value, as in Starlette."""
        return params.query_params(self.request.scope)

    async def json(self, *, canonical: bool = True) -> JsonDict:
        """The body as an object; ``canonical=False`` lets any JSON number through."""
        return await params.json_object(self.request, canonical=canonical)


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str
    handler: Handler
    methods: tuple[str, ...] = ("GET",)
    public: bool = False


def endpoint(path: str, *methods: str, public: bool = False) -> Callable[[Handler], Endpoint]:
    """Declare an endpoint next to its handler; collect them into a module's ``routes``."""

    def wrap(handler: Handler) -> Endpoint:
        return Endpoint(path, handler, methods or ("GET",), public)

    return wrap


class MatrixRoute(Route):
    """One path and every endpoint served there, matched on the raw path.

    Each path parameter is percent-decoded on its own, so ``%2F`` inside a
    state key stays inside it. Grouping a path's methods in one route makes
    a wrong method a 405 whose ``Allow`` lists every method the path serves.
    """

    def __init__(self, path: str, endpoints: Mapping[str, Endpoint]) -> None:
        self.endpoints = dict(endpoints)
        self.run = _dispatch(self.endpoints)
        super().__init__(path, self.run, methods=list(self.endpoints), name=None)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        match = self.path_regex.match(request_path(scope))
        if match is None:
            return Match.NONE, {}
        decoded = {
            key: unquote(value) if "%" in value else value
            for key, value in match.groupdict().items()
        }
        child = {"endpoint": self.endpoint, "path_params": decoded}
        if self.methods and scope["method"] not in self.methods:
            return Match.PARTIAL, child
        return Match.FULL, child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request, leaving any exception to the app's middleware.

        What Starlette's ``Route.handle`` does, less its ``request_response``
        wrapper, which would catch exceptions to answer them as the app's
        middleware (:mod:`mockserver.middleware`) does anyway, at the cost of
        a layer around ``send`` for every answer.
        """
        if self.methods and scope["method"] not in self.methods:
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(self.methods))})
        response = await self.run(Request(scope, receive, send))
        await response(scope, receive, send)


def request_path(scope: Scope) -> str:
    """The raw (still percent-encoded) path routes match against, without the root path.

    Worked out once per request and kept in the scope: the route table and
    each route it tries ask for it.
    """
    path: str | None = scope.get(RAW_PATH)
    if path is None:
        raw = scope.get("raw_path")
        path = raw.decode("latin-1").split("?", 1)[0] if raw else scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        scope[RAW_PATH] = path
    return path


def render(reply: Reply) -> Response:
    if isinstance(reply, Response):
        return reply
    if isinstance(reply, tuple):
        status, body = reply
        return OrjsonResponse(body, status_code=status)
    return OrjsonResponse(reply)


def mount(prefix: str, endpoints: Sequence[Endpoint]) -> list[MatrixRoute]:
    """Starlette routes for ``endpoints`` under ``prefix``, one per distinct path."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for item in endpoints:
        served = by_path.setdefault(item.path, {})
        for method in item.methods:
            if method in served:
                raise ValueError(f"{method} {item.path} is declared twice")
            served[method] = item
    return [MatrixRoute(prefix + path, served) for path, served in by_path.items()]


def _dispatch(endpoints: Mapping[str, Endpoint]) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        item = endpoints[method]
        hs: Homeserver = request.scope["app"].homeserver
        session = None if item.public else authenticate(request, hs.store)
        call = Call(request, hs, session, request.path_params)
        return render(await item.handler(call))

    return run

"""Finding a request's route by its path's shape, instead of trying every route in turn.

Starlette's router asks each route in order whether it matches. With every
endpoint served under four prefixes that is over two hundred regular
expressions for a request near the end of the list, which the benchmark
showed was most of the app's time on a send. :class:`RouteTable` is one
route holding them all: it files each route under its number of path
segments and its literal leading segments (up to six), and for a request
tries only the routes filed under the keys its own path gives, in their
original order, so the first match is the same one Starlette would pick.
Routes it cannot file (not a plain path template) are tried for every
request, in order, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

from mockserver.api.routing import request_path

#: How many leading segments ("", "_matrix", "client", "v3", "rooms", ...) a key holds.
KEY_SEGMENTS = 6
#: Where the table records, in the scope, the route that matched (for :meth:`handle`).
MATCHED = "mockserver.route"
#: How many distinct path keys :meth:`RouteTable.candidates` remembers (then starts over).
MEMO_SIZE = 4096

Key = tuple[int, str]


def _route_key(route: BaseRoute) -> Key | None:
    """(segments, literal leading segments) of a route whose parameters never span a ``/``."""
    if not isinstance(route, Route) or ":" in route.path:
        return None
    path = route.path
    brace = path.find("{")
    literal = path[:brace] if brace >= 0 else path + "/"
    complete = literal.split("/")[:-1][:KEY_SEGMENTS]
    return path.count("/"), "/".join(complete)


class RouteTable(BaseRoute):
    """Many routes as one, matched with the same result as trying each in order."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.routes = list(routes)
        self._filed: dict[Key, list[int]] = {}
        self._unfiled: list[int] = []
        self._memo: dict[tuple[int, tuple[str, ...]], tuple[BaseRoute, ...]] = {}
        for index, route in enumerate(self.routes):
            key = _route_key(route)
            if key is None:
                self._unfiled.append(index)
            else:
                self._filed.setdefault(key, []).append(index)

    def candidates(self, path: str) -> tuple[BaseRoute, ...]:
        """The routes that could match ``path``, in table order.

        They depend only on the number of segments and the first
        KEY_SEGMENTS of them, which repeat from request to request (a
        client's sends to one room, its syncs): the answer is remembered by
        that key, which halved the cost of routing a send.
        """
        segments = path.count("/")
        parts = tuple(path.split("/", KEY_SEGMENTS)[:KEY_SEGMENTS])
        key = (segments, parts)
        remembered = self._memo.get(key)
        if remembered is not None:
            return remembered
        found: list[int] = list(self._unfiled)
        for depth in range(1, len(parts) + 1):
            found += self._filed.get((segments, "/".join(parts[:depth])), ())
        found.sort()
        routes = tuple(self.routes[index] for index in found)
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[key] = routes
        return routes

    def find(self, scope: Scope) -> tuple[Match, BaseRoute | None, Scope]:
        """How an HTTP request matches, the route it matches and that route's child scope.

        The first full match among the candidates, else the first partial
        one (a wrong method), else ``(Match.NONE, None, {})``.
        """
        partial: tuple[Match, BaseRoute, Scope] | None = None
        for route in self.candidates(request_path(scope)):
            match, child = route.matches(scope)
            if match is Match.FULL:
                return match, route, child
            if match is Match.PARTIAL and partial is None:
                partial = match, route, child
        return partial or (Match.NONE, None, {})

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        match, route, child = self.find(scope)
        if route is None:
            return Match.NONE, {}
        return match, {**child, MATCHED: route}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope[MATCHED].handle(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve an HTTP request as Starlette's router does with this table its one route.

        A path no route serves raises ``HTTPException(404)``, as the router
        does inside an app; the app's error handling answers it.
        """
        match, route, child = self.find(scope)
        if route is None:
            raise HTTPException(404)
        scope.update(child)
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: object) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)

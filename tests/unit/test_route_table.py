"""RouteTable picks exactly the route Starlette's in-order search would pick."""

from __future__ import annotations

import re

import pytest
from starlette.routing import BaseRoute, Match

from mockserver.api.route_table import MATCHED, RouteTable
from mockserver.app import client_routes

ROUTES = client_routes()
TABLE = RouteTable(ROUTES)
VALUES = ["!room:localhost", "a%2Fb"]


def linear(scope: dict[str, object]) -> tuple[Match, BaseRoute | None]:
    """Starlette's Router: the first full match, else the first partial one."""
    partial = None
    for route in ROUTES:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return match, route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, None)


def scope(method: str, path: str) -> dict[str, object]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }


def paths() -> list[str]:
    found = set()
    for route in ROUTES:
        template = route.path  # type: ignore[attr-defined]
        for value in VALUES:
            path = re.sub(r"\{[^}]+\}", value, template)
            found.update({path, path + "/", path + "/extra", path.rstrip("/") + "x"})
    found.update({"/", "", "/_matrix", "/_matrix/client/v3", "/_matrix/client/v3/", "/nope/a/b/c/d/e/f/g"})
    return sorted(found)


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE", "OPTIONS"])
def test_table_agrees_with_searching_every_route_in_order(method: str) -> None:
    checked = 0
    for path in paths():
        request = scope(method, path)
        expected_match, expected_route = linear(request)
        match, child = TABLE.matches(request)
        assert match is expected_match, (method, path)
        assert child.get(MATCHED) is expected_route, (method, path)
        checked += 1
    assert checked > 1000


def test_non_http_scopes_do_not_match() -> None:
    assert TABLE.matches({"type": "websocket", "path": "/_matrix/client/v3/sync"})[0] is Match.NONE

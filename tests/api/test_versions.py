"""/versions announces a spec version only when what it added for clients is served."""

from __future__ import annotations

import httpx

from mockserver.api.route_table import RouteTable
from mockserver.api.routing import MatrixRoute
from mockserver.api.versions import INTRODUCED, SPEC_VERSIONS, served_versions
from mockserver.app import client_routes
from tests.both_ways import client, hs  # noqa: F401  (fixtures: each test runs both ways)


async def test_versions_lists_what_this_server_serves(client: httpx.AsyncClient) -> None:
    body = (await client.get("/_matrix/client/versions")).json()
    versions = body["versions"]
    assert versions == served_versions(RouteTable(client_routes()))
    # What this issue serves: knocking, spaces, jump to date, room reports, auth metadata.
    assert {"r0.6.1", "v1.1", "v1.2", "v1.6", "v1.13", "v1.15", "v1.16"} <= set(versions)
    assert versions == [v for v in SPEC_VERSIONS if v in versions]  # oldest first


def test_a_version_whose_endpoints_are_missing_is_not_announced() -> None:
    routes = [
        route
        for route in client_routes()
        if not (isinstance(route, MatrixRoute) and route.path.endswith("/hierarchy"))
    ]
    versions = served_versions(RouteTable(routes))
    assert "v1.2" not in versions and "v1.1" in versions


def test_every_introduced_version_is_one_mockserver_knows() -> None:
    assert set(INTRODUCED) <= set(SPEC_VERSIONS)

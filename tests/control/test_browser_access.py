"""Web pages cannot drive the control API: no CORS on /_mock, foreign Origins and Hosts refused.

A page the developer visits can send simple requests (a ``text/plain``
POST needs no preflight) to ``http://127.0.0.1:8008/_mock/...``; browsers
add an ``Origin`` to every such request, so the control API refuses any
Origin but the server's own. DNS rebinding makes such a page same-origin
under its own name, which only the ``Host`` header gives away, so without
a control token /_mock answers only for the server's own host names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.control.conftest import Control
from tests.support import assert_error, register

pytestmark = pytest.mark.anyio

EVIL = "http://evil.example"


async def test_control_answers_carry_no_cors_headers(
    client: httpx.AsyncClient, control: Control
) -> None:
    for response in [
        await client.get("/_mock/journal"),
        await client.get("/_mock/no-such-thing"),
        await client.post("/_mock/reset", content=b"[1"),
        await client.options("/_mock/reset", headers={"Access-Control-Request-Method": "POST"}),
    ]:
        assert not any(h.startswith("access-control-") for h in response.headers), response.headers
    # The client API keeps the CORS browser-based Matrix clients need.
    versions = await client.get("/_matrix/client/versions", headers={"Origin": EVIL})
    assert versions.headers["access-control-allow-origin"] == "*"


async def test_a_foreign_preflight_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/_mock/act/send",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"},
    )
    assert_error(response, 403, "M_FORBIDDEN")
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origin", [EVIL, "null", "http://localhost:9999", "https://localhost:8008"])
async def test_a_simple_cross_origin_post_changes_nothing(
    client: httpx.AsyncClient, control: Control, origin: str
) -> None:
    alice = await register(client, "alice")
    headers = {"Origin": origin, "Content-Type": "text/plain"}
    refused = await client.post("/_mock/reset", content=b'{"fixtures": false}', headers=headers)
    assert_error(refused, 403, "M_FORBIDDEN")
    assert "access-control-allow-origin" not in refused.headers
    # Still there: the reset was not acted on.
    assert (await alice.call("GET", "/account/whoami"))["user_id"] == alice.user_id
    for path in ["/_mock/export", "/_mock/journal"]:
        assert_error(await client.get(path, headers={"Origin": origin}), 403, "M_FORBIDDEN")


async def test_the_servers_own_origin_is_served(client: httpx.AsyncClient) -> None:
    # A page served by mockserver itself (the inspector) sends its own origin.
    response = await client.get("/_mock/journal", headers={"Origin": "http://localhost:8008"})
    assert response.status_code == 200, response.text


async def client_at(config: ServerConfig, host: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(config))
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as c:
        yield c


@pytest.mark.parametrize(
    "host", ["localhost:8008", "127.0.0.1:8008", "127.0.0.1", "[::1]:8008", "LOCALHOST:1"]
)
async def test_loopback_hosts_are_served(host: str) -> None:
    async for c in client_at(ServerConfig(), host):
        assert (await c.get("/_mock/journal")).status_code == 200


@pytest.mark.parametrize("host", ["evil.example:8008", "evil.example", "localhost.evil.example"])
async def test_a_foreign_host_is_refused_without_a_control_token(host: str) -> None:
    async for c in client_at(ServerConfig(), host):
        assert_error(await c.get("/_mock/export"), 403, "M_FORBIDDEN")
        # The client API answers under any name (clients reach it through proxies).
        assert (await c.get("/_matrix/client/versions")).status_code == 200


async def test_the_bound_and_advertised_hosts_are_served() -> None:
    config = ServerConfig(host="127.0.0.5", public_baseurl="https://matrix.test:8448")
    for host in ["127.0.0.5:8008", "matrix.test:8448"]:
        async for c in client_at(config, host):
            assert (await c.get("/_mock/journal")).status_code == 200


async def test_with_a_control_token_any_host_but_no_foreign_origin() -> None:
    config = ServerConfig(host="0.0.0.0", control_token="s3cret")
    token = {"Authorization": "Bearer s3cret"}
    async for c in client_at(config, "mockserver.internal:8008"):
        assert (await c.get("/_mock/journal", headers=token)).status_code == 200
        foreign = await c.get("/_mock/journal", headers={**token, "Origin": EVIL})
        assert_error(foreign, 403, "M_FORBIDDEN")


def test_dns_rebinding_over_a_socket() -> None:
    server = ThreadedServer(Homeserver.create(ServerConfig(port=0))).start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            rebound = http.get("/_mock/export", headers={"Host": f"evil.example:{server.port}"})
            assert_error(rebound, 403, "M_FORBIDDEN")
            assert "access-control-allow-origin" not in rebound.headers
            assert http.get("/_mock/export").status_code == 200
    finally:
        server.stop()

"""Every media test runs twice: on the in-process ASGI app, and over a real uvicorn socket.

``serve(**config)`` starts a homeserver with those :class:`ServerConfig`
fields on the test's transport and gives an :class:`httpx.AsyncClient` on
it; ``client`` is one with the defaults. Tests reach the server only over
HTTP (the control API for the clock, the journal, parked requests), so both
transports run the same code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.support import Account, register

Serve = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture(params=["in_process", "socket"])
async def serve(request: pytest.FixtureRequest) -> AsyncIterator[Serve]:
    opened: list[httpx.AsyncClient] = []
    servers: list[ThreadedServer] = []

    async def start(**config: Any) -> httpx.AsyncClient:
        if request.param == "in_process":
            homeserver = Homeserver.create(ServerConfig(**config))
            transport = httpx.ASGITransport(app=create_app(homeserver=homeserver))
            client = httpx.AsyncClient(transport=transport, base_url="http://localhost:8008")
        else:
            homeserver = Homeserver.create(ServerConfig(port=0, **config))
            server = ThreadedServer(homeserver).start()
            servers.append(server)
            client = httpx.AsyncClient(base_url=server.base_url, timeout=60)
        opened.append(client)
        return client

    yield start
    for client in opened:
        await client.aclose()
    for server in servers:
        server.stop()


@pytest.fixture
async def client(serve: Serve) -> httpx.AsyncClient:
    return await serve()


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> Account:
    return await register(client, "alice")


@pytest.fixture
async def bob(client: httpx.AsyncClient) -> Account:
    return await register(client, "bob")

"""Shared pytest fixtures: an in-process homeserver and an httpx client on its ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from tests.support import Account, register

#: pytester runs the pytest plugin's own tests (tests/plugin/).
pytest_plugins = ["pytester"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def hs() -> Homeserver:
    """A fresh, empty homeserver (store, notifier, clock)."""
    return Homeserver.create(ServerConfig())


@pytest.fixture
async def client(hs: Homeserver) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to ``hs`` in-process, through its ASGI app."""
    transport = httpx.ASGITransport(app=create_app(homeserver=hs))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8008") as c:
        yield c


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> Account:
    return await register(client, "alice")


@pytest.fixture
async def bob(client: httpx.AsyncClient) -> Account:
    return await register(client, "bob")


@pytest.fixture
async def carol(client: httpx.AsyncClient) -> Account:
    return await register(client, "carol")

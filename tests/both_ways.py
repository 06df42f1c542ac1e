"""A ``client`` fixture that runs a test module twice: in process and over a real socket.

A module imports both (``from tests.both_ways import client, hs``) to shadow
the in-process ones of ``tests/conftest.py``: each test then runs once
through the ASGI transport and once through uvicorn on a free port, with
the module's ``hs`` behind both, so ``alice``/``bob`` and ``hs.store``
work unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.conftest import check_stable_sync


@pytest.fixture
def hs() -> Homeserver:
    """A fresh, empty homeserver that binds a free port when served over a socket."""
    return Homeserver.create(ServerConfig(port=0))


@pytest.fixture(params=["in_process", "socket"])
async def client(request: pytest.FixtureRequest, hs: Homeserver) -> AsyncIterator[httpx.AsyncClient]:
    hooks = {"response": [check_stable_sync]}
    if request.param == "in_process":
        transport = httpx.ASGITransport(app=create_app(homeserver=hs))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://localhost:8008", event_hooks=hooks
        ) as c:
            yield c
        return
    server = ThreadedServer(hs).start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, event_hooks=hooks, timeout=30) as c:
            yield c
    finally:
        server.stop()

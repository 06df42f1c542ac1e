"""Shared pytest fixtures: an in-process homeserver and an httpx client on its ASGI app."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.matrix_schemas import validate_sync
from tests.support import Account, register

#: pytester runs the pytest plugin's own tests (tests/plugin/).
pytest_plugins = ["pytester"]

STABLE_SYNC = re.compile(r"^/_matrix/client/(r0|v3)/sync$")


async def check_stable_sync(response: httpx.Response) -> None:
    """Validate every successful stable ``/sync`` body a test receives against the spec.

    Exempt: a filter with ``event_fields``, which by design drops fields the
    schema requires (``event_id``, ``sender``...), and an answer whose events are
    federation PDUs (a filter's ``event_format`` ``federation``, which may be a stored
    filter's), outside the client schema by design.
    """
    request = response.request
    if (
        request.method != "GET"
        or response.status_code != 200
        or not STABLE_SYNC.match(request.url.path)
    ):
        return
    if "event_fields" in request.url.params.get("filter", ""):
        return
    await response.aread()
    body = response.json()
    if not holds_pdus(body):
        validate_sync(body)


def holds_pdus(body: dict[str, Any]) -> bool:
    """Whether a /sync answer's room events are PDUs (they carry ``hashes``)."""
    for section in ("join", "leave"):
        for room in body.get("rooms", {}).get(section, {}).values():
            timeline = room.get("timeline", {}).get("events", [])
            if any("hashes" in event for event in timeline + room.get("state", {}).get("events", [])):
                return True
    return False


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    """A fresh, empty mockserver on a real socket (127.0.0.1, a free port), for real clients."""
    running = ThreadedServer(Homeserver.create(ServerConfig(port=0))).start()
    yield running
    running.stop()


@pytest.fixture
def hs() -> Homeserver:
    """A fresh, empty homeserver (store, notifier, clock)."""
    return Homeserver.create(ServerConfig())


@pytest.fixture
async def client(hs: Homeserver) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to ``hs`` in-process, through its ASGI app."""
    transport = httpx.ASGITransport(app=create_app(homeserver=hs))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://localhost:8008",
        event_hooks={"response": [check_stable_sync]},
    ) as c:
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

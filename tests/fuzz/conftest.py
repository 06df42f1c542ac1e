"""The fuzz tests' server and world: one server per test module, a fresh user per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.fuzz.world import own_world, shared_world


@pytest.fixture(scope="module")
def running() -> Iterator[ThreadedServer]:
    server = ThreadedServer(Homeserver.create(ServerConfig(port=0))).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared(running: ThreadedServer) -> dict[str, str]:
    return shared_world(running.base_url)


@pytest.fixture
def world(running: ThreadedServer, shared: dict[str, str]) -> tuple[str, dict[str, str]]:
    return own_world(running.base_url, shared)


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s

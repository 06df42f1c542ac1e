"""A mockserver on a real socket for SDK tests, checking every stable /sync it serves.

Real SDKs talk to the server over HTTP from the test's event loop while
uvicorn serves on a background thread (port 0). An ASGI wrapper records the
body of every successful stable ``/sync`` and validates it against the
spec's schema (``tests/matrix_schemas.py``), so a shape an SDK happens to
tolerate still fails the test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import mockserver.server
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.matrix_schemas import validate_sync

STABLE_SYNC = re.compile(r"^/_matrix/client/(r0|v3)/sync$")


@dataclass
class SyncAudit:
    """What the wrapper saw: how many stable /sync bodies, and any schema failures."""

    checked: int = 0
    failures: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.checked > 0, "no stable /sync response was served"
        assert not self.failures, "\n\n".join(self.failures)


def audited(app: ASGIApp, audit: SyncAudit) -> ASGIApp:
    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and STABLE_SYNC.match(scope["path"])
        ):
            await app(scope, receive, send)
            return
        status = 0
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await app(scope, receive, capture)
        if status == 200:
            audit.checked += 1
            try:
                validate_sync(json.loads(b"".join(chunks)))
            except AssertionError as error:
                audit.failures.append(f"{scope['path']}?{scope['query_string'].decode()}: {error}")

    return wrapper


@dataclass
class Live:
    server: ThreadedServer
    audit: SyncAudit

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def homeserver(self) -> Homeserver:
        return self.server.homeserver


LiveFactory = Callable[..., Live]


@pytest.fixture
def start_live(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveFactory]:
    """Start a fresh mockserver on 127.0.0.1 with a free port, serving from a thread.

    Scenario files passed to the factory are loaded before it starts serving.
    Every server started is stopped at the end of the test.
    """
    create_app = mockserver.server.create_app
    started: list[ThreadedServer] = []

    def start(*fixtures: Path) -> Live:
        audit = SyncAudit()

        def create_audited_app(*args: Any, **kwargs: Any) -> ASGIApp:
            return audited(create_app(*args, **kwargs), audit)

        monkeypatch.setattr(mockserver.server, "create_app", create_audited_app)
        homeserver = Homeserver.create(ServerConfig(host="127.0.0.1", port=0))
        for path in fixtures:
            homeserver.load_fixture_file(path)
        server = ThreadedServer(homeserver).start()
        started.append(server)
        return Live(server, audit)

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def live(start_live: LiveFactory) -> Live:
    """A fresh, empty mockserver on a real socket."""
    return start_live()


@pytest.fixture
def http(server: ThreadedServer) -> Iterator[httpx.Client]:
    """A plain HTTP client on ``server``."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client

"""A client that hangs up mid-body is journaled as gone, not as a 500, and logs no traceback."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.homeserver import Homeserver
from tests.support import V3, Account, http_scope

pytestmark = pytest.mark.anyio


async def test_a_hang_up_mid_body_is_journaled_as_what_it_was(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account, caplog: pytest.LogCaptureFixture
) -> None:
    room = await alice.create_room()
    app = create_app(homeserver=hs)
    messages = [
        {"type": "http.request", "body": b'{"msgtype": "m.te', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    path = f"{V3}/rooms/{room}/send/m.room.message/t1"
    headers = [
        (b"host", b"localhost"),
        (b"authorization", f"Bearer {alice.access_token}".encode()),
        (b"content-length", b"100"),
    ]
    scope = http_scope("PUT", path, headers, app=app)
    with caplog.at_level(logging.WARNING, logger="mockserver"):
        await app(scope, receive, send)  # type: ignore[arg-type]
    assert sent == []  # no one to answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    entries = (await client.get("/_mock/journal", params={"path": "*/send/*"})).json()["requests"]
    assert [(e["status"], e["client_gone"], e["dropped"]) for e in entries] == [(None, True, False)]
    answered = (await client.get("/_mock/journal", params={"path": "*/createRoom"})).json()
    assert [e["client_gone"] for e in answered["requests"]] == [False]

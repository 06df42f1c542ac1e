"""Sliding sync test helpers: a connection driven over HTTP, as a client drives it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from tests.support import Account

SLIDING_SYNC = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
#: The required state Element X asks of a room list (trimmed).
ROOM_LIST_STATE = [
    ["m.room.name", ""],
    ["m.room.avatar", ""],
    ["m.room.create", ""],
    ["m.room.member", "$LAZY"],
    ["m.room.member", "$ME"],
]


def room_list(
    ranges: list[list[int]] | None = None,
    *,
    timeline_limit: int = 1,
    required_state: list[list[str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ranges": [[0, 19]] if ranges is None else ranges,
        "timeline_limit": timeline_limit,
        "required_state": ROOM_LIST_STATE if required_state is None else required_state,
    }
    body.update(extra)
    return body


@dataclass
class Connection:
    """One sliding sync connection of one device: it keeps the ``pos`` it was last given."""

    account: Account
    conn_id: str | None = "room-list"
    pos: str | None = None
    answers: list[dict[str, Any]] = field(default_factory=list)

    async def post(
        self, body: dict[str, Any], *, pos: str | None = None, timeout: int | None = None
    ) -> httpx.Response:
        params: dict[str, Any] = {}
        if pos is not None:
            params["pos"] = pos
        if timeout is not None:
            params["timeout"] = timeout
        full = dict(body)
        if self.conn_id is not None:
            full.setdefault("conn_id", self.conn_id)
        return await self.account.client.post(
            SLIDING_SYNC, params=params, json=full, headers=self.account.headers
        )

    async def sync(
        self, body: dict[str, Any] | None = None, *, timeout: int | None = None
    ) -> dict[str, Any]:
        """One request from the connection's position (none yet: a new connection)."""
        response = await self.post(body or {}, pos=self.pos, timeout=timeout)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        self.pos = answer["pos"]
        self.answers.append(answer)
        return answer


async def wait_parked(client: httpx.AsyncClient, user_id: str, count: int = 1) -> None:
    """Wait (through the control API, no sleep) until ``user_id`` has ``count`` parked
    long-polls."""
    response = await client.get(
        "/_mock/parked", params={"user_id": user_id, "count": count, "timeout": 20_000}
    )
    assert response.json()["reached"], response.text


@asynccontextmanager
async def parked(
    connection: Connection, body: dict[str, Any], timeout: int = 30_000
) -> AsyncIterator[dict[str, Any]]:
    """Run a long-poll in the background; inside the block it is parked, after it ``answer``
    holds the response: ``async with parked(c, body) as answer: act(); ...; answer["pos"]``."""
    answer: dict[str, Any] = {}
    async with anyio.create_task_group() as tasks:

        async def run() -> None:
            answer.update(await connection.sync(body, timeout=timeout))

        tasks.start_soon(run)
        with anyio.fail_after(20):
            await wait_parked(connection.account.client, connection.account.user_id)
        yield answer
    assert answer, "the long-poll did not answer"


def timeline_bodies(room: dict[str, Any]) -> list[Any]:
    return [e["content"].get("body") for e in room.get("timeline", [])]


def state_keys(room: dict[str, Any]) -> set[tuple[str, str]]:
    return {(e["type"], e["state_key"]) for e in room.get("required_state", [])}

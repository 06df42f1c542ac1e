"""Test helpers: a Matrix account driven over HTTP, as a client would drive it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx

V3 = "/_matrix/client/v3"
SEED = "/_matrix/client/v2_alpha"

_txn_ids = itertools.count()


def http_scope(
    method: str, path: str, headers: list[tuple[bytes, bytes]], query: bytes = b"", **extra: Any
) -> dict[str, Any]:
    """An HTTP request's ASGI scope as uvicorn gives it, for a test calling the app itself."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8008),
        **extra,
    }


class ApiError(AssertionError):
    pass


@dataclass
class Account:
    """One logged-in device of a user, with the calls tests need."""

    client: httpx.AsyncClient
    user_id: str
    access_token: str
    device_id: str
    prefix: str = V3
    next_batch: str | None = field(default=None)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        expect: int | None = 200,
        prefix: str | None = None,
    ) -> Any:
        response = await self.client.request(
            method,
            (self.prefix if prefix is None else prefix) + path,
            json=json,
            params=params,
            headers=self.headers,
        )
        if expect is not None and response.status_code != expect:
            raise ApiError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    async def create_room(self, **body: Any) -> str:
        return (await self.call("POST", "/createRoom", json=body))["room_id"]

    async def send(
        self,
        room_id: str,
        body: str | dict[str, Any] = "hello",
        *,
        event_type: str = "m.room.message",
        txn_id: str | None = None,
    ) -> str:
        content = {"msgtype": "m.text", "body": body} if isinstance(body, str) else body
        txn = txn_id if txn_id is not None else f"t{next(_txn_ids)}"
        path = f"/rooms/{room_id}/send/{event_type}/{txn}"
        return (await self.call("PUT", path, json=content))["event_id"]

    async def put_state(
        self, room_id: str, event_type: str, content: dict[str, Any], state_key: str = ""
    ) -> str:
        path = f"/rooms/{room_id}/state/{event_type}/{state_key}"
        return (await self.call("PUT", path, json=content))["event_id"]

    async def invite(self, room_id: str, user_id: str) -> None:
        await self.call("POST", f"/rooms/{room_id}/invite", json={"user_id": user_id})

    async def join(self, room_id: str) -> None:
        await self.call("POST", f"/join/{room_id}", json={})

    async def leave(self, room_id: str) -> None:
        await self.call("POST", f"/rooms/{room_id}/leave", json={})

    async def kick(self, room_id: str, user_id: str) -> None:
        await self.call("POST", f"/rooms/{room_id}/kick", json={"user_id": user_id})

    async def ban(self, room_id: str, user_id: str) -> None:
        await self.call("POST", f"/rooms/{room_id}/ban", json={"user_id": user_id})

    async def typing(self, room_id: str, typing: bool = True, timeout: int = 30000) -> None:
        await self.call(
            "PUT",
            f"/rooms/{room_id}/typing/{self.user_id}",
            json={"typing": typing, "timeout": timeout},
        )

    async def sync(self, *, prefix: str = V3, **params: Any) -> dict[str, Any]:
        """One ``/sync``; ``since`` defaults to nothing (an initial sync)."""
        query = {k: v for k, v in params.items() if v is not None}
        return await self.call("GET", "/sync", params=query, prefix=prefix)  # type: ignore[no-any-return]

    async def seed_sync(self, **params: Any) -> dict[str, Any]:
        return await self.sync(prefix=SEED, **params)

    async def upload_filter(self, definition: dict[str, Any], *, prefix: str = V3) -> str:
        path = f"/user/{self.user_id}/filter"
        return (await self.call("POST", path, json=definition, prefix=prefix))["filter_id"]

    async def messages(self, room_id: str, **params: Any) -> dict[str, Any]:
        return await self.call("GET", f"/rooms/{room_id}/messages", params=params)  # type: ignore[no-any-return]


async def register(client: httpx.AsyncClient, username: str, password: str = "secret") -> Account:
    """Register through user-interactive auth (401 with a session, then m.login.dummy)."""
    first = await client.post(f"{V3}/register", json={"username": username, "password": password})
    assert first.status_code == 401, first.text
    response = await client.post(
        f"{V3}/register",
        json={
            "username": username,
            "password": password,
            "auth": {"type": "m.login.dummy", "session": first.json()["session"]},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Account(client, body["user_id"], body["access_token"], body["device_id"])


def assert_error(response: httpx.Response, status: int, errcode: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errcode"] == errcode, body
    assert isinstance(body["error"], str)
    return body  # type: ignore[no-any-return]

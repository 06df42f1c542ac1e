"""Helpers for control API tests: call ``/_mock`` on the in-process app."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


class Control:
    """The control API on the test's in-process client, failing loudly on errors."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(self, method: str, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        response = await self.client.request(method, "/_mock" + path, **kwargs)
        assert response.status_code == expect, response.text
        return response.json()

    async def act(self, action: str, expect: int = 200, **body: Any) -> Any:
        return await self.call("POST", f"/act/{action}", json=body, expect=expect)

    async def fail(self, **rule: Any) -> Any:
        return await self.call("POST", "/faults", json=rule)

    async def journal(self, **filters: Any) -> list[dict[str, Any]]:
        return (await self.call("GET", "/journal", params=filters))["requests"]  # type: ignore[no-any-return]


@pytest.fixture
def control(client: httpx.AsyncClient) -> Control:
    return Control(client)

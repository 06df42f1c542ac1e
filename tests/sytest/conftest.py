"""SyTest's ``local_user_fixtures( 2 )``, as the tests name them: user A and user B."""

from __future__ import annotations

import httpx
import pytest

from tests.support import Account, register


@pytest.fixture
async def user_a(client: httpx.AsyncClient) -> Account:
    return await register(client, "usera")


@pytest.fixture
async def user_b(client: httpx.AsyncClient) -> Account:
    return await register(client, "userb")

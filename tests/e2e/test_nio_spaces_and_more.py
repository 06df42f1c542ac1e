"""matrix-nio's calls for issue 17 over a real socket: knocking, the space hierarchy, profiles."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ProfileGetResponse,
    RegisterResponse,
    RoomCreateResponse,
    RoomKnockResponse,
    RoomPutStateResponse,
    SpaceGetHierarchyResponse,
    SyncResponse,
)

from tests.e2e.conftest import Live

CONFIG = AsyncClientConfig(store_sync_tokens=False, encryption_enabled=False)


@pytest.fixture
async def clients(live: Live) -> AsyncIterator[list[AsyncClient]]:
    opened: list[AsyncClient] = []
    yield opened
    for client in opened:
        await client.close()


async def _client(live: Live, clients: list[AsyncClient], name: str) -> AsyncClient:
    client = AsyncClient(live.base_url, config=CONFIG)
    clients.append(client)
    assert isinstance(await client.register(name, "secret"), RegisterResponse)
    return client


async def test_nio_knocks_and_walks_a_space(live: Live, clients: list[AsyncClient]) -> None:
    with anyio.fail_after(60):
        alice = await _client(live, clients, "alice")
        bob = await _client(live, clients, "bob")
        space = await alice.room_create(name="Space", space=True)
        assert isinstance(space, RoomCreateResponse)
        door = await alice.room_create(name="Door")
        assert isinstance(door, RoomCreateResponse)
        assert isinstance(await alice.room_enable_knocking(door.room_id), RoomPutStateResponse)
        child = await alice.room_put_state(
            space.room_id, "m.space.child", {"via": ["localhost"]}, state_key=door.room_id
        )
        assert isinstance(child, RoomPutStateResponse)

        tree = await alice.space_get_hierarchy(space.room_id, max_depth=1)
        assert isinstance(tree, SpaceGetHierarchyResponse), tree
        assert [room["name"] for room in tree.rooms] == ["Space", "Door"]

        assert isinstance(await bob.room_knock(door.room_id, reason="hello"), RoomKnockResponse)
        synced = await bob.sync(timeout=0, full_state=True)
        assert isinstance(synced, SyncResponse), synced

        anonymous = AsyncClient(live.base_url, config=CONFIG)
        clients.append(anonymous)
        profile = await anonymous.get_profile("@alice:localhost")
        assert isinstance(profile, ProfileGetResponse) and profile.displayname == "alice"
    live.audit.assert_clean()

"""What a user who shares no room with another may learn or do (Synapse's rules)."""

from __future__ import annotations

import httpx
import pytest

from tests.support import V3, Account, assert_error, register

pytestmark = pytest.mark.anyio


async def test_presence_is_for_users_sharing_a_room(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    await alice.call("PUT", f"/presence/{alice.user_id}/status", json={"presence": "online"})
    stranger = await client.get(f"{V3}/presence/{alice.user_id}/status", headers=bob.headers)
    body = assert_error(stranger, 403, "M_FORBIDDEN")
    assert body["error"] == "You are not allowed to see their presence."
    # Whether a user exists is not told either.
    nobody = await client.get(f"{V3}/presence/@nobody:localhost/status", headers=bob.headers)
    assert_error(nobody, 403, "M_FORBIDDEN")
    assert (await alice.call("GET", f"/presence/{alice.user_id}/status"))["presence"] == "online"
    room = await alice.create_room(preset="public_chat")
    await bob.call("POST", f"/rooms/{room}/join", json={})
    shared = await bob.call("GET", f"/presence/{alice.user_id}/status")
    assert shared["presence"] == "online"


async def test_only_a_member_may_make_an_alias_for_a_room(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="private_chat")
    for room_id in (room, "!nope:localhost"):
        refused = await client.put(
            f"{V3}/directory/room/%23mine:localhost", json={"room_id": room_id}, headers=bob.headers
        )
        assert_error(refused, 403, "M_FORBIDDEN")
    missing = await client.get(f"{V3}/directory/room/%23mine:localhost", headers=bob.headers)
    assert_error(missing, 404, "M_NOT_FOUND")
    await alice.call("PUT", "/directory/room/%23mine:localhost", json={"room_id": room})
    assert (await bob.call("GET", "/directory/room/%23mine:localhost"))["room_id"] == room


async def test_a_left_member_keeps_no_alias_rights(client: httpx.AsyncClient, alice: Account) -> None:
    carol = await register(client, "carol")
    room = await alice.create_room(preset="public_chat")
    await carol.call("POST", f"/rooms/{room}/join", json={})
    await carol.call("POST", f"/rooms/{room}/leave", json={})
    refused = await client.put(
        f"{V3}/directory/room/%23gone:localhost", json={"room_id": room}, headers=carol.headers
    )
    assert_error(refused, 403, "M_FORBIDDEN")

"""Query parameters the spec types are checked, and optional strings are left out, not null."""

from __future__ import annotations

import httpx
import pytest

from tests.support import V3, Account, assert_error

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("limit", ["abc", "1.5", "-1", "99999999999999999999"])
async def test_public_rooms_limit_must_be_an_integer(
    client: httpx.AsyncClient, alice: Account, limit: str
) -> None:
    response = await client.get(f"{V3}/publicRooms", params={"limit": limit}, headers=alice.headers)
    assert_error(response, 400, "M_INVALID_PARAM")


async def test_public_rooms_limit_bounds_the_chunk(client: httpx.AsyncClient, alice: Account) -> None:
    for _ in range(3):
        await alice.create_room(preset="public_chat", visibility="public")
    answer = await alice.call("GET", "/publicRooms", params={"limit": "2"})
    assert len(answer["chunk"]) == 2 and answer["total_room_count_estimate"] == 3


@pytest.mark.parametrize("name", ["membership", "not_membership"])
async def test_members_membership_must_be_a_membership(
    client: httpx.AsyncClient, alice: Account, name: str
) -> None:
    room = await alice.create_room()
    response = await client.get(
        f"{V3}/rooms/{room}/members", params={name: "bogus"}, headers=alice.headers
    )
    assert_error(response, 400, "M_INVALID_PARAM")
    ok = await alice.call("GET", f"/rooms/{room}/members", params={name: "join"})
    assert isinstance(ok["chunk"], list)


async def test_joined_members_leave_out_missing_profile_fields(
    alice: Account, bob: Account
) -> None:
    await alice.call("PUT", f"/profile/{alice.user_id}/displayname", json={"displayname": "Alice"})
    room = await alice.create_room(preset="public_chat")
    await bob.call("POST", f"/rooms/{room}/join", json={})
    joined = (await alice.call("GET", f"/rooms/{room}/joined_members"))["joined"]
    # Neither has an avatar: the key is left out, never null.
    assert joined[alice.user_id] == {"display_name": "Alice"}
    assert joined[bob.user_id] == {"display_name": "bob"}

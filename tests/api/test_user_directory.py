"""User directory search: users sharing a room, plus everyone in public rooms (Synapse's default)."""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.homeserver import Homeserver
from tests.both_ways import client, hs  # noqa: F401  (fixtures: each test runs both ways)
from tests.support import V3, Account, assert_error, register


async def search(account: Account, term: str, **extra: Any) -> dict[str, Any]:
    return await account.call("POST", "/user_directory/search", json={"search_term": term, **extra})  # type: ignore[no-any-return]


def ids(body: dict[str, Any]) -> list[str]:
    return [r["user_id"] for r in body["results"]]


async def test_finds_room_mates_and_public_room_members_only(
    client: httpx.AsyncClient, alice: Account, bob: Account, carol: Account
) -> None:
    dave = await register(client, "dave")
    erin = await register(client, "erin")
    private = await alice.create_room()
    await alice.invite(private, bob.user_id)
    await bob.join(private)
    lobby = await carol.create_room(preset="public_chat")
    await dave.join(lobby)
    await erin.create_room()  # erin shares nothing and is in no public room
    assert ids(await search(alice, "bob")) == [bob.user_id]
    assert ids(await search(alice, "dave")) == [dave.user_id]
    assert ids(await search(alice, "erin")) == []
    # Alice is in no public room, and sharing a room with oneself does not count.
    assert ids(await search(alice, "alice")) == []
    assert ids(await search(bob, "alice")) == [alice.user_id]


async def test_display_names_prefixes_and_ranking(alice: Account, bob: Account, carol: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await carol.join(room)
    await bob.call("PUT", f"/profile/{bob.user_id}/displayname", json={"displayname": "Robert Smith"})
    await carol.call("PUT", f"/profile/{carol.user_id}/displayname", json={"displayname": "Carol Smithers"})
    assert ids(await search(alice, "rob")) == [bob.user_id]
    body = await search(alice, "smith")
    assert ids(body) == [bob.user_id, carol.user_id]  # a whole word beats a prefix
    assert body["results"][0] == {"user_id": bob.user_id, "display_name": "Robert Smith"}
    assert ids(await search(alice, "SMITH robert")) == [bob.user_id]
    assert ids(await search(alice, "nobody")) == []


async def test_limit_and_limited(client: httpx.AsyncClient, alice: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    for name in ("user1", "user2", "user3"):
        member = await register(client, name)
        await member.join(room)
    body = await search(alice, "user", limit=2)
    assert ids(body) == ["@user1:localhost", "@user2:localhost"] and body["limited"] is True
    everyone = await search(alice, "user")
    assert len(everyone["results"]) == 3 and everyone["limited"] is False


async def test_deactivated_users_are_not_found(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    hs.store.deactivate_account(bob.user_id, erase=False)
    assert ids(await search(alice, "bob")) == []


async def test_bad_searches(client: httpx.AsyncClient, alice: Account) -> None:
    for body, errcode in (({}, "M_MISSING_PARAM"), ({"search_term": 3}, "M_BAD_JSON"),
                          ({"search_term": "a", "limit": "2"}, "M_BAD_JSON")):
        response = await client.post(f"{V3}/user_directory/search", json=body, headers=alice.headers)
        assert_error(response, 400, errcode)
    assert_error(await client.post(f"{V3}/user_directory/search", json={"search_term": "a"}), 401, "M_MISSING_TOKEN")

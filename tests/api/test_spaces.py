"""The space hierarchy: depth-first order, visibility, max_depth, suggested_only, limit and from."""

from __future__ import annotations

from typing import Any

import httpx

from tests.both_ways import client, hs  # noqa: F401  (fixtures: each test runs both ways)
from tests.support import Account, assert_error

V1 = "/_matrix/client/v1"


async def space(owner: Account, name: str, **extra: Any) -> str:
    return await owner.create_room(
        name=name, preset="public_chat", creation_content={"type": "m.space"}, **extra
    )


async def add_child(owner: Account, parent: str, child: str, **content: Any) -> None:
    await owner.put_state(parent, "m.space.child", {"via": ["localhost"], **content}, child)
    await owner.put_state(child, "m.space.parent", {"via": ["localhost"], "canonical": True}, parent)


async def hierarchy(account: Account, root: str, **params: Any) -> dict[str, Any]:
    return await account.call("GET", f"/rooms/{root}/hierarchy", params=params, prefix=V1)  # type: ignore[no-any-return]


async def build(alice: Account) -> dict[str, str]:
    """root -> [general (order "a"), sub (order "b", suggested) -> [deep], secret (invite-only)]."""
    ids = {"root": await space(alice, "Root")}
    ids["general"] = await alice.create_room(name="General", preset="public_chat")
    ids["sub"] = await space(alice, "Sub")
    ids["deep"] = await alice.create_room(name="Deep", preset="public_chat")
    ids["secret"] = await alice.create_room(name="Secret")
    await add_child(alice, ids["root"], ids["secret"])
    await add_child(alice, ids["root"], ids["sub"], order="b", suggested=True)
    await add_child(alice, ids["root"], ids["general"], order="a")
    await add_child(alice, ids["sub"], ids["deep"])
    return ids


def names(body: dict[str, Any]) -> list[str]:
    return [room.get("name", "?") for room in body["rooms"]]


async def test_hierarchy_is_depth_first_in_child_order(alice: Account, bob: Account) -> None:
    ids = await build(alice)
    body = await hierarchy(alice, ids["root"])
    assert names(body) == ["Root", "General", "Sub", "Deep", "Secret"]
    assert "next_batch" not in body
    root = body["rooms"][0]
    assert root["room_type"] == "m.space" and root["num_joined_members"] == 1
    assert root["join_rule"] == "public" and root["world_readable"] is False
    children = [(e["state_key"], e["content"].get("order")) for e in root["children_state"]]
    assert children == [(ids["general"], "a"), (ids["sub"], "b"), (ids["secret"], None)]
    assert all(set(e) == {"type", "state_key", "content", "sender", "origin_server_ts"} for e in root["children_state"])
    general = body["rooms"][1]
    assert general["children_state"] == [] and "room_type" not in general
    # Bob is in none of them: the invite-only room is not shown to him.
    assert names(await hierarchy(bob, ids["root"])) == ["Root", "General", "Sub", "Deep"]


async def test_max_depth_and_suggested_only(alice: Account) -> None:
    ids = await build(alice)
    shallow = await hierarchy(alice, ids["root"], max_depth=0)
    assert names(shallow) == ["Root"] and shallow["rooms"][0]["children_state"] == []
    assert names(await hierarchy(alice, ids["root"], max_depth=1)) == ["Root", "General", "Sub", "Secret"]
    suggested = await hierarchy(alice, ids["root"], suggested_only="true")
    assert names(suggested) == ["Root", "Sub"]  # deep is not marked suggested in sub


async def test_pages_with_limit_and_from(alice: Account) -> None:
    ids = await build(alice)
    seen: list[str] = []
    token = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"from": token} if token else {})
        page = await hierarchy(alice, ids["root"], **params)
        assert len(page["rooms"]) <= 2
        seen += names(page)
        token = page.get("next_batch")
        if token is None:
            break
    assert seen == ["Root", "General", "Sub", "Deep", "Secret"]


async def test_a_token_is_bound_to_its_request(client: httpx.AsyncClient, alice: Account) -> None:
    ids = await build(alice)
    token = (await hierarchy(alice, ids["root"], limit=1))["next_batch"]
    for params in ({"from": token, "max_depth": 1}, {"from": token, "suggested_only": "true"}, {"from": "junk"}):
        response = await client.get(f"{V1}/rooms/{ids['root']}/hierarchy", params=params, headers=alice.headers)
        assert_error(response, 400, "M_INVALID_PARAM")


async def test_loops_list_each_room_once_and_via_is_required(alice: Account) -> None:
    a = await space(alice, "A")
    b = await space(alice, "B")
    orphan = await alice.create_room(name="No via", preset="public_chat")
    await add_child(alice, a, b)
    await add_child(alice, b, a)
    await alice.put_state(a, "m.space.child", {"via": []}, orphan)
    assert names(await hierarchy(alice, a)) == ["A", "B"]


async def test_refusals(client: httpx.AsyncClient, alice: Account, bob: Account) -> None:
    private_space = await alice.create_room(name="Private", creation_content={"type": "m.space"})
    hidden = await client.get(f"{V1}/rooms/{private_space}/hierarchy", headers=bob.headers)
    assert_error(hidden, 403, "M_FORBIDDEN")
    unknown = await client.get(f"{V1}/rooms/!nowhere:localhost/hierarchy", headers=bob.headers)
    assert_error(unknown, 403, "M_FORBIDDEN")
    for params in ({"limit": "0"}, {"max_depth": "-1"}, {"suggested_only": "maybe"}):
        response = await client.get(
            f"{V1}/rooms/{private_space}/hierarchy", params=params, headers=alice.headers
        )
        assert_error(response, 400, "M_INVALID_PARAM")
    assert_error(await client.get(f"{V1}/rooms/{private_space}/hierarchy"), 401, "M_MISSING_TOKEN")

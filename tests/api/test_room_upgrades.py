"""Room upgrades and GET /rooms/{roomId}/aliases (in process and over a socket)."""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.homeserver import Homeserver
from tests.both_ways import client, hs  # noqa: F401  (fixtures: each test runs both ways)
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error


def state_of(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["type"], e["state_key"]): e for e in body}


async def test_upgrade_replaces_the_room(alice: Account, bob: Account, carol: Account) -> None:
    old = await alice.create_room(
        preset="public_chat", name="Project", topic="Plans", room_alias_name="project", visibility="public"
    )
    await bob.join(old)
    await alice.ban(old, carol.user_id)
    await alice.put_state(old, "m.room.power_levels", {
        **(await alice.call("GET", f"/rooms/{old}/state/m.room.power_levels/")),
        "users": {alice.user_id: 100, bob.user_id: 50},
    })
    since = (await bob.sync())["next_batch"]
    new = (await alice.call("POST", f"/rooms/{old}/upgrade", json={"new_version": "11"}))["replacement_room"]

    new_state = state_of(await alice.call("GET", f"/rooms/{new}/state"))
    create = new_state[("m.room.create", "")]["content"]
    tombstone = state_of(await alice.call("GET", f"/rooms/{old}/state"))[("m.room.tombstone", "")]
    assert create["room_version"] == "11" and "creator" not in create
    assert create["predecessor"] == {"room_id": old, "event_id": tombstone["event_id"]}
    assert tombstone["content"] == {"body": "This room has been replaced", "replacement_room": new}
    assert new_state[("m.room.name", "")]["content"] == {"name": "Project"}
    assert new_state[("m.room.topic", "")]["content"] == {"topic": "Plans"}
    assert new_state[("m.room.join_rules", "")]["content"] == {"join_rule": "public"}
    assert new_state[("m.room.member", carol.user_id)]["content"]["membership"] == "ban"
    assert new_state[("m.room.power_levels", "")]["content"]["users"] == {alice.user_id: 100, bob.user_id: 50}
    assert new_state[("m.room.canonical_alias", "")]["content"] == {"alias": "#project:localhost"}
    # The alias and the directory listing moved; the old room is closed to ordinary talk.
    assert await bob.call("GET", "/directory/room/%23project:localhost") == {"room_id": new, "servers": ["localhost"]}
    assert [r["room_id"] for r in (await bob.call("GET", "/publicRooms"))["chunk"]] == [new]
    assert await alice.call("GET", f"/rooms/{new}/aliases") == {"aliases": ["#project:localhost"]}
    assert await alice.call("GET", f"/rooms/{old}/aliases") == {"aliases": []}
    old_levels = await alice.call("GET", f"/rooms/{old}/state/m.room.power_levels/")
    assert old_levels["events_default"] == 50 and old_levels["invite"] == 50
    old_alias = await alice.call("GET", f"/rooms/{old}/state/m.room.canonical_alias/")
    assert old_alias == {}
    # Bob sees the tombstone in his sync, and can follow it.
    seen = await bob.sync(since=since)
    types = [e["type"] for e in seen["rooms"]["join"][old]["timeline"]["events"]]
    assert "m.room.tombstone" in types
    await bob.join(new)


async def test_upgrading_a_space_keeps_its_type_and_children(alice: Account) -> None:
    space = await alice.create_room(preset="public_chat", creation_content={"type": "m.space"})
    child = await alice.create_room()
    await alice.put_state(space, "m.space.child", {"via": ["localhost"]}, child)
    new = (await alice.call("POST", f"/rooms/{space}/upgrade", json={"new_version": "10"}))["replacement_room"]
    state = state_of(await alice.call("GET", f"/rooms/{new}/state"))
    assert state[("m.room.create", "")]["content"]["type"] == "m.space"
    assert state[("m.space.child", child)]["content"] == {"via": ["localhost"]}


async def test_refused_upgrades_change_nothing(
    client: httpx.AsyncClient, hs: Homeserver, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    before = snapshot(hs.store)

    async def refused(who: Account, path: str, body: Any, status: int, errcode: str) -> None:
        assert_error(await client.post(V3 + path, json=body, headers=who.headers), status, errcode)

    await refused(bob, f"/rooms/{room}/upgrade", {"new_version": "11"}, 403, "M_FORBIDDEN")
    await refused(alice, f"/rooms/{room}/upgrade", {"new_version": "99"}, 400, "M_UNSUPPORTED_ROOM_VERSION")
    await refused(alice, f"/rooms/{room}/upgrade", {}, 400, "M_MISSING_PARAM")
    # An unknown room is refused as one the user is not in (docs/security.md).
    await refused(alice, "/rooms/!nowhere:localhost/upgrade", {"new_version": "11"}, 403, "M_FORBIDDEN")
    assert snapshot(hs.store) == before


async def test_aliases_need_membership_or_a_world_readable_room(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(room_alias_name="inner")
    await alice.call("PUT", "/directory/room/%23second:localhost", json={"room_id": room})
    assert await alice.call("GET", f"/rooms/{room}/aliases") == {"aliases": ["#inner:localhost", "#second:localhost"]}
    outside = await client.get(f"{V3}/rooms/{room}/aliases", headers=bob.headers)
    assert_error(outside, 403, "M_FORBIDDEN")
    await alice.put_state(room, "m.room.history_visibility", {"history_visibility": "world_readable"})
    assert (await bob.call("GET", f"/rooms/{room}/aliases"))["aliases"] == ["#inner:localhost", "#second:localhost"]

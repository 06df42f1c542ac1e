"""Typing, presence and profiles."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.homeserver import Homeserver
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error


async def refused(
    hs: Homeserver, account: Account, method: str, path: str, body: Any, status: int, errcode: str
) -> None:
    before = snapshot(hs.store)
    response = await account.client.request(method, V3 + path, json=body, headers=account.headers)
    assert_error(response, status, errcode)
    assert snapshot(hs.store) == before


def typing_in(sync: dict[str, Any], room_id: str) -> list[str] | None:
    room = sync["rooms"]["join"].get(room_id)
    if room is None:
        return None
    for event in room["ephemeral"]["events"]:
        if event["type"] == "m.typing":
            return event["content"]["user_ids"]  # type: ignore[no-any-return]
    return None


# -- typing ------------------------------------------------------------------------------


async def test_typing_starts_stops_and_expires(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    hs.store.clock.freeze()
    first = await bob.sync()
    assert await alice.call(
        "PUT", f"/rooms/{room}/typing/{alice.user_id}", json={"typing": True, "timeout": 5000}
    ) == {}
    started = await bob.sync(since=first["next_batch"])
    assert typing_in(started, room) == [alice.user_id]
    await alice.typing(room, False)
    stopped = await bob.sync(since=started["next_batch"])
    assert typing_in(stopped, room) == []
    await alice.typing(room, True, timeout=5000)
    again = await bob.sync(since=stopped["next_batch"])
    assert typing_in(again, room) == [alice.user_id]
    hs.store.clock.advance(5001)
    expired = await bob.sync(since=again["next_batch"])
    assert typing_in(expired, room) == []


async def test_typing_without_timeout_is_accepted(alice: Account) -> None:
    room = await alice.create_room()
    path = f"/rooms/{room}/typing/{alice.user_id}"
    assert await alice.call("PUT", path, json={"typing": True}) == {}
    assert await alice.call("PUT", path, json={"typing": False}) == {}


async def test_typing_refusals(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    own = f"/rooms/{room}/typing/{alice.user_id}"
    await refused(hs, alice, "PUT", f"/rooms/{room}/typing/{bob.user_id}", {"typing": True}, 403, "M_FORBIDDEN")
    await refused(hs, bob, "PUT", f"/rooms/{room}/typing/{bob.user_id}", {"typing": True}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "PUT", own, {}, 400, "M_MISSING_PARAM")
    await refused(hs, alice, "PUT", own, {"typing": "yes"}, 400, "M_BAD_JSON")
    await refused(hs, alice, "PUT", own, {"typing": True, "timeout": "soon"}, 400, "M_BAD_JSON")
    await refused(hs, alice, "PUT", own, {"typing": True, "timeout": 1.5}, 400, "M_BAD_JSON")
    await refused(
        hs, alice, "PUT", f"/rooms/!unknown:localhost/typing/{alice.user_id}", {"typing": True},
        403, "M_FORBIDDEN",
    )


# -- presence -----------------------------------------------------------------------------


async def share_a_room(alice: Account, bob: Account) -> None:
    """Presence is seen only by users who share a room."""
    room = await alice.create_room(preset="public_chat")
    await bob.call("POST", f"/rooms/{room}/join", json={})


async def test_presence_of_a_user_never_seen_is_offline(alice: Account, bob: Account) -> None:
    await share_a_room(alice, bob)
    assert await alice.call("GET", f"/presence/{bob.user_id}/status") == {"presence": "offline"}


async def test_presence_put_then_get(hs: Homeserver, alice: Account, bob: Account) -> None:
    await share_a_room(alice, bob)
    hs.store.clock.freeze()
    path = f"/presence/{alice.user_id}/status"
    body = {"presence": "online", "status_msg": "coding"}
    assert await alice.call("PUT", path, json=body) == {}
    hs.store.clock.advance(1500)
    seen = await bob.call("GET", path)
    assert seen == {
        "presence": "online",
        "status_msg": "coding",
        "last_active_ago": 1500,
        "currently_active": True,
    }
    await alice.call("PUT", path, json={"presence": "unavailable"})
    idle = await alice.call("GET", path)
    assert idle["presence"] == "unavailable"
    assert idle["status_msg"] == "coding"
    await alice.call("PUT", path, json={"presence": "offline", "status_msg": None})
    assert "status_msg" not in await alice.call("GET", path)


async def test_presence_reaches_room_members_through_sync(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await bob.sync(set_presence="offline")
    await alice.call(
        "PUT", f"/presence/{alice.user_id}/status", json={"presence": "unavailable", "status_msg": "away"}
    )
    later = await bob.sync(since=first["next_batch"], set_presence="offline")
    events = [e for e in later["presence"]["events"] if e["sender"] == alice.user_id]
    assert events[-1]["content"]["presence"] == "unavailable"
    assert events[-1]["content"]["status_msg"] == "away"


async def test_presence_refusals(hs: Homeserver, alice: Account, bob: Account) -> None:
    own = f"/presence/{alice.user_id}/status"
    await refused(hs, alice, "PUT", f"/presence/{bob.user_id}/status", {"presence": "online"}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "PUT", own, {}, 400, "M_MISSING_PARAM")
    await refused(hs, alice, "PUT", own, {"presence": "busy"}, 400, "M_INVALID_PARAM")
    await refused(hs, alice, "PUT", own, {"presence": 1}, 400, "M_BAD_JSON")
    await refused(hs, alice, "PUT", own, {"presence": "online", "status_msg": 5}, 400, "M_BAD_JSON")
    unknown = await alice.client.get(f"{V3}/presence/@ghost:localhost/status", headers=alice.headers)
    assert_error(unknown, 403, "M_FORBIDDEN")  # as Synapse: whether they exist is not told


# -- profile ------------------------------------------------------------------------------


async def test_profile_defaults_to_the_localpart(alice: Account, bob: Account) -> None:
    assert await bob.call("GET", f"/profile/{alice.user_id}") == {"displayname": "alice"}
    assert await bob.call("GET", f"/profile/{alice.user_id}/displayname") == {"displayname": "alice"}
    missing = await bob.client.get(f"{V3}/profile/{alice.user_id}/avatar_url", headers=bob.headers)
    assert_error(missing, 404, "M_NOT_FOUND")


async def test_profile_change_updates_every_joined_room(alice: Account, bob: Account) -> None:
    first = await alice.create_room(preset="public_chat")
    second = await alice.create_room(preset="public_chat")
    left = await alice.create_room(preset="public_chat")
    await bob.join(left)
    await alice.leave(left)
    await alice.call("PUT", f"/profile/{alice.user_id}/displayname", json={"displayname": "Alice A."})
    await alice.call("PUT", f"/profile/{alice.user_id}/avatar_url", json={"avatar_url": "mxc://x/y"})
    assert await bob.call("GET", f"/profile/{alice.user_id}") == {
        "displayname": "Alice A.",
        "avatar_url": "mxc://x/y",
    }
    for room in (first, second):
        page = await alice.messages(room, dir="b", limit=2)
        names = [e["content"] for e in page["chunk"]]
        assert names == [
            {"membership": "join", "displayname": "Alice A.", "avatar_url": "mxc://x/y"},
            {"membership": "join", "displayname": "Alice A."},
        ]
        assert all(e["type"] == "m.room.member" for e in page["chunk"])
        assert page["chunk"][1]["unsigned"]["prev_content"]["displayname"] == "alice"
    bob_view = await bob.call("GET", f"/rooms/{left}/state/m.room.member/{alice.user_id}")
    assert bob_view == {"membership": "leave"}


async def test_profile_change_reaches_sync(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await bob.sync()
    await alice.call("PUT", f"/profile/{alice.user_id}/displayname", json={"displayname": "Ally"})
    later = await bob.sync(since=first["next_batch"])
    timeline = later["rooms"]["join"][room]["timeline"]["events"]
    assert [(e["type"], e["state_key"], e["content"].get("displayname")) for e in timeline] == [
        ("m.room.member", alice.user_id, "Ally")
    ]


async def test_unchanged_profile_emits_nothing(hs: Homeserver, alice: Account) -> None:
    await alice.create_room()
    before = snapshot(hs.store)
    await alice.call("PUT", f"/profile/{alice.user_id}/displayname", json={"displayname": "alice"})
    assert snapshot(hs.store)["rooms"] == before["rooms"]


async def test_new_joins_carry_the_profile(alice: Account, bob: Account) -> None:
    await bob.call("PUT", f"/profile/{bob.user_id}/displayname", json={"displayname": "Bobby"})
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    member = await alice.call("GET", f"/rooms/{room}/state/m.room.member/{bob.user_id}")
    assert member == {"membership": "join", "displayname": "Bobby"}


@pytest.mark.parametrize(
    ("path", "body", "status", "errcode"),
    [
        ("/profile/@bob:localhost/displayname", {"displayname": "x"}, 403, "M_FORBIDDEN"),
        ("/profile/@alice:localhost/displayname", {"displayname": 5}, 400, "M_BAD_JSON"),
        ("/profile/@alice:localhost/displayname", {"displayname": "x" * 300}, 400, "M_BAD_JSON"),
        ("/profile/@alice:localhost/avatar_url", {"avatar_url": ["mxc://x"]}, 400, "M_BAD_JSON"),
        ("/profile/@alice:localhost/displayname", [], 400, "M_BAD_JSON"),
        ("/profile/@alice:localhost/displayname", {}, 400, "M_MISSING_PARAM"),
        ("/profile/@alice:localhost/avatar_url", {"displayname": "x"}, 400, "M_MISSING_PARAM"),
    ],
)
async def test_profile_refusals(
    hs: Homeserver, alice: Account, bob: Account, path: str, body: Any, status: int, errcode: str
) -> None:
    await alice.create_room()
    await refused(hs, alice, "PUT", path, body, status, errcode)


async def test_profile_of_unknown_user(alice: Account) -> None:
    response = await alice.client.get(f"{V3}/profile/@ghost:localhost", headers=alice.headers)
    assert_error(response, 404, "M_NOT_FOUND")
    field = await alice.client.get(f"{V3}/profile/@ghost:localhost/displayname", headers=alice.headers)
    assert_error(field, 404, "M_NOT_FOUND")

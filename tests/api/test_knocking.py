"""Knocking: the knock join rule, POST /knock, approval by invite, denial by kick, /sync's knock."""

from __future__ import annotations

import httpx

from mockserver.homeserver import Homeserver
from tests.both_ways import client, hs  # noqa: F401  (fixtures: each test runs both ways)
from tests.sliding import Connection, room_list
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error


async def knock_room(owner: Account, **extra: object) -> str:
    return await owner.create_room(
        name="Knock here",
        topic="ask first",
        initial_state=[{"type": "m.room.join_rules", "content": {"join_rule": "knock"}}],
        **extra,
    )


async def test_knock_shows_in_the_knockers_sync_with_stripped_state(alice: Account, bob: Account) -> None:
    room = await knock_room(alice)
    first = await bob.sync()
    assert first["rooms"]["knock"] == {}
    answer = await bob.call("POST", f"/knock/{room}", json={"reason": "let me in"})
    assert answer == {"room_id": room}
    later = await bob.sync(since=first["next_batch"])
    events = later["rooms"]["knock"][room]["knock_state"]["events"]
    by_type = {e["type"]: e for e in events}
    assert by_type["m.room.name"]["content"] == {"name": "Knock here"}
    assert by_type["m.room.join_rules"]["content"] == {"join_rule": "knock"}
    knock = events[-1]
    assert knock["type"] == "m.room.member" and knock["state_key"] == bob.user_id
    assert knock["content"] == {"membership": "knock", "displayname": "bob", "reason": "let me in"}
    # Shown once: the next incremental sync has nothing new for it.
    again = await bob.sync(since=later["next_batch"], timeout=0)
    assert again["rooms"]["knock"] == {}
    # The members see the knock in their timeline.
    timeline = (await alice.sync())["rooms"]["join"][room]["timeline"]["events"]
    assert timeline[-1]["content"]["membership"] == "knock"


async def test_knock_by_alias(alice: Account, bob: Account) -> None:
    room = await knock_room(alice, room_alias_name="door")
    assert await bob.call("POST", "/knock/%23door:localhost", json={}) == {"room_id": room}


async def test_approval_by_invite_then_join(alice: Account, bob: Account) -> None:
    room = await knock_room(alice)
    await bob.call("POST", f"/knock/{room}", json={})
    since = (await bob.sync())["next_batch"]
    await alice.invite(room, bob.user_id)
    invited = await bob.sync(since=since)
    assert room in invited["rooms"]["invite"] and invited["rooms"]["knock"] == {}
    await bob.join(room)
    assert room in (await bob.call("GET", "/joined_rooms"))["joined_rooms"]


async def test_denial_by_kick_moves_the_room_to_leave(alice: Account, bob: Account) -> None:
    room = await knock_room(alice)
    await bob.call("POST", f"/knock/{room}", json={})
    since = (await bob.sync())["next_batch"]
    await alice.kick(room, bob.user_id)
    denied = await bob.sync(since=since)
    left = denied["rooms"]["leave"][room]["timeline"]["events"]
    assert [(e["content"]["membership"], e["sender"]) for e in left] == [("leave", alice.user_id)]
    # A denied knocker may knock again.
    await bob.call("POST", f"/knock/{room}", json={})


async def test_knocker_can_withdraw(alice: Account, bob: Account) -> None:
    room = await knock_room(alice)
    await bob.call("POST", f"/knock/{room}", json={})
    await bob.leave(room)
    members = await alice.call("GET", f"/rooms/{room}/members")
    assert {e["state_key"]: e["content"]["membership"] for e in members["chunk"]}[bob.user_id] == "leave"


async def test_refused_knocks_change_nothing(
    client: httpx.AsyncClient, hs: Homeserver, alice: Account, bob: Account
) -> None:
    invite_only = await alice.create_room()
    old_version = await alice.create_room(
        room_version="6", initial_state=[{"type": "m.room.join_rules", "content": {"join_rule": "knock"}}]
    )
    knockable = await knock_room(alice)
    banned_from = await knock_room(alice)
    await alice.ban(banned_from, bob.user_id)
    invited_to = await knock_room(alice)
    await alice.invite(invited_to, bob.user_id)
    before = snapshot(hs.store)

    async def refused(who: Account, target: str, status: int, errcode: str) -> None:
        response = await client.post(f"{V3}/knock/{target}", json={}, headers=who.headers)
        assert_error(response, status, errcode)

    await refused(bob, invite_only, 403, "M_FORBIDDEN")
    await refused(bob, old_version, 403, "M_FORBIDDEN")
    await refused(alice, knockable, 403, "M_FORBIDDEN")  # already in the room
    await refused(bob, banned_from, 403, "M_FORBIDDEN")
    await refused(bob, invited_to, 403, "M_FORBIDDEN")
    await refused(bob, "!unknown:localhost", 404, "M_NOT_FOUND")
    await refused(bob, "%23nowhere:localhost", 404, "M_NOT_FOUND")
    await refused(bob, "not-a-room", 400, "M_INVALID_PARAM")
    bad_reason = await client.post(f"{V3}/knock/{knockable}", json={"reason": 5}, headers=bob.headers)
    assert_error(bad_reason, 400, "M_BAD_JSON")
    # Nobody can join a knock room uninvited.
    join = await client.post(f"{V3}/join/{knockable}", json={}, headers=bob.headers)
    assert_error(join, 403, "M_FORBIDDEN")
    assert snapshot(hs.store) == before


async def test_knock_member_event_cannot_be_sent_for_someone_else(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await knock_room(alice)
    response = await client.put(
        f"{V3}/rooms/{room}/state/m.room.member/{alice.user_id}",
        json={"membership": "knock"},
        headers=bob.headers,
    )
    assert_error(response, 403, "M_FORBIDDEN")


async def test_knocks_come_down_sliding_sync_as_synapse_sends_them(alice: Account, bob: Account) -> None:
    """As in Synapse, a knocked room is listed with its stripped state under ``invite_state``."""
    connection = Connection(bob)
    body = {"lists": {"all": room_list(timeline_limit=3)}}
    await connection.sync(body)
    room = await knock_room(alice)
    await bob.call("POST", f"/knock/{room}", json={})
    knocked = (await connection.sync(body))["rooms"][room]
    assert knocked["initial"] is True and "timeline" not in knocked
    stripped = knocked["invite_state"]
    assert ("m.room.join_rules", "") in {(e["type"], e["state_key"]) for e in stripped}
    assert stripped[-1]["state_key"] == bob.user_id
    assert stripped[-1]["content"]["membership"] == "knock"
    await alice.invite(room, bob.user_id)
    invited = (await connection.sync(body))["rooms"][room]
    assert invited["invite_state"][-1]["content"]["membership"] == "invite"

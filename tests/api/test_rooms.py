"""Rooms and membership: createRoom, join, invite, leave, kick, ban, unban, and their rules."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockserver.homeserver import Homeserver
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error


async def state_of(account: Account, room_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    events = await account.call("GET", f"/rooms/{room_id}/state")
    return {(e["type"], e["state_key"]): e for e in events}


async def membership(account: Account, room_id: str, user_id: str) -> str | None:
    response = await account.client.get(
        f"{V3}/rooms/{room_id}/state/m.room.member/{user_id}", headers=account.headers
    )
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return response.json()["membership"]  # type: ignore[no-any-return]


async def refused(
    hs: Homeserver,
    account: Account,
    method: str,
    path: str,
    body: Any,
    status: int,
    errcode: str,
) -> dict[str, Any]:
    """Make a request the server must refuse, and check it changed nothing."""
    before = snapshot(hs.store)
    response = await account.client.request(method, V3 + path, json=body, headers=account.headers)
    error = assert_error(response, status, errcode)
    assert snapshot(hs.store) == before
    return error


# -- createRoom ------------------------------------------------------------------------


async def test_create_room_default_state(alice: Account) -> None:
    room = await alice.create_room()
    state = await state_of(alice, room)
    create = state[("m.room.create", "")]
    assert create["sender"] == alice.user_id
    assert create["content"]["room_version"] == "10"
    assert state[("m.room.member", alice.user_id)]["content"]["membership"] == "join"
    power = state[("m.room.power_levels", "")]["content"]
    assert power["users"] == {alice.user_id: 100}
    assert power["ban"] == power["kick"] == 50
    assert state[("m.room.join_rules", "")]["content"] == {"join_rule": "invite"}
    assert state[("m.room.history_visibility", "")]["content"] == {"history_visibility": "shared"}
    assert ("m.room.name", "") not in state
    assert await alice.call("GET", "/joined_rooms") == {"joined_rooms": [room]}


async def test_create_room_events_come_in_synapse_order(alice: Account) -> None:
    room = await alice.create_room(name="N", topic="T", preset="public_chat")
    page = await alice.messages(room, dir="f", limit=50)
    assert [e["type"] for e in page["chunk"]] == [
        "m.room.create",
        "m.room.member",
        "m.room.power_levels",
        "m.room.join_rules",
        "m.room.history_visibility",
        # No m.room.guest_access: Synapse sends one only for presets that let guests in.
        "m.room.name",
        "m.room.topic",
    ]


async def test_create_room_with_every_option(
    hs: Homeserver, alice: Account, bob: Account, carol: Account
) -> None:
    room = await alice.create_room(
        preset="public_chat",
        name="Lobby",
        topic="Say hi",
        invite=[bob.user_id, carol.user_id],
        is_direct=True,
        initial_state=[
            {"type": "m.room.encryption", "content": {"algorithm": "m.megolm.v1.aes-sha2"}},
            {"type": "org.example.flag", "state_key": "x", "content": {"on": True}},
        ],
        room_alias_name="lobby",
        visibility="public",
    )
    state = await state_of(alice, room)
    assert state[("m.room.name", "")]["content"] == {"name": "Lobby"}
    assert state[("m.room.topic", "")]["content"] == {"topic": "Say hi"}
    assert state[("m.room.join_rules", "")]["content"] == {"join_rule": "public"}
    assert state[("m.room.canonical_alias", "")]["content"] == {"alias": "#lobby:localhost"}
    assert state[("m.room.encryption", "")]["content"]["algorithm"] == "m.megolm.v1.aes-sha2"
    assert state[("org.example.flag", "x")]["content"] == {"on": True}
    for invitee in (bob, carol):
        member = state[("m.room.member", invitee.user_id)]
        assert member["content"]["membership"] == "invite"
        assert member["content"]["is_direct"] is True
        assert member["sender"] == alice.user_id
    alias = await alice.call("GET", "/directory/room/%23lobby:localhost")
    assert alias["room_id"] == room
    public = await alice.call("GET", "/publicRooms")
    assert [entry["room_id"] for entry in public["chunk"]] == [room]
    assert public["chunk"][0]["name"] == "Lobby"


async def test_create_room_invites_each_user_once(alice: Account, bob: Account) -> None:
    room = await alice.create_room(invite=[bob.user_id, bob.user_id])
    page = await alice.messages(room, dir="b", limit=50)
    invites = [e for e in page["chunk"] if e.get("state_key") == bob.user_id]
    assert len(invites) == 1


async def test_initial_state_replaces_what_the_preset_sets(alice: Account) -> None:
    room = await alice.create_room(
        preset="public_chat",
        initial_state=[
            {"type": "m.room.guest_access", "content": {"guest_access": "can_join"}},
            {"type": "m.room.history_visibility", "content": {"history_visibility": "joined"}},
        ],
    )
    page = await alice.messages(room, dir="f", limit=50)
    entries = [(e["type"], e["content"]) for e in page["chunk"] if e["type"] in (
        "m.room.guest_access", "m.room.history_visibility", "m.room.join_rules")]
    assert entries == [
        ("m.room.join_rules", {"join_rule": "public"}),
        ("m.room.history_visibility", {"history_visibility": "joined"}),
        ("m.room.guest_access", {"guest_access": "can_join"}),
    ]


async def test_initial_state_power_levels_replace_the_generated_ones(alice: Account) -> None:
    levels = {"users": {alice.user_id: 100}, "state_default": 0}
    room = await alice.create_room(
        initial_state=[{"type": "m.room.power_levels", "content": levels}],
        power_level_content_override={"ban": 1},
    )
    page = await alice.messages(room, dir="f", limit=50)
    power = [e["content"] for e in page["chunk"] if e["type"] == "m.room.power_levels"]
    assert power == [levels]


async def test_trusted_private_chat_gives_invitees_power(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="trusted_private_chat", invite=[bob.user_id])
    power = (await state_of(alice, room))[("m.room.power_levels", "")]["content"]
    assert power["users"] == {alice.user_id: 100, bob.user_id: 100}


async def test_visibility_public_without_preset_is_public_chat(alice: Account) -> None:
    room = await alice.create_room(visibility="public")
    state = await state_of(alice, room)
    assert state[("m.room.join_rules", "")]["content"] == {"join_rule": "public"}


async def test_power_level_override_and_room_version(alice: Account, bob: Account) -> None:
    room = await alice.create_room(
        room_version="9",
        creation_content={"m.federate": False},
        power_level_content_override={"invite": 50},
    )
    state = await state_of(alice, room)
    assert state[("m.room.create", "")]["content"] == {
        "m.federate": False,
        "room_version": "9",
        "creator": alice.user_id,
    }
    assert state[("m.room.power_levels", "")]["content"]["invite"] == 50


async def test_create_room_accepts_an_empty_body(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.post(f"{V3}/createRoom", headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["room_id"].startswith("!")


@pytest.mark.parametrize(
    ("body", "status", "errcode"),
    [
        ({"invite": ["@nobody:localhost"]}, 404, "M_NOT_FOUND"),
        ({"invite": ["nobody"]}, 400, "M_INVALID_PARAM"),
        ({"room_alias_name": "taken"}, 400, "M_ROOM_IN_USE"),
        ({"room_alias_name": ""}, 400, "M_INVALID_PARAM"),
        ({"room_alias_name": "a:b"}, 400, "M_INVALID_PARAM"),
        ({"room_alias_name": "has space"}, 400, "M_INVALID_PARAM"),
        ({"room_alias_name": "trailing\n"}, 400, "M_INVALID_PARAM"),
        ({"room_version": "99"}, 400, "M_UNSUPPORTED_ROOM_VERSION"),
        ({"preset": "secret"}, 400, "M_BAD_JSON"),
        ({"visibility": "secret"}, 400, "M_BAD_JSON"),
        ({"name": "x" * 70000}, 413, "M_TOO_LARGE"),
        ({"initial_state": [{"type": "m.x", "content": {"a": "x" * 70000}}]}, 413, "M_TOO_LARGE"),
        ({"initial_state": [{"type": "m.x", "state_key": 1, "content": {}}]}, 400, "M_BAD_JSON"),
        ({"invite": ["@alice:localhost"]}, 403, "M_FORBIDDEN"),
        ({"initial_state": [{"type": "m.room.create", "content": {}}]}, 400, "M_BAD_JSON"),
        (
            {"initial_state": [{"type": "m.room.member", "state_key": "@bob:localhost",
                                "content": {"membership": "join"}}]},
            400,
            "M_BAD_JSON",
        ),
    ],
)
async def test_create_room_refusals_change_nothing(
    hs: Homeserver, alice: Account, body: dict[str, Any], status: int, errcode: str
) -> None:
    await alice.create_room(room_alias_name="taken")
    await refused(hs, alice, "POST", "/createRoom", body, status, errcode)


# -- joining -----------------------------------------------------------------------------


async def test_join_public_room_by_id_both_ways(alice: Account, bob: Account, carol: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    assert await bob.call("POST", f"/rooms/{room}/join", json={}) == {"room_id": room}
    assert await carol.call("POST", f"/join/{room}", json={}) == {"room_id": room}
    assert await membership(alice, room, bob.user_id) == "join"
    assert await membership(alice, room, carol.user_id) == "join"
    assert await bob.call("GET", "/joined_rooms") == {"joined_rooms": [room]}


async def test_join_by_alias(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat", room_alias_name="hall")
    assert await bob.call("POST", "/join/%23hall:localhost", json={}) == {"room_id": room}
    assert await membership(alice, room, bob.user_id) == "join"


async def test_join_ignores_via_and_takes_no_body(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    response = await client.post(
        f"{V3}/join/{room}", params={"via": "localhost", "server_name": "x"}, headers=bob.headers
    )
    assert response.status_code == 200


async def test_join_twice_is_a_no_op(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    before = snapshot(hs.store)
    assert await bob.call("POST", f"/join/{room}", json={}) == {"room_id": room}
    assert snapshot(hs.store) == before


async def test_invite_only_room_needs_an_invite(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    room = await alice.create_room()
    await refused(hs, bob, "POST", f"/join/{room}", {}, 403, "M_FORBIDDEN")
    await refused(hs, bob, "POST", f"/rooms/{room}/join", {}, 403, "M_FORBIDDEN")
    await alice.invite(room, bob.user_id)
    assert await membership(alice, room, bob.user_id) == "invite"
    await bob.join(room)
    assert await membership(alice, room, bob.user_id) == "join"


@pytest.mark.parametrize(
    ("path", "status", "errcode"),
    [
        ("/join/!unknown:localhost", 404, "M_NOT_FOUND"),
        ("/rooms/!unknown:localhost/join", 404, "M_NOT_FOUND"),
        ("/join/%23nothing:localhost", 404, "M_NOT_FOUND"),
        ("/join/nothing", 400, "M_INVALID_PARAM"),
    ],
)
async def test_join_unknown_room(
    hs: Homeserver, alice: Account, path: str, status: int, errcode: str
) -> None:
    await refused(hs, alice, "POST", path, {}, status, errcode)


# -- invite, leave, kick, ban, unban ---------------------------------------------------


async def test_invite_then_reject_by_leaving(alice: Account, bob: Account) -> None:
    room = await alice.create_room()
    await alice.invite(room, bob.user_id)
    await bob.leave(room)
    assert await membership(alice, room, bob.user_id) == "leave"


async def test_invite_refusals(hs: Homeserver, alice: Account, bob: Account, carol: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await refused(hs, carol, "POST", f"/rooms/{room}/invite", {"user_id": bob.user_id}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "POST", f"/rooms/{room}/invite", {"user_id": bob.user_id}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "POST", f"/rooms/{room}/invite", {}, 400, "M_MISSING_PARAM")
    await refused(hs, alice, "POST", f"/rooms/{room}/invite", {"user_id": 5}, 400, "M_BAD_JSON")
    await refused(
        hs, alice, "POST", f"/rooms/{room}/invite", {"user_id": "@ghost:localhost"}, 404, "M_NOT_FOUND"
    )
    await refused(
        hs, alice, "POST", "/rooms/!unknown:localhost/invite", {"user_id": carol.user_id}, 403, "M_FORBIDDEN"
    )


async def test_invite_needs_power_when_raised(hs: Homeserver, alice: Account, bob: Account, carol: Account) -> None:
    room = await alice.create_room(preset="public_chat", power_level_content_override={"invite": 50})
    await bob.join(room)
    await refused(hs, bob, "POST", f"/rooms/{room}/invite", {"user_id": carol.user_id}, 403, "M_FORBIDDEN")
    await alice.invite(room, carol.user_id)


async def test_leave_with_reason(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    assert await bob.call("POST", f"/rooms/{room}/leave", json={"reason": "bye"}) == {}
    event = await alice.call("GET", f"/rooms/{room}/state/m.room.member/{bob.user_id}")
    assert event == {"membership": "leave", "reason": "bye"}
    assert await bob.call("GET", "/joined_rooms") == {"joined_rooms": []}


async def test_leave_accepts_no_body(client: httpx.AsyncClient, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    response = await client.post(f"{V3}/rooms/{room}/leave", headers=bob.headers)
    assert response.status_code == 200


async def test_leave_refusals(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await refused(hs, bob, "POST", f"/rooms/{room}/leave", {}, 403, "M_FORBIDDEN")
    await refused(hs, bob, "POST", "/rooms/!unknown:localhost/leave", {}, 403, "M_FORBIDDEN")
    await refused(hs, bob, "POST", f"/rooms/{room}/leave", {"reason": 5}, 400, "M_BAD_JSON")


async def test_kick(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    body = {"user_id": bob.user_id, "reason": "spam"}
    assert await alice.call("POST", f"/rooms/{room}/kick", json=body) == {}
    member = await alice.call(
        "GET", f"/rooms/{room}/state/m.room.member/{bob.user_id}", params={"format": "event"}
    )
    assert member["content"] == {"membership": "leave", "reason": "spam"}
    assert member["sender"] == alice.user_id
    await bob.join(room)
    assert await membership(alice, room, bob.user_id) == "join"


async def test_kick_rules(hs: Homeserver, alice: Account, bob: Account, carol: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await carol.join(room)
    kick = f"/rooms/{room}/kick"
    await refused(hs, bob, "POST", kick, {"user_id": carol.user_id}, 403, "M_FORBIDDEN")
    await refused(hs, bob, "POST", kick, {"user_id": alice.user_id}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "POST", kick, {"user_id": "@ghost:localhost"}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "POST", kick, {}, 400, "M_MISSING_PARAM")
    await alice.put_state(
        room,
        "m.room.power_levels",
        {"users": {alice.user_id: 100, bob.user_id: 50}, "kick": 50, "ban": 50},
    )
    await bob.kick(room, carol.user_id)
    await refused(hs, bob, "POST", kick, {"user_id": alice.user_id}, 403, "M_FORBIDDEN")


async def test_ban_and_unban(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await alice.ban(room, bob.user_id)
    assert await membership(alice, room, bob.user_id) == "ban"
    await refused(hs, bob, "POST", f"/join/{room}", {}, 403, "M_FORBIDDEN")
    await refused(hs, bob, "POST", f"/rooms/{room}/join", {}, 403, "M_FORBIDDEN")
    await refused(
        hs, alice, "POST", f"/rooms/{room}/invite", {"user_id": bob.user_id}, 403, "M_FORBIDDEN"
    )
    assert await alice.call("POST", f"/rooms/{room}/unban", json={"user_id": bob.user_id}) == {}
    assert await membership(alice, room, bob.user_id) == "leave"
    await bob.join(room)
    assert await membership(alice, room, bob.user_id) == "join"


async def test_ban_someone_never_in_the_room(alice: Account, carol: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await alice.ban(room, carol.user_id)
    assert await membership(alice, room, carol.user_id) == "ban"


async def test_ban_rules(hs: Homeserver, alice: Account, bob: Account, carol: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await carol.join(room)
    ban = f"/rooms/{room}/ban"
    await refused(hs, bob, "POST", ban, {"user_id": carol.user_id}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "POST", ban, {}, 400, "M_MISSING_PARAM")
    await refused(hs, alice, "POST", "/rooms/!unknown:localhost/ban", {"user_id": bob.user_id}, 403, "M_FORBIDDEN")
    outsider = await alice.create_room()
    await refused(hs, bob, "POST", f"/rooms/{outsider}/ban", {"user_id": alice.user_id}, 403, "M_FORBIDDEN")


async def test_unban_rules(hs: Homeserver, alice: Account, bob: Account, carol: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await carol.join(room)
    await alice.ban(room, bob.user_id)
    unban = f"/rooms/{room}/unban"
    await refused(hs, carol, "POST", unban, {"user_id": bob.user_id}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "POST", unban, {"user_id": carol.user_id}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "POST", unban, {}, 400, "M_MISSING_PARAM")
    await refused(
        hs, alice, "POST", "/rooms/!unknown:localhost/unban", {"user_id": bob.user_id}, 403, "M_FORBIDDEN"
    )


async def test_kick_of_an_invite_revokes_it(alice: Account, bob: Account) -> None:
    room = await alice.create_room()
    await alice.invite(room, bob.user_id)
    await alice.kick(room, bob.user_id)
    assert await membership(alice, room, bob.user_id) == "leave"


# -- sending needs membership --------------------------------------------------------


async def test_only_members_send(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    send = f"/rooms/{room}/send/m.room.message/only-members-1"
    content = {"msgtype": "m.text", "body": "hi"}
    await refused(hs, bob, "PUT", send, content, 403, "M_FORBIDDEN")
    await alice.invite(room, bob.user_id)
    await refused(hs, bob, "PUT", send, content, 403, "M_FORBIDDEN")
    await bob.join(room)
    await bob.send(room, "hi")
    await bob.leave(room)
    await refused(hs, bob, "PUT", f"/rooms/{room}/send/m.room.message/only-members-2", content, 403, "M_FORBIDDEN")


async def test_power_levels_guard_state_events(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    for event_type, content in [
        ("m.room.name", {"name": "mine"}),
        ("m.room.power_levels", {"users": {bob.user_id: 100}}),
        ("m.room.join_rules", {"join_rule": "invite"}),
        ("org.example.custom", {"x": 1}),
    ]:
        await refused(hs, bob, "PUT", f"/rooms/{room}/state/{event_type}", content, 403, "M_FORBIDDEN")
    await bob.send(room, "messages need only events_default")
    await alice.put_state(room, "m.room.name", {"name": "ok"})


async def test_power_levels_cannot_exceed_your_own(
    hs: Homeserver, alice: Account, bob: Account, carol: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await carol.join(room)
    await alice.put_state(
        room,
        "m.room.power_levels",
        {"users": {alice.user_id: 100, bob.user_id: 100}, "events": {"m.room.power_levels": 50}},
    )
    levels = {"users": {alice.user_id: 100, bob.user_id: 50, carol.user_id: 50},
              "events": {"m.room.power_levels": 50}}
    await bob.put_state(room, "m.room.power_levels", levels)
    grant = {"users": {alice.user_id: 100, bob.user_id: 50, carol.user_id: 100},
             "events": {"m.room.power_levels": 50}}
    await refused(hs, bob, "PUT", f"/rooms/{room}/state/m.room.power_levels", grant, 403, "M_FORBIDDEN")
    demote = {"users": {alice.user_id: 0, bob.user_id: 50, carol.user_id: 50},
              "events": {"m.room.power_levels": 50}}
    await refused(hs, bob, "PUT", f"/rooms/{room}/state/m.room.power_levels", demote, 403, "M_FORBIDDEN")


async def test_join_rule_change_opens_a_room(alice: Account, bob: Account) -> None:
    room = await alice.create_room()
    await alice.put_state(room, "m.room.join_rules", {"join_rule": "public"})
    await bob.join(room)
    assert await membership(alice, room, bob.user_id) == "join"


async def test_forget(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await refused(hs, alice, "POST", f"/rooms/{room}/forget", {}, 400, "M_UNKNOWN")
    await bob.join(room)
    await bob.leave(room)
    assert await bob.call("POST", f"/rooms/{room}/forget", json={}) == {}


async def test_joined_members(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    body = await bob.call("GET", f"/rooms/{room}/joined_members")
    assert set(body["joined"]) == {alice.user_id, bob.user_id}
    assert body["joined"][alice.user_id]["display_name"] == "alice"


async def test_membership_via_state_api(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    path = f"/rooms/{room}/state/m.room.member/{bob.user_id}"
    await bob.call("PUT", path, json={"membership": "join", "displayname": "Bobby"})
    assert await membership(alice, room, bob.user_id) == "join"
    await refused(hs, bob, "PUT", f"/rooms/{room}/state/m.room.member/{alice.user_id}",
                  {"membership": "leave"}, 403, "M_FORBIDDEN")
    await refused(hs, bob, "PUT", path, {"displayname": "no membership"}, 400, "M_BAD_JSON")
    await refused(hs, bob, "PUT", path, {"membership": "weird"}, 400, "M_BAD_JSON")

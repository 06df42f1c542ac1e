"""Simplified sliding sync (MSC4186) over raw HTTP, in process and over a real socket.

Each test drives connections as a client would and checks one rule of the
issue: lists and recency, only what changed, wider ranges, larger
timelines and subscriptions, invites/joins/leaves/renames as they happen,
``$LAZY``, the extensions, long-polls on the notifier, unknown positions
and bad bodies. Long-polls are known to be parked through
``GET /_mock/parked`` and ended by advancing the frozen clock: no sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.sliding import (
    SLIDING_SYNC,
    Connection,
    parked,
    room_list,
    state_keys,
    timeline_bodies,
)
from tests.support import Account, assert_error, register


@pytest.fixture
def hs() -> Homeserver:
    return Homeserver.create(ServerConfig(port=0))


@pytest.fixture(params=["in_process", "socket"])
def transport(
    request: pytest.FixtureRequest, hs: Homeserver
) -> Iterator[httpx.AsyncBaseTransport | str]:
    if request.param == "in_process":
        from mockserver.app import create_app

        yield httpx.ASGITransport(app=create_app(homeserver=hs))
        return
    server = ThreadedServer(hs).start()
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture
async def client(transport: httpx.AsyncBaseTransport | str) -> AsyncIterator[httpx.AsyncClient]:
    if isinstance(transport, str):
        async with httpx.AsyncClient(base_url=transport, timeout=30) as c:
            yield c
    else:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8008") as c:
            yield c


async def rooms_with_messages(account: Account, count: int) -> list[str]:
    """``count`` rooms, each with one message, the last created the most recent."""
    rooms = []
    for index in range(count):
        room = await account.create_room(name=f"room {index}", preset="public_chat")
        await account.send(room, f"message {index}")
        rooms.append(room)
    return rooms


def window(answer: dict[str, Any], name: str = "all") -> list[str]:
    return [room for op in answer["lists"][name]["ops"] for room in op["room_ids"]]


# -- discovery and the first answer --------------------------------------------------------


async def test_versions_advertise_simplified_sliding_sync(client: httpx.AsyncClient) -> None:
    body = (await client.get("/_matrix/client/versions")).json()
    assert body["unstable_features"]["org.matrix.simplified_msc3575"] is True


async def test_first_answer_lists_rooms_by_recency_with_their_fields(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    quiet = await alice.create_room(name="Quiet", preset="public_chat")
    lobby = await alice.create_room(name="Lobby", preset="public_chat")
    await bob.join(lobby)
    await bob.join(quiet)
    await bob.send(lobby, "hello")
    await alice.send(lobby, "hi there")
    answer = await Connection(bob).sync({"lists": {"all": room_list(timeline_limit=1)}})

    assert answer["lists"]["all"]["count"] == 2
    assert window(answer) == [lobby, quiet]
    room = answer["rooms"][lobby]
    assert room["initial"] is True
    assert room["name"] == "Lobby"
    assert room["joined_count"] == 2 and room["invited_count"] == 0
    assert room["notification_count"] == 1 and room["highlight_count"] == 0
    assert timeline_bodies(room) == ["hi there"]
    assert room["limited"] is True and room["num_live"] == 0
    assert room["bump_stamp"] > answer["rooms"][quiet]["bump_stamp"]
    # $LAZY: alice sent the timeline; $ME: bob; m.room.name and m.room.create asked for.
    assert state_keys(room) == {
        ("m.room.name", ""),
        ("m.room.create", ""),
        ("m.room.member", alice.user_id),
        ("m.room.member", bob.user_id),
    }
    assert "unsigned" in room["timeline"][0] and "room_id" not in room["timeline"][0]
    # prev_batch pages back with /messages from just before the timeline.
    older = await bob.messages(lobby, dir="b", **{"from": room["prev_batch"]}, limit=1)
    assert [e["content"].get("body") for e in older["chunk"]] == ["hello"]


async def test_an_empty_body_starts_a_connection(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.post(SLIDING_SYNC, json={}, headers=alice.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["pos"] and body["rooms"] == {} and body["lists"] == {}


async def test_an_unnamed_room_has_heroes_instead(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    await alice.call("PUT", f"/profile/{alice.user_id}/displayname", json={"displayname": "Alice"})
    room = await alice.create_room(invite=[bob.user_id], is_direct=True)
    await bob.join(room)
    answer = await Connection(bob).sync({"lists": {"all": room_list()}})
    entry = answer["rooms"][room]
    assert "name" not in entry
    assert entry["heroes"] == [{"user_id": alice.user_id, "displayname": "Alice"}]


# -- only what changed ---------------------------------------------------------------------


async def test_an_incremental_answer_carries_only_what_changed(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    first, second = await rooms_with_messages(alice, 2)
    await bob.join(first)
    await bob.join(second)
    connection = Connection(bob)
    body = {"lists": {"all": room_list(timeline_limit=5)}}
    await connection.sync(body)
    await alice.send(first, "news")
    answer = await connection.sync(body)
    assert list(answer["rooms"]) == [first]
    room = answer["rooms"][first]
    assert timeline_bodies(room) == ["news"]
    assert room["limited"] is False and room["num_live"] == 1
    for unchanged in ("initial", "name", "joined_count", "required_state", "heroes"):
        assert unchanged not in room
    assert window(answer) == [first, second]  # the message moved it to the top
    # Nothing new: an answer with no rooms at all.
    assert (await connection.sync(body))["rooms"] == {}


async def test_a_wider_range_sends_only_rooms_not_yet_sent(
    client: httpx.AsyncClient, alice: Account
) -> None:
    rooms = await rooms_with_messages(alice, 5)
    connection = Connection(alice)
    first = await connection.sync({"lists": {"all": room_list([[0, 1]])}})
    assert set(first["rooms"]) == set(rooms[3:])
    assert first["lists"]["all"]["count"] == 5
    wider = await connection.sync({"lists": {"all": room_list([[0, 3]])}})
    assert set(wider["rooms"]) == {rooms[1], rooms[2]}
    assert all(room["initial"] for room in wider["rooms"].values())


async def test_a_room_back_in_range_gets_what_it_missed(
    client: httpx.AsyncClient, alice: Account
) -> None:
    rooms = await rooms_with_messages(alice, 3)
    connection = Connection(alice)
    body = {"lists": {"all": room_list([[0, 0]], timeline_limit=5)}}
    await connection.sync(body)  # rooms[2] sent
    await alice.send(rooms[1], "bumps rooms[1] to the top")
    answer = await connection.sync(body)
    assert list(answer["rooms"]) == [rooms[1]]
    await alice.send(rooms[2], "missed while out of range")
    await alice.send(rooms[0], "not in range")
    back = await connection.sync({"lists": {"all": room_list([[0, 0]], timeline_limit=5)}})
    assert list(back["rooms"]) == [rooms[0]]
    again = await connection.sync({"lists": {"all": room_list([[0, 2]], timeline_limit=5)}})
    assert timeline_bodies(again["rooms"][rooms[2]]) == ["missed while out of range"]
    assert "initial" not in again["rooms"][rooms[2]]


async def test_a_larger_timeline_limit_sends_the_history_the_client_lacks(
    client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room(name="chatty")
    for index in range(6):
        await alice.send(room, f"m{index}")
    connection = Connection(alice)
    await connection.sync({"lists": {"all": room_list(timeline_limit=1)}})
    answer = await connection.sync({"lists": {"all": room_list(timeline_limit=4)}})
    entry = answer["rooms"][room]
    assert entry["unstable_expanded_timeline"] is True
    assert timeline_bodies(entry) == ["m2", "m3", "m4", "m5"]
    assert entry["limited"] is True
    assert (await connection.sync({"lists": {"all": room_list(timeline_limit=4)}}))["rooms"] == {}


async def test_a_subscription_sends_a_room_and_stays_until_unsubscribed(
    client: httpx.AsyncClient, alice: Account
) -> None:
    rooms = await rooms_with_messages(alice, 3)
    connection = Connection(alice)
    lists = {"all": room_list([[0, 0]], filters={"room_name_like": "room 2"})}
    await connection.sync({"lists": lists})
    subscription = {"timeline_limit": 10, "required_state": [["*", "*"]]}
    answer = await connection.sync(
        {"lists": lists, "room_subscriptions": {rooms[0]: subscription}}
    )
    entry = answer["rooms"][rooms[0]]
    assert entry["initial"] is True
    assert ("m.room.power_levels", "") in state_keys(entry)
    # js-sdk sends a subscription once; it stays with the connection...
    await alice.send(rooms[0], "live")
    answer = await connection.sync({"lists": lists})
    assert timeline_bodies(answer["rooms"][rooms[0]]) == ["live"]
    # ...until unsubscribe_rooms names it.
    await connection.sync({"lists": lists, "unsubscribe_rooms": [rooms[0]]})
    await alice.send(rooms[0], "unseen")
    assert rooms[0] not in (await connection.sync({"lists": lists}))["rooms"]


async def test_a_subscription_to_a_listed_room_sends_its_longer_history(
    client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room(name="deep")
    for index in range(4):
        await alice.send(room, f"m{index}")
    connection = Connection(alice)
    lists = {"all": room_list(timeline_limit=1)}
    await connection.sync({"lists": lists})
    answer = await connection.sync(
        {"lists": lists, "room_subscriptions": {room: {"timeline_limit": 3, "required_state": []}}}
    )
    assert timeline_bodies(answer["rooms"][room]) == ["m1", "m2", "m3"]
    assert answer["rooms"][room]["unstable_expanded_timeline"] is True


async def test_a_subscription_to_a_room_the_user_is_not_in_is_ignored(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    secret = await alice.create_room(name="secret")
    answer = await Connection(bob).sync(
        {"room_subscriptions": {secret: {"timeline_limit": 5, "required_state": [["*", "*"]]}}}
    )
    assert answer["rooms"] == {}


# -- memberships and renames as they happen --------------------------------------------------


async def test_invite_join_rename_and_leave_come_down_as_they_happen(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    connection = Connection(bob)
    body = {"lists": {"all": room_list(timeline_limit=3)}}
    await connection.sync(body)
    room = await alice.create_room(name="Plans", invite=[bob.user_id])

    invited = (await connection.sync(body))["rooms"][room]
    assert invited["initial"] is True
    invite_state = {(e["type"], e["state_key"]) for e in invited["invite_state"]}
    assert ("m.room.name", "") in invite_state and ("m.room.member", bob.user_id) in invite_state
    assert "timeline" not in invited and "required_state" not in invited

    await bob.join(room)
    joined = (await connection.sync(body))["rooms"][room]
    assert joined["initial"] is True and joined["name"] == "Plans"
    assert joined["timeline"][-1]["state_key"] == bob.user_id
    assert joined["timeline"][-1]["content"]["membership"] == "join"
    assert "invite_state" not in joined

    await alice.put_state(room, "m.room.name", {"name": "Better plans"})
    renamed = (await connection.sync(body))["rooms"][room]
    assert renamed["name"] == "Better plans"
    assert ("m.room.name", "") in state_keys(renamed)
    assert "initial" not in renamed

    await bob.leave(room)
    left = await connection.sync(body)
    entry = left["rooms"][room]
    assert entry["timeline"][-1]["content"]["membership"] == "leave"
    assert room in window(left)
    after = await connection.sync(body)
    assert room not in window(after) and after["lists"]["all"]["count"] == 0


async def test_a_kicked_user_keeps_the_room_in_the_list(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    connection = Connection(bob)
    body = {"lists": {"all": room_list(timeline_limit=2)}}
    await connection.sync(body)
    await alice.kick(room, bob.user_id)
    await alice.send(room, "after the kick")
    kicked = (await connection.sync(body))["rooms"][room]
    assert kicked["timeline"][-1]["content"]["membership"] == "leave"
    assert "after the kick" not in timeline_bodies(kicked)
    assert room in window(await connection.sync(body))


async def test_a_rejected_invite_shows_only_the_rejection(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    connection = Connection(bob)
    body = {"lists": {"all": room_list(timeline_limit=5, required_state=[["*", "*"]])}}
    room = await alice.create_room(name="Private", invite=[bob.user_id])
    await connection.sync(body)
    await alice.send(room, "not for bob's eyes")
    await bob.leave(room)
    rejected = (await connection.sync(body))["rooms"][room]
    assert [e["content"].get("membership") for e in rejected["timeline"]] == ["leave"]
    assert state_keys(rejected) == {("m.room.member", bob.user_id)}
    assert "name" not in rejected


# -- required_state --------------------------------------------------------------------------


async def test_lazy_members_are_the_timeline_senders_each_sent_once(
    client: httpx.AsyncClient, alice: Account, bob: Account, carol: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await carol.join(room)
    await bob.send(room, "from bob")
    connection = Connection(alice)
    body = {
        "lists": {
            "all": room_list(timeline_limit=1, required_state=[["m.room.member", "$LAZY"]])
        }
    }
    first = (await connection.sync(body))["rooms"][room]
    assert state_keys(first) == {("m.room.member", bob.user_id)}
    await bob.send(room, "bob again")
    await carol.send(room, "from carol")
    second = (await connection.sync(body))["rooms"][room]
    assert state_keys(second) == {("m.room.member", carol.user_id)}


async def test_required_state_wildcards_and_me(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat", name="W", topic="t")
    await bob.join(room)
    wildcard = await Connection(bob, "a").sync(
        {"lists": {"all": room_list(timeline_limit=0, required_state=[["m.room.member", "*"]])}}
    )
    assert state_keys(wildcard["rooms"][room]) == {
        ("m.room.member", alice.user_id),
        ("m.room.member", bob.user_id),
    }
    assert "timeline" not in wildcard["rooms"][room]
    everything = await Connection(bob, "b").sync(
        {"lists": {"all": room_list(required_state=[["*", "*"]])}}
    )
    assert ("m.room.topic", "") in state_keys(everything["rooms"][room])
    me = await Connection(bob, "c").sync(
        {"lists": {"all": room_list(required_state=[["m.room.member", "$ME"]])}}
    )
    assert state_keys(me["rooms"][room]) == {("m.room.member", bob.user_id)}


async def test_a_required_state_pair_added_later_sends_its_entries(
    client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room(name="T", topic="old news")
    connection = Connection(alice)
    await connection.sync({"lists": {"all": room_list(required_state=[])}})
    answer = await connection.sync(
        {"lists": {"all": room_list(required_state=[["m.room.topic", ""]])}}
    )
    assert state_keys(answer["rooms"][room]) == {("m.room.topic", "")}


# -- list filters --------------------------------------------------------------------------


async def test_list_filters_select_rooms(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    space = await alice.create_room(name="Space", creation_content={"type": "m.space"})
    child = await alice.create_room(name="Child")
    await alice.put_state(space, "m.space.child", {"via": ["localhost"]}, state_key=child)
    dm = await bob.create_room(invite=[alice.user_id], is_direct=True)
    await alice.join(dm)
    await alice.call(
        "PUT", f"/user/{alice.user_id}/account_data/m.direct", json={bob.user_id: [dm]}
    )
    invite = await bob.create_room(name="Invite", invite=[alice.user_id])
    old = await alice.create_room(name="Old")
    await alice.put_state(old, "m.room.tombstone", {"body": "moved", "replacement_room": child})

    def listed(filters: dict[str, Any]) -> dict[str, Any]:
        return room_list(timeline_limit=0, required_state=[], filters=filters)

    answer = await Connection(alice).sync(
        {
            "lists": {
                "dms": listed({"is_dm": True}),
                "invites": listed({"is_invite": True}),
                "spaces": listed({"room_types": ["m.space"]}),
                "not_spaces": listed({"not_room_types": ["m.space"], "is_invite": False}),
                "in_space": listed({"spaces": [space]}),
                "tombstoned": listed({"is_tombstoned": True}),
            }
        }
    )
    assert window(answer, "dms") == [dm]
    assert window(answer, "invites") == [invite]
    assert window(answer, "spaces") == [space]
    assert set(window(answer, "not_spaces")) == {child, dm, old}
    assert window(answer, "tombstoned") == [old]
    assert window(answer, "in_space") == [child]
    assert answer["rooms"][dm]["is_dm"] is True


# -- extensions ----------------------------------------------------------------------------


async def test_to_device_messages_come_again_until_acknowledged(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    await alice.call(
        "PUT",
        "/sendToDevice/m.test/txn1",
        json={"messages": {bob.user_id: {bob.device_id: {"n": 1}}}},
    )
    connection = Connection(bob, "encryption")
    first = await connection.sync({"extensions": {"to_device": {"enabled": True}}})
    events = first["extensions"]["to_device"]["events"]
    assert events == [{"type": "m.test", "sender": alice.user_id, "content": {"n": 1}}]
    # Not acknowledged (no since): delivered again.
    again = await connection.sync({"extensions": {"to_device": {"enabled": True}}})
    assert again["extensions"]["to_device"]["events"] == events
    since = again["extensions"]["to_device"]["next_batch"]
    acked = await connection.sync({"extensions": {"to_device": {"enabled": True, "since": since}}})
    assert acked["extensions"]["to_device"]["events"] == []


async def test_e2ee_reports_key_counts_and_who_joined(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    await bob.call(
        "POST",
        "/keys/upload",
        json={"one_time_keys": {"signed_curve25519:AAAA": {"key": "k"}}},
    )
    room = await alice.create_room(preset="public_chat")
    connection = Connection(bob, "encryption")
    body = {"extensions": {"e2ee": {"enabled": True}}}
    first = await connection.sync(body)
    assert first["extensions"]["e2ee"]["device_one_time_keys_count"]["signed_curve25519"] == 1
    await bob.join(room)
    second = await connection.sync(body)
    assert second["extensions"]["e2ee"]["device_lists"]["changed"] == [alice.user_id]


async def test_account_data_receipts_and_typing_extensions(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(name="Ephemeral", preset="public_chat")
    await bob.join(room)
    event_id = await alice.send(room, "read me")
    await bob.call("PUT", f"/user/{bob.user_id}/account_data/m.test", json={"g": 1})
    await bob.call("PUT", f"/user/{bob.user_id}/rooms/{room}/account_data/m.tag", json={"tags": {}})
    connection = Connection(bob)
    enabled = {"enabled": True}
    body = {
        "lists": {"all": room_list()},
        "extensions": {"account_data": enabled, "receipts": enabled, "typing": enabled},
    }
    first = await connection.sync(body)
    data = first["extensions"]["account_data"]
    assert {"type": "m.test", "content": {"g": 1}} in data["global"]
    assert data["rooms"][room] == [{"type": "m.tag", "content": {"tags": {}}}]

    await alice.typing(room)
    await alice.call("POST", f"/rooms/{room}/receipt/m.read/{event_id}", json={})
    second = await connection.sync(body)
    typing = second["extensions"]["typing"]["rooms"][room]
    assert typing == {"type": "m.typing", "content": {"user_ids": [alice.user_id]}}
    receipt = second["extensions"]["receipts"]["rooms"][room]
    assert receipt["type"] == "m.receipt"
    assert alice.user_id in receipt["content"][event_id]["m.read"]
    assert second["extensions"]["account_data"] == {"global": [], "rooms": {}}


async def test_extension_scopes_name_lists_and_subscriptions(
    client: httpx.AsyncClient, alice: Account
) -> None:
    listed, subscribed = await rooms_with_messages(alice, 2)
    await alice.typing(listed)
    await alice.typing(subscribed)
    answer = await Connection(alice).sync(
        {
            "lists": {"one": room_list([[0, 0]], filters={"room_name_like": "room 0"})},
            "room_subscriptions": {subscribed: {"timeline_limit": 0, "required_state": []}},
            "extensions": {
                "typing": {"enabled": True, "lists": ["one"], "rooms": []},
                "receipts": {"enabled": True, "lists": [], "rooms": [subscribed]},
            },
        }
    )
    assert list(answer["extensions"]["typing"]["rooms"]) == [listed]
    assert "receipts" in answer["extensions"]


# -- long-polls ----------------------------------------------------------------------------


async def test_a_long_poll_waits_until_a_message_arrives(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    connection = Connection(bob)
    body = {"lists": {"all": room_list()}}
    await connection.sync(body)
    async with parked(connection, body) as answer:
        await alice.send(room, "wake up")
    assert timeline_bodies(answer["rooms"][room]) == ["wake up"]


async def test_a_long_poll_answers_at_once_when_something_changed(
    client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room()
    connection = Connection(alice)
    body = {"lists": {"all": room_list()}}
    await connection.sync(body)
    await alice.send(room, "already there")
    with anyio.fail_after(10):
        answer = await connection.sync(body, timeout=600_000)
    assert timeline_bodies(answer["rooms"][room]) == ["already there"]


async def test_a_long_poll_ends_empty_when_the_clock_passes_its_timeout(
    client: httpx.AsyncClient, alice: Account
) -> None:
    await alice.create_room()
    await client.post("/_mock/clock/freeze", json={})
    connection = Connection(alice)
    body = {"lists": {"all": room_list()}}
    await connection.sync(body)
    async with parked(connection, body) as answer:
        await client.post("/_mock/clock/advance", json={"ms": 30_000})
    assert answer["rooms"] == {} and answer["pos"] != connection.answers[0]["pos"]


async def test_an_invite_wakes_a_long_poll(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    connection = Connection(bob)
    body = {"lists": {"all": room_list()}}
    await connection.sync(body)
    async with parked(connection, body) as answer:
        room = await alice.create_room(invite=[bob.user_id])
    assert "invite_state" in answer["rooms"][room]


# -- positions -----------------------------------------------------------------------------


async def test_unknown_positions_are_refused_with_m_unknown_pos(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    mine = Connection(alice, "room-list")
    await mine.sync({})
    first_pos = mine.pos
    # Another user's position.
    assert_error(await Connection(bob).post({}, pos=first_pos), 400, "M_UNKNOWN_POS")
    # Another connection's position (same user and device).
    assert_error(await Connection(alice, "other").post({}, pos=first_pos), 400, "M_UNKNOWN_POS")
    # A position built on is kept (a retry works); older ones are forgotten.
    await mine.sync({})
    retry = await mine.post({}, pos=first_pos)
    assert retry.status_code == 200
    await mine.sync({})
    await mine.sync({})
    assert_error(await mine.post({}, pos=first_pos), 400, "M_UNKNOWN_POS")
    # Forgotten by a reset of the world.
    await client.post("/_mock/reset", json={})
    carol = await register(client, "carol")
    fresh = Connection(carol)
    await fresh.sync({})
    assert_error(await fresh.post({}, pos=mine.pos), 400, "M_UNKNOWN_POS")
    # Not a position at all.
    assert_error(await fresh.post({}, pos="garbage"), 400, "M_UNKNOWN")


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        (b"{not json", "M_NOT_JSON"),
        (b"[]", "M_BAD_JSON"),
        (b'{"lists": []}', "M_BAD_JSON"),
        (b'{"lists": {"a": {"ranges": [[0, 1]], "required_state": []}}}', "M_BAD_JSON"),
        (b'{"lists": {"a": {"timeline_limit": "1", "required_state": []}}}', "M_BAD_JSON"),
        (b'{"lists": {"a": {"timeline_limit": 1, "required_state": [["x"]]}}}', "M_BAD_JSON"),
        (b'{"lists": {"a": {"timeline_limit": 1001, "required_state": []}}}', "M_INVALID_PARAM"),
        (
            b'{"lists": {"a": {"timeline_limit": 1, "required_state": [], "ranges": [[5, 1]]}}}',
            "M_INVALID_PARAM",
        ),
        (
            b'{"room_subscriptions": {"nope": {"timeline_limit": 1, "required_state": []}}}',
            "M_INVALID_PARAM",
        ),
        (b'{"conn_id": 5}', "M_BAD_JSON"),
        (b'{"extensions": {"to_device": {"enabled": true, "since": "x"}}}', "M_INVALID_PARAM"),
        (b'{"extensions": {"typing": {"enabled": "yes"}}}', "M_BAD_JSON"),
    ],
)
async def test_a_bad_body_is_a_400_matrix_error_and_changes_nothing(
    client: httpx.AsyncClient, alice: Account, body: bytes, errcode: str
) -> None:
    connection = Connection(alice, None)
    await connection.sync({})
    response = await client.post(
        SLIDING_SYNC, params={"pos": connection.pos}, content=body, headers=alice.headers
    )
    assert_error(response, 400, errcode)
    # The refused request forgot no position: the connection goes on from where it was.
    await connection.sync({})


async def test_sliding_sync_needs_an_access_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.post(SLIDING_SYNC, json={}), 401, "M_MISSING_TOKEN")

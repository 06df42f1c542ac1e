"""Sliding sync answers built from what is kept equal answers worked out afresh.

A room new to a connection is shown from a view kept on the room per (depth,
user, configuration), and its entry's bytes are laid out once per view; a room
the connection already has in full and that nothing touched is passed over;
unread counts and list entries are kept per room and user; requests are kept by
their body; ``invite_state`` lists are encoded once; the rooms part of a new
connection's answer is kept for the next new connection of the user with the same
request at the same store position. None of it may change an answer. Each test warms what is kept (a first window, and a connection
at a ``pos``), changes one thing an answer depends on, then asks twice from the
same place: once as things are, once with everything kept forgotten and the
shortcut for untouched rooms and the laid-out entries turned off. The two answers
must be equal (the clock is frozen, so ages match), and the change must show.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mockserver.api import sliding_sync as sliding_api
from mockserver.api.encoded import ENCODED
from mockserver.api.sliding_entries import LAID_OUT_ENTRIES, LaidOutEntries
from mockserver.core.sliding_sync import compute as sliding_compute
from mockserver.core.sliding_sync import rooms as sliding_rooms
from mockserver.homeserver import Homeserver
from tests.sliding import SLIDING_SYNC, room_list
from tests.support import V3, Account, register

Body = dict[str, Any]
BODY: Body = {"lists": {"all": room_list(timeline_limit=2)}}
#: The connection first windows are asked on (each request starts it afresh).
FIRST = "first-window"


@dataclass
class World:
    client: httpx.AsyncClient
    hs: Homeserver
    alice: Account
    bob: Account
    rooms: list[str]
    #: The last message of each room, by room.
    last: dict[str, str]
    invite: str


async def build(client: httpx.AsyncClient, hs: Homeserver) -> World:
    await client.post("/_mock/clock/freeze", json={})
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    rooms, last = [], {}
    for index in range(4):
        room = await bob.create_room(name=f"room {index}", preset="public_chat")
        await alice.join(room)
        await alice.send(room, f"from alice {index}")
        last[room] = await bob.send(room, f"from bob {index}")
        rooms.append(room)
    unnamed = await bob.create_room(preset="public_chat")
    await alice.join(unnamed)
    last[unnamed] = await bob.send(unnamed, "in an unnamed room")
    rooms.append(unnamed)
    invite = await bob.create_room(name="invitation", preset="private_chat")
    await bob.invite(invite, alice.user_id)
    return World(client, hs, alice, bob, rooms, last, invite)


async def post(
    account: Account, body: Body, pos: str | None = None, conn_id: str = "room-list"
) -> Body:
    """One request; a first window (no ``pos``) on its own connection unless told."""
    params = {"pos": pos} if pos is not None else {}
    full = {"conn_id": conn_id, **body}
    response = await account.client.post(
        SLIDING_SYNC, params=params, json=full, headers=account.headers
    )
    assert response.status_code == 200, response.text
    answer: Body = response.json()
    return answer


def without_pos(answer: Body) -> Body:
    return {key: value for key, value in answer.items() if key != "pos"}


def forget_kept(hs: Homeserver) -> None:
    """Empty every memo sliding sync answers may be made from."""
    for room in hs.store.rooms.values():
        room.entry_views.clear()
        room.windows.clear()
    ENCODED.clear()
    sliding_api.forget_encodings()
    hs.store.connections.forget_fresh_rooms()


async def kept_and_fresh(
    hs: Homeserver,
    account: Account,
    body: Body,
    pos: str | None,
    monkeypatch: pytest.MonkeyPatch,
    conn_id: str | None = None,
) -> tuple[Body, Body]:
    """The answer as things are, and the same request answered afresh."""
    if conn_id is None:
        conn_id = "room-list" if pos is not None else FIRST
    kept = await post(account, body, pos, conn_id)
    forget_kept(hs)
    with monkeypatch.context() as patched:
        patched.setattr(sliding_rooms, "_unchanged", lambda *args: False)
        patched.setattr(LaidOutEntries, "filled", lambda *args: None)
        fresh = await post(account, body, pos, conn_id)
    return without_pos(kept), without_pos(fresh)


async def receipt(account: Account, room_id: str, event_id: str) -> None:
    await account.call("POST", f"/rooms/{room_id}/receipt/m.read/{event_id}", json={})


async def redact(account: Account, room_id: str, event_id: str) -> None:
    await account.call("PUT", f"/rooms/{room_id}/redact/{event_id}/r{event_id[1:8]}", json={})


async def direct(account: Account, room_ids: list[str]) -> None:
    content = {"@bob:localhost": room_ids}
    await account.call("PUT", f"/user/{account.user_id}/account_data/m.direct", json=content)


async def send_message(world: World) -> None:
    world.last[world.rooms[1]] = await world.bob.send(world.rooms[1], "news")


async def rename(world: World) -> None:
    await world.bob.put_state(world.rooms[2], "m.room.name", {"name": "renamed"})


async def redact_last(world: World) -> None:
    await redact(world.bob, world.rooms[3], world.last[world.rooms[3]])


async def read_receipt(world: World) -> None:
    await receipt(world.alice, world.rooms[0], world.last[world.rooms[0]])


async def start_typing(world: World) -> None:
    await world.bob.typing(world.rooms[0])


async def mark_direct(world: World) -> None:
    await direct(world.alice, [world.rooms[4]])


async def another_joins(world: World) -> None:
    carol = await register(world.client, "carol")
    await carol.join(world.rooms[4])  # unnamed: its heroes and counts change


async def alice_leaves(world: World) -> None:
    await world.alice.leave(world.rooms[2])


async def invited_again(world: World) -> None:
    room = await world.bob.create_room(name="second invitation")
    await world.bob.invite(room, world.alice.user_id)


async def invite_accepted(world: World) -> None:
    await world.alice.join(world.invite)


async def profile_change(world: World) -> None:
    await world.bob.call(
        "PUT", f"/profile/{world.bob.user_id}/displayname", json={"displayname": "Robert"}
    )


async def thread_reply(world: World) -> None:
    """A message and a reply in its thread: the (limited) timeline's first event is
    served with its bundled aggregations."""
    room = world.rooms[0]
    root = await world.bob.send(room, "a thread root")
    reply = {
        "msgtype": "m.text",
        "body": "in the thread",
        "m.relates_to": {"rel_type": "m.thread", "event_id": root},
    }
    world.last[room] = await world.bob.send(room, reply)


CHANGES: dict[str, Callable[[World], Awaitable[None]]] = {
    "message": send_message,
    "state": rename,
    "redaction": redact_last,
    "receipt": read_receipt,
    "typing": start_typing,
    "account_data": mark_direct,
    "membership_other": another_joins,
    "membership_leave": alice_leaves,
    "membership_invite": invited_again,
    "membership_join": invite_accepted,
    "profile": profile_change,
    "relation": thread_reply,
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_answers_after_a_change_equal_fresh_ones(
    client: httpx.AsyncClient, hs: Homeserver, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build(client, hs)
    first = without_pos(await post(world.alice, BODY, conn_id=FIRST))
    connection = await post(world.alice, BODY)
    assert any(room.entry_views for room in hs.store.rooms.values())  # something is kept
    assert len(LAID_OUT_ENTRIES)  # and laid out
    await CHANGES[change](world)

    kept, fresh = await kept_and_fresh(hs, world.alice, BODY, None, monkeypatch)
    assert kept == fresh
    assert kept != first  # the change shows in a first window
    kept, fresh = await kept_and_fresh(hs, world.alice, BODY, connection["pos"], monkeypatch)
    assert kept == fresh


@pytest.mark.parametrize(
    "body",
    [
        {"lists": {"all": room_list(timeline_limit=5)}},
        {"lists": {"all": room_list(timeline_limit=0)}},
        {"lists": {"all": room_list(timeline_limit=2, required_state=[["*", "*"]])}},
        {"lists": {"all": room_list(timeline_limit=2, required_state=[["m.room.member", "$ME"]])}},
        {"lists": {"all": room_list([[0, 2]], timeline_limit=2)}},
    ],
    ids=["timeline_limit", "no_timeline", "all_state", "me_only", "narrower"],
)
async def test_answers_under_another_configuration_equal_fresh_ones(
    client: httpx.AsyncClient, hs: Homeserver, body: Body, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build(client, hs)
    first = without_pos(await post(world.alice, BODY, conn_id=FIRST))
    connection = await post(world.alice, BODY)

    kept, fresh = await kept_and_fresh(hs, world.alice, body, None, monkeypatch)
    assert kept == fresh and kept != first
    kept, fresh = await kept_and_fresh(hs, world.alice, body, connection["pos"], monkeypatch)
    assert kept == fresh


async def test_a_room_seen_by_one_user_is_shown_to_another_as_theirs(
    client: httpx.AsyncClient, hs: Homeserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build(client, hs)
    await post(world.alice, BODY, conn_id=FIRST)  # alice's views of the rooms are kept
    kept, fresh = await kept_and_fresh(hs, world.bob, BODY, None, monkeypatch)
    assert kept == fresh
    unnamed = kept["rooms"][world.rooms[4]]
    assert [hero["user_id"] for hero in unnamed["heroes"]] == [world.alice.user_id]


async def test_the_device_that_sent_an_event_alone_gets_its_transaction_id(
    client: httpx.AsyncClient, hs: Homeserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build(client, hs)
    await world.alice.send(world.rooms[0], "mine", txn_id="my-transaction")
    login = await client.post(
        f"{V3}/login",
        json={"type": "m.login.password", "user": "alice", "password": "secret"},
    )
    second = Account(client, world.alice.user_id, login.json()["access_token"], "")
    mine = await post(world.alice, BODY, conn_id=FIRST)  # the first device's answer is kept...
    kept, fresh = await kept_and_fresh(hs, second, BODY, None, monkeypatch)
    assert kept == fresh  # ...and the second device's is its own
    assert "transaction_id" in mine["rooms"][world.rooms[0]]["timeline"][-1]["unsigned"]
    assert "transaction_id" not in kept["rooms"][world.rooms[0]]["timeline"][-1]["unsigned"]


async def test_an_untouched_room_is_not_sent_again_and_a_touched_one_is(
    client: httpx.AsyncClient, hs: Homeserver
) -> None:
    world = await build(client, hs)
    connection = await post(world.alice, BODY)
    await world.bob.send(world.rooms[1], "only here")
    answer = await post(world.alice, BODY, connection["pos"])
    assert list(answer["rooms"]) == [world.rooms[1]]
    await receipt(world.alice, world.rooms[0], world.last[world.rooms[0]])  # unread moves
    again = await post(world.alice, BODY, answer["pos"])
    assert list(again["rooms"]) == [world.rooms[0]]
    assert again["rooms"][world.rooms[0]]["notification_count"] == 0


async def test_random_changes_keep_answers_equal_to_fresh_ones(
    client: httpx.AsyncClient, hs: Homeserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seeded walk of changes, each followed by both kinds of request."""
    world = await build(client, hs)
    chooser = random.Random(19)
    bodies = [BODY, {"lists": {"all": room_list([[0, 3]], timeline_limit=1)}}]
    positions: list[str | None] = [None, None]
    steps = [send_message, rename, read_receipt, start_typing, mark_direct, redact_last]
    for step in range(24):
        room = chooser.choice(world.rooms)
        kind = chooser.randrange(4)
        if kind == 0:
            world.last[room] = await chooser.choice([world.alice, world.bob]).send(room, f"{step}")
        elif kind == 1:
            await receipt(world.alice, room, world.last[room])
        else:
            await chooser.choice(steps)(world)
        for index, body in enumerate(bodies):
            pos, conn_id = positions[index], f"list-{index}"
            kept, fresh = await kept_and_fresh(hs, world.alice, body, pos, monkeypatch, conn_id)
            assert kept == fresh, (step, index)
            positions[index] = (await post(world.alice, body, pos, conn_id))["pos"]


async def test_a_body_sent_again_is_taken_as_before_and_a_refused_one_refused_again(
    client: httpx.AsyncClient, hs: Homeserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build(client, hs)
    bad = {"conn_id": FIRST, "lists": {"all": {"ranges": [[3, 1]], "timeline_limit": 1}}}
    for _ in range(2):
        response = await client.post(SLIDING_SYNC, json=bad, headers=world.alice.headers)
        assert response.status_code == 400, response.text
    narrow = {"lists": {"all": room_list([[0, 0]], timeline_limit=1)}}
    kept, fresh = await kept_and_fresh(hs, world.alice, narrow, None, monkeypatch)
    assert kept == fresh and len(kept["rooms"]) == 1
    kept, fresh = await kept_and_fresh(hs, world.alice, BODY, None, monkeypatch)
    assert kept == fresh and len(kept["rooms"]) == len(world.rooms) + 1


async def test_an_event_with_bundled_aggregations_is_served_with_them(
    client: httpx.AsyncClient, hs: Homeserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build(client, hs)
    await post(world.alice, BODY, conn_id=FIRST)
    await thread_reply(world)
    kept, fresh = await kept_and_fresh(hs, world.alice, BODY, None, monkeypatch)
    assert kept == fresh
    root = kept["rooms"][world.rooms[0]]["timeline"][0]
    assert root["unsigned"]["m.relations"]["m.thread"]["count"] == 1


async def test_a_busy_room_keeps_one_view_per_user_and_configuration(
    client: httpx.AsyncClient, hs: Homeserver
) -> None:
    world = await build(client, hs)
    room = hs.store.rooms[world.rooms[0]]
    for index in range(20):
        await world.bob.send(world.rooms[0], f"busy {index}")
        answer = await post(world.alice, BODY, conn_id=FIRST)
        assert answer["rooms"][world.rooms[0]]["timeline"][-1]["content"]["body"] == f"busy {index}"
    # alice's view, unread counts and list entry: the latest depth's only.
    assert len(room.entry_views) == 3


async def test_a_new_connection_at_the_same_position_gets_the_kept_rooms_and_its_own_extensions(
    client: httpx.AsyncClient, hs: Homeserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build(client, hs)
    login = await client.post(
        f"{V3}/login",
        json={"type": "m.login.password", "user": "alice", "password": "secret"},
    )
    second = Account(client, world.alice.user_id, login.json()["access_token"], "")
    devices = (await world.alice.call("GET", "/devices"))["devices"]
    second_device = next(d["device_id"] for d in devices if d["device_id"] != world.alice.device_id)
    message = {world.alice.user_id: {second_device: {"for": "the second device"}}}
    await world.bob.call("PUT", "/sendToDevice/m.test/t1", json={"messages": message})
    body = {**BODY, "extensions": {"to_device": {"enabled": True}}}
    made = []
    real = sliding_compute._rooms_part
    monkeypatch.setattr(
        sliding_compute, "_rooms_part", lambda *args: made.append(args) or real(*args)
    )

    first = await post(world.alice, body, conn_id=FIRST)
    again = await post(second, body, conn_id=FIRST)
    assert len(made) == 1  # the second new connection was given the kept rooms part
    assert again["lists"] == first["lists"] and again["rooms"].keys() == first["rooms"].keys()
    assert first["extensions"]["to_device"]["events"] == []
    assert [e["content"] for e in again["extensions"]["to_device"]["events"]] == [
        {"for": "the second device"}
    ]
    # The same as worked out afresh for the second device (its own transaction ids, none).
    kept, fresh = await kept_and_fresh(hs, second, body, None, monkeypatch)
    assert kept == fresh == without_pos(again)
    assert len(made) == 2  # only the fresh one was worked out
    # Any change makes a new store position: the next new connection is worked out again.
    await world.bob.send(world.rooms[0], "news")
    third = await post(world.alice, BODY, conn_id=FIRST)
    assert len(made) == 3
    assert third["rooms"][world.rooms[0]]["timeline"][-1]["content"]["body"] == "news"

"""The store's per-user room order (sliding sync's recency order) against a full sort.

Random worlds are built with the store's public methods (rooms created, joins,
invites, leaves, kicks, bans, messages, state that does not bump, reactions),
and at random moments each user's listing, read through the kept order, must
equal the rooms sorted from scratch the way the spec orders them.
"""

from __future__ import annotations

import random

import pytest

from mockserver.core.errors import MatrixError
from mockserver.core.sliding_sync.room_list import listed_rooms
from mockserver.core.store import CreateRoom, Store
from mockserver.core.store.room_order import IN_LISTS, bump_stamp
from mockserver.core.tokens import StreamToken

USERS = [f"@u{n}:localhost" for n in range(5)]


def sorted_from_scratch(store: Store, user_id: str, since: int | None) -> list[tuple[str, int]]:
    found = []
    for room_id in store.rooms_of(user_id):
        room = store.rooms[room_id]
        member = room.current("m.room.member", user_id)
        if member is None or member.membership not in IN_LISTS:
            continue
        assert member.membership is not None
        if member.membership == "leave" and member.sender == user_id:
            if since is None or member.stream <= since:
                continue
        found.append((room_id, bump_stamp(room, member, member.membership)))
    return sorted(found, key=lambda entry: (-entry[1], entry[0]))


def act(store: Store, rng: random.Random) -> None:
    user = rng.choice(USERS)
    rooms = list(store.rooms)
    if not rooms or rng.random() < 0.1:
        store.create_room(user, CreateRoom(preset=rng.choice(["public_chat", "private_chat"])))
        return
    room_id = rng.choice(rooms)
    other = rng.choice(USERS)
    kind = rng.choice(["join", "invite", "leave", "kick", "ban", "send", "send", "topic", "react"])
    if kind == "join":
        store.join(user, room_id)
    elif kind == "invite":
        store.set_membership(user, room_id, other, "invite")
    elif kind == "leave":
        store.set_membership(user, room_id, user, "leave")
    elif kind in ("kick", "ban"):
        store.set_membership(user, room_id, other, "leave" if kind == "kick" else "ban")
    elif kind == "send":
        store.send_event(user, room_id, "m.room.message", {"msgtype": "m.text", "body": "hi"})
    elif kind == "topic":
        store.send_event(user, room_id, "m.room.topic", {"topic": "t"}, state_key="")
    else:
        target = store.rooms[room_id].events[-1].event_id
        relates = {"rel_type": "m.annotation", "event_id": target, "key": str(rng.random())}
        store.send_event(user, room_id, "m.reaction", {"m.relates_to": relates})


@pytest.mark.parametrize("seed", range(8))
def test_the_kept_order_is_the_order_sorted_from_scratch(seed: int) -> None:
    rng = random.Random(seed)
    store = Store()
    for user in USERS:
        store.create_user(user, None)
    positions: list[int] = [0]
    checked = 0
    for _ in range(400):
        try:
            act(store, rng)
        except MatrixError:
            pass  # refused by the room's rules: nothing changed
        positions.append(store.position.room)
        if rng.random() < 0.3:
            user = rng.choice(USERS)
            since = rng.choice([None, *positions[-5:]])
            token = StreamToken(room=since) if since is not None else None
            listed = [(entry.room_id, entry.bump_stamp) for entry in listed_rooms(store, user, token)]
            assert listed == sorted_from_scratch(store, user, since)
            checked += 1
    assert checked > 50


def test_a_reset_forgets_the_kept_orders() -> None:
    store = Store()
    store.create_user(USERS[0], None)
    room_id = store.create_room(USERS[0], CreateRoom())
    assert [e.room_id for e in listed_rooms(store, USERS[0], None)] == [room_id]
    store.reset()
    store.create_user(USERS[0], None)
    assert listed_rooms(store, USERS[0], None) == []

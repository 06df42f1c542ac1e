"""The store's per-user room order (sliding sync's recency order) against a full sort.

Random worlds are built with the store's public methods (rooms created, spaces
among them, joins, invites, leaves, kicks, bans, messages, state that does not
bump, encryption, tombstones, names, reactions, m.direct), and at random moments
each user's listing, read through the kept order, must equal the rooms sorted
from scratch the way the spec orders them; and each list, with or without
filters, must be the list made from that full sort.
"""

from __future__ import annotations

import random

import pytest

from mockserver.core.errors import MatrixError
from mockserver.core.sliding_sync.request import (
    NO_FILTERS,
    ListConfig,
    ListFilters,
    RequiredState,
    RoomConfig,
)
from mockserver.core.sliding_sync.room_list import (
    ListedRoom,
    Listings,
    RoomFacts,
    listed_rooms,
    room_list,
)
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
        preset = rng.choice(["public_chat", "private_chat"])
        kind = {"type": "m.space"} if rng.random() < 0.2 else {}
        store.create_room(user, CreateRoom(preset=preset, creation_content=kind))
        return
    room_id = rng.choice(rooms)
    other = rng.choice(USERS)
    kind = rng.choice(
        ["join", "invite", "leave", "kick", "ban", "send", "send", "topic", "react", "state", "dm"]
    )
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
    elif kind == "state":
        event_type, content = rng.choice(
            [
                ("m.room.encryption", {"algorithm": "m.megolm.v1.aes-sha2"}),
                ("m.room.tombstone", {"body": "gone", "replacement_room": "!x:localhost"}),
                ("m.room.name", {"name": rng.choice(["alpha", "beta", "Gamma"])}),
            ]
        )
        store.send_event(user, room_id, event_type, content, state_key="")
    elif kind == "dm":
        store.set_account_data(user, None, "m.direct", {other: rng.sample(rooms, min(2, len(rooms)))})
    else:
        target = store.rooms[room_id].events[-1].event_id
        relates = {"rel_type": "m.annotation", "event_id": target, "key": str(rng.random())}
        store.send_event(user, room_id, "m.reaction", {"m.relates_to": relates})


FILTERS = [
    NO_FILTERS,
    ListFilters(is_invite=False, is_tombstoned=False, not_room_types=("m.space",)),
    ListFilters(is_invite=True),
    ListFilters(is_encrypted=True),
    ListFilters(room_types=(None,), room_name_like="a"),
    ListFilters(is_dm=True),  # reads account data: every room tested, as before
]


def check_lists(store: Store, user: str, since: int | None) -> None:
    token = StreamToken(room=since) if since is not None else None
    full = []
    for room_id, stamp in sorted_from_scratch(store, user, since):
        member = store.rooms[room_id].current("m.room.member", user)
        assert member is not None and member.membership is not None
        full.append(ListedRoom(store.rooms[room_id], member, member.membership, stamp))
    listings = Listings(store, user, token)
    for filters in FILTERS:
        for ranges in (((0, 2),), ((1, 4), (0, 0)), None):
            config = ListConfig(ranges, RoomConfig(1, RequiredState()), filters)
            expected = room_list(config, full, RoomFacts(store, user))
            found = room_list(config, listings.of(filters), RoomFacts(store, user))
            assert found == expected, (filters, ranges)


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
            check_lists(store, user, since)
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

"""``required_state`` without wildcards is looked up entry by entry, not by a scan of
the room's whole state: both ways must find the same entries."""

from __future__ import annotations

import itertools

import pytest

from mockserver.core.sliding_sync.request import RequiredState
from mockserver.core.sliding_sync.rooms import _state_entries
from mockserver.core.store import CreateRoom, Store

ME = "@me:localhost"
OTHERS = [f"@u{n}:localhost" for n in range(4)]
PAIRS = [
    ("m.room.member", "$LAZY"),
    ("m.room.member", "$ME"),
    ("m.room.name", ""),
    ("m.room.topic", ""),
    ("m.room.member", OTHERS[1]),
    ("x.custom", "$ME"),
    ("x.custom", "$LAZY"),
    ("m.room.create", ""),
]


def _room() -> tuple[Store, str]:
    store = Store()
    for user in (ME, *OTHERS):
        store.create_user(user, None)
    room_id = store.create_room(ME, CreateRoom(preset="public_chat", name="n"))
    for user in OTHERS:
        store.join(user, room_id)
    store.send_event(ME, room_id, "m.room.topic", {"topic": "t"}, state_key="")
    # State keys that look like the placeholders, and one that is the user's id.
    for key in ("$ME", "$LAZY", ME):
        store.send_event(ME, room_id, "x.custom", {"k": key}, state_key=key)
    store.set_membership(OTHERS[3], room_id, OTHERS[3], "leave")
    return store, room_id


@pytest.mark.parametrize("size", [1, 2, 3])
def test_lookup_finds_what_a_scan_finds(size: int) -> None:
    store, room_id = _room()
    room = store.rooms[room_id]
    for pairs in itertools.combinations(PAIRS, size):
        wanted = RequiredState(frozenset(pairs))
        assert wanted.entries(ME) is not None
        for depth in (room.depth, room.depth - 3, 5):
            for lazy in (set(), {OTHERS[0], OTHERS[3]}):
                lazy = lazy if wanted.lazy_members else set()
                scanned = {
                    key: event
                    for key, event in room.state_at(depth).items()
                    if wanted.matches(key, ME) or (key[0] == "m.room.member" and key[1] in lazy)
                }
                assert _state_entries(room, None, depth, wanted, ME, lazy) == scanned, pairs


def test_a_wildcard_means_a_scan() -> None:
    assert RequiredState(frozenset({("m.room.member", "*")})).entries(ME) is None
    assert RequiredState(frozenset({("*", "$ME")})).entries(ME) is None

"""The device lists section: whose devices the client should (re)query, and whom it
no longer shares a room with (E2EE tracking).

:func:`device_list_changes` is callable for any user and any two positions:
``/sync`` passes the rooms it has already worked out; ``GET /keys/changes``
and sliding sync's e2ee extension may leave them out.
"""

from __future__ import annotations

from mockserver.core.room import Room
from mockserver.core.store import Store
from mockserver.core.sync.model import DeviceLists
from mockserver.core.sync.presence import StateChange, shares_room
from mockserver.core.tokens import StreamToken


def _is_joined(room: Room, user_id: str, depth: int) -> bool:
    member = room.membership_at(user_id, depth)
    return member is not None and member.membership == "join"


def state_changes(
    store: Store, user_id: str, since: StreamToken, now: StreamToken
) -> list[StateChange]:
    """The user's rooms whose state moved in (since, now]: the only rooms where a
    membership can have changed (v3's room loop finds them in its own)."""
    changes = []
    for room_id in store.rooms_of(user_id):
        room = store.rooms[room_id]
        if room.last_stream <= since.room:
            continue
        since_depth = room.depth_at_stream(since.room)
        upto_depth = room.depth_at_stream(now.room)
        if room.state_changed(since_depth, upto_depth):
            changes.append((room, since_depth, upto_depth))
    return changes


def membership_changes(
    user_id: str, changes: list[StateChange]
) -> tuple[set[str], set[str]]:
    """Who came to share a room with the user in the range, and who stopped sharing one."""
    changed: set[str] = set()
    gone: set[str] = set()
    for room, since_depth, upto_depth in changes:
        users = [
            key[1]
            for key in room.state_keys_changed(since_depth, upto_depth)
            if key[0] == "m.room.member"
        ]
        if not users:
            continue
        was_in = _is_joined(room, user_id, since_depth)
        is_in = _is_joined(room, user_id, upto_depth)
        if is_in and not was_in:
            changed.update(m.state_key for m in room.members("join", upto_depth) if m.state_key)
        elif was_in and not is_in:
            gone.update(m.state_key for m in room.members("join", since_depth) if m.state_key)
        elif is_in:
            for other in users:
                before = _is_joined(room, other, since_depth)
                after = _is_joined(room, other, upto_depth)
                if after and not before:
                    changed.add(other)
                elif before and not after:
                    gone.add(other)
    changed.discard(user_id)
    gone.discard(user_id)
    return changed, gone


def device_list_changes(
    store: Store,
    user_id: str,
    since: StreamToken,
    upto: StreamToken,
    changes: list[StateChange] | None = None,
    rooms: list[Room] | None = None,
) -> DeviceLists:
    """Whose devices ``user_id`` should re-query, and with whom it shares no room any more.

    ``changed``: users whose devices or cross-signing keys changed in
    (since, upto] (the ``device_list`` stream, :mod:`mockserver.core.store.device_lists`)
    and who share a room with the user, the user itself included for its
    own other devices; and users who came to share a room with the user
    (their keys are new to it). ``left``: users who shared a room at
    ``since`` and share none now. ``changes`` are the user's rooms whose
    state moved in the range and ``rooms`` those it is joined to now, worked
    out here unless given.
    """
    if changes is None:
        changes = state_changes(store, user_id, since, upto)
    if rooms is None:
        rooms = [store.rooms[r] for r in store.joined_rooms(user_id)]
    changed, gone = membership_changes(user_id, changes) if changes else (set(), set())
    changed |= store.device_lists.changed(user_id, since.device_list, upto.device_list)
    return DeviceLists(
        changed=sorted(u for u in changed if shares_room(user_id, u, rooms)),
        left=sorted(u for u in gone if not shares_room(user_id, u, rooms)),
    )

"""The device lists section: whose devices the client should (re)query, and whom it
no longer shares a room with (E2EE tracking)."""

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
    """The user's rooms whose state moved in (since, now], for :func:`device_lists` when
    no room loop has found them already (v3 finds them in its own)."""
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


def device_lists(user_id: str, rooms: list[Room], changes: list[StateChange]) -> DeviceLists:
    """Who joined or left the rooms shared with the user in a sync's range.

    ``changes`` are the user's rooms whose state moved in the range, ``rooms``
    those the user is joined to now. A user is ``changed`` when they now
    share a room they did not share at ``since`` (so the client queries their
    keys), and ``left`` when they shared a room then and share none now. Key
    uploads are not tracked: clients query keys of every member they learn of
    anyway.
    """
    if not changes:
        return DeviceLists(changed=[], left=[])
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
    return DeviceLists(
        changed=sorted(u for u in changed if shares_room(user_id, u, rooms)),
        left=sorted(u for u in gone if not shares_room(user_id, u, rooms)),
    )

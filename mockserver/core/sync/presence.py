"""The presence section: presence of the user and of whoever shares a room with them.

Takes the user's joined rooms and ``state_changes`` (the rooms whose state
moved since ``since``, see :class:`~mockserver.core.sync.compute.StateChange`)
from the caller, which finds both once per answer.
"""

from __future__ import annotations

from mockserver.core.filters import EventFilter
from mockserver.core.model import Presence
from mockserver.core.room import Room
from mockserver.core.store import Store
from mockserver.core.sync.rooms import newly_joined

#: A room whose state changed in a sync's range: (room, since depth, upto depth).
StateChange = tuple[Room, int, int]


def shares_room(user_id: str, other: str, rooms: list[Room]) -> bool:
    """Whether ``other`` is ``user_id`` or is joined to one of ``rooms`` (the user's)."""
    return other == user_id or any(
        (event := room.current("m.room.member", other)) is not None
        and event.membership == "join"
        for room in rooms
    )


def _sharing_users(store: Store, user_id: str, rooms: list[Room]) -> set[str] | None:
    """Of the users with a presence, those who share one of ``rooms`` with ``user_id``
    (and the user): found from the few who have a presence when that costs less than
    the walk of every room's joined members (None: walk them)."""
    holders = store.presence
    cost = len(holders) * len(rooms)
    members = 0
    for room in rooms:  # counted only as far as the comparison needs
        members += room.member_count("join")
        if members >= cost:
            break
    if cost > members:
        return None
    return {other for other in holders if shares_room(user_id, other, rooms)}


def _newly_sharing(user_id: str, rooms: list[Room], changes: list[StateChange]) -> set[str]:
    """Users who came to share a room with the user since ``since``: everyone in a room
    the user newly joined, and whoever newly joined one of the user's rooms. Their
    current presence is sent even if it did not change (as Synapse does)."""
    found: set[str] = set()
    if not changes:
        return found
    joined = {room.room_id for room in rooms}
    for room, since_depth, upto_depth in changes:
        if room.room_id not in joined:
            continue
        if newly_joined(room, user_id, since_depth):
            found.update(m.state_key for m in room.members("join", upto_depth) if m.state_key)
            continue
        for event_type, member in room.state_keys_changed(since_depth, upto_depth):
            if event_type != "m.room.member":
                continue
            now = room.membership_at(member, upto_depth)
            before = room.membership_at(member, since_depth)
            if (now is not None and now.membership == "join") and (
                before is None or before.membership != "join"
            ):
                found.add(member)
    found.discard(user_id)
    return found


def presence(
    store: Store,
    user_id: str,
    presence_filter: EventFilter,
    since: int | None,
    now: int,
    rooms: list[Room],
    changes: list[StateChange],
) -> list[Presence]:
    """Everyone's current presence (``since`` None: an initial sync), or what changed in
    (since, now] plus whoever newly shares a room; only users sharing a room with
    ``user_id`` (and the user), filtered and cut to the filter's ``limit``."""
    if since is None:
        # Each user's presence once, in stream order: whichever of the two ways costs less
        # (the joined members are remembered by each room until its next membership change).
        sharing = _sharing_users(store, user_id, rooms)
        if sharing is None:
            sharing = {user_id}
            for room in rooms:
                sharing.update(member for member, _ in room.joined_names())
        holders = store.presence
        found = [p for u in sharing if (p := holders.get(u)) is not None]
        found.sort(key=lambda p: p.stream)
    else:
        latest: dict[str, Presence] = {}
        for entry in store.presence_changes(since, now):
            latest.pop(entry.user_id, None)
            latest[entry.user_id] = entry
        for other in _newly_sharing(user_id, rooms, changes):
            current = store.presence.get(other)
            if other not in latest and current is not None:
                latest[other] = current
        found = [p for u, p in latest.items() if shares_room(user_id, u, rooms)]
        found.sort(key=lambda p: p.stream)
    found = [p for p in found if presence_filter.allows("m.presence", p.user_id)]
    if presence_filter.limit is not None:
        found = found[-presence_filter.limit :]
    return found

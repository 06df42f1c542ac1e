"""Each user's rooms in sliding sync's recency order, kept so that a room list's first
window is read without sorting the whole account.

Owns one :class:`RoomOrder` per user who asked for one: the rooms a sliding sync
list may hold (every membership but none), each with its ``bump_stamp``, sorted most
recent first. An order is brought up to date when it is read, from what the rooms
area notes as events arrive (:attr:`Rooms.changed_rooms`: every room by the stream
position of its latest event, latest last), looking only at the rooms that changed
since the order was last read. Keeping every member's order up to date as each event
arrives would cost a message in a room of 10,000 members 10,000 updates; read this
way, a message costs one dictionary move, and an order the work of the rooms that
changed since its user last asked. The first read of a user's order sorts their rooms
once.

An order may keep only the rooms a test passes (a sliding sync list's filters that read
nothing but the room and the user's membership in it: then whatever changes the test's
answer is an event of that room, and the order stays right the same way); each such
order is kept under its own key beside the user's plain one.

``bump_stamp`` (as Synapse reckons it): the stream position of the room's latest
event of :data:`~mockserver.core.room.BUMP_EVENT_TYPES` while the user is joined,
else of the user's own membership event. Ties are broken by room id.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field

from mockserver.core.model import Event
from mockserver.core.room import Room
from mockserver.core.store.rooms import Rooms

MEMBER = "m.room.member"
#: Memberships that put a room in a user's room lists.
IN_LISTS = frozenset({"join", "invite", "knock", "ban", "leave"})
#: Whether an order keeps a room, given the room, the user's membership event and its
#: membership; it must read nothing but those (see the module's docstring).
RoomTest = Callable[[Room, Event, str], bool]
#: Filtered orders kept per user at most (the oldest asked for is dropped beyond).
KEPT_FILTERED = 8


def bump_stamp(room: Room, member: Event, membership: str) -> int:
    """The room's place in recency order for a user whose membership is ``member``."""
    if membership == "join":
        found = room.bump_stream()
        if found is not None:
            return found
    return member.stream


@dataclass(slots=True)
class RoomOrder:
    """One user's listed rooms, most recent first, as of room stream position ``at``."""

    at: int = 0
    #: (-bump_stamp, room_id) of each listed room, ascending: the most recent first.
    order: list[tuple[int, str]] = field(default_factory=list)
    #: Each listed room's key in :attr:`order`.
    keys: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Rooms the user left themself (or whose invite they rejected) -> that event's
    #: stream position: listed only by the answer that reports the leave.
    self_left: dict[str, int] = field(default_factory=dict)

    def count(self, since: int | None) -> int:
        """How many rooms a list without filters holds for a connection at ``since``."""
        hidden = sum(1 for stream in self.self_left.values() if since is None or stream <= since)
        return len(self.order) - hidden

    def listed(self, since: int | None) -> Iterator[tuple[int, str]]:
        """(-bump_stamp, room_id) of the listed rooms, most recent first, for a
        connection at ``since``."""
        self_left = self.self_left
        for key in self.order:
            left = self_left.get(key[1])
            if left is not None and (since is None or left <= since):
                continue
            yield key


class RoomOrders:
    """Every user's :class:`RoomOrder` (and filtered ones), brought up to date as read."""

    def __init__(self, rooms: Rooms) -> None:
        self._rooms = rooms
        self._orders: dict[tuple[str, Hashable], RoomOrder] = {}

    def order_of(
        self, user_id: str, now: int, keeps: RoomTest | None = None, key: Hashable = None
    ) -> RoomOrder:
        """The user's order at room stream position ``now`` (the store's): every listed
        room, or (``keeps``, named by ``key``) those ``keeps`` passes."""
        found = self._orders.get((user_id, key))
        if found is None:
            if key is not None:
                mine = [k for k in self._orders if k[0] == user_id and k[1] is not None]
                for old in mine[: max(0, len(mine) - KEPT_FILTERED + 1)]:
                    del self._orders[old]
            found = self._orders[(user_id, key)] = self._build(user_id, now, keeps)
        elif found.at != now:
            self._refresh(found, user_id, now, keeps)
        return found

    def _build(self, user_id: str, now: int, keeps: RoomTest | None) -> RoomOrder:
        order = RoomOrder(at=now)
        for room_id in self._rooms.user_rooms.get(user_id, {}):
            key = self._key(order, user_id, room_id, keeps)
            if key is not None:
                order.keys[room_id] = key
        order.order = sorted(order.keys.values())
        return order

    def _refresh(self, order: RoomOrder, user_id: str, now: int, keeps: RoomTest | None) -> None:
        mine = self._rooms.user_rooms.get(user_id, {})
        at = order.at
        for room_id, stream in reversed(self._rooms.changed_rooms.items()):
            if stream <= at:
                break
            if room_id not in mine:
                continue
            old = order.keys.pop(room_id, None)
            if old is not None:
                del order.order[bisect_left(order.order, old)]
            order.self_left.pop(room_id, None)
            key = self._key(order, user_id, room_id, keeps)
            if key is not None:
                order.keys[room_id] = key
                insort(order.order, key)
        order.at = now

    def _key(
        self, order: RoomOrder, user_id: str, room_id: str, keeps: RoomTest | None
    ) -> tuple[int, str] | None:
        """The room's key in the user's order (None: not listed); notes a self-made leave."""
        room = self._rooms.rooms[room_id]
        member = room.current(MEMBER, user_id)
        if member is None:
            return None
        membership = member.membership
        if membership not in IN_LISTS:
            return None
        assert membership is not None
        if keeps is not None and not keeps(room, member, membership):
            return None
        if membership == "leave" and member.sender == user_id:
            order.self_left[room_id] = member.stream
        return (-bump_stamp(room, member, membership), room_id)

"""Room lists: which of a user's rooms a list holds, in which order, and its windows.

A user's rooms are those joined, invited to, knocked on, banned or kicked
from, and those they left themselves only in the answer that reports the
leave (as Synapse does: the last thing to show of such a room is the
leave). They are ordered by recency: ``bump_stamp``, the stream ordering
of the room's latest bump event (a message, an encrypted event, the
creation...) while joined, else of the user's membership event; ties by
room id. A list keeps the rooms its ``filters`` allow; its ``ranges`` pick
the window of rooms whose data is sent. The store keeps that order per user
(:mod:`mockserver.core.store.room_order`), and one per filters that read only
the room and the user's membership in it (matrix-rust-sdk's ``is_invite``,
``is_tombstoned``, ``not_room_types``...), so such a list reads only the rooms
of its window; a list with ``is_dm``, ``spaces`` or ``tags`` tests every room.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockserver.core.model import Event, frozen_for_checkers
from mockserver.core.room import Room
from mockserver.core.sliding_sync.request import MEMBER, NO_FILTERS, ListConfig, ListFilters
from mockserver.core.store import Store
from mockserver.core.store.room_order import bump_stamp
from mockserver.core.tokens import StreamToken

SPACE_CHILD = "m.space.child"


@frozen_for_checkers  # (plain at run time: one per room of every answer)
class ListedRoom:
    room: Room
    #: The user's current membership event in the room, and its ``membership``.
    member: Event
    membership: str
    bump_stamp: int

    @property
    def room_id(self) -> str:
        return self.room.room_id

    @classmethod
    def of(cls, room: Room, member: Event, membership: str) -> ListedRoom:
        return cls(room, member, membership, bump_stamp(room, member, membership))


class Listing:
    """The rooms a list may hold, most recent first, read only as far as a window needs.

    A user's (:meth:`of_user`) come from the store's
    :class:`~mockserver.core.store.room_order.RoomOrder`: the first 20 of 1,000
    rooms cost 20, not a sort of 1,000. ``filtered``: the filters its rooms all pass.
    """

    def __init__(
        self, rooms: Iterable[ListedRoom], count: int, filtered: ListFilters = NO_FILTERS
    ) -> None:
        self._rooms = iter(rooms)
        self._entries: list[ListedRoom] = []
        self.count = count
        self.filtered = filtered

    @classmethod
    def of_user(
        cls,
        store: Store,
        user_id: str,
        since: StreamToken | None,
        filters: ListFilters = NO_FILTERS,
    ) -> Listing:
        """The user's rooms; those ``filters`` allow when they read only the room
        (:func:`reads_only_the_room`: the store keeps an order of them), else all."""
        at = since.room if since is not None else None
        if filters != NO_FILTERS and reads_only_the_room(filters):

            def keeps(room: Room, member: Event, membership: str) -> bool:
                return allows_here(filters, room, membership)

            order = store.room_order(user_id, keeps, filters)
        else:
            order, filters = store.room_order(user_id), NO_FILTERS
        return cls(_listed(store, user_id, order.listed(at)), order.count(at), filters)

    def first(self, n: int) -> list[ListedRoom]:
        """The ``n`` most recent rooms (fewer if there are fewer)."""
        entries = self._entries
        if len(entries) < n:
            entries.extend(itertools.islice(self._rooms, n - len(entries)))
        return entries[:n]

    def every(self) -> list[ListedRoom]:
        return self.first(self.count)


class Listings:
    """The listings of one answer, one per distinct ``filters`` (lists share them)."""

    def __init__(self, store: Store, user_id: str, since: StreamToken | None) -> None:
        self._store, self._user_id, self._since = store, user_id, since
        self._found: dict[ListFilters, Listing] = {}

    def of(self, filters: ListFilters) -> Listing:
        found = self._found.get(filters)
        if found is None:
            found = Listing.of_user(self._store, self._user_id, self._since, filters)
            # A listing of every room serves any filters that need every room tested.
            found = self._found[filters] = self._found.setdefault(found.filtered, found)
        return found


def _listed(store: Store, user_id: str, keys: Iterable[tuple[int, str]]) -> Iterator[ListedRoom]:
    """The rooms of an order's keys; each room keeps its entry for the user until its
    next event (the membership event and the bump stamp are the room's)."""
    rooms = store.rooms
    for stamp, room_id in keys:
        room = rooms[room_id]
        key = ("listed", user_id)
        kept: tuple[int, ListedRoom] | None = room.entry_views.get(key)
        if kept is None or kept[0] != room.depth or kept[1].bump_stamp != -stamp:
            member = room.current(MEMBER, user_id)
            assert member is not None
            membership = member.membership
            assert membership is not None
            kept = (room.depth, ListedRoom(room, member, membership, -stamp))
            room.keep_entry_view(key, kept)
        yield kept[1]


def listed_rooms(store: Store, user_id: str, since: StreamToken | None) -> list[ListedRoom]:
    """The user's rooms a list may hold, most recent first."""
    return Listing.of_user(store, user_id, since).every()


# -- filters -------------------------------------------------------------------------------


class RoomFacts:
    """What list filters ask of a user's rooms, worked out once per answer."""

    def __init__(self, store: Store, user_id: str) -> None:
        self.store = store
        self.user_id = user_id
        self._dm: set[str] | None = None
        self._children: dict[tuple[str, ...], set[str]] = {}

    def direct_rooms(self) -> set[str]:
        """Rooms in the user's ``m.direct`` account data."""
        if self._dm is None:
            self._dm = set()
            entry = self.store.account_data.get((self.user_id, None, "m.direct"))
            content: Mapping[str, Any] = entry.content if entry is not None else {}
            for room_ids in content.values():
                if isinstance(room_ids, list):
                    self._dm.update(r for r in room_ids if isinstance(r, str))
        return self._dm

    def is_dm(self, entry: ListedRoom) -> bool:
        if entry.room_id in self.direct_rooms():
            return True
        return entry.membership == "invite" and entry.member.content.get("is_direct") is True

    def space_children(self, spaces: tuple[str, ...]) -> set[str]:
        """Rooms named by ``m.space.child`` in the spaces the user is joined to (no subspaces)."""
        children = self._children.get(spaces)
        if children is None:
            children = set()
            for space_id in spaces:
                if self.store.membership(self.user_id, space_id) != "join":
                    continue
                space = self.store.rooms[space_id]
                for (event_type, state_key), depth in space.current_state.items():
                    if event_type == SPACE_CHILD and space.event_at(depth).content:
                        children.add(state_key)
            self._children[spaces] = children
        return children

    def tags(self, room_id: str) -> Iterable[str]:
        entry = self.store.account_data.get((self.user_id, room_id, "m.tag"))
        tags = entry.content.get("tags") if entry is not None else None
        return tags.keys() if isinstance(tags, dict) else ()


def room_type(room: Room) -> str | None:
    create = room.current("m.room.create")
    kind = create.content.get("type") if create is not None else None
    return kind if isinstance(kind, str) else None


def room_name(room: Room) -> str | None:
    event = room.current("m.room.name")
    name = event.content.get("name") if event is not None else None
    return name if isinstance(name, str) and name else None


def allows(filters: ListFilters, entry: ListedRoom, facts: RoomFacts) -> bool:
    """Whether a list with ``filters`` holds the room (every given filter must agree)."""
    if not allows_here(filters, entry.room, entry.membership):
        return False
    if filters.is_dm is not None and facts.is_dm(entry) != filters.is_dm:
        return False
    if filters.spaces is not None and entry.room_id not in facts.space_children(filters.spaces):
        return False
    if filters.tags is not None or filters.not_tags:
        tags = set(facts.tags(entry.room_id))
        if tags.intersection(filters.not_tags):
            return False
        if filters.tags is not None and not tags.intersection(filters.tags):
            return False
    return True


def reads_only_the_room(filters: ListFilters) -> bool:
    """Whether ``filters`` ask nothing but :func:`allows_here` does: then only an event
    of a room changes its answer (``is_dm`` reads account data, ``spaces`` other rooms,
    ``tags`` room account data)."""
    return (
        filters.is_dm is None
        and filters.spaces is None
        and filters.tags is None
        and not filters.not_tags
    )


def allows_here(filters: ListFilters, room: Room, membership: str) -> bool:
    """The filters that read only the room and the user's membership in it."""
    if filters.is_invite is not None and (membership == "invite") != filters.is_invite:
        return False
    if filters.is_encrypted is not None and (
        (room.current("m.room.encryption") is not None) != filters.is_encrypted
    ):
        return False
    if filters.is_tombstoned is not None and (
        (room.current("m.room.tombstone") is not None) != filters.is_tombstoned
    ):
        return False
    if filters.room_types is not None or filters.not_room_types:
        kind = room_type(room)
        if kind in filters.not_room_types:
            return False
        if filters.room_types is not None and kind not in filters.room_types:
            return False
    if filters.room_name_like is not None:
        name = room_name(room) or ""
        if filters.room_name_like.casefold() not in name.casefold():
            return False
    return True


# -- windows -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomList:
    """One list of the answer: how many rooms it holds and those in its ranges."""

    count: int
    #: (range, room ids in it) per requested range.
    ranges: tuple[tuple[tuple[int, int], tuple[str, ...]], ...]
    #: Rooms in any range, in list order, each once.
    window: tuple[ListedRoom, ...]

    def window_ids(self) -> tuple[str, ...]:
        return tuple(entry.room_id for entry in self.window)


def room_list(
    config: ListConfig, rooms: Listing | Sequence[ListedRoom], facts: RoomFacts
) -> RoomList:
    """The list ``config`` asks for, out of the user's rooms in recency order.

    When the listing's rooms already pass the list's filters (none, or those the store
    keeps an order for), only the rooms up to the last range's end are read; else every
    room is tested (a list's ``count`` is the number that pass).
    """
    listing = rooms if isinstance(rooms, Listing) else Listing(rooms, len(rooms))
    if config.filters == listing.filtered:
        count = listing.count
        if config.ranges is None:
            kept = listing.every()
        else:
            kept = listing.first(min(max(end for _, end in config.ranges) + 1, count))
    else:
        kept = [entry for entry in listing.every() if allows(config.filters, entry, facts)]
        count = len(kept)
    wanted = ((0, max(count - 1, 0)),) if config.ranges is None else config.ranges
    ranges = tuple(
        ((start, end), tuple(entry.room_id for entry in kept[start : end + 1]))
        for start, end in wanted
    )
    if len(wanted) == 1:
        start, end = wanted[0]
        return RoomList(count, ranges, tuple(kept[start : end + 1]))
    # The rooms of every range, each once, in list order (ranges may overlap).
    indexes = sorted({i for start, end in wanted for i in range(start, min(end + 1, count))})
    return RoomList(count, ranges, tuple(kept[i] for i in indexes))

"""The sliding sync computation: one answer for one connection, from the store.

:func:`compute_sliding_sync` takes the parsed request and the state the
connection was left in at the ``pos`` it names, and returns a
:class:`SlidingSyncResult`: each list's count and windows, the entries of
the rooms the connection lacks something of, the extensions, and the
:class:`~mockserver.core.sliding_sync.connections.ConnectionState` the
client will be in once it has the answer. It never awaits, never reads
the clock and never builds JSON; it changes nothing but expired typing
notifications (as v3 ``/sync`` does), so a long-poll may call it again
and again.

Room subscriptions stay with the connection until ``unsubscribe_rooms``
names them: js-sdk 43 sends a subscription only in the request that
starts it (matrix-rust-sdk sends all of them every time, which comes to
the same).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mockserver.core.sliding_sync.connections import (
    ConnectionState,
    ListSent,
    RoomSent,
)
from mockserver.core.sliding_sync.extensions import ExtensionsResult, Scope, compute_extensions
from mockserver.core.sliding_sync.request import RoomConfig, SlidingSyncRequest
from mockserver.core.sliding_sync.room_list import (
    ListedRoom,
    Listings,
    RoomFacts,
    RoomList,
    room_list,
)
from mockserver.core.sliding_sync.rooms import RoomContext, RoomResult, room_result
from mockserver.core.store import Store
from mockserver.core.store.room_order import IN_LISTS
from mockserver.core.tokens import StreamToken

MEMBER = "m.room.member"


@dataclass(slots=True)
class SlidingSyncResult:
    position: StreamToken
    lists: dict[str, RoomList]
    rooms: dict[str, RoomResult]
    extensions: ExtensionsResult
    #: What the connection has once the client has this answer (recorded under its ``pos``).
    state: ConnectionState
    #: Whether a list's count or window differs from what the connection was last told.
    lists_moved: bool

    def __bool__(self) -> bool:
        """True when there is something to tell (an empty result keeps a long-poll waiting)."""
        return bool(self.rooms or self.extensions or self.lists_moved)


def _subscribed(
    store: Store, user_id: str, room_id: str
) -> ListedRoom | None:
    """A subscribed room the user may see (any membership); others are ignored, as Synapse does."""
    room = store.rooms.get(room_id)
    if room is None:
        return None
    member = room.current(MEMBER, user_id)
    membership = member.membership if member is not None else None
    if member is None or membership not in IN_LISTS:
        return None
    assert membership is not None
    return ListedRoom.of(room, member, membership)


def subscriptions_of(
    request: SlidingSyncRequest, previous: ConnectionState | None
) -> dict[str, RoomConfig]:
    """The connection's subscriptions after this request: the earlier ones it did not
    unsubscribe, with this request's own replacing theirs."""
    kept = dict(previous.subscriptions) if previous is not None else {}
    for room_id in request.unsubscribe_rooms:
        kept.pop(room_id, None)
    kept.update(request.subscriptions())
    return kept


@dataclass(frozen=True, slots=True)
class _RoomsPart:
    """An answer but its extensions: the lists and rooms, what the connection then has of
    them, and the scope the extensions speak of. A function of the store at one position,
    the user, the request and what the connection had (not of the device: only the
    extensions read that), so a new connection's is kept for the next new connection of
    the same user with the same request at the same position (see
    :meth:`~mockserver.core.sliding_sync.connections.Connections.fresh_rooms`); nothing
    in it is changed once made."""

    lists: dict[str, RoomList]
    rooms: dict[str, RoomResult]
    recorded: dict[str, RoomSent]
    lists_recorded: dict[str, ListSent]
    subscriptions: dict[str, RoomConfig]
    scope: Scope
    lists_moved: bool


def compute_sliding_sync(
    store: Store,
    user_id: str,
    device_id: str,
    request: SlidingSyncRequest,
    previous: ConnectionState | None,
) -> SlidingSyncResult:
    """What the connection lacks, given the state it reached at its ``pos`` (None: new)."""
    store.expire_typing()
    now = store.position
    since = previous.position if previous is not None else None
    part: object | None = None
    if previous is None:
        part = store.connections.fresh_rooms(user_id, request, now)
    if not isinstance(part, _RoomsPart):
        part = _rooms_part(store, user_id, request, previous, now)
        if previous is None:
            store.connections.keep_fresh_rooms(user_id, request, now, part)
    extensions = compute_extensions(
        store, user_id, device_id, request.extensions, since, part.scope
    )
    state = ConnectionState(
        position=now,
        rooms=part.recorded,
        lists=part.lists_recorded,
        subscriptions=part.subscriptions,
    )
    return SlidingSyncResult(now, part.lists, part.rooms, extensions, state, part.lists_moved)


def _rooms_part(
    store: Store,
    user_id: str,
    request: SlidingSyncRequest,
    previous: ConnectionState | None,
    now: StreamToken,
) -> _RoomsPart:
    since = previous.position if previous is not None else None
    sent_rooms = previous.rooms if previous is not None else {}
    facts = RoomFacts(store, user_id)

    listings = Listings(store, user_id, since)
    lists = {
        name: room_list(config, listings.of(config.filters), facts)
        for name, config in request.lists.items()
    }
    wanted: dict[str, tuple[ListedRoom, RoomConfig]] = {}
    for name, list_config in request.lists.items():
        config = list_config.room
        for entry in lists[name].window:
            room_id = entry.room.room_id
            found = wanted.get(room_id)
            wanted[room_id] = (entry, config if found is None else found[1].merge(config))
    subscriptions = subscriptions_of(request, previous)
    subscribed: list[str] = []
    for room_id, config in subscriptions.items():
        found = wanted.get(room_id)
        listed_entry = found[0] if found is not None else _subscribed(store, user_id, room_id)
        if listed_entry is None:
            continue
        subscribed.append(room_id)
        wanted[room_id] = (listed_entry, config if found is None else found[1].merge(config))

    context = RoomContext(store, user_id, now, since)
    rooms: dict[str, RoomResult] = {}
    recorded: dict[str, RoomSent] = dict(sent_rooms)
    for room_id in request.unsubscribe_rooms:
        if room_id not in wanted:
            recorded.pop(room_id, None)
    fresh: set[str] = set()
    for room_id, (listed_entry, room_config) in wanted.items():
        result, sent = room_result(
            context, listed_entry, room_config, sent_rooms.get(room_id), facts.is_dm(listed_entry)
        )
        recorded[room_id] = sent
        if result is not None:
            rooms[room_id] = result
            if result.initial:
                fresh.add(room_id)
    if since is not None:
        # A room the connection had in full that changed out of sight is no longer
        # complete: when it comes back, it gets what it missed after ``since``.
        for room_id, sent in sent_rooms.items():
            if room_id in wanted or not sent.live:
                continue
            room = store.rooms.get(room_id)
            if room is None or room.last_stream > since.room:
                recorded[room_id] = replace(sent, live=False, upto=since.room)

    sent_lists = previous.lists if previous is not None else {}
    windows = {name: found.window_ids() for name, found in lists.items()}
    lists_recorded = {name: ListSent(lists[name].count, ids) for name, ids in windows.items()}
    lists_moved = any(sent_lists.get(name) != value for name, value in lists_recorded.items())
    scope = Scope(
        windows=windows,
        subscriptions=subscribed,
        fresh=frozenset(fresh),
    )
    return _RoomsPart(lists, rooms, recorded, lists_recorded, subscriptions, scope, lists_moved)

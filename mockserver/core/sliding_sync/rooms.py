"""One room of a sliding sync answer: what the connection lacks of it, and nothing else.

A room new to the connection (or newly joined) comes whole, ``initial``:
its name, avatar, heroes, counts, ``required_state`` and the last
``timeline_limit`` events. A room the connection has comes with what
changed since it was last complete: new timeline events, state entries
that changed and are asked for, new ``$LAZY`` members, the fields whose
value moved. A larger ``timeline_limit`` than last time sends the longer
history again (``unstable_expanded_timeline``, as Synapse does), and
``required_state`` pairs added since last time send the entries they now
match. Invites come as ``invite_state``.

The timeline window, heroes, member counts and unread counts are the v3
computation's own functions (:mod:`mockserver.core.sync.rooms`), called
for one room.

Two shortcuts, neither of which changes an answer: what a room new to a
connection shows (all but the unread counts, ``is_dm``, the bump stamp,
``num_live`` and ``prev_batch``) is kept on the room per (depth, user,
configuration), since it is a function of those alone (:func:`_initial`); and a
room the connection has in full, in which nothing happened since, with the
same configuration, membership, bump stamp and unread counts, is passed over
without looking at its timeline or state (:func:`_unchanged`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from mockserver.core.filters import EventFilter
from mockserver.core.model import Event, StateKey
from mockserver.core.room import Room
from mockserver.core.sliding_sync.connections import RoomSent
from mockserver.core.sliding_sync.request import MEMBER, RequiredState, RoomConfig
from mockserver.core.sliding_sync.room_list import ListedRoom, room_name
from mockserver.core.store import Store
from mockserver.core.sync.model import Timeline
from mockserver.core.sync.rooms import (
    append,
    heroes,
    member_counts,
    room_token,
    select_timeline,
)
from mockserver.core.tokens import StreamToken

SEES_CURRENT_STATE = frozenset({"join"})
NO_HISTORY = frozenset({"invite", "knock"})


@dataclass(frozen=True, slots=True)
class Hero:
    user_id: str
    displayname: str | None
    avatar_url: str | None


@dataclass(slots=True)
class RoomResult:
    """One entry of ``rooms``; ``None`` fields are left out of the answer."""

    room_id: str
    membership: str
    initial: bool = False
    name: str | None = None
    avatar: str | None = None
    heroes: list[Hero] | None = None
    is_dm: bool = False
    required_state: list[Event] | None = None
    #: None for invites and a ``timeline_limit`` of 0 (no timeline fields at all).
    timeline: Timeline | None = None
    expanded_timeline: bool = False
    num_live: int | None = None
    bump_stamp: int | None = None
    joined_count: int | None = None
    invited_count: int | None = None
    unread: tuple[int, int] | None = None
    invite_state: list[Event] | None = None
    #: For a room new to the connection, the kept view it was made from (see
    #: :func:`_initial`): the same object while the room, the user and the configuration
    #: are, and so are the fields it gives (all but the unread counts, ``is_dm``, the
    #: bump stamp, ``num_live`` and the timeline's ``prev_batch``).
    shown: object | None = None


@dataclass(frozen=True, slots=True)
class RoomContext:
    """What every room of one answer shares."""

    store: Store
    user_id: str
    now: StreamToken
    #: The position the connection had reached (None: a new connection).
    since: StreamToken | None


def _content_str(event: Event | None, key: str) -> str | None:
    value = event.content.get(key) if event is not None else None
    return value if isinstance(value, str) and value else None


def _hero(room: Room, user_id: str, depth: int) -> Hero:
    member = room.state_event_at((MEMBER, user_id), depth)
    return Hero(user_id, _content_str(member, "displayname"), _content_str(member, "avatar_url"))


def _newly_joined(room: Room, user_id: str, after_stream: int) -> bool:
    """Whether the join that began the user's current stay came after ``after_stream``."""
    joined_at = room.joined_at(user_id)
    return joined_at > 0 and room.stream_of_depth(joined_at) > after_stream


def _lazy_users(timeline: Timeline | None) -> set[str]:
    """The members ``$LAZY`` asks for: senders of the timeline's events and their targets."""
    if timeline is None:
        return set()
    users = {event.sender for event in timeline.events}
    users.update(e.state_key for e in timeline.events if e.type == MEMBER and e.state_key)
    return users


def _state_entries(
    room: Room,
    keys: set[StateKey] | None,
    depth: int,
    wanted: RequiredState,
    user_id: str,
    lazy: set[str],
) -> dict[StateKey, Event]:
    """Entries of the state at ``depth`` (all of it, or ``keys``) that ``wanted`` or
    ``lazy`` ask for."""
    found: dict[StateKey, Event] = {}
    if keys is None:
        if not wanted.pairs:
            return found
        entries = wanted.entries(user_id)
        if entries is not None:
            # No wildcard: look the few entries up rather than scan the whole state
            # (10,000 members in a big room); each is asked for, by a pair or $LAZY.
            for key in (*entries, *((MEMBER, user) for user in lazy)):
                current = room.state_event_at(key, depth)
                if current is not None:
                    found[key] = current
            return found
        else:
            for key, event in room.state_at(depth).items():
                if wanted.matches(key, user_id) or (key[0] == MEMBER and key[1] in lazy):
                    found[key] = event
            return found
    for key in keys:
        if wanted.matches(key, user_id) or (key[0] == MEMBER and key[1] in lazy):
            current = room.state_event_at(key, depth)
            if current is not None:
                found[key] = current
    return found


def room_result(
    context: RoomContext,
    entry: ListedRoom,
    config: RoomConfig,
    sent: RoomSent | None,
    is_dm: bool,
) -> tuple[RoomResult | None, RoomSent]:
    """The room's entry (None when the connection lacks nothing of it) and what it then has."""
    store, user_id = context.store, context.user_id
    room, membership = entry.room, entry.membership
    initial, after_stream = _starting_point(context, entry, sent)
    unread = _unread(store, user_id, room) if membership == "join" else None
    if initial:
        return _initial(context, entry, config, unread, is_dm)
    assert sent is not None
    if membership in NO_HISTORY or _unchanged(entry, config, sent, after_stream, unread):
        recorded = RoomSent(
            True, context.now.room, config, membership, entry.bump_stamp, unread, sent.lazy_members
        )
        return None, recorded

    seen = _seen(context, entry, config, sent, False, after_stream)
    lazy_members = sent.lazy_members
    recorded = RoomSent(
        live=True,
        upto=context.now.room,
        config=_recorded_config(sent, config, seen.timeline),
        membership=membership,
        bump_stamp=entry.bump_stamp,
        unread=unread,
        lazy_members=lazy_members | seen.lazy_sent if seen.lazy_sent else lazy_members,
    )
    result = RoomResult(room.room_id, membership)
    result.required_state = seen.state
    _describe(result, room, user_id, seen, False)
    if seen.timeline is not None:
        result.timeline = seen.timeline
        result.expanded_timeline = seen.expanded
        result.num_live = _num_live(seen.timeline, context.since)
    bump_moved = sent.bump_stamp != entry.bump_stamp
    if bump_moved:
        result.bump_stamp = entry.bump_stamp
    unread_moved = sent.unread != unread
    result.unread = unread
    if not (
        seen.expanded
        or (seen.timeline is not None and seen.timeline.events)
        or seen.tail is not None
        or result.required_state
        or result.name is not None
        or result.avatar is not None
        or result.heroes is not None
        or result.joined_count is not None
        or bump_moved
        or unread_moved
        or sent.membership != membership
    ):
        return None, recorded
    return result, recorded


def _unread(store: Store, user_id: str, room: Room) -> tuple[int, int]:
    """The user's unread counts in a joined room, kept on the room until an event or a
    receipt arrives there (they read nothing else: events are appended, receipts too)."""
    key = ("unread", user_id)
    version = (room.depth, len(room.receipts))
    kept: tuple[tuple[int, int], tuple[int, int]] | None = room.entry_views.get(key)
    if kept is None or kept[0] != version:
        kept = (version, store.unread(user_id, room).total())
        room.keep_entry_view(key, kept)
    return kept[1]


def _unchanged(
    entry: ListedRoom, config: RoomConfig, sent: RoomSent, after_stream: int, unread: object
) -> bool:
    """Whether the connection has all of a room already: nothing happened in it after
    ``after_stream`` and nothing the connection was told of it (its configuration,
    membership, bump stamp, unread counts) differs."""
    return (
        entry.room.last_stream <= after_stream
        and sent.membership == entry.membership
        and sent.bump_stamp == entry.bump_stamp
        and sent.unread == unread
        and sent.config == config
    )


def _num_live(timeline: Timeline, since: StreamToken | None) -> int:
    """How many of the timeline's events are newer than the connection's position."""
    events = timeline.events
    if since is None or not events or events[-1].stream <= since.room:
        return 0  # (a room's events come in stream order)
    after = since.room
    return sum(1 for event in events if event.stream > after)


@dataclass(frozen=True, slots=True)
class _View:
    """What a room new to a connection shows a user under one configuration, at one
    depth of the room (see :func:`_initial`): all but what each answer adds."""

    #: The room's depth it shows the room at.
    depth: int
    seen: _Seen | None
    #: The store position the timeline's ``prev_batch`` was made at.
    made_at: StreamToken
    name: str | None
    avatar: str | None
    heroes: list[Hero] | None
    joined_count: int | None
    invited_count: int | None
    invite_state: list[Event] | None


def _initial(
    context: RoomContext,
    entry: ListedRoom,
    config: RoomConfig,
    unread: tuple[int, int] | None,
    is_dm: bool,
) -> tuple[RoomResult, RoomSent]:
    """A room new to the connection (or joined, or invited again, since), whole.

    What it shows depends on the room (its events up to now: its depth, since a room
    only ever grows, and a redaction empties the memo), the user and the configuration,
    so it is worked out once per (depth, user, configuration) and kept on the room (one
    view per user and configuration: the latest depth's); each answer adds what is its
    own: the unread counts, ``is_dm``, the bump stamp, ``num_live`` and the timeline's
    ``prev_batch`` (which names the store position).
    """
    room, membership, now = entry.room, entry.membership, context.now
    key = (context.user_id, config)
    view: _View | None = room.entry_views.get(key)
    if view is None or view.depth != room.depth:
        view = _view(context, entry, config)
        room.keep_entry_view(key, view)
    seen = view.seen
    state: list[Event] | None = None
    timeline: Timeline | None = None
    num_live: int | None = None
    lazy_sent: frozenset[str] = frozenset()
    if seen is not None:
        state, timeline, lazy_sent = seen.state, seen.timeline, seen.lazy_sent
        if timeline is not None:
            if view.made_at is not now:
                prev_batch = room_token(room, timeline.prev_batch.depth, now)
                timeline = Timeline(timeline.events, timeline.limited, prev_batch)
            num_live = _num_live(timeline, context.since)
    # Positional (one of these per room of a window; keywords cost twice as much), in
    # RoomResult's order: room_id, membership, initial, name, avatar, heroes, is_dm,
    # required_state, timeline, expanded_timeline, num_live, bump_stamp, joined_count,
    # invited_count, unread, invite_state, shown.
    result = RoomResult(
        room.room_id, membership, True, view.name, view.avatar, view.heroes, is_dm,
        state, timeline, False, num_live, entry.bump_stamp, view.joined_count,
        view.invited_count, unread, view.invite_state, view,
    )
    recorded = RoomSent(
        True, now.room, config, membership, entry.bump_stamp, unread, lazy_sent
    )
    return result, recorded


def _view(context: RoomContext, entry: ListedRoom, config: RoomConfig) -> _View:
    room = entry.room
    if entry.membership in NO_HISTORY:
        invite_state = [*context.store.stripped_state(room), entry.member]
        return _View(
            room.depth, None, context.now, room_name(room), None, None, None, None, invite_state
        )
    seen = _seen(context, entry, config, None, True, 0)
    described = RoomResult(room.room_id, entry.membership)
    _describe(described, room, context.user_id, seen, True)
    return _View(
        room.depth,
        seen,
        context.now,
        described.name,
        described.avatar,
        described.heroes,
        described.joined_count,
        described.invited_count,
        None,
    )


def _starting_point(
    context: RoomContext, entry: ListedRoom, sent: RoomSent | None
) -> tuple[bool, int]:
    """Whether the room comes whole (``initial``), else the room stream position the
    connection has it up to."""
    since = context.since
    if sent is None or since is None:
        return True, 0
    after_stream = since.room if sent.live else sent.upto
    membership = entry.membership
    if membership == "join" and _newly_joined(entry.room, context.user_id, after_stream):
        return True, 0
    if membership in NO_HISTORY and sent.membership != membership:
        return True, 0  # invited (again) since
    return False, after_stream


@dataclass(slots=True)
class _Seen:
    """What the user may see of a room they are or were in, and what of it to send."""

    timeline: Timeline | None
    #: The user's own membership change after their last stay, appended to the timeline.
    tail: Event | None
    expanded: bool
    #: The state entries to send, in depth order.
    state: list[Event]
    #: Entries whose key changed since the connection's position (empty when initial).
    changed: set[StateKey]
    #: The last depth the user may see (now, or the departure from their last stay).
    upto_depth: int
    lazy_sent: frozenset[str]


def _seen(
    context: RoomContext,
    entry: ListedRoom,
    config: RoomConfig,
    sent: RoomSent | None,
    initial: bool,
    after_stream: int,
) -> _Seen:
    """The timeline and state of a joined room, or of a room left, kicked or banned from.

    Nothing after the departure from the user's last stay is shown (nothing of
    the room at all, for a rejected invite), but the membership change itself
    ends the timeline, as v3 ``/sync`` shows it.
    """
    room, member, user_id = entry.room, entry.member, context.user_id
    tail: Event | None = None
    if entry.membership == "join":
        upto_depth = room.depth
    else:
        upto_depth = room.last_departure(user_id, member.depth)
        if member.depth > upto_depth and (initial or member.stream > after_stream):
            tail = member
    after_depth = min(room.depth_at_stream(after_stream) if after_stream else 0, upto_depth)
    expanded = (
        sent is not None and not initial and sent.config.timeline_limit < config.timeline_limit
    )
    timeline = None
    if config.timeline_limit > 0:
        timeline_filter = _timeline_filter(config.timeline_limit)
        start = 0 if initial or expanded else after_depth
        timeline = select_timeline(
            room, start, upto_depth, timeline_filter, context.now, viewer=user_id
        )
        if tail is not None:
            timeline = append(room, timeline, tail, timeline_filter, context.now)
    wanted = config.required_state
    lazy = _lazy_users(timeline) if wanted.lazy_members else set()
    changed: set[StateKey] = set()
    if initial or sent is None:
        state = _state_entries(room, None, upto_depth, wanted, user_id, lazy)
    else:
        changed = room.state_keys_changed(after_depth, upto_depth)
        state = _state_entries(room, changed, upto_depth, wanted, user_id, lazy | sent.lazy_members)
        _add_newly_asked(state, room, upto_depth, wanted, sent, user_id, lazy)
    if tail is not None and wanted.matches(tail.state_entry, user_id):
        state[tail.state_entry] = tail
    lazy_sent = frozenset(k[1] for k in state if k[0] == MEMBER and k[1] in lazy)
    return _Seen(
        timeline,
        tail,
        expanded,
        sorted(state.values(), key=_depth),
        changed,
        upto_depth,
        lazy_sent,
    )


@lru_cache(maxsize=64)
def _timeline_filter(limit: int) -> EventFilter:
    """The filter of a ``timeline_limit`` (a value: one per limit serves every room)."""
    return EventFilter(limit=limit)


def _add_newly_asked(
    state: dict[StateKey, Event],
    room: Room,
    upto_depth: int,
    wanted: RequiredState,
    sent: RoomSent,
    user_id: str,
    lazy: set[str],
) -> None:
    """Entries the connection lacks though unchanged: those matched by pairs added to
    ``required_state`` since last time, and lazy members not sent before."""
    previously = sent.config.required_state
    if wanted != previously:
        for key, event in _state_entries(room, None, upto_depth, wanted, user_id, set()).items():
            if not previously.matches(key, user_id):
                state.setdefault(key, event)
    for user in lazy - sent.lazy_members:
        key = (MEMBER, user)
        member_event = room.state_event_at(key, upto_depth)
        if member_event is not None and not previously.matches(key, user_id):
            state.setdefault(key, member_event)


def _describe(result: RoomResult, room: Room, user_id: str, seen: _Seen, initial: bool) -> None:
    """Name, avatar, heroes and member counts: whole when ``initial``, else those that moved."""
    changed, depth = seen.changed, seen.upto_depth
    members_changed = initial or any(key[0] == MEMBER for key in changed)
    name = _content_str(room.state_event_at(("m.room.name", ""), depth), "name")
    if initial or ("m.room.name", "") in changed:
        result.name = name
    if initial or ("m.room.avatar", "") in changed:
        result.avatar = _content_str(room.state_event_at(("m.room.avatar", ""), depth), "url")
    if name is None and (members_changed or ("m.room.name", "") in changed):
        result.heroes = [_hero(room, hero, depth) for hero in heroes(room, user_id, depth)]
    if result.membership == "join" and members_changed:
        result.joined_count, result.invited_count = member_counts(room, depth)


def _recorded_config(sent: RoomSent, config: RoomConfig, timeline: Timeline | None) -> RoomConfig:
    """The configuration to remember of a room the connection had.

    A ``timeline_limit`` smaller than the history the client already has
    is not remembered (asking for the larger one again has nothing to
    send), unless this answer's timeline left a gap (``limited``): then
    the client has only the smaller window, as Synapse reckons it.
    """
    if sent.config.timeline_limit <= config.timeline_limit:
        return config
    if timeline is not None and timeline.limited:
        return config
    return replace(config, timeline_limit=sent.config.timeline_limit)


def _depth(event: Event) -> int:
    return event.depth

"""One room's part of an answer: timeline, state, summary and unread counts.

Functions of one room and explicit inputs (depths, a filter, the user), so
any dialect can call them for one room: the v3 loop
(:mod:`mockserver.core.sync.compute`) calls them for each of the user's rooms.
Timelines and state are found by bisection (see :mod:`mockserver.core.room`);
nothing here scans a whole history.
"""

from __future__ import annotations

from collections.abc import Iterable

from mockserver.core.filters import EventFilter
from mockserver.core.model import Event, StateKey
from mockserver.core.room import Room
from mockserver.core.sync.model import StateAt, Summary, Timeline
from mockserver.core.tokens import RoomToken, StreamToken
from mockserver.core.visibility import may_see

HEROES = 5
#: The state that names a room, and the content field that holds the name.
NAMING = (("m.room.name", "name"), ("m.room.canonical_alias", "alias"))
#: How many timeline windows a room remembers (see select_timeline).
WINDOW_MEMO = 16


# -- timeline and state -------------------------------------------------------------------


def room_token(room: Room, depth: int, now: StreamToken) -> RoomToken:
    return RoomToken(depth, now.advance(room=room.stream_of_depth(depth)))


def select_timeline(
    room: Room,
    after_depth: int,
    upto_depth: int,
    timeline_filter: EventFilter,
    now: StreamToken,
    viewer: str | None = None,
) -> Timeline:
    """The last ``limit`` matching events in (after_depth, upto_depth], oldest first.

    ``limited`` says whether matching events before the window were left
    out; ``prev_batch`` is the boundary just before the window's first event
    (or ``upto_depth`` for an empty window), for ``/messages?dir=b``. In a room that
    ever had ``joined`` or ``invited`` history visibility, the window holds only events
    ``viewer`` may see (:mod:`mockserver.core.visibility`), walked back until it is full,
    and is cut for that viewer alone.
    """
    if viewer is not None and room.restricted_history:
        return _visible_window(room, after_depth, upto_depth, timeline_filter, now, viewer)
    limit = timeline_filter.limit_or()
    # The syncs one change wakes ask the same window of the same room at the same
    # position (``now`` is then the very same object): a limit-only window is cut once
    # and remembered with the filter it was cut for; another filter object must be
    # limit-only too to share it. A redaction clears the memo (Room.replace); any other
    # change moves the position.
    key = (after_depth, upto_depth, limit)
    cut = room.windows.get(key)
    if (
        cut is not None
        and cut[0] is now
        and (
            cut[1] is timeline_filter
            or (timeline_filter.is_limit_only() and timeline_filter.allows_room(room.room_id))
        )
    ):
        shared: Timeline = cut[2]
        return shared
    window: list[Event]
    limited = False
    if not timeline_filter.allows_room(room.room_id):
        window = []
    elif timeline_filter.is_limit_only():
        start = max(after_depth, upto_depth - limit)
        window = room.between(start, upto_depth)
        limited = start > after_depth
        boundary = window[0].depth - 1 if window else upto_depth
        timeline = Timeline(window, limited, room_token(room, boundary, now))
        if len(room.windows) >= WINDOW_MEMO:
            room.windows.clear()
        room.windows[key] = (now, timeline_filter, timeline)
        return timeline
    else:
        picked: list[Event] = []
        depth = upto_depth
        while depth > after_depth and len(picked) < limit:
            event = room.event_at(depth)
            if timeline_filter.allows(event.type, event.sender, event.content):
                picked.append(event)
            depth -= 1
        while depth > after_depth and not limited:
            event = room.event_at(depth)
            limited = timeline_filter.allows(event.type, event.sender, event.content)
            depth -= 1
        window = picked[::-1]
    boundary = window[0].depth - 1 if window else upto_depth
    return Timeline(window, limited, room_token(room, boundary, now))


def _visible_window(
    room: Room,
    after_depth: int,
    upto_depth: int,
    timeline_filter: EventFilter,
    now: StreamToken,
    viewer: str,
) -> Timeline:
    picked: list[Event] = []
    limited = False
    if timeline_filter.allows_room(room.room_id):
        limit = timeline_filter.limit_or()
        depth = upto_depth
        while depth > after_depth:
            event = room.event_at(depth)
            depth -= 1
            if timeline_filter.allows(event.type, event.sender, event.content) and may_see(
                room, viewer, event
            ):
                if len(picked) == limit:
                    limited = True
                    break
                picked.append(event)
    window = picked[::-1]
    boundary = window[0].depth - 1 if window else upto_depth
    return Timeline(window, limited, room_token(room, boundary, now))


def _ordered(state: dict[StateKey, Event]) -> list[Event]:
    return sorted(state.values(), key=lambda event: event.depth)


def _filter_state(
    state: list[Event],
    room_id: str,
    state_filter: EventFilter,
    lazy_members: set[str] | None,
) -> list[Event]:
    """What of ``state`` (a list of the caller's own, which may be returned) the filter keeps."""
    if not state_filter.allows_room(room_id):
        return []
    if lazy_members is None and state_filter.selects_every_event():
        return state
    kept = []
    for event in state:
        if not state_filter.allows(event.type, event.sender, event.content):
            continue
        if (
            lazy_members is not None
            and event.type == "m.room.member"
            and event.state_key not in lazy_members
        ):
            continue
        kept.append(event)
    return kept


def room_state(
    room: Room,
    *,
    full: bool,
    after_depth: int,
    at_depth: int,
) -> list[Event]:
    """Full state at ``at_depth``, or the entries that changed since ``after_depth``."""
    if full:
        if _current_at(room, at_depth):
            # The room's remembered list itself (no reader changes it): an answer served
            # again is then recognised by its events (see mockserver/api/encoded.py).
            return room.ordered_state()
        return _ordered(room.state_at(at_depth))
    if at_depth <= after_depth:
        return []
    return _ordered(room.state_delta(after_depth, at_depth))


def _current_at(room: Room, depth: int) -> bool:
    """Whether the state at ``depth`` is the current state (no state event after it)."""
    return depth >= room.depth or not room.state_changed(depth, room.depth)


def _current_with_members(room: Room, members: Iterable[str]) -> list[Event]:
    """The current state but for memberships, with those of ``members``, oldest first: the
    full state a lazy-loading filter keeps, without a walk of every member of the room."""
    found = [e for user_id in members if (e := room.current("m.room.member", user_id))]
    others = room.ordered_state(members=False)
    if not found:
        return list(others)
    return sorted([*others, *found], key=lambda event: event.depth)


def _with_late_state(
    room: Room, state: list[Event], window_end: int, upto_depth: int
) -> list[Event]:
    """``state`` plus what changed after the window, up to ``upto_depth``.

    A timeline filter (``types``, ``senders``...) can end the window before
    the sync's end: state set by the events it left out is in neither the
    timeline nor the state at its start, and the next sync starts after it,
    so the client would never learn it. Like Synapse, send the current value
    of those entries with the state.
    """
    late = room.state_delta(window_end, upto_depth)
    if not late:
        return state
    merged = {event.state_entry: event for event in state}
    merged.update(late)
    return _ordered(merged)


def heroes(room: Room, user_id: str, depth: int | None = None) -> list[str]:
    """Up to five members to name the room by, as of ``depth`` (default: now)."""
    if depth is None or depth >= room.depth:
        found = [
            room.event_at(d) for (event_type, _), d in room.current_state.items()
            if event_type == "m.room.member"
        ]
    else:
        found = [e for key, e in room.state_at(depth).items() if key[0] == "m.room.member"]
    members = sorted(found, key=lambda event: event.depth)
    others = [m for m in members if m.state_key != user_id]
    present = [m.state_key for m in others if m.membership in ("join", "invite")]
    chosen = present or [m.state_key for m in others if m.membership in ("leave", "ban")]
    return [user_id for user_id in chosen if user_id is not None][:HEROES]


def named(room: Room, depth: int) -> bool:
    """Whether the room has a name or a canonical alias as of ``depth``: then it needs
    no heroes (Synapse sends no ``m.heroes`` then; SyTest 16room-summary.pl). Of the
    current state, remembered until it changes (asked twice of every room per sync)."""
    if depth < room.depth:
        return _named(room, depth)
    memo = room.state_memo
    found = memo.get("named")
    if found is None:
        found = memo["named"] = _named(room, depth)
    return bool(found)


def _named(room: Room, depth: int) -> bool:
    for event_type, field in NAMING:
        event = room.state_event_at((event_type, ""), depth)
        if event is not None and event.content.get(field):
            return True
    return False


def member_counts(room: Room, depth: int) -> tuple[int, int]:
    """(joined, invited) member counts as of ``depth``."""
    joined = room.member_count("join", depth)
    invited = room.member_count("invite", depth)
    return joined, invited


def newly_joined(room: Room, user_id: str, since_depth: int) -> bool:
    """Whether ``user_id`` joined the room after ``since_depth`` (not just stayed joined)."""
    if not room.membership_changed_after(user_id, since_depth):
        return False
    before = room.membership_at(user_id, since_depth)
    previous = before.membership if before is not None else None
    for event in room.member_events_of(user_id):
        if event.depth <= since_depth:
            continue
        if event.membership == "join" and previous != "join":
            return True
        previous = event.membership
    return False


def timeline_state(
    room: Room,
    timeline: Timeline,
    since_depth: int,
    upto_depth: int,
    *,
    full: bool,
    state_at: StateAt,
    state_filter: EventFilter,
    user_id: str,
    already_sent: frozenset[str] | None = None,
) -> list[Event]:
    """The state section that goes with ``timeline``: at its end (``state_after`` and
    the seed) or at its start (plus what changed after it), filtered; lazy-loaded
    members are those the timeline needs (and, when ``full``, the user and heroes)."""
    if state_at == "timeline_end":
        at_depth = upto_depth
    else:
        at_depth = timeline.events[0].depth - 1 if timeline.events else upto_depth
    lazy: set[str] | None = None
    if state_filter.lazy_load_members:
        lazy = {event.sender for event in timeline.events}
        if full:
            lazy.add(user_id)
            if not named(room, upto_depth):
                lazy.update(heroes(room, user_id))
        if timeline.limited and not full:
            lazy.update(
                key[1]
                for key in room.state_keys_changed(since_depth, at_depth)
                if key[0] == "m.room.member"
            )
    if lazy is not None and full and _current_at(room, at_depth):
        state = _current_with_members(room, lazy)
        if state_filter.selects_every_event() and (
            state_at == "timeline_end" or not _late(timeline, upto_depth)
        ):
            # Every member in it is one the timeline needs: nothing to filter out.
            return state if state_filter.allows_room(room.room_id) else []
    else:
        state = room_state(room, full=full, after_depth=since_depth, at_depth=at_depth)
    if state_at != "timeline_end" and _late(timeline, upto_depth):
        state = _with_late_state(room, state, timeline.events[-1].depth, upto_depth)
    if lazy is not None and already_sent is not None and not full:
        state = _with_senders(room, state, timeline, at_depth, user_id, already_sent)
    return _filter_state(state, room.room_id, state_filter, lazy)


def _late(timeline: Timeline, upto_depth: int) -> bool:
    """Whether the timeline ends before ``upto_depth`` (a filter left the last events out)."""
    return bool(timeline.events) and timeline.events[-1].depth < upto_depth


def _with_senders(
    room: Room,
    state: list[Event],
    timeline: Timeline,
    at_depth: int,
    user_id: str,
    already_sent: frozenset[str],
) -> list[Event]:
    """``state`` plus the member events of the timeline's senders as of ``at_depth``
    that the device lacks (SyTest 15lazy-members.pl, incremental syncs): each one not
    in ``already_sent`` (empty when redundant members are asked for); never the user's
    own, which the device had from its first sync."""
    present = {event.state_key for event in state if event.type == "m.room.member"}
    added: list[Event] = []
    for sender in {event.sender for event in timeline.events}:
        if sender == user_id or sender in present:
            continue
        member = room.state_event_at(("m.room.member", sender), at_depth)
        if member is not None and member.event_id not in already_sent:
            added.append(member)
    if not added:
        return state
    return sorted([*state, *added], key=lambda event: event.depth)


def summary(
    room: Room, user_id: str, since_depth: int, upto_depth: int, full: bool
) -> Summary | None:
    """The room summary: when ``full``, or when a membership change moved any of it.

    Whole each time, as Synapse recomputes it (SyTest 16room-summary.pl expects both
    counts after a join); ``m.heroes`` only for a room with no name or alias.
    """
    unnamed = not named(room, upto_depth)
    if full:
        return Summary(
            heroes(room, user_id, upto_depth) if unnamed else None,
            *member_counts(room, upto_depth),
        )
    if not room.state_changed(since_depth, upto_depth):
        return None
    changed_members = any(
        key[0] == "m.room.member" for key in room.state_keys_changed(since_depth, upto_depth)
    )
    if not changed_members:
        return None
    now = Summary(
        heroes(room, user_id, upto_depth) if unnamed else None, *member_counts(room, upto_depth)
    )
    before = Summary(
        heroes(room, user_id, since_depth) if unnamed else None, *member_counts(room, since_depth)
    )
    return None if now == before else now




def shows(event: Event, event_filter: EventFilter, room: Room) -> bool:
    """Whether ``event_filter`` lets ``event`` of ``room`` through."""
    return event_filter.allows_room(room.room_id) and event_filter.allows(
        event.type, event.sender, event.content
    )


def append(
    room: Room, timeline: Timeline, event: Event, timeline_filter: EventFilter, now: StreamToken
) -> Timeline:
    """``timeline`` with ``event`` added at its end, still at most ``limit`` long."""
    if not shows(event, timeline_filter, room):
        return timeline
    events = [*timeline.events, event]
    if len(events) <= timeline_filter.limit_or():
        return Timeline(events, timeline.limited, timeline.prev_batch)
    events = events[1:]
    return Timeline(events, True, room_token(room, events[0].depth - 1, now))

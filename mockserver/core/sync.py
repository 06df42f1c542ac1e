"""The sync computation: what changed for one user between two positions.

:func:`compute_sync` answers both dialects from the same store. It takes
the request as a :class:`SyncRequest` and returns a :class:`SyncResult` of
plain values (events, receipts, presence...); ``mockserver.api.sync``
shapes that into the seed's ``room_map``/``event_map`` form or today's
``rooms.join`` form. Nothing here awaits, reads the wall clock or builds
JSON. Work is proportional to what changed: rooms with nothing new since
``since`` are skipped after a few comparisons, and timelines and state are
found by bisection (see :mod:`mockserver.core.room`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from mockserver.core.filters import EventFilter, Filter
from mockserver.core.model import AccountData, Event, Presence, Receipt, StateKey, ToDeviceMessage
from mockserver.core.room import Room
from mockserver.core.store import Store
from mockserver.core.tokens import RoomToken, StreamToken

StateAt = Literal["timeline_start", "timeline_end"]
HEROES = 5
#: How many timeline windows a room remembers (see select_timeline).
WINDOW_MEMO = 16


@dataclass(frozen=True, slots=True)
class SyncRequest:
    user_id: str
    device_id: str
    since: StreamToken | None
    filter: Filter
    #: Seed and ``state_after``: state at the end of the timeline; stable: at its start.
    state_at: StateAt = "timeline_end"
    full_state: bool = False
    #: Compute what only today's dialect reports (receipts, account data, to-device...).
    stable: bool = False


# The result types below but Timeline (which select_timeline shares among syncs) are built
# afresh for every answer and never shared, hashed or changed after compute_sync returns,
# so they are not frozen: a frozen dataclass sets each field through object.__setattr__,
# which made building one three times slower, and a woken /sync built five of them.


@dataclass(frozen=True, slots=True)
class Timeline:
    events: list[Event]
    limited: bool
    prev_batch: RoomToken


@dataclass(slots=True)
class Summary:
    heroes: list[str] | None
    joined_member_count: int | None
    invited_member_count: int | None


@dataclass(slots=True)
class JoinedRoom:
    room_id: str
    timeline: Timeline
    state: list[Event]
    #: The current typing set, or None when it has not changed since ``since``.
    typing: list[str] | None
    receipts: list[Receipt]
    account_data: list[AccountData]
    summary: Summary | None
    #: (notification_count, highlight_count)
    unread: tuple[int, int] | None


@dataclass(slots=True)
class InvitedRoom:
    room_id: str
    #: Stripped state, then the invite itself.
    invite_state: list[Event]


@dataclass(slots=True)
class LeftRoom:
    room_id: str
    timeline: Timeline
    state: list[Event]
    account_data: list[AccountData]


@dataclass(slots=True)
class DeviceLists:
    """Users whose devices the client should (re)query, and users it no longer shares a room with."""

    changed: list[str]
    left: list[str]

    def __bool__(self) -> bool:
        return bool(self.changed or self.left)


@dataclass(slots=True)
class SyncResult:
    next_batch: StreamToken
    joined: list[JoinedRoom]
    invited: list[InvitedRoom]
    left: list[LeftRoom]
    presence: list[Presence]
    account_data: list[AccountData]
    to_device: list[ToDeviceMessage]
    #: Only on an incremental sync in today's dialect.
    device_lists: DeviceLists | None

    def __bool__(self) -> bool:
        """True when there is something to report (an empty result keeps a long-poll waiting)."""
        return bool(
            self.joined
            or self.invited
            or self.left
            or self.presence
            or self.account_data
            or self.to_device
            or (self.device_lists is not None and bool(self.device_lists))
        )


# -- timeline and state -------------------------------------------------------------------


def room_token(room: Room, depth: int, now: StreamToken) -> RoomToken:
    return RoomToken(depth, now.advance(room=room.stream_of_depth(depth)))


def select_timeline(
    room: Room, after_depth: int, upto_depth: int, timeline_filter: EventFilter, now: StreamToken
) -> Timeline:
    """The last ``limit`` matching events in (after_depth, upto_depth], oldest first.

    ``limited`` says whether matching events before the window were left
    out; ``prev_batch`` is the boundary just before the window's first event
    (or ``upto_depth`` for an empty window), for ``/messages?dir=b``.
    """
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


def _ordered(state: dict[StateKey, Event]) -> list[Event]:
    return sorted(state.values(), key=lambda event: event.depth)


def _filter_state(
    state: Iterable[Event],
    room_id: str,
    state_filter: EventFilter,
    lazy_members: set[str] | None,
) -> list[Event]:
    if not state_filter.allows_room(room_id):
        return []
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
        return _ordered(room.state_at(at_depth))
    if at_depth <= after_depth:
        return []
    return _ordered(room.state_delta(after_depth, at_depth))


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


def _is_joined(room: Room, user_id: str, depth: int) -> bool:
    member = room.membership_at(user_id, depth)
    return member is not None and member.membership == "join"


def _counts(room: Room, depth: int) -> tuple[int, int]:
    joined = sum(1 for _ in room.members("join", depth))
    invited = sum(1 for _ in room.members("invite", depth))
    return joined, invited


# -- the computation ----------------------------------------------------------------------


def rooms_with_state_changes(
    store: Store, user_id: str, since: int, upto: int
) -> list[tuple[Room, int, int]]:
    """(room, since depth, upto depth) of each of the user's rooms with state events in
    (since, upto] of the room stream: the only rooms where a membership can have changed."""
    found = []
    for room_id in store.rooms_of(user_id):
        room = store.rooms[room_id]
        if room.last_stream <= since:
            continue
        since_depth = room.depth_at_stream(since)
        upto_depth = room.depth_at_stream(upto)
        if room.state_changed(since_depth, upto_depth):
            found.append((room, since_depth, upto_depth))
    return found


def _shares_room(user_id: str, other: str, rooms: list[Room]) -> bool:
    return other == user_id or any(
        (event := room.current("m.room.member", other)) is not None
        and event.membership == "join"
        for room in rooms
    )


def device_list_changes(
    store: Store,
    user_id: str,
    since: StreamToken,
    upto: StreamToken,
    state_changes: list[tuple[Room, int, int]] | None = None,
    joined_rooms: list[Room] | None = None,
) -> DeviceLists:
    """Whose devices ``user_id`` should re-query, and with whom it shares no room any more.

    ``changed``: users whose devices or cross-signing keys changed in
    (since, upto] (the device-list stream) and who share a room with the
    user, the user itself included for its own other devices; and users
    who came to share a room with the user (their keys are new to it).
    ``left``: users who shared a room at ``since`` and share none now.
    ``/sync`` passes what it has already worked out; ``GET /keys/changes``
    and sliding sync's e2ee extension may leave them out.
    """
    if state_changes is None:
        state_changes = rooms_with_state_changes(store, user_id, since.room, upto.room)
    if joined_rooms is None:
        joined_rooms = [store.rooms[r] for r in store.joined_rooms(user_id)]
    changed: set[str] = set()
    gone: set[str] = set()
    for room, since_depth, upto_depth in state_changes:
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
    changed.update(store.device_lists.changed(user_id, since.device_list, upto.device_list))
    return DeviceLists(
        changed=sorted(u for u in changed if _shares_room(user_id, u, joined_rooms)),
        left=sorted(u for u in gone if not _shares_room(user_id, u, joined_rooms)),
    )


class _Computation:
    __slots__ = (
        "store",
        "request",
        "user_id",
        "filter",
        "now",
        "since",
        "initial",
        "from_pos",
        "account_data",
        "_joined_rooms",
        "state_changes",
    )

    def __init__(self, store: Store, request: SyncRequest) -> None:
        self.store = store
        self.request = request
        self.user_id = request.user_id
        self.filter = request.filter
        self.now = store.position
        self.since = request.since
        self.initial = request.since is None
        self.from_pos = request.since or StreamToken()
        self.account_data: list[AccountData] = []
        if request.stable:
            self.account_data = self._latest_account_data()
        self._joined_rooms: list[Room] | None = None
        #: (room, since depth, upto depth) for each of the user's rooms with state events
        #: in (since, now]: the only rooms where anyone's membership can have changed.
        #: Filled by :meth:`run` on an incremental sync, for presence (who newly shares a
        #: room) and device lists (who joined or left); after a plain message it is empty.
        self.state_changes: list[tuple[Room, int, int]] = []

    def joined_rooms(self) -> list[Room]:
        """The rooms the user is joined to now (asked by presence and device lists)."""
        if self._joined_rooms is None:
            store = self.store
            self._joined_rooms = [store.rooms[r] for r in store.joined_rooms(self.user_id)]
        return self._joined_rooms

    def _latest_account_data(self) -> list[AccountData]:
        if self.initial:
            entries = [
                entry
                for (owner, _room, _type), entry in self.store.account_data.items()
                if owner == self.user_id
            ]
            return sorted(entries, key=lambda entry: entry.stream)
        if self.from_pos.account_data >= self.now.account_data:
            return []
        latest: dict[tuple[str | None, str], AccountData] = {}
        for entry in self.store.account_data_changes(
            self.user_id, self.from_pos.account_data, self.now.account_data
        ):
            latest.pop((entry.room_id, entry.type), None)
            latest[(entry.room_id, entry.type)] = entry
        return list(latest.values())

    def run(self) -> SyncResult:
        store = self.store
        joined: list[JoinedRoom] = []
        invited: list[InvitedRoom] = []
        left: list[LeftRoom] = []
        changed_data_rooms = {e.room_id for e in self.account_data if e.room_id is not None}
        incremental = not self.initial
        skip_unchanged = incremental and not self.request.full_state
        since_stream, now_stream = self.from_pos.room, self.now.room
        for room_id in store.rooms_of(self.user_id):
            room = store.rooms[room_id]
            moved = room.last_stream > since_stream
            since_depth = upto_depth = -1
            state_changed = True
            if incremental and moved:
                # Where anyone's membership can have changed, for presence and device lists.
                since_depth = room.depth_at_stream(since_stream)
                upto_depth = room.depth_at_stream(now_stream)
                state_changed = room.state_changed(since_depth, upto_depth)
                if state_changed:
                    self.state_changes.append((room, since_depth, upto_depth))
            if not self.filter.allows_room(room_id):
                continue
            if (
                skip_unchanged
                and not moved
                and room.typing_stream <= self.from_pos.typing
                and not self._new_receipts(room)
                and room_id not in changed_data_rooms
            ):
                continue
            if upto_depth < 0:
                since_depth = self._since_depth(room)
                upto_depth = room.depth_at_stream(now_stream)
                state_changed = self.initial or room.state_changed(since_depth, upto_depth)
            # ``now`` is the store's position, so upto_depth is the room's depth and the
            # membership is the current one (remembered by the room).
            if upto_depth == room.depth:
                membership = room.membership_now(self.user_id)
            else:
                found = room.membership_at(self.user_id, upto_depth)
                membership = found.membership if found is not None else None
            if membership == "join":
                entry = self._joined(room, since_depth, upto_depth, state_changed)
                if entry is not None:
                    joined.append(entry)
            elif membership == "invite":
                invite = self._invited(room, self._member_event(room, upto_depth))
                if invite is not None:
                    invited.append(invite)
            elif membership in ("leave", "ban"):
                gone = self._left(room, self._member_event(room, upto_depth))
                if gone is not None:
                    left.append(gone)
        return SyncResult(
            next_batch=self.now,
            joined=joined,
            invited=invited,
            left=left,
            presence=self._presence(),
            account_data=[
                e
                for e in self.account_data
                if e.room_id is None and self.filter.account_data.allows(e.type, None)
            ],
            to_device=self._to_device(),
            device_lists=self._device_lists(),
        )

    def _member_event(self, room: Room, depth: int) -> Event:
        member = room.membership_at(self.user_id, depth)
        assert member is not None
        return member

    def _new_receipts(self, room: Room) -> bool:
        """Receipts since ``since`` (only today's dialect reports them; the seed's tokens
        do not even carry the receipt stream, so checking them would never skip a room)."""
        return (
            self.request.stable
            and bool(room.receipt_streams)
            and room.receipt_streams[-1] > self.from_pos.receipt
        )

    # -- joined rooms ----------------------------------------------------------------------

    def _since_depth(self, room: Room) -> int:
        return 0 if self.initial else room.depth_at_stream(self.from_pos.room)

    def _newly_joined(self, room: Room, since_depth: int) -> bool:
        if self.initial:
            return True
        if not room.membership_changed_after(self.user_id, since_depth):
            return False
        before = room.membership_at(self.user_id, since_depth)
        previous = before.membership if before is not None else None
        for event in room.member_events_of(self.user_id):
            if event.depth <= since_depth:
                continue
            if event.membership == "join" and previous != "join":
                return True
            previous = event.membership
        return False

    def _joined(
        self, room: Room, since_depth: int, upto_depth: int, state_changed: bool
    ) -> JoinedRoom | None:
        """The room's entry, or None when there is nothing to say.

        ``state_changed`` says whether any state event lies in (since, upto]:
        without one the user cannot have newly joined and, unless full state
        is asked for, no state entry and no summary field can differ.
        """
        request = self.request
        fresh = state_changed and self._newly_joined(room, since_depth)
        full = fresh or request.full_state
        timeline = select_timeline(
            room, 0 if fresh else since_depth, upto_depth, self.filter.timeline, self.now
        )
        state = self._state(room, timeline, since_depth, upto_depth, full) if (
            full or state_changed
        ) else []
        # The ephemeral and account-data sections say nothing unless their stream moved.
        typing = (
            self._typing(room, full)
            if full or room.typing_stream > self.from_pos.typing
            else None
        )
        receipts = (
            self._receipts(room, full)
            if request.stable and (full or self._new_receipts(room))
            else []
        )
        account_data = self._room_account_data(room.room_id) if self.account_data else []
        summary = unread = None
        unread_changed = False
        if request.stable:
            if full or state_changed:
                summary = self._summary(room, since_depth, upto_depth, full)
            # Only what arrived during the current stay can be unread (nothing before the join).
            read_up_to = max(
                self.store.read_up_to(self.user_id, room.room_id), room.joined_at(self.user_id)
            )
            unread = room.unread_counts(self.user_id, read_up_to)
            unread_changed = self._unread_changed(room, since_depth, upto_depth)
        if not (
            full
            or timeline.events
            or state
            or typing is not None
            or receipts
            or account_data
            or summary is not None
            or unread_changed
        ):
            return None
        return JoinedRoom(
            room_id=room.room_id,
            timeline=timeline,
            state=state,
            typing=typing,
            receipts=receipts,
            account_data=account_data,
            summary=summary,
            unread=unread,
        )

    def _unread_changed(self, room: Room, since_depth: int, upto_depth: int) -> bool:
        """Whether the unread counts may differ from ``since``: new messages or own receipts.

        Checked apart from the timeline and ephemeral sections, so a filter
        that hides messages or receipts does not hide a change of the counts.
        """
        if self.initial:
            return False
        if bisect_right(room.notifying, upto_depth) > bisect_right(room.notifying, since_depth):
            return True
        return any(
            receipt.user_id == self.user_id
            for receipt in room.receipts_between(self.from_pos.receipt, self.now.receipt)
        )

    def _state(
        self, room: Room, timeline: Timeline, since_depth: int, upto_depth: int, full: bool
    ) -> list[Event]:
        if self.request.state_at == "timeline_end":
            at_depth = upto_depth
            state = room_state(room, full=full, after_depth=since_depth, at_depth=at_depth)
        else:
            at_depth = timeline.events[0].depth - 1 if timeline.events else upto_depth
            state = room_state(room, full=full, after_depth=since_depth, at_depth=at_depth)
            if timeline.events and timeline.events[-1].depth < upto_depth:
                state = _with_late_state(room, state, timeline.events[-1].depth, upto_depth)
        state_filter = self.filter.state
        lazy: set[str] | None = None
        if state_filter.lazy_load_members:
            lazy = {event.sender for event in timeline.events}
            if full:
                lazy.add(self.user_id)
                lazy.update(heroes(room, self.user_id))
            if timeline.limited and not full:
                lazy.update(
                    key[1]
                    for key in room.state_keys_changed(since_depth, at_depth)
                    if key[0] == "m.room.member"
                )
        return _filter_state(state, room.room_id, state_filter, lazy)

    def _typing(self, room: Room, full: bool) -> list[str] | None:
        """The typing set: when it changed since ``since``, or (``full``: initial sync,
        new join, full_state) whenever someone is typing."""
        if not full and room.typing_stream <= self.from_pos.typing:
            return None  # unchanged: nothing to send, whatever the filter says
        ephemeral = self.filter.ephemeral
        if not ephemeral.allows_room(room.room_id) or not ephemeral.allows("m.typing", None):
            return None
        if full:
            return list(room.typing) if room.typing else None
        if room.typing_stream > self.from_pos.typing:
            return list(room.typing)
        return None

    def _receipts(self, room: Room, full: bool) -> list[Receipt]:
        if not full and not self._new_receipts(room):
            return []
        ephemeral = self.filter.ephemeral
        if not ephemeral.allows_room(room.room_id) or not ephemeral.allows("m.receipt", None):
            return []
        if full:
            found = list(room.latest_receipts.values())
        else:
            found = room.receipts_between(self.from_pos.receipt, self.now.receipt)
        return [
            r
            for r in found
            if r.receipt_type != "m.read.private" or r.user_id == self.user_id
        ]

    def _room_account_data(self, room_id: str) -> list[AccountData]:
        if not self.account_data:
            return []
        room_filter = self.filter.room_account_data
        if not room_filter.allows_room(room_id):
            return []
        return [
            e
            for e in self.account_data
            if e.room_id == room_id and room_filter.allows(e.type, None)
        ]

    def _summary(self, room: Room, since_depth: int, upto_depth: int, full: bool) -> Summary | None:
        """The room summary: whole when ``full``, else only the fields that changed."""
        if full:
            return Summary(heroes(room, self.user_id, upto_depth), *_counts(room, upto_depth))
        if not room.state_changed(since_depth, upto_depth):
            return None
        changed_members = any(
            key[0] == "m.room.member" for key in room.state_keys_changed(since_depth, upto_depth)
        )
        if not changed_members:
            return None
        names = heroes(room, self.user_id, upto_depth)
        joined, invited = _counts(room, upto_depth)
        old_joined, old_invited = _counts(room, since_depth)
        summary = Summary(
            heroes=names if names != heroes(room, self.user_id, since_depth) else None,
            joined_member_count=joined if joined != old_joined else None,
            invited_member_count=invited if invited != old_invited else None,
        )
        if summary == Summary(None, None, None):
            return None
        return summary

    # -- invited and left rooms ---------------------------------------------------------------

    def _invited(self, room: Room, invite: Event) -> InvitedRoom | None:
        if not (
            self.initial or self.request.full_state or invite.depth > self._since_depth(room)
        ):
            return None
        upto = room.depth_at_stream(self.now.room)
        return InvitedRoom(room.room_id, [*self.store.stripped_state(room, upto), invite])

    def _left(self, room: Room, leave: Event) -> LeftRoom | None:
        """A room the user left, was kicked or banned from.

        The timeline and state stop at the user's last departure from a join
        (:meth:`Room.last_departure`): nothing from the time away is shown. A
        membership change after that (a rejected invite, a ban after a kick)
        is shown on its own at the end of the timeline; when nothing else is
        new, it is the whole timeline.
        """
        since_depth = self._since_depth(room)
        new = not self.initial and leave.depth > since_depth
        wholesale = self.initial or self.request.full_state
        forced = leave.membership == "ban" or leave.sender != self.user_id
        if not (new or (wholesale and (forced or self.filter.include_leave))):
            return None
        departed = room.last_departure(self.user_id, leave.depth)
        account_data = self._room_account_data(room.room_id)
        if not departed or (not wholesale and departed <= since_depth):
            # Never joined (a rejected or withdrawn invite), or nothing new from the
            # time joined: only the membership change itself.
            window = [leave] if self._shows(leave, self.filter.timeline, room) else []
            timeline = Timeline(window, False, room_token(room, leave.depth - 1, self.now))
            return LeftRoom(room.room_id, timeline, self._own_membership(room, leave), account_data)
        was_joined = room.membership_at(self.user_id, since_depth)
        full = wholesale or was_joined is None or was_joined.membership != "join"
        timeline = select_timeline(
            room, 0 if full else since_depth, departed, self.filter.timeline, self.now
        )
        state = self._state(room, timeline, since_depth, departed, full)
        if leave.depth > departed:
            timeline = self._append(room, timeline, leave)
            if self.request.state_at == "timeline_end":
                state = [e for e in state if e.state_key != self.user_id or e.type != leave.type]
                state += self._own_membership(room, leave)
        return LeftRoom(room.room_id, timeline, state, account_data)

    @staticmethod
    def _shows(event: Event, event_filter: EventFilter, room: Room) -> bool:
        return event_filter.allows_room(room.room_id) and event_filter.allows(
            event.type, event.sender, event.content
        )

    def _own_membership(self, room: Room, leave: Event) -> list[Event]:
        """The state of a membership-only entry: the change itself, at the timeline's end."""
        if self.request.state_at != "timeline_end":
            return []
        return [leave] if self._shows(leave, self.filter.state, room) else []

    def _append(self, room: Room, timeline: Timeline, event: Event) -> Timeline:
        """``timeline`` with ``event`` added at its end, still at most ``limit`` long."""
        if not self._shows(event, self.filter.timeline, room):
            return timeline
        events = [*timeline.events, event]
        if len(events) <= self.filter.timeline.limit_or():
            return Timeline(events, timeline.limited, timeline.prev_batch)
        events = events[1:]
        return Timeline(events, True, room_token(room, events[0].depth - 1, self.now))

    # -- presence and to-device ---------------------------------------------------------------

    def _shares_room(self, other: str, rooms: list[Room]) -> bool:
        return _shares_room(self.user_id, other, rooms)

    def _newly_sharing(self, rooms: list[Room]) -> set[str]:
        """Users who came to share a room with the user since ``since``: everyone in a room
        the user newly joined, and whoever newly joined one of the user's rooms. Their
        current presence is sent even if it did not change (as Synapse does)."""
        found: set[str] = set()
        changes = self.state_changes
        if not changes:
            return found
        joined = {room.room_id for room in rooms}
        for room, since_depth, upto_depth in changes:
            if room.room_id not in joined:
                continue
            if self._newly_joined(room, since_depth):
                found.update(m.state_key for m in room.members("join", upto_depth) if m.state_key)
                continue
            for event_type, user_id in room.state_keys_changed(since_depth, upto_depth):
                if event_type != "m.room.member":
                    continue
                now = room.membership_at(user_id, upto_depth)
                before = room.membership_at(user_id, since_depth)
                if (now is not None and now.membership == "join") and (
                    before is None or before.membership != "join"
                ):
                    found.add(user_id)
        found.discard(self.user_id)
        return found

    def _presence(self) -> list[Presence]:
        if (
            not self.initial
            and self.from_pos.presence >= self.now.presence
            and not self.state_changes
        ):
            return []  # no presence changed, and nobody newly shares a room
        presence_filter = self.filter.presence
        rooms = self.joined_rooms()
        if self.initial:
            candidates: list[str] = [self.user_id]
            seen = {self.user_id}
            for room in rooms:
                for member in room.members("join"):
                    if member.state_key is not None and member.state_key not in seen:
                        seen.add(member.state_key)
                        candidates.append(member.state_key)
            found = [p for u in candidates if (p := self.store.presence.get(u)) is not None]
            found.sort(key=lambda p: p.stream)
        else:
            latest: dict[str, Presence] = {}
            for entry in self.store.presence_changes(self.from_pos.presence, self.now.presence):
                latest.pop(entry.user_id, None)
                latest[entry.user_id] = entry
            for user_id in self._newly_sharing(rooms):
                current = self.store.presence.get(user_id)
                if user_id not in latest and current is not None:
                    latest[user_id] = current
            found = [p for u, p in latest.items() if self._shares_room(u, rooms)]
            found.sort(key=lambda p: p.stream)
        found = [p for p in found if presence_filter.allows("m.presence", p.user_id)]
        if presence_filter.limit is not None:
            found = found[-presence_filter.limit :]
        return found

    def _device_lists(self) -> DeviceLists | None:
        """Device-list changes since ``since`` (today's dialect, incremental syncs only)."""
        if not self.request.stable or self.initial:
            return None
        return device_list_changes(
            self.store, self.user_id, self.from_pos, self.now, self.state_changes, self.joined_rooms()
        )

    def _to_device(self) -> list[ToDeviceMessage]:
        if not self.request.stable or self.from_pos.to_device >= self.now.to_device:
            return []
        return self.store.to_device_messages(
            self.user_id, self.request.device_id, self.from_pos.to_device, self.now.to_device
        )


def compute_sync(store: Store, request: SyncRequest) -> SyncResult:
    """Everything ``request.user_id`` may see that changed in (since, now]."""
    store.expire_typing()
    return _Computation(store, request).run()

"""One room's history: a linear timeline with its state indexed by depth.

Rooms in mockserver are linear, so an event's depth is its position in the
room (``m.room.create`` or whatever comes first has depth 1) and depth order
agrees with stream order. Everything a sync or a pagination needs is found
by bisection, never by scanning the history:

- the event at a stream position: :meth:`Room.depth_at_stream`;
- the state at any depth: each state entry keeps the depths at which it was
  set, so the state at depth ``d`` costs one bisection per entry;
- what state changed between two depths: :attr:`Room.state_log`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.core.mentions import MentionIndex, mention_index
from mockserver.core.model import Event, Receipt, StateKey
from mockserver.core.notification_counts import NotificationIndex

#: Events that move a room up a sliding sync room list (Synapse's default bump types).
BUMP_EVENT_TYPES = frozenset(
    {
        "m.room.create",
        "m.room.message",
        "m.room.encrypted",
        "m.sticker",
        "m.call.invite",
        "m.poll.start",
        "m.beacon_info",
    }
)
#: How many entries :attr:`Room.entry_views` holds at most (then it starts afresh).
ENTRY_VIEWS_KEPT = 16


@dataclass(slots=True)
class Room:
    room_id: str
    events: list[Event] = field(default_factory=list)
    #: Stream ordering of ``events``, for bisection.
    streams: list[int] = field(default_factory=list)
    #: For each state entry, the depths at which it was set, ascending.
    state_history: dict[StateKey, list[int]] = field(default_factory=dict)
    #: Depths of every state event, ascending.
    state_log: list[int] = field(default_factory=list)
    #: The current state: entry -> depth of the event that set it.
    current_state: dict[StateKey, int] = field(default_factory=dict)
    #: Who is typing: user id -> expiry (server clock, ms).
    typing: dict[str, int] = field(default_factory=dict)
    #: Typing stream position of the last change to :attr:`typing`.
    typing_stream: int = 0
    #: Every receipt, in receipt stream order.
    receipts: list[Receipt] = field(default_factory=list)
    receipt_streams: list[int] = field(default_factory=list)
    #: The latest receipt per (user, receipt type, thread).
    latest_receipts: dict[tuple[str, str, str | None], Receipt] = field(default_factory=dict)
    #: The same receipts by user, then (receipt type, thread): one user's without a scan.
    user_receipts: dict[str, dict[tuple[str, str | None], Receipt]] = field(default_factory=dict)
    #: Depths of events that notify (messages), for unread counts.
    notifications: NotificationIndex = field(default_factory=NotificationIndex)
    #: Depths of events of :data:`BUMP_EVENT_TYPES`, ascending (sliding sync's ``bump_stamp``).
    bumps: list[int] = field(default_factory=list)
    #: Whether the room ever had ``joined`` or ``invited`` history visibility: only then
    #: may a member be refused an event (see :mod:`mockserver.core.visibility`).
    restricted_history: bool = False
    #: How many times an event was swapped for a changed copy (:meth:`replace`): with
    #: the depth, a version of the room's events for whoever keeps what it made of them.
    replacements: int = field(default=0, compare=False)
    #: Timeline windows already cut at one stream position, for the syncs that one change
    #: wakes together (see :func:`mockserver.core.sync.select_timeline`). Not state.
    windows: dict[tuple[int, int, int], Any] = field(default_factory=dict, repr=False, compare=False)
    #: What sliding sync worked out of the room for a user, each with all it reads: what
    #: a connection new to the room is shown, by (user, configuration), at a depth; the
    #: user's unread counts, at a depth and number of receipts; the user's list entry, at
    #: a depth. See :mod:`mockserver.core.sliding_sync.rooms`. Not state.
    entry_views: dict[tuple[object, ...], Any] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: Joined members and their display names, worked out once per membership change
    #: (see :meth:`joined_names`). Not state.
    _joined_names: list[tuple[str, str | None]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    #: The user ids of :attr:`_joined_names`, likewise (see :meth:`joined_members`).
    _joined_ids: list[str] | None = field(default=None, init=False, repr=False, compare=False)
    #: The joined members by what names them in a message, worked out with
    #: :attr:`_joined_names` (see :meth:`mention_index`). Not state.
    _mention_index: MentionIndex | None = field(
        default=None, init=False, repr=False, compare=False
    )
    #: How many members hold each membership now, worked out once per membership change
    #: (see :meth:`member_count`). Not state.
    _member_counts: dict[str | None, int] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    #: Per user: (membership now, depth its current stay began), worked out once per
    #: membership change of that user (see :meth:`membership_now`). Not state.
    _members_now: dict[str, tuple[str | None, int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    #: The current state events oldest first, all and all but memberships, worked out
    #: once per state change or redaction (see :meth:`ordered_state`). Not state.
    _ordered_state: tuple[list[Event], list[Event]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    #: What readers work out from the current state alone, by name (a sync's "is the room
    #: named"), forgotten at the next state event or redaction. Not state.
    state_memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- timeline ----------------------------------------------------------------

    @property
    def depth(self) -> int:
        """Depth of the newest event (0 for a room with no events)."""
        return len(self.events)

    @property
    def last_stream(self) -> int:
        return self.streams[-1] if self.streams else 0

    def event_at(self, depth: int) -> Event:
        return self.events[depth - 1]

    def append(self, event: Event) -> None:
        assert event.depth == len(self.events) + 1
        self.events.append(event)
        self.streams.append(event.stream)
        if event.type in BUMP_EVENT_TYPES:
            self.bumps.append(event.depth)
        if event.state_key is not None:
            key = event.state_entry
            self._ordered_state = None
            if self.state_memo:
                self.state_memo.clear()
            self.state_history.setdefault(key, []).append(event.depth)
            self.state_log.append(event.depth)
            self.current_state[key] = event.depth
            if event.type == "m.room.member":
                self._joined_names = None
                self._joined_ids = None
                self._mention_index = None
                self._member_counts = None
                self._members_now.pop(event.state_key, None)
            elif event.type == "m.room.history_visibility" and event.content.get(
                "history_visibility"
            ) in ("joined", "invited"):
                self.restricted_history = True

    def append_messages(self, events: list[Event]) -> None:
        """:meth:`append` for each of ``events``, none of them a state event (a bulk import)."""
        assert not events or events[0].depth == len(self.events) + 1
        assert all(event.state_key is None for event in events)
        self.events.extend(events)
        self.streams.extend([event.stream for event in events])
        self.bumps.extend([event.depth for event in events if event.type in BUMP_EVENT_TYPES])

    def keep_entry_view(self, key: tuple[object, ...], view: object) -> None:
        """Keep ``view`` in :attr:`entry_views` (which starts afresh when full)."""
        views = self.entry_views
        if len(views) >= ENTRY_VIEWS_KEPT:
            views.clear()
        views[key] = view

    def replace(self, event: Event) -> None:
        """Swap in a changed copy of an event (a redaction), keeping its place."""
        assert self.events[event.depth - 1].event_id == event.event_id
        self.events[event.depth - 1] = event
        self.replacements += 1
        self.windows.clear()
        self.entry_views.clear()
        self._ordered_state = None
        self.state_memo.clear()
        if event.type == "m.room.member":
            self._joined_names = None
            self._joined_ids = None
            self._mention_index = None
            self._member_counts = None
            self._members_now.clear()

    def bump_stream(self, upto_depth: int | None = None) -> int | None:
        """Stream ordering of the newest bump event at or before ``upto_depth`` (default: now)."""
        bumps = self.bumps
        if upto_depth is not None and bumps and bumps[-1] > upto_depth:
            index = bisect_right(bumps, upto_depth)
            return self.streams[bumps[index - 1] - 1] if index else None
        return self.streams[bumps[-1] - 1] if bumps else None

    def depth_at_stream(self, stream: int) -> int:
        """Depth of the newest event with stream ordering <= ``stream``."""
        return bisect_right(self.streams, stream)

    def stream_of_depth(self, depth: int) -> int:
        return self.streams[depth - 1] if depth > 0 else 0

    def between(self, after_depth: int, upto_depth: int) -> list[Event]:
        """Events with depth in (after_depth, upto_depth], oldest first."""
        return self.events[max(after_depth, 0) : max(upto_depth, 0)]

    # -- state -------------------------------------------------------------------

    def state_depth_at(self, key: StateKey, depth: int) -> int | None:
        history = self.state_history.get(key)
        if not history:
            return None
        index = bisect_right(history, depth)
        return history[index - 1] if index else None

    def state_event_at(self, key: StateKey, depth: int) -> Event | None:
        if depth >= self.depth:
            current = self.current_state.get(key)
            return self.events[current - 1] if current else None
        found = self.state_depth_at(key, depth)
        return self.events[found - 1] if found else None

    def next_state_event(self, key: StateKey, depth: int) -> Event | None:
        """The event that next set entry ``key`` after ``depth``, if any."""
        history = self.state_history.get(key, [])
        index = bisect_right(history, depth)
        return self.events[history[index] - 1] if index < len(history) else None

    def state_at(self, depth: int) -> dict[StateKey, Event]:
        """The full state after the event at ``depth``."""
        if depth >= self.depth:
            return {key: self.events[d - 1] for key, d in self.current_state.items()}
        state: dict[StateKey, Event] = {}
        for key, history in self.state_history.items():
            index = bisect_right(history, depth)
            if index:
                state[key] = self.events[history[index - 1] - 1]
        return state

    def ordered_state(self, *, members: bool = True) -> list[Event]:
        """The current state events, oldest first (``members=False``: all but the
        memberships), as ``state_at(depth)`` sorted by depth gives them. Every initial sync
        asks it of every room: remembered until the next state event or redaction, so
        the caller must not change the list."""
        ordered = self._ordered_state
        if ordered is None:
            events = self.events
            every = [events[depth - 1] for depth in sorted(self.current_state.values())]
            ordered = self._ordered_state = (
                every,
                [event for event in every if event.type != "m.room.member"],
            )
        return ordered[0] if members else ordered[1]

    def state_changed(self, after_depth: int, upto_depth: int) -> bool:
        """Whether any state event has a depth in (after_depth, upto_depth]."""
        log = self.state_log
        return bisect_right(log, upto_depth) > bisect_right(log, after_depth)

    def state_keys_changed(self, after_depth: int, upto_depth: int) -> set[StateKey]:
        """Entries set by a state event with depth in (after_depth, upto_depth]."""
        start = bisect_right(self.state_log, after_depth)
        end = bisect_right(self.state_log, upto_depth)
        return {self.events[d - 1].state_entry for d in self.state_log[start:end]}

    def state_delta(self, after_depth: int, upto_depth: int) -> dict[StateKey, Event]:
        """State at ``upto_depth`` for each entry that differs from ``after_depth``."""
        delta: dict[StateKey, Event] = {}
        for key in self.state_keys_changed(after_depth, upto_depth):
            now = self.state_event_at(key, upto_depth)
            before = self.state_event_at(key, after_depth)
            if now is not None and (before is None or before.event_id != now.event_id):
                delta[key] = now
        return delta

    def membership_at(self, user_id: str, depth: int) -> Event | None:
        return self.state_event_at(("m.room.member", user_id), depth)

    def membership_changed_after(self, user_id: str, depth: int) -> bool:
        """Whether the user has a membership event deeper than ``depth``."""
        history = self.state_history.get(("m.room.member", user_id))
        return history is not None and bool(history) and history[-1] > depth

    def member_events_of(self, user_id: str) -> list[Event]:
        """Every membership event of one user, oldest first."""
        history = self.state_history.get(("m.room.member", user_id), [])
        return [self.events[d - 1] for d in history]

    def joined_at(self, user_id: str) -> int:
        """Depth of the join that started the user's current stay, or 0 if not joined.

        Profile changes (join after join) continue a stay; they do not start one.
        """
        return self._member_now(user_id)[1]

    def membership_now(self, user_id: str) -> str | None:
        """The user's current membership (``membership_at(user_id, depth).membership``)."""
        return self._member_now(user_id)[0]

    def _member_now(self, user_id: str) -> tuple[str | None, int]:
        # Every woken sync asks both of every room it reports: remembered per user, so
        # it does not reach back to the (long cold) member events each time.
        known = self._members_now.get(user_id)
        if known is None:
            history = self.state_history.get(("m.room.member", user_id), [])
            membership = self.events[history[-1] - 1].membership if history else None
            start = 0
            for depth in reversed(history):
                if self.events[depth - 1].membership != "join":
                    break
                start = depth
            known = self._members_now[user_id] = (membership, start)
        return known

    def last_departure(self, user_id: str, upto_depth: int | None = None) -> int:
        """Depth of the user's latest leave or ban that ended a join, or 0 if none.

        This is how far a user who is not joined may read (``shared`` history
        visibility): a later membership change that did not follow a join (a
        rejected re-invite, a ban after a kick) does not reveal the time away.
        """
        history = self.state_history.get(("m.room.member", user_id), [])
        end = len(history) if upto_depth is None else bisect_right(history, upto_depth)
        for index in range(end - 1, 0, -1):
            if (
                self.events[history[index] - 1].membership in ("leave", "ban")
                and self.events[history[index - 1] - 1].membership == "join"
            ):
                return history[index]
        return 0

    def members(self, membership: str, depth: int | None = None) -> Iterator[Event]:
        if depth is None or depth >= self.depth:
            depths: Iterator[int] = (
                d for key, d in self.current_state.items() if key[0] == "m.room.member"
            )
            for d in depths:
                event = self.events[d - 1]
                if event.membership == membership:
                    yield event
            return
        for key, event in self.state_at(depth).items():
            if key[0] == "m.room.member" and event.membership == membership:
                yield event

    def member_count(self, membership: str, depth: int | None = None) -> int:
        """How many members hold ``membership`` at ``depth`` (default: now; remembered)."""
        if depth is not None and depth < self.depth:
            return sum(1 for _ in self.members(membership, depth))
        counts = self._member_counts
        if counts is None:
            counts = {}
            for key, at in self.current_state.items():
                if key[0] == "m.room.member":
                    held = self.events[at - 1].membership
                    counts[held] = counts.get(held, 0) + 1
            self._member_counts = counts
        return counts.get(membership, 0)

    def joined_names(self) -> list[tuple[str, str | None]]:
        """(user id, display name or None) of each member joined now, in state order.

        Asked for every message (who it highlights): remembered until the
        next membership event, so a message does not walk the whole state.
        """
        names = self._joined_names
        if names is None:
            names = []
            for member in self.members("join"):
                if member.state_key is None:
                    continue
                name = member.content.get("displayname")
                names.append((member.state_key, name if isinstance(name, str) and name else None))
            self._joined_names = names
        return names

    def joined_members(self) -> list[str]:
        """The user ids of :meth:`joined_names`, remembered alike (the notifier asks it of
        every room a change touches). The caller must not change the list."""
        ids = self._joined_ids
        if ids is None:
            ids = self._joined_ids = [user_id for user_id, _ in self.joined_names()]
        return ids
    def mention_index(self) -> MentionIndex:
        """The joined members by lowercased display name and localpart
        (:func:`mockserver.core.mentions.mention_index`), kept until the next membership change."""
        index = self._mention_index
        if index is None:
            index = self._mention_index = mention_index(self.joined_names())
        return index

    def state_now(self) -> Mapping[StateKey, Event]:
        """The current state as a read-only mapping, without copying it (see :class:`CurrentState`)."""
        return CurrentState(self)

    def current(self, event_type: str, state_key: str = "") -> Event | None:
        depth = self.current_state.get((event_type, state_key))
        return self.events[depth - 1] if depth else None

    # -- receipts ----------------------------------------------------------------

    def add_receipt(self, receipt: Receipt) -> None:
        self.receipts.append(receipt)
        self.receipt_streams.append(receipt.stream)
        self.latest_receipts[(receipt.user_id, receipt.receipt_type, receipt.thread_id)] = receipt
        by_user = self.user_receipts.setdefault(receipt.user_id, {})
        by_user[(receipt.receipt_type, receipt.thread_id)] = receipt

    def receipts_of(self, user_id: str) -> Iterable[Receipt]:
        """The user's latest receipt of each type and thread."""
        return self.user_receipts.get(user_id, {}).values()

    def receipts_between(self, after: int, upto: int) -> list[Receipt]:
        start = bisect_right(self.receipt_streams, after)
        end = bisect_right(self.receipt_streams, upto)
        return self.receipts[start:end]


class CurrentState(Mapping[StateKey, Event]):
    """A room's current state, looked up in place: what ``state_at(room.depth)`` returns,
    without building a dict of every entry (a room of 200 members has over 200).

    The room rules ask a sender's membership and the power levels of every
    event sent; a live view, so read it before writing to the room.
    """

    __slots__ = ("_room",)

    def __init__(self, room: Room) -> None:
        self._room = room

    def __getitem__(self, key: StateKey) -> Event:
        depth = self._room.current_state[key]
        return self._room.events[depth - 1]

    def get(self, key: StateKey, default: Any = None) -> Any:
        depth = self._room.current_state.get(key)
        return self._room.events[depth - 1] if depth else default

    def __iter__(self) -> Iterator[StateKey]:
        return iter(self._room.current_state)

    def __len__(self) -> int:
        return len(self._room.current_state)

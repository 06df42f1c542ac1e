"""The v3 loop: which of the user's rooms an answer mentions, and how each entry is
assembled from the sections (:mod:`.rooms`, :mod:`.ephemeral`, :mod:`.account_data`,
:mod:`.presence`, :mod:`.to_device`, :mod:`.device_lists`).

Work is proportional to what changed: an incremental sync looks only at the
rooms the store touched since ``since`` (:meth:`Store.rooms_touched_since`) and
skips those with nothing new for it after a few comparisons. The loop notes the
rooms whose state moved (``state_changes``), the only ones where anyone's
membership can have changed, for the presence and device-lists sections.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from mockserver.core.model import AccountData, Event, Presence
from mockserver.core.room import Room
from mockserver.core.store import Store
from mockserver.core.store.sent_members import EMPTY as EMPTY_SENT
from mockserver.core.store.sent_members import Sent, layered
from mockserver.core.sync import account_data as account_data_section
from mockserver.core.sync.account_data import latest
from mockserver.core.sync.device_lists import device_list_changes
from mockserver.core.sync.ephemeral import new_receipts, receipts, typing
from mockserver.core.sync.model import (
    DeviceLists,
    InvitedRoom,
    KnockedRoom,
    JoinedRoom,
    LeftRoom,
    Summary,
    SyncRequest,
    SyncResult,
    Timeline,
)
from mockserver.core.sync.presence import StateChange, presence
from mockserver.core.sync.rooms import (
    append,
    newly_joined,
    room_token,
    select_timeline,
    shows,
    summary,
    timeline_state,
)
from mockserver.core.sync.to_device import to_device
from mockserver.core.tokens import StreamToken

if TYPE_CHECKING:
    from mockserver.core.sync.kept import EntryKeeper, KeptEntry

_NO_ROOMS: frozenset[str] = frozenset()


class _Computation:
    __slots__ = (
        "store",
        "request",
        "user_id",
        "filter",
        "now",
        "initial",
        "stable",
        "from_pos",
        "account_data",
        "_joined_rooms",
        "state_changes",
        "sent_members",
        "sent_before",
        "keeper",
        "_data_by_room",
    )

    def __init__(self, store: Store, request: SyncRequest, keeper: EntryKeeper | None) -> None:
        self.store = store
        self.request = request
        self.user_id = request.user_id
        self.filter = request.filter
        self.now = store.position
        self.initial = request.since is None
        self.stable = request.stable
        self.from_pos = request.since or StreamToken()
        self.account_data: list[AccountData] = []
        if request.stable:
            self.account_data = latest(
                store,
                self.user_id,
                None if self.initial else self.from_pos.account_data,
                self.now.account_data,
            )
        self._joined_rooms: list[Room] | None = None
        #: Each of the user's rooms with state events in (since, now]: filled by
        #: :meth:`run` on an incremental sync; after a plain message it is empty.
        self.state_changes: list[StateChange] = []
        #: Lazy-loaded members this device has, per room, to be recorded at ``now`` (None:
        #: not remembered, as without lazy loading and in the seed's dialect).
        #: Only the rooms this answer adds to, over what the device had (``sent_before``),
        #: so an answer about one room does not copy what a device of 1,000 rooms had.
        self.sent_members: dict[str, frozenset[str]] | None = None
        self.sent_before: Sent = EMPTY_SENT
        state_filter = request.filter.state
        if request.stable and state_filter.lazy_load_members:
            self.sent_members = {}
            if not state_filter.include_redundant_members:
                self.sent_before = store.sent_members.at(
                    self.user_id, request.device_id, request.since
                )
        #: Only an initial sync keeps its joined rooms' entries (see :mod:`.kept`).
        self.keeper = keeper if self.initial else None
        self._data_by_room: dict[str, tuple[AccountData, ...]] | None = None

    def joined_rooms(self) -> list[Room]:
        """The rooms the user is joined to now (asked by presence and device lists)."""
        if self._joined_rooms is None:
            store = self.store
            self._joined_rooms = [store.rooms[r] for r in store.joined_rooms(self.user_id)]
        return self._joined_rooms

    def run(self) -> SyncResult:
        store = self.store
        joined: list[JoinedRoom | KeptEntry] = []
        invited: list[InvitedRoom] = []
        knocked: list[KnockedRoom] = []
        left: list[LeftRoom] = []
        changed_data_rooms = (
            {e.room_id for e in self.account_data if e.room_id is not None}
            if self.account_data
            else _NO_ROOMS
        )
        incremental = not self.initial
        skip_unchanged = incremental and not self.request.full_state
        since_stream, now_stream = self.from_pos.room, self.now.room
        since_typing, since_receipt = self.from_pos.typing, self.from_pos.receipt
        stable = self.stable
        room_ids: Iterable[str] | None = None
        if skip_unchanged:
            # Only the rooms something happened in since (each still checked below).
            room_ids = store.rooms_touched_since(self.user_id, self.from_pos, changed_data_rooms)
        if room_ids is None:
            room_ids = store.rooms_of(self.user_id)
        # A kept entry is one this filter allowed, of a room the user was joined to: its
        # key holds the room's depth, and any membership change is an event.
        reusable = (
            self.keeper.reusable(store.rooms, room_ids, self._room_data(), self.now)
            if self.keeper is not None
            else {}
        )
        #: An initial sync looks at every room of the user: the joined ones, for presence.
        joined_now: list[Room] | None = [] if self.initial else None
        for room_id in room_ids:
            room = store.rooms[room_id]
            if reusable:
                kept = reusable.get(room_id)
                if kept is not None:
                    joined.append(kept)
                    assert joined_now is not None
                    joined_now.append(room)
                    if self.sent_members is not None and kept.members is not None:
                        self.sent_members[room_id] = kept.members
                    continue
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
                if joined_now is not None and room.membership_now(self.user_id) == "join":
                    joined_now.append(room)
                continue
            # Receipts count only in today's dialect: the seed's tokens do not even carry
            # the receipt stream, so checking them would never skip a room.
            if (
                skip_unchanged
                and not moved
                and room.typing_stream <= since_typing
                and not (stable and new_receipts(room, since_receipt))
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
            if joined_now is not None and membership == "join":
                joined_now.append(room)
            if membership == "join":
                entry = self._joined(room, since_depth, upto_depth, state_changed)
                if entry is not None:
                    joined.append(entry)
            elif membership == "invite":
                invite = self._invited(room, self._member_event(room, upto_depth))
                if invite is not None:
                    invited.append(invite)
            elif membership == "knock":
                knock = self._member_event(room, upto_depth)
                if self.initial or self.request.full_state or knock.depth > self._since_depth(room):
                    knocked.append(KnockedRoom(room_id, self._stripped(room, knock)))
            elif membership in ("leave", "ban"):
                gone = self._left(room, self._member_event(room, upto_depth))
                if gone is not None:
                    left.append(gone)
        if joined_now is not None:
            self._joined_rooms = joined_now
        if self.sent_members is not None:
            store.sent_members.record(
                self.user_id,
                self.request.device_id,
                self.now,
                layered(self.sent_before, self.sent_members),
            )
        return SyncResult(
            next_batch=self.now,
            joined=joined,
            invited=invited,
            knocked=knocked,
            left=left,
            presence=self._presence(),
            account_data=(
                account_data_section.global_entries(self.account_data, self.filter.account_data)
                if self.account_data
                else []
            ),
            to_device=(
                to_device(
                    store,
                    self.user_id,
                    self.request.device_id,
                    self.from_pos.to_device,
                    self.now.to_device,
                )
                if stable
                else []
            ),
            device_lists=self._device_lists(),
        )

    def _member_event(self, room: Room, depth: int) -> Event:
        member = room.membership_at(self.user_id, depth)
        assert member is not None
        return member

    def _since_depth(self, room: Room) -> int:
        return 0 if self.initial else room.depth_at_stream(self.from_pos.room)

    # -- joined rooms ----------------------------------------------------------------------

    def _joined(
        self, room: Room, since_depth: int, upto_depth: int, state_changed: bool
    ) -> JoinedRoom | None:
        """The room's entry, or None when there is nothing to say.

        ``state_changed`` says whether any state event lies in (since, upto]:
        without one the user cannot have newly joined and, unless full state
        is asked for, no state entry and no summary field can differ.
        """
        request = self.request
        user_id = self.user_id
        from_pos = self.from_pos
        fresh = state_changed and (self.initial or newly_joined(room, user_id, since_depth))
        full = fresh or request.full_state
        timeline = select_timeline(
            room,
            0 if fresh else since_depth,
            upto_depth,
            self.filter.timeline,
            self.now,
            viewer=user_id,
        )
        # With lazy-loaded members, the timeline's senders may need their member events
        # even when no state changed.
        state = self._state(room, timeline, since_depth, upto_depth, full) if (
            full or state_changed or (self.sent_members is not None and timeline.events)
        ) else []
        # The ephemeral and account-data sections say nothing unless their stream moved.
        typing_now = (
            typing(room, self.filter.ephemeral, full, from_pos.typing)
            if full or room.typing_stream > from_pos.typing
            else None
        )
        receipts_now = (
            receipts(
                room, self.filter.ephemeral, user_id, full, from_pos.receipt, self.now.receipt
            )
            if request.stable and (full or new_receipts(room, from_pos.receipt))
            else []
        )
        account_data = self._room_account_data(room.room_id) if self.account_data else []
        room_summary: Summary | None = None
        unread = None
        unread_threads: dict[str, tuple[int, int]] | None = None
        if request.stable:
            if full or state_changed:
                room_summary = summary(room, user_id, since_depth, upto_depth, full)
            counts = self.store.unread(user_id, room)
            if self.filter.unread_thread_notifications:
                unread, unread_threads = counts.main, dict(counts.threads)
            else:
                unread = counts.total()
        # As Synapse: a room with nothing in its timeline, state, ephemeral or account
        # data is left out; a summary or unread count alone does not count (SyTest
        # 06state.pl, "A change to displayname should not result in a full state sync").
        if not (
            full
            or timeline.events
            or state
            or typing_now is not None
            or receipts_now
            or account_data
        ):
            return None
        entry = JoinedRoom(
            room_id=room.room_id,
            timeline=timeline,
            state=state,
            typing=typing_now,
            receipts=receipts_now,
            account_data=account_data,
            summary=room_summary,
            unread=unread,
            unread_threads=unread_threads,
        )
        if self.keeper is not None:
            sent = self.sent_members
            members = sent.get(room.room_id) if sent is not None else None
            self.keeper.keep(room, self._room_data().get(room.room_id, ()), entry, members)
        return entry

    def _state(
        self, room: Room, timeline: Timeline, since_depth: int, upto_depth: int, full: bool
    ) -> list[Event]:
        sent = self.sent_members
        state = timeline_state(
            room,
            timeline,
            since_depth,
            upto_depth,
            full=full,
            state_at=self.request.state_at,
            state_filter=self.filter.state,
            user_id=self.user_id,
            already_sent=None if sent is None else self._had(room.room_id),
        )
        if sent is not None:
            members = [e for e in (*state, *timeline.events) if e.type == "m.room.member"]
            if members:
                had = frozenset() if full else self._had(room.room_id)
                sent[room.room_id] = had | {e.event_id for e in members}
        return state

    def _had(self, room_id: str) -> frozenset[str]:
        """The member events of the room the device has (lazy loading)."""
        sent = self.sent_members
        found = sent.get(room_id) if sent is not None else None
        return found if found is not None else self.sent_before.get(room_id, frozenset())

    def _room_data(self) -> dict[str, tuple[AccountData, ...]]:
        """All the user's account data by room (part of a kept entry's key), indexed once."""
        by_room = self._data_by_room
        if by_room is None:
            found: dict[str, list[AccountData]] = {}
            for entry in self.account_data:
                if entry.room_id is not None:
                    found.setdefault(entry.room_id, []).append(entry)
            by_room = self._data_by_room = {r: tuple(e) for r, e in found.items()}
        return by_room

    def _room_account_data(self, room_id: str) -> list[AccountData]:
        return account_data_section.of_room(
            self.account_data, room_id, self.filter.room_account_data
        )

    # -- invited and left rooms ---------------------------------------------------------------

    def _invited(self, room: Room, invite: Event) -> InvitedRoom | None:
        if not (
            self.initial or self.request.full_state or invite.depth > self._since_depth(room)
        ):
            return None
        return InvitedRoom(room.room_id, self._stripped(room, invite))

    def _stripped(self, room: Room, membership: Event) -> list[Event]:
        """An invite's or a knock's state: the room's stripped state, then the event itself."""
        upto = room.depth_at_stream(self.now.room)
        return [*self.store.stripped_state(room, upto), membership]

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
            window = [leave] if shows(leave, self.filter.timeline, room) else []
            timeline = Timeline(window, False, room_token(room, leave.depth - 1, self.now))
            return LeftRoom(room.room_id, timeline, self._own_membership(room, leave), account_data)
        was_joined = room.membership_at(self.user_id, since_depth)
        full = wholesale or was_joined is None or was_joined.membership != "join"
        timeline = select_timeline(
            room,
            0 if full else since_depth,
            departed,
            self.filter.timeline,
            self.now,
            viewer=self.user_id,
        )
        state = self._state(room, timeline, since_depth, departed, full)
        if leave.depth > departed:
            timeline = append(room, timeline, leave, self.filter.timeline, self.now)
            if self.request.state_at == "timeline_end":
                state = [e for e in state if e.state_key != self.user_id or e.type != leave.type]
                state += self._own_membership(room, leave)
        return LeftRoom(room.room_id, timeline, state, account_data)

    def _own_membership(self, room: Room, leave: Event) -> list[Event]:
        """The state of a membership-only entry: the change itself, at the timeline's end."""
        if self.request.state_at != "timeline_end":
            return []
        return [leave] if shows(leave, self.filter.state, room) else []

    # -- sections of the whole answer ------------------------------------------------------

    def _presence(self) -> list[Presence]:
        if (
            not self.initial
            and self.from_pos.presence >= self.now.presence
            and not self.state_changes
        ):
            return []  # no presence changed, and nobody newly shares a room
        return presence(
            self.store,
            self.user_id,
            self.filter.presence,
            None if self.initial else self.from_pos.presence,
            self.now.presence,
            self.joined_rooms(),
            self.state_changes,
        )

    def _device_lists(self) -> DeviceLists | None:
        """Only on an incremental sync in today's dialect."""
        if not self.stable or self.initial:
            return None
        if not self.state_changes and self.from_pos.device_list >= self.now.device_list:
            return DeviceLists(changed=[], left=[])
        return device_list_changes(
            self.store,
            self.user_id,
            self.from_pos,
            self.now,
            self.state_changes,
            self.joined_rooms(),
        )


def up_to_date(store: Store, request: SyncRequest) -> bool:
    """Whether an incremental ``request`` has nothing to report, known without computing
    it: its ``since`` is the store's position (once expired typing is dropped), so no
    stream moved, and :func:`compute_sync` would find no room touched, no presence, account
    data, to-device message or device list change. A client long-polls again with the
    ``next_batch`` it was just given, so this is the first look of most long-polls."""
    if request.since is None or request.full_state:
        return False
    store.expire_typing()
    return request.since == store.position


def compute_sync(
    store: Store, request: SyncRequest, keeper: EntryKeeper | None = None
) -> SyncResult:
    """Everything ``request.user_id`` may see that changed in (since, now].

    With ``keeper`` (an initial sync in today's dialect: see :mod:`.kept`), joined
    rooms whose kept entry still holds are answered with it (a :class:`KeptEntry`), and every
    entry built is kept.
    """
    store.expire_typing()
    return _Computation(store, request, keeper).run()

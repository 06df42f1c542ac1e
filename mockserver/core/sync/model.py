"""What a sync is asked and what it answers: plain values, built afresh per answer.

:class:`SyncRequest` is the parsed request; :class:`SyncResult` and the entry
types (:class:`JoinedRoom`, :class:`InvitedRoom`, :class:`LeftRoom`,
:class:`DeviceLists`...) are what ``mockserver.api.sync`` encodes in either
dialect. :class:`Timeline` alone is shared among syncs (see
:func:`mockserver.core.sync.rooms.select_timeline`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from mockserver.core.filters import Filter
from mockserver.core.model import AccountData, Event, Presence, Receipt, ToDeviceMessage
from mockserver.core.tokens import RoomToken, StreamToken

if TYPE_CHECKING:
    from mockserver.core.sync.kept import KeptEntry

StateAt = Literal["timeline_start", "timeline_end"]


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
    #: (notification_count, highlight_count): of the main timeline only when the filter
    #: asks for ``unread_thread_notifications``, else of everything.
    unread: tuple[int, int] | None
    #: Thread root -> counts, when the filter asks (threads with something unread).
    unread_threads: dict[str, tuple[int, int]] | None = None


@dataclass(slots=True)
class InvitedRoom:
    room_id: str
    #: Stripped state, then the invite itself.
    invite_state: list[Event]


@dataclass(slots=True)
class KnockedRoom:
    room_id: str
    #: Stripped state, then the knock itself.
    knock_state: list[Event]


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
    #: A KeptEntry (see :mod:`.kept`) only in an initial sync computed with a keeper.
    joined: list[JoinedRoom | KeptEntry]
    invited: list[InvitedRoom]
    left: list[LeftRoom]
    presence: list[Presence]
    account_data: list[AccountData]
    to_device: list[ToDeviceMessage]
    #: Only on an incremental sync in today's dialect.
    device_lists: DeviceLists | None
    #: Rooms knocked on, awaiting an answer (today's dialect only: the seed's has no section).
    knocked: list[KnockedRoom] = field(default_factory=list)

    def __bool__(self) -> bool:
        """True when there is something to report (an empty result keeps a long-poll waiting)."""
        return bool(
            self.joined
            or self.invited
            or self.left
            or self.knocked
            or self.presence
            or self.account_data
            or self.to_device
            or bool(self.device_lists)
        )



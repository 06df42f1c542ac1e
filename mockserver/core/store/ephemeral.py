"""Ephemeral data: typing notifications, read receipts and presence.

Typing sets and receipts are kept on each :class:`~mockserver.core.room.Room`
(``typing``, ``typing_stream``, its receipt log) so a sync reads them with the
room; this area owns writing them, the set of rooms where someone types (for
expiry), and every user's presence with its log. It owns three streams of the
position: ``typing``, ``receipt`` and ``presence``. Leaving a room stops
typing there: the rooms area calls :func:`stop_typing` for that.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from typing import TYPE_CHECKING

from mockserver.core.errors import M_INVALID_PARAM, MatrixError, forbidden
from mockserver.core.model import PRESENCE_STATES, Presence, Receipt
from mockserver.core.room import Room
from mockserver.core.store.base import UNSET, Whole
from mockserver.core.store.relations import event_in_thread

if TYPE_CHECKING:
    from mockserver.core.store.accounts import Accounts
    from mockserver.core.store.rooms import Rooms

DEFAULT_TYPING_TIMEOUT_MS = 30_000
MAX_TYPING_TIMEOUT_MS = 120_000
READ_RECEIPTS = ("m.read", "m.read.private")


def stop_typing(whole: Whole, room: Room, user_id: str) -> bool:
    """``user_id`` no longer types in ``room``; False if it was not typing."""
    if room.typing.pop(user_id, None) is None:
        return False
    _typing_changed(whole, room)
    return True


def _typing_changed(whole: Whole, room: Room) -> None:
    room.typing_stream = whole.bump("typing")
    whole.touch(rooms=(room.room_id,))


def read_up_to(room: Room, user_id: str, event_index: dict[str, tuple[str, int]]) -> int:
    """Depth of the newest event the user has a read receipt (public or private) on."""
    best = 0
    for receipt in room.receipts_of(user_id):
        if receipt.receipt_type in READ_RECEIPTS:
            where = event_index.get(receipt.event_id)
            if where is not None:
                best = max(best, where[1])
    return best


class Ephemeral:
    """Typing (with expiry on the server clock), read receipts, presence."""

    def __init__(self, whole: Whole, accounts: Accounts, rooms: Rooms) -> None:
        self._whole = whole
        self._accounts = accounts
        self._rooms = rooms
        self.presence: dict[str, Presence] = {}
        self.presence_log: list[Presence] = []
        self.presence_streams: list[int] = []
        #: Rooms where someone may be typing (the store skips expiry while it is empty).
        self.typing_rooms: set[str] = set()

    # -- typing ---------------------------------------------------------------------------

    def _joined_room(self, user_id: str, room_id: str) -> Room:
        room = self._rooms.room(room_id)
        if self._rooms.membership(user_id, room_id) != "join":
            raise forbidden(f"User {user_id} is not in room {room_id}")
        return room

    def set_typing(self, user_id: str, room_id: str, typing: bool, timeout_ms: int | None) -> None:
        room = self._joined_room(user_id, room_id)
        self.expire_typing()
        if typing:
            timeout = DEFAULT_TYPING_TIMEOUT_MS if timeout_ms is None else timeout_ms
            timeout = max(0, min(timeout, MAX_TYPING_TIMEOUT_MS))
            was_typing = user_id in room.typing
            room.typing[user_id] = self._whole.now() + timeout
            self.typing_rooms.add(room_id)
            if not was_typing:
                _typing_changed(self._whole, room)
        else:
            stop_typing(self._whole, room, user_id)

    def expire_typing(self) -> None:
        """Drop typing notifications whose timeout has passed (on the server clock)."""
        if not self.typing_rooms:
            return
        now = self._whole.now()
        rooms = self._rooms.rooms
        for room_id in list(self.typing_rooms):
            room = rooms[room_id]
            expired = [u for u, expiry in room.typing.items() if expiry <= now]
            for user_id in expired:
                del room.typing[user_id]
            if expired:
                _typing_changed(self._whole, room)
            if not room.typing:
                self.typing_rooms.discard(room_id)

    def next_typing_expiry(self) -> int | None:
        rooms = self._rooms.rooms
        expiries = [e for r in self.typing_rooms for e in rooms[r].typing.values()]
        return min(expiries) if expiries else None

    # -- receipts -------------------------------------------------------------------------

    def set_receipt(
        self,
        user_id: str,
        room_id: str,
        receipt_type: str,
        event_id: str,
        *,
        thread_id: str | None = None,
        ts: int | None = None,
    ) -> None:
        """Record a read receipt, stamped ``ts`` (a scenario's) or now."""
        room = self._joined_room(user_id, room_id)
        if receipt_type not in READ_RECEIPTS:
            raise MatrixError(M_INVALID_PARAM, f"Unknown receipt type {receipt_type!r}")
        event = self._rooms.room_event(room_id, event_id)
        if thread_id is not None and not event_in_thread(
            self._rooms.relations.of(room_id), event, thread_id, self._rooms.event
        ):
            raise MatrixError(
                M_INVALID_PARAM, f"event_id {event_id} is not related to thread {thread_id}"
            )
        whole = self._whole
        room.add_receipt(
            Receipt(
                room_id=room_id,
                user_id=user_id,
                receipt_type=receipt_type,
                event_id=event_id,
                ts=whole.now() if ts is None else ts,
                stream=whole.bump("receipt"),
                thread_id=thread_id,
            )
        )
        whole.touch(rooms=(room_id,))

    # -- presence -------------------------------------------------------------------------

    def set_presence(
        self,
        user_id: str,
        presence: str,
        *,
        status_msg: str | None = UNSET,
        last_active_ago: int | None = UNSET,
    ) -> None:
        self._accounts.user(user_id)
        if presence not in PRESENCE_STATES:
            raise MatrixError(M_INVALID_PARAM, f"Invalid presence state {presence!r}")
        whole = self._whole
        current = self.presence.get(user_id)
        now = whole.now()
        last_active = current.last_active_ts if current is not None else None
        if last_active_ago is not UNSET:
            last_active = None if last_active_ago is None else now - last_active_ago
        elif presence == "online" and (current is None or current.presence != "online"):
            last_active = now
        status = current.status_msg if current is not None else None
        if status_msg is not UNSET:
            status = status_msg
        updated = Presence(
            user_id=user_id,
            presence=presence,
            last_active_ts=last_active,
            status_msg=status,
            currently_active=(presence == "online") if last_active is not None else None,
        )
        if current is not None and replace(current, stream=0) == updated:
            return
        updated = replace(updated, stream=whole.bump("presence"))
        self.presence[user_id] = updated
        self.presence_log.append(updated)
        self.presence_streams.append(updated.stream)
        whole.touch(rooms=self._rooms.joined_rooms(user_id), users=(user_id,))

    def mark_syncing(self, user_id: str, set_presence: str | None) -> None:
        """``/sync``'s ``set_presence``: absent means online; ``offline`` changes nothing."""
        wanted = set_presence or "online"
        if wanted == "offline":
            return
        current = self.presence.get(user_id)
        if current is None or current.presence != wanted:
            self.set_presence(user_id, wanted)

    def presence_changes(self, after: int, upto: int) -> list[Presence]:
        start = bisect_right(self.presence_streams, after)
        end = bisect_right(self.presence_streams, upto)
        return self.presence_log[start:end]

"""A joined room's ephemeral events in an answer: typing and read receipts.

Functions of one room and explicit stream positions, for any dialect.
"""

from __future__ import annotations

from mockserver.core.filters import EventFilter
from mockserver.core.model import Receipt
from mockserver.core.room import Room


def new_receipts(room: Room, since_receipt: int) -> bool:
    """Whether the room has receipts after ``since_receipt``."""
    return bool(room.receipt_streams) and room.receipt_streams[-1] > since_receipt


def typing(room: Room, ephemeral: EventFilter, full: bool, since_typing: int) -> list[str] | None:
    """The typing set: when it changed since ``since_typing``, or (``full``: initial sync,
    new join, full_state) whenever someone is typing."""
    if not full and room.typing_stream <= since_typing:
        return None  # unchanged: nothing to send, whatever the filter says
    if not ephemeral.allows_room(room.room_id) or not ephemeral.allows("m.typing", None):
        return None
    if full:
        return list(room.typing) if room.typing else None
    if room.typing_stream > since_typing:
        return list(room.typing)
    return None


def receipts(
    room: Room,
    ephemeral: EventFilter,
    user_id: str,
    full: bool,
    since_receipt: int,
    now_receipt: int,
) -> list[Receipt]:
    """Every latest receipt (``full``) or those in (since, now]; private ones only the
    user's own."""
    if not full and not new_receipts(room, since_receipt):
        return []
    if not ephemeral.allows_room(room.room_id) or not ephemeral.allows("m.receipt", None):
        return []
    if full:
        found = list(room.latest_receipts.values())
    else:
        found = room.receipts_between(since_receipt, now_receipt)
    return [r for r in found if r.receipt_type != "m.read.private" or r.user_id == user_id]

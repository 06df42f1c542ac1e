"""The device-list stream: whose devices or cross-signing keys changed, and when.

Each change is one entry at its own position of the ``device_list`` stream
(the seventh component of a stream token). A change is *public* (a device
uploaded its first keys or new ones, was renamed or deleted; the master or
self-signing key changed; one's own device was signed), told to everyone
who shares a room with the user and to the user's own devices, or
*private* (the user-signing key changed, or the user signed someone else's
master key), told only to the user's own devices, as Synapse does.

``/sync`` and ``GET /keys/changes`` both read this record through
:meth:`DeviceListLog.changed`, which works in proportion to the entries in
the range asked about.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockserver.core.store.base import Whole

if TYPE_CHECKING:
    from mockserver.core.store.rooms import Rooms


@dataclass(frozen=True, slots=True)
class DeviceListChange:
    stream: int
    user_id: str
    #: Told only to the user's own devices.
    private: bool = False


class DeviceListLog:
    """Every device-list change, in stream order; owns the ``device_list`` stream."""

    def __init__(self, whole: Whole, rooms: Rooms) -> None:
        self._whole = whole
        self._rooms = rooms
        self.entries: list[DeviceListChange] = []
        self.streams: list[int] = []

    def record(self, user_id: str, *, private: bool = False) -> None:
        """Note a change of ``user_id``'s devices and wake whoever must be told."""
        stream = self._whole.bump("device_list")
        self.entries.append(DeviceListChange(stream, user_id, private))
        self.streams.append(stream)
        rooms = () if private else self._rooms.joined_rooms(user_id)
        self._whole.touch(rooms=rooms, users=(user_id,))

    def between(self, after: int, upto: int) -> list[DeviceListChange]:
        start = bisect_right(self.streams, after)
        return self.entries[start : bisect_right(self.streams, upto, lo=start)]

    def changed(self, viewer: str, after: int, upto: int) -> set[str]:
        """Users with a change in (after, upto] that ``viewer`` may be told of.

        Private changes count only for their own user; whether the viewer
        shares a room with the others is the caller's question.
        """
        if not self.streams or self.streams[-1] <= after or after >= upto:
            return set()
        return {
            entry.user_id
            for entry in self.between(after, upto)
            if not entry.private or entry.user_id == viewer
        }

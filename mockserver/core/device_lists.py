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


@dataclass(frozen=True, slots=True)
class DeviceListChange:
    stream: int
    user_id: str
    #: Told only to the user's own devices.
    private: bool = False


class DeviceListLog:
    """Every device-list change, in stream order."""

    def __init__(self) -> None:
        self.entries: list[DeviceListChange] = []
        self.streams: list[int] = []

    def clear(self) -> None:
        self.entries.clear()
        self.streams.clear()

    def record(self, stream: int, user_id: str, *, private: bool = False) -> None:
        self.entries.append(DeviceListChange(stream, user_id, private))
        self.streams.append(stream)

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

"""``timestamp_to_event``: the event of a room closest to a time, in one direction.

As Synapse answers it: going forward (``f``), the earliest event sent at or
after ``ts``; going back (``b``), the latest sent at or before it, by
``origin_server_ts`` with stream order breaking ties. Timestamps need not
grow with depth (a scenario may set any), so the room's events up to what
the user may see are looked at one by one; the call is rare.
"""

from __future__ import annotations

from mockserver.core.model import Event
from mockserver.core.room import Room


def event_at_timestamp(room: Room, ts: int, direction: str, upto_depth: int) -> Event | None:
    best: Event | None = None
    for depth in range(1, upto_depth + 1):
        event = room.event_at(depth)
        at = event.origin_server_ts
        if direction == "f":
            if at >= ts and (best is None or at < best.origin_server_ts):
                best = event
        elif at <= ts and (best is None or at >= best.origin_server_ts):
            best = event
    return best

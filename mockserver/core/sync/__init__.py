"""The sync computation: what changed for one user between two positions.

:func:`compute_sync` answers both dialects from the same store. It takes
the request as a :class:`SyncRequest` and returns a :class:`SyncResult` of
plain values (events, receipts, presence...); ``mockserver.api.sync``
shapes that into the seed's ``room_map``/``event_map`` form or today's
``rooms.join`` form. Nothing here awaits, reads the wall clock or builds
JSON. One module per section of an answer, each a set of functions of
explicit inputs that another dialect can call for one room or one user:

- :mod:`.model`: the request and result values;
- :mod:`.rooms`: one room's timeline, state, summary and unread counts;
- :mod:`.ephemeral`: one room's typing and receipts;
- :mod:`.account_data`: global and per-room account data;
- :mod:`.presence`, :mod:`.to_device`, :mod:`.device_lists`: per-user sections;
- :mod:`.compute`: the v3 loop over the user's rooms (joined, invited, left)
  and :func:`compute_sync`;
- :mod:`.kept`: joined rooms' entries of initial syncs kept with what they
  depend on, served again while that holds.
"""

from mockserver.core.sync.compute import compute_sync, up_to_date
from mockserver.core.sync.model import (
    DeviceLists,
    InvitedRoom,
    KnockedRoom,
    JoinedRoom,
    LeftRoom,
    StateAt,
    Summary,
    SyncRequest,
    SyncResult,
    Timeline,
)
from mockserver.core.sync.rooms import heroes, room_state, room_token, select_timeline

__all__ = [
    "DeviceLists",
    "InvitedRoom",
    "KnockedRoom",
    "JoinedRoom",
    "LeftRoom",
    "StateAt",
    "Summary",
    "SyncRequest",
    "SyncResult",
    "Timeline",
    "compute_sync",
    "heroes",
    "room_state",
    "room_token",
    "select_timeline",
    "up_to_date",
]

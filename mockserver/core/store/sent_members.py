"""Which lazy-loaded member events each device was sent, per sync position.

With ``lazy_load_members`` and without ``include_redundant_members``, an incremental
``/sync`` sends a timeline sender's member event only when the device has not had it
yet (SyTest "We don't send redundant membership state across incremental syncs by
default"; Synapse keeps a per-device cache for it). What a device had is remembered
per ``next_batch`` it was given, so a sync repeated from the same ``since`` gets the
same answer; a device keeps its newest :data:`KEEP` positions, and a ``since`` that
is not remembered counts as having nothing (the spec allows redundant member events).
Not world state: never exported, forgotten with the world.
"""

from __future__ import annotations

from collections import ChainMap, OrderedDict
from collections.abc import Mapping

from mockserver.core.tokens import StreamToken

#: Positions remembered per device (a client syncs from its newest; retries reuse one).
KEEP = 8

#: Per room: the ids of the member events the device has.
Sent = Mapping[str, frozenset[str]]
EMPTY: Sent = {}
#: How many answers' additions are layered over what a device had before they are merged.
LAYERS = 8


def layered(before: Sent, added: dict[str, frozenset[str]]) -> Sent:
    """``before`` with ``added`` over it: an answer that added nothing (a woken sync
    after a message, mostly) records ``before`` itself, one that did records its
    additions as a layer over it; every :data:`LAYERS` layers they are merged into one
    mapping, so no answer copies all of a device's rooms (1,000 in a big account)."""
    if not added:
        return before
    if not before:
        return added
    below = list(before.maps) if isinstance(before, ChainMap) else [before]
    if len(below) >= LAYERS:
        return {**before, **added}
    return ChainMap(added, *below)


class SentMembers:
    def __init__(self) -> None:
        self._by_device: dict[tuple[str, str], OrderedDict[StreamToken, Sent]] = {}

    def at(self, user_id: str, device_id: str, position: StreamToken | None) -> Sent:
        """What the device had been sent when it was given ``position`` (initial: nothing)."""
        if position is None:
            return EMPTY
        positions = self._by_device.get((user_id, device_id))
        return EMPTY if positions is None else positions.get(position, EMPTY)

    def record(self, user_id: str, device_id: str, position: StreamToken, sent: Sent) -> None:
        """The device was given ``position`` holding ``sent``."""
        positions = self._by_device.setdefault((user_id, device_id), OrderedDict())
        positions[position] = sent
        positions.move_to_end(position)
        while len(positions) > KEEP:
            positions.popitem(last=False)

    def forget_all(self) -> None:
        self._by_device.clear()

"""Sliding sync entries of rooms new to a connection, laid out once per kept view.

A room new to a connection is shown from a view kept per (depth, user,
configuration) (:func:`mockserver.core.sliding_sync.rooms.room_result`). The
JSON of its entry is then the same in every answer made from that view but for
the unread counts, the bump stamp, each event's age, the ``prev_batch`` (which
names the store position), ``num_live`` and ``is_dm``. So the entry is laid out
once per view, in the order :func:`~mockserver.api.sliding_sync.encode_room`
gives its fields: its bytes in pieces with a slot for each of those, the
events' heads and tails being the kept ones of :mod:`mockserver.api.encoded`.
Filling one in costs a few numbers and one join, against building the entry's
dict and filling its two event lists one by one.

Not laid out (encoded by ``encode_room``, as before): invites (no ages: they are
cheap as they are), entries with a redacted event (its bytes hold its
redaction's age), entries served with bundled aggregations, and, at the time of
an answer, entries holding an event the viewing device sent (its transaction
id) or one stamped after the answer's time.

Memory: per laid-out view, a list of pointers to the kept event bytes and the
entry's few literal pieces; at most :data:`LAID_OUT` views, then it starts afresh.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from mockserver.api.encoded import ENCODED
from mockserver.core.model import Event, JsonDict, Session
from mockserver.core.sliding_sync.rooms import RoomResult
from mockserver.core.tokens import ALL_PARTS

LAID_OUT = 4096


class _Layout:
    """An entry's pieces: ``{``, the unread counts' slot, the bump stamp's slot, the
    literals and events (an age slot after each head), then, with a timeline, the
    ``prev_batch`` and ``num_live`` slots, then the ``is_dm`` slot and ``}``."""

    __slots__ = ("parts", "ages", "stamps", "newest", "owners", "prev_batch")

    def __init__(self) -> None:
        self.parts: list[bytes] = [b"{", b"", b""]
        #: The slot of each event's age, and the event's timestamp.
        self.ages: list[int] = []
        self.stamps: list[int] = []
        self.newest = 0
        #: (user, device) of each transaction among the events.
        self.owners: set[tuple[str, str]] = set()
        #: The ``prev_batch`` slot (``num_live``'s is two further on); 0: no timeline.
        self.prev_batch = 0

    def literal(self, piece: bytes) -> None:
        self.parts.append(piece)

    def events(self, key: bytes, events: Sequence[Event]) -> None:
        parts = self.parts
        parts.append(b',"%s":[' % key)
        for index, event in enumerate(events):
            head, tail = ENCODED.pieces(event)
            if index:
                parts.append(b",")
            parts.append(head)
            self.ages.append(len(parts))
            self.stamps.append(event.origin_server_ts)
            parts += (b"", tail)
            if event.txn is not None:
                self.owners.add((event.txn[0], event.txn[1]))
        parts.append(b"]")

    def slot(self) -> int:
        self.parts.append(b"")
        return len(self.parts) - 1


def described(room: RoomResult) -> JsonDict:
    """The fields of an entry that describe the room: counts, name, avatar, heroes and
    ``initial``, in the order the entry gives them."""
    body: JsonDict = {}
    if room.joined_count is not None:
        body["joined_count"] = room.joined_count
        body["invited_count"] = room.invited_count
    if room.name is not None:
        body["name"] = room.name
    if room.avatar is not None:
        body["avatar"] = room.avatar
    if room.heroes:
        body["heroes"] = [
            {
                "user_id": hero.user_id,
                **({"displayname": hero.displayname} if hero.displayname is not None else {}),
                **({"avatar_url": hero.avatar_url} if hero.avatar_url is not None else {}),
            }
            for hero in room.heroes
        ]
    if room.initial:
        body["initial"] = True
    return body


def _lay_out(room: RoomResult) -> _Layout | None:
    timeline = room.timeline
    events = [*(room.required_state or ()), *(timeline.events if timeline is not None else ())]
    if (
        room.invite_state is not None
        or room.expanded_timeline
        or any(e.redacted_because is not None for e in events)
    ):
        return None
    layout = _Layout()
    fields = described(room)
    if fields:
        layout.literal(b"," + orjson.dumps(fields)[1:-1])
    if room.required_state:
        layout.events(b"required_state", room.required_state)
    if timeline is not None:
        if timeline.events:
            layout.events(b"timeline", timeline.events)
        layout.literal(b',"limited":%s,"prev_batch":' % (b"true" if timeline.limited else b"false"))
        layout.prev_batch = layout.slot()
        layout.literal(b',"num_live":')
        layout.slot()
    layout.slot()  # is_dm
    layout.literal(b"}")
    layout.newest = max(layout.stamps, default=0)
    return layout


class LaidOutEntries:
    """The layouts of the kept views served lately, by the views' identity (held, so
    ids are not reused); None for a view whose entry is not laid out."""

    def __init__(self) -> None:
        self._layouts: dict[int, tuple[object, _Layout | None]] = {}

    def clear(self) -> None:
        self._layouts.clear()

    def __len__(self) -> int:
        return len(self._layouts)

    def filled(self, room: RoomResult, viewer: Session, now: int) -> orjson.Fragment | None:
        """``room``'s entry for ``viewer`` at ``now`` (served without bundled
        aggregations), or None if no layout serves it."""
        shown = room.shown
        if shown is None:
            return None
        kept = self._layouts.get(id(shown))
        if kept is None or kept[0] is not shown:
            if len(self._layouts) >= LAID_OUT:
                self._layouts.clear()
            kept = self._layouts[id(shown)] = (shown, _lay_out(room))
        layout = kept[1]
        bump_stamp, timeline, num_live = room.bump_stamp, room.timeline, room.num_live
        if (
            layout is None
            or bump_stamp is None
            or now < layout.newest
            or (viewer.user_id, viewer.device_id) in layout.owners
        ):
            return None
        parts = layout.parts[:]
        if room.unread is not None:
            parts[1] = b'"notification_count":%d,"highlight_count":%d,' % room.unread
        parts[2] = b'"bump_stamp":%d' % bump_stamp
        for slot, stamp in zip(layout.ages, layout.stamps):
            parts[slot] = b"%d" % (now - stamp)
        if timeline is not None:
            if num_live is None:
                return None
            slot = layout.prev_batch
            parts[slot] = orjson.dumps(timeline.prev_batch.format(ALL_PARTS))
            parts[slot + 2] = b"%d" % num_live
        if room.is_dm:
            parts[-2] = b',"is_dm":true'
        return orjson.Fragment(b"".join(parts))


LAID_OUT_ENTRIES = LaidOutEntries()

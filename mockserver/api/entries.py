"""Joined rooms' entries of initial v3 ``/sync`` answers, kept encoded between answers.

What a kept entry depends on, and when it is served again, is
:mod:`mockserver.core.sync.kept`'s (:class:`EntryKeeper`). This module picks
a request's keeper and keeps each kept entry's bytes laid out for filling in.

- Which requests: initial syncs (no ``since``) in today's dialect, with events
  in the client format and no ``event_fields``. One keeper per user, device,
  filter, ``full_state`` and place of the state (``state`` or ``state_after``):
  at most :attr:`KeptEntries.KEEPERS`, holding at most
  :attr:`KeptEntries.ENTRIES` entries together, the least recently used
  dropped first; one holding another world's rooms (a reset) is replaced.
- Laid out: an entry's JSON is encoded once as :func:`joined body
  <mockserver.api.sync>` makes it, with a placeholder for each of its event
  lists and for the end of its ``prev_batch``, then split there: per event a
  literal (the JSON before it), its head, a slot for its age and its tail (the
  kept bytes of :mod:`mockserver.api.encoded`, the syncing device's own
  transaction id put in), then a slot for the ``prev_batch``'s positions after
  the room's (the answer's ``next_batch``'s) and the last literal. A redacted
  event (whose bytes hold its redaction's age too) has a slot of its own,
  encoded whole each time as :func:`~mockserver.api.format.client_event`
  makes it. Filling one in costs a list of ages, the answer's positions and one
  join: the bytes of an entry encoded afresh. No byte ``\\x00`` can be in
  orjson's output (it escapes control characters), so the placeholders cannot
  be mistaken.
- Not laid out (encoded afresh each time, and so built afresh each time):
  entries with an event served with bundled aggregations.

Memory: per kept entry its values (lists of events, summary, receipts...), 4
pointers and an age's timestamp per event (the events' bytes are shared with
:mod:`mockserver.api.encoded`) and its JSON besides its events (a few hundred
bytes). Each keeper holds at most one entry per room of its user; a big
account's keeper (1,022 entries, 46,000 events without a filter) holds ~3 MB.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from mockserver.api.encoded import ENCODED
from mockserver.api.format import client_event
from mockserver.core.model import Event, Session
from mockserver.core.store import Store
from mockserver.core.store.relations import Aggregator
from mockserver.core.sync import JoinedRoom, SyncRequest
from mockserver.core.sync.kept import EntryKeeper, KeptEntry
from mockserver.core.tokens import RoomToken, StreamToken

#: Placeholders of an entry's state list and timeline list in its laid-out encoding.
STATE_EVENTS = orjson.Fragment(b"\x00s")
TIMELINE_EVENTS = orjson.Fragment(b"\x00t")
_TOKEN = b"p"


def prev_batch_slot(token: RoomToken) -> orjson.Fragment:
    """A ``prev_batch`` up to its room position, then the placeholder for the rest."""
    return orjson.Fragment(b'"t%d-%d\x00p"' % (token.depth, token.position.room))


def positions_after_room(position: StreamToken) -> bytes:
    """What follows the room position in a ``prev_batch`` minted at ``position``."""
    return b"_%d_%d_%d_%d_%d_%d" % (
        position.presence,
        position.typing,
        position.receipt,
        position.account_data,
        position.to_device,
        position.device_list,
    )


class _Layout:
    """An entry's pieces: (literal, head, age slot, tail) per event or token slot, then
    the last literal; the events' timestamps (0 for a token slot or a redacted event's
    slot) and the newest; the token slots; the redacted events' slots."""

    __slots__ = ("parts", "stamps", "newest", "tokens", "redacted")

    def __init__(
        self,
        parts: list[bytes],
        stamps: list[int],
        tokens: list[int],
        redacted: list[tuple[int, Event]],
    ) -> None:
        self.parts = parts
        self.stamps = stamps
        self.newest = max(stamps, default=0)
        self.tokens = tokens
        self.redacted = redacted


def _bundles_any(events: Sequence[Event], aggregator: Aggregator | None) -> bool:
    """Whether any of ``events`` is served with bundled aggregations."""
    if aggregator is None:
        return False
    return any(aggregator.of(event) is not None for event in events)


def _own_transaction(event: Event, viewer: Session) -> bytes:
    txn = event.txn
    if txn is not None and txn[0] == viewer.user_id and txn[1] == viewer.device_id:
        return b',"transaction_id":' + orjson.dumps(txn[2])
    return b""


class KeptEntries:
    """The keepers of the latest request shapes, newest first."""

    KEEPERS = 16
    ENTRIES = 4096

    def __init__(self) -> None:
        self._keepers: list[tuple[tuple[object, ...], object, EntryKeeper]] = []

    def clear(self) -> None:
        self._keepers.clear()

    def keeper(self, store: Store, request: SyncRequest) -> EntryKeeper | None:
        """The keeper of ``request``'s entries, if its answer's entries are kept."""
        sync_filter = request.filter
        if (
            not request.stable
            or request.since is not None
            or sync_filter.event_fields is not None
            or sync_filter.event_format != "client"
        ):
            return None
        key = (
            request.user_id,
            request.device_id,
            request.state_at,
            request.full_state,
            sync_filter,
        )
        keepers = self._keepers
        for index, (kept_key, rooms, keeper) in enumerate(keepers):
            if kept_key == key:
                if rooms is not store.rooms:
                    keeper = EntryKeeper()
                del keepers[index]
                keepers.insert(0, (key, store.rooms, keeper))
                return keeper
        keeper = EntryKeeper()
        keepers.insert(0, (key, store.rooms, keeper))
        del keepers[self.KEEPERS :]
        while len(keepers) > 1 and sum(len(k) for _, _, k in keepers) > self.ENTRIES:
            keepers.pop()
        return keeper

    def lay_out(
        self,
        kept: KeptEntry,
        body: bytes,
        viewer: Session,
        aggregator: Aggregator | None,
        position: StreamToken,
    ) -> bool:
        """Keep ``body`` (``kept.entry`` encoded with the placeholders above, the
        answer's at ``position``) laid out in ``kept``; False if it cannot be."""
        entry = kept.entry
        timeline = entry.timeline
        if (
            _bundles_any(timeline.events, aggregator)
            or timeline.prev_batch.position.advance(room=position.room) != position
        ):
            return False
        lists = {b"s": entry.state, b"t": timeline.events}
        parts: list[bytes] = []
        stamps: list[int] = []
        tokens: list[int] = []
        redacted: list[tuple[int, Event]] = []
        chunks = body.split(b"\x00")
        pending = [chunks[0]]
        for chunk in chunks[1:]:
            kind = chunk[:1]
            if kind == _TOKEN:
                tokens.append(len(parts) + 2)
                parts += (b"".join(pending), b"", b"", b"")
                stamps.append(0)
                pending = []
            else:
                events = lists[kind]
                opening = b"["
                for event in events:
                    pending.append(opening)
                    opening = b","
                    if event.redacted_because is not None:
                        redacted.append((len(parts) + 2, event))
                        parts += (b"".join(pending), b"", b"", b"")
                        stamps.append(0)
                        pending = []
                        continue
                    head, tail = ENCODED.pieces(event)
                    own = _own_transaction(event, viewer)
                    parts += (b"".join(pending), head, b"", own + tail if own else tail)
                    stamps.append(event.origin_server_ts)
                    pending = []
                pending.append(b"]" if events else b"[]")
            pending.append(chunk[1:])
        parts.append(b"".join(pending))
        kept.encoded = _Layout(parts, stamps, tokens, redacted)
        return True

    @staticmethod
    def filled(
        kept: KeptEntry, viewer: Session, now: int, positions: bytes
    ) -> orjson.Fragment:
        """``kept``'s laid-out entry as an answer to ``viewer`` at ``now`` serves it
        (``positions``: :func:`positions_after_room` of the answer's ``next_batch``)."""
        layout = kept.encoded
        assert isinstance(layout, _Layout)
        parts = layout.parts[:]
        if now >= layout.newest:
            parts[2:-1:4] = [b"%d" % (now - stamp) for stamp in layout.stamps]
        else:  # an event stamped after the answer's time: its age is 0
            parts[2:-1:4] = [
                b"%d" % (now - stamp) if now > stamp else b"0" for stamp in layout.stamps
            ]
        for slot in layout.tokens:
            parts[slot] = positions
        for slot, event in layout.redacted:
            parts[slot] = orjson.dumps(client_event(event, viewer, now, with_room_id=False))
        return orjson.Fragment(b"".join(parts))


ENTRIES = KeptEntries()

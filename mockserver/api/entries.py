"""Joined rooms' entries of initial v3 ``/sync`` answers, kept encoded between answers.

What a kept entry depends on, and when it is served again, is
:mod:`mockserver.core.sync.kept`'s (:class:`EntryKeeper`). This module picks
a request's keeper and keeps each kept entry's bytes laid out for filling in.

- Which requests: initial syncs (no ``since``) in today's dialect, with events
  in the client format and no ``event_fields``. One keeper per user, device,
  filter, ``full_state`` and place of the state (``state`` or ``state_after``):
  at most :attr:`KeptEntries.KEEPERS`, holding at most
  :attr:`KeptEntries.ENTRIES` entries and :attr:`KeptEntries.SLOTS` slots
  (about events) together, the least recently used dropped first; one holding
  another world's rooms (a reset) is replaced.
- Laid out: an entry's JSON is encoded once as ``joined_body`` in
  :mod:`mockserver.api.sync` makes it, with a placeholder for each of its
  event lists and for the end of its ``prev_batch``, and its events are put
  in as :mod:`mockserver.api.encoded` encodes them (the syncing device's own
  transaction ids in), each cut around its age. What is left is literals
  between slots: one per event for its age, one for the ``prev_batch``'s
  positions after the room's (the answer's ``next_batch``'s), and one per
  redacted event (whose bytes hold its redaction's age too), encoded whole
  each time as :func:`~mockserver.api.format.client_event` makes it. No byte
  ``\\x00`` can be in orjson's output (it escapes control characters), so the
  placeholders cannot be mistaken.
- Served: an answer's ``rooms.join`` (:func:`join_section`) is its entries'
  literals and slots in one list, the ages filled in at once (one age's bytes
  for each distinct timestamp: a scenario stores many events to the
  millisecond), the slots overwritten, and :func:`spliced` into the answer as
  :class:`Pieces`, joined a chunk at a time as the answer is sent (a wide one;
  one that may be shared is joined whole). The list is kept while an answer is
  made of the same kept entries, and filled in again once the answer made of
  it has been sent (until then, a copy is filled).
- Not laid out (encoded afresh each time, and so built afresh each time):
  entries with an event served with bundled aggregations.

Memory: per kept entry its values (lists of events, summary, receipts...), its
JSON but the ages (the events' bytes are not also kept by
:mod:`mockserver.api.encoded`), two pointers and a timestamp per slot, and the
assembled list of the keeper's last answer (and, while that answer is still being
sent, the copy a next answer fills). Each keeper holds at most one entry
per room of its user. After a full and a lazy-loading initial sync of the big
account (60,000 slots) the process had grown by 232 B per stored event (the
previous way, with each served event's bytes kept by ``encoded.py``: 285 B);
measured over HTTP (resident set after three of each, beyond the load's), 159 B
when each answer was joined whole, 88 B since answers are sent in chunks.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from operator import itemgetter, mul, sub

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
#: Placeholder of an answer's ``rooms.join`` whose entries are kept (see :func:`spliced`).
_JOIN = b"\x00j"
JOIN_SECTION = orjson.Fragment(_JOIN)


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
    """An entry laid out: slots and literals taking turns, from the slot of the comma
    before the entry (the first of an answer's has none) to the entry's last literal;
    the first literal holds the entry's key. The slots' timestamps (0 but for an event's
    age slot) and the newest; the token and redacted events' slots, counted from the
    comma's."""

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
    """The keepers of the latest request shapes, newest first. One for the process, as
    :data:`~mockserver.api.encoded.ENCODED` is: homeservers served from other threads
    (the pytest plugin's) pick their keepers under a lock; each keeper is used by the
    one homeserver whose rooms it holds."""

    KEEPERS = 16
    ENTRIES = 4096
    SLOTS = 65_536

    def __init__(self) -> None:
        self._keepers: list[tuple[tuple[object, ...], object, EntryKeeper]] = []
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
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
        with self._lock:
            return self._kept_for(key, store.rooms)

    def _kept_for(self, key: tuple[object, ...], rooms_now: object) -> EntryKeeper:
        keepers = self._keepers
        for index, (kept_key, rooms, keeper) in enumerate(keepers):
            if kept_key == key:
                if rooms is not rooms_now:
                    keeper = EntryKeeper()
                del keepers[index]
                keepers.insert(0, (key, rooms_now, keeper))
                return keeper
        keeper = EntryKeeper()
        keepers.insert(0, (key, rooms_now, keeper))
        del keepers[self.KEEPERS :]
        while len(keepers) > 1 and (
            sum(len(k) for _, _, k in keepers) > self.ENTRIES
            or sum(k.weight for _, _, k in keepers) > self.SLOTS
        ):
            keepers.pop()
        return keeper

    @staticmethod
    def lay_out(
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
        parts: list[bytes] = [b""]  # the comma's slot
        stamps: list[int] = [0]
        tokens: list[int] = []
        redacted: list[tuple[int, Event]] = []
        chunks = body.split(b"\x00")
        pending = [orjson.dumps(entry.room_id), b":", chunks[0]]

        def slot(stamp: int) -> int:
            parts.append(b"".join(pending))
            pending.clear()
            parts.append(b"")
            stamps.append(stamp)
            return len(parts) - 1

        for chunk in chunks[1:]:
            kind = chunk[:1]
            if kind == _TOKEN:
                tokens.append(slot(0))
            else:
                events = lists[kind]
                opening = b"["
                for event in events:
                    pending.append(opening)
                    opening = b","
                    if event.redacted_because is not None:
                        redacted.append((slot(0), event))
                        continue
                    head, tail = ENCODED.pieces(event, keep=False)
                    pending.append(head)
                    slot(event.origin_server_ts)
                    pending += (_own_transaction(event, viewer), tail)
                pending.append(b"]" if events else b"[]")
            pending.append(chunk[1:])
        if not tokens:
            return False  # never: a timeline has a prev_batch
        parts.append(b"".join(pending))
        kept.encoded = _Layout(parts, stamps, tokens, redacted)
        return True


class _Section:
    """An answer's ``rooms.join`` assembled: literals and slots taking turns (see
    :class:`_Layout`; the slots hold the last answer's values until filled in again),
    the slots' timestamps and the newest, the slots of commas, tokens and redacted
    events; ``entries``: what it was made of, when it was made of kept entries alone
    (then it serves again an answer of the same ones)."""

    __slots__ = (
        "entries",
        "parts",
        "stamps",
        "newest",
        "commas",
        "tokens",
        "redacted",
        "lent",
        "_filling",
        "_sizes",
    )

    def __init__(self) -> None:
        self.entries: list[KeptEntry] | None = []
        self.parts: list[bytes] = [b"{"]
        self.stamps: list[int] = []
        self.newest = 0
        self.commas: list[int] = []
        self.tokens: list[int] = []
        self.redacted: list[tuple[int, Event]] = []
        #: The answer being sent from ``parts`` (they are not filled in again until it is).
        self.lent: weakref.ref[Pieces] | None = None
        self._filling: (
            tuple[list[int], list[int] | None, Callable[[list[bytes]], Sequence[bytes]]] | None
        ) = None
        self._sizes: tuple[int, int] | None = None

    def parts_to_fill(self) -> list[bytes]:
        """``parts``, or a copy while an answer made of them is still being sent."""
        lent = self.lent
        if lent is not None:
            answer = lent()
            if answer is not None and not answer.sent:
                return self.parts.copy()
        return self.parts

    def sizes(self) -> tuple[int, int]:
        """The bytes of the literals (the first as :func:`join_section` puts it back) and
        of the commas and closing brace among the slots: all but the ages, positions and
        redacted events of an answer."""
        if self._sizes is None:
            literals = len(b"{") + sum(map(len, self.parts[2::2]))
            commas = max(len(self.commas) - 1, 0)
            self._sizes = (literals, commas + 1)
        return self._sizes

    def filling(
        self,
    ) -> tuple[list[int], list[int] | None, Callable[[list[bytes]], Sequence[bytes]]]:
        """The distinct timestamps of the age slots and how many slots have each (None
        when each has one), and what picks every slot's value, in slot order, from the
        ages' bytes (one per distinct timestamp) followed by :data:`_FIXED`: an age, a
        comma, nothing (the first entry's comma, a redacted event's slot until it is
        written), the closing brace or the positions (one C call for tens of thousands
        of slots). Events stamped alike share their age's bytes: a scenario's events
        are stored many to the millisecond (the big account's 46,000 served events
        have ~1,000 timestamps)."""
        if self._filling is None:
            count = len(self.stamps)
            kinds = [-1] * count  # -1: an age slot
            for index in self.commas:
                kinds[index // 2] = _COMMA
            if self.commas:
                kinds[self.commas[0] // 2] = _NOTHING
            for index in self.tokens:
                kinds[index // 2] = _POSITIONS
            for index, _ in self.redacted:
                kinds[index // 2] = _NOTHING
            kinds[-1] = _CLOSING
            distinct: dict[int, int] = {}
            counts: list[int] = []
            picks: list[int] = []
            for stamp, kind in zip(self.stamps, kinds):
                if kind < 0:
                    found = distinct.get(stamp)
                    if found is None:
                        found = distinct[stamp] = len(counts)
                        counts.append(0)
                    counts[found] += 1
                    picks.append(found)
                else:
                    picks.append(-1 - kind)
            ages = len(counts)
            picks = [pick if pick >= 0 else ages - 1 - pick for pick in picks]
            stamps = list(distinct)
            shared = counts if ages < sum(counts) else None
            if len(picks) == 1:
                only = picks[0]
                self._filling = (stamps, shared, lambda values: (values[only],))
            else:
                self._filling = (stamps, shared, itemgetter(*picks))
        return self._filling


#: The slot values :meth:`_Section.filling` picks besides ages, after them in its source
#: (the positions are put after these, per answer).
_FIXED = (b",", b"", b"}")
_COMMA, _NOTHING, _CLOSING, _POSITIONS = 0, 1, 2, 3


def _assembled(
    entries: list[JoinedRoom | KeptEntry],
    laid_out: Callable[[JoinedRoom], KeptEntry | None],
    encoded: Callable[[JoinedRoom], bytes],
) -> _Section:
    section = _Section()
    used = section.entries
    parts, stamps, commas, tokens = section.parts, section.stamps, section.commas, section.tokens
    for entry in entries:
        kept = entry if isinstance(entry, KeptEntry) else laid_out(entry)
        base = len(parts)
        commas.append(base)
        if kept is None:
            assert isinstance(entry, JoinedRoom)
            parts += (b"", orjson.dumps(entry.room_id) + b":" + encoded(entry))
            stamps.append(0)
            used = None
            continue
        if used is not None:
            used.append(kept)
        layout = kept.encoded
        assert isinstance(layout, _Layout)
        parts += layout.parts
        stamps += layout.stamps
        if layout.newest > section.newest:
            section.newest = layout.newest
        for index in layout.tokens:
            tokens.append(base + index)
        if layout.redacted:
            section.redacted += [(base + index, event) for index, event in layout.redacted]
    parts.append(b"")  # a slot before the closing brace
    stamps.append(0)
    section.entries = used
    return section


def join_section(
    entries: list[JoinedRoom | KeptEntry],
    keeper: EntryKeeper,
    viewer: Session,
    now: int,
    positions: bytes,
    laid_out: Callable[[JoinedRoom], KeptEntry | None],
    encoded: Callable[[JoinedRoom], bytes],
) -> Pieces:
    """An answer's ``rooms.join`` to ``viewer`` at ``now``: kept entries filled in,
    new ones laid out and kept (``laid_out``, which gives None when one cannot be)
    or encoded afresh (``encoded``); ``positions``: :func:`positions_after_room` of the
    answer's ``next_batch``. In pieces (literals and slots taking turns): see
    :func:`spliced`. An answer of the very entries of the keeper's last one (kept
    entries alone, in the same order) is assembled as that one was, and its pieces
    filled in place unless the last answer made of them is still being sent."""
    section = keeper.section
    if not (isinstance(section, _Section) and section.entries == entries):
        section = _assembled(entries, laid_out, encoded)
        keeper.section = section if section.entries is not None else None
        keeper.weight = len(section.stamps)
    literals, fixed = section.sizes()
    parts = section.parts_to_fill()
    parts[0] = b"{"
    stamps, counts, pick = section.filling()
    if now >= section.newest:
        ages = list(map(sub, repeat(now), stamps))
    else:  # an event stamped after the answer's time: its age is 0
        ages = [now - stamp if now > stamp else 0 for stamp in stamps]
    if ages:
        dumped = orjson.dumps(ages)
        values = dumped[1:-1].split(b",")
        if counts is None:  # each age in one slot: the list's bytes less its punctuation
            size = literals + fixed + len(dumped) - len(ages) - 1
        else:
            size = literals + fixed + sum(map(mul, map(len, values), counts))
    else:
        values = []
        size = literals + fixed
    values += _FIXED
    values.append(positions)
    size += len(positions) * len(section.tokens)
    parts[1::2] = pick(values)
    for index, event in section.redacted:
        parts[index] = redacted = orjson.dumps(client_event(event, viewer, now, with_room_id=False))
        size += len(redacted)
    pieces = Pieces(parts, size)
    if parts is section.parts:
        section.lent = weakref.ref(pieces)
    return pieces


class Pieces:
    """An answer's bytes in pieces, joined a chunk at a time as they are sent: the
    entries' bytes are copied once, into chunks small enough to stay in the CPU's
    cache, and the first chunk is on its way while the next is joined."""

    __slots__ = ("parts", "size", "sent", "__weakref__")

    #: Pieces joined into one chunk (about 250 KB of the big account's answer).
    CHUNK = 2048

    def __init__(self, parts: list[bytes], size: int) -> None:
        self.parts = parts
        self.size = size
        self.sent = False

    def chunks(self) -> Iterator[bytes]:
        """The answer's bytes, a chunk at a time; after the last, its pieces may be
        filled in for the next answer."""
        parts, step = self.parts, self.CHUNK
        for start in range(0, len(parts), step):
            yield b"".join(parts[start : start + step])
        self.sent = True


def spliced(body: bytes, section: Pieces) -> Pieces:
    """``body`` (an answer encoded with :data:`JOIN_SECTION` as its ``rooms.join``) with
    ``section`` (:func:`join_section`'s pieces) put in."""
    before, after = body.split(_JOIN, 1)
    parts = section.parts
    parts[0] = before + parts[0]
    parts[-1] += after
    section.size += len(before) + len(after)
    return section


ENTRIES = KeptEntries()

"""Lists of client events as pre-encoded JSON, each event's fixed bytes encoded once.

An initial sync of a big account serves tens of thousands of events, most of
them served before and unchanged since: building each one's dict and
encoding it again was most of the answer's cost. What a
ClientEventWithoutRoomID (:func:`~mockserver.api.format.client_event`) holds
is fixed for an event object except ``unsigned.age`` (the answer's time) and
``unsigned.transaction_id`` (its sender's device only). So an event's bytes
are kept in two pieces around the age: the head, up to ``"unsigned":{"age":``,
and the tail, from after the age (``prev_content``, and the fields after
``unsigned``) to the closing brace. A list of events is then one
:class:`orjson.Fragment`: ``[``, and per event the head, the age, the
transaction id if the viewer owns it, the tail, joined once. The bytes are
those ``orjson.dumps`` gives the dicts of :func:`client_event`.

Kept per event id together with the event object itself, so an event
replaced by a changed copy (a redaction) is encoded afresh. A list served
again (a room's remembered current state, a remembered timeline window: an
initial sync asks the same ones each time) is also kept laid out, its pieces
in order with a slot per age: recognised by its first and last event ids and
length, then event by event by identity, it costs one list of ages and one
join. A viewer who owns a transaction in it, or an event stamped after the
answer's time, takes the way event by event. Events whose
bytes depend on more than the age (a redacted event carries its
redaction's age; an event with bundled aggregations) and lists cut by
``event_fields`` are encoded through :func:`client_event`, as before.

Memory: the kept bytes are a second copy of each served event's JSON (about
its size, plus ~170 bytes of bookkeeping), and a kept list ~50 bytes per event
(pointers to those bytes); at most :attr:`EncodedEvents.LIMIT` events and
:attr:`EncodedEvents.LISTS` lists are kept, after which each starts afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import is_

import orjson

from mockserver.api.format import client_event
from mockserver.core.model import Event, Session
from mockserver.core.store.relations import Aggregator

_dumps = orjson.dumps


def _head(event: Event) -> bytes:
    return b"".join(
        (
            b'{"type":',
            _dumps(event.type),
            b',"sender":',
            _dumps(event.sender),
            b',"content":',
            _dumps(event.content),
            b',"event_id":',
            _dumps(event.event_id),
            b',"origin_server_ts":',
            _dumps(event.origin_server_ts),
            b',"unsigned":{"age":',
        )
    )


def _tail(event: Event) -> bytes:
    parts: list[bytes] = []
    if event.prev_content is not None:
        parts += (b',"prev_content":', _dumps(event.prev_content))
    parts.append(b"}")
    if event.state_key is not None:
        parts += (b',"state_key":', _dumps(event.state_key))
    if event.type == "m.room.redaction" and "redacts" in event.content:
        parts += (b',"redacts":', _dumps(event.content["redacts"]))
    parts.append(b"}")
    return b"".join(parts)


class _Template:
    """A list of plain events (no redaction), laid out for :meth:`EncodedEvents.events`:
    ``[``, then per event a separator, its head, a slot for its age and its tail, then
    ``]``; the events' timestamps, the newest, and who owns a transaction among them."""

    __slots__ = ("events", "parts", "stamps", "newest", "owners")

    def __init__(
        self, events: tuple[Event, ...], parts: list[bytes], owners: set[tuple[str, str]]
    ) -> None:
        self.events = events
        self.parts = parts
        self.stamps = [event.origin_server_ts for event in events]
        self.newest = max(self.stamps)
        self.owners = owners


class EncodedEvents:
    """Each served event's head and tail bytes, by event id, and the lists served again
    (see the module's docstring)."""

    LIMIT = 500_000
    LISTS = 16_384

    def __init__(self) -> None:
        self._kept: dict[str, tuple[Event, bytes, bytes]] = {}
        #: (first event id, last event id, length) -> the template of the last such list
        #: (None: it held a redacted event, and is served event by event).
        self._lists: dict[tuple[str, str, int], _Template | None] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        self._kept.clear()
        self._lists.clear()

    def _template(self, events: tuple[Event, ...]) -> _Template | None:
        """``events`` laid out for filling in, or None if one of them was redacted."""
        kept = self._kept
        parts: list[bytes] = []
        owners: set[tuple[str, str]] = set()
        for event in events:
            if event.redacted_because is not None:
                return None
            pieces = kept.get(event.event_id)
            if pieces is None or pieces[0] is not event:
                pieces = self._pieces(event)
            parts += (b",", pieces[1], b"", pieces[2])
            if event.txn is not None:
                owners.add((event.txn[0], event.txn[1]))
        parts[0] = b"["
        parts.append(b"]")
        return _Template(events, parts, owners)

    def _filled(
        self, events: Sequence[Event], viewer: Session, now: int
    ) -> orjson.Fragment | None:
        """The list from its template (made now if it is new), or None when a template
        does not serve it: a redacted event, the viewer's own transaction, a future event."""
        key = (events[0].event_id, events[-1].event_id, len(events))
        lists = self._lists
        if key not in lists:
            if len(lists) >= self.LISTS:
                lists.clear()
            template = lists[key] = self._template(tuple(events))
        else:
            template = lists[key]
            if template is None:
                return None
            if not all(map(is_, template.events, events)):
                template = lists[key] = self._template(tuple(events))
        if template is None:
            return None
        if now < template.newest or (viewer.user_id, viewer.device_id) in template.owners:
            return None
        parts = template.parts[:]
        parts[2:-1:4] = [b"%d" % (now - stamp) for stamp in template.stamps]
        return orjson.Fragment(b"".join(parts))

    def pieces(self, event: Event, keep: bool = True) -> tuple[bytes, bytes]:
        """``event``'s head and tail (see the module): kept ones, or encoded and kept now
        (unless not ``keep``: for a caller that keeps what it makes of them). Only for an
        event with no redaction, served without bundled aggregations."""
        pieces = self._kept.get(event.event_id)
        if pieces is None or pieces[0] is not event:
            if not keep:
                return _head(event), _tail(event)
            pieces = self._pieces(event)
        return pieces[1], pieces[2]

    def _pieces(self, event: Event) -> tuple[Event, bytes, bytes]:
        kept = self._kept
        if len(kept) >= self.LIMIT:
            kept.clear()
        pieces = kept[event.event_id] = (event, _head(event), _tail(event))
        return pieces

    def events(
        self,
        events: Sequence[Event],
        viewer: Session,
        now: int,
        aggregator: Aggregator | None = None,
    ) -> orjson.Fragment:
        """``events`` as a JSON list of ClientEventWithoutRoomID, for ``viewer`` at ``now``."""
        if aggregator is None and events:
            filled = self._filled(events, viewer, now)
            if filled is not None:
                return filled
        kept = self._kept
        user_id, device_id = viewer.user_id, viewer.device_id
        parts: list[bytes] = []
        append = parts.append
        for event in events:
            if event.redacted_because is not None or (
                aggregator is not None and aggregator.of(event) is not None
            ):
                append(b",")
                append(
                    _dumps(
                        client_event(
                            event, viewer, now, with_room_id=False, aggregator=aggregator
                        )
                    )
                )
                continue
            pieces = kept.get(event.event_id)
            if pieces is None or pieces[0] is not event:
                pieces = self._pieces(event)
            append(b",")
            append(pieces[1])
            age = now - event.origin_server_ts
            append(b"%d" % age if age > 0 else b"0")
            txn = event.txn
            if txn is not None and txn[0] == user_id and txn[1] == device_id:
                append(b',"transaction_id":')
                append(_dumps(txn[2]))
            append(pieces[2])
        if not parts:
            return orjson.Fragment(b"[]")
        parts[0] = b"["
        parts.append(b"]")
        return orjson.Fragment(b"".join(parts))


ENCODED = EncodedEvents()

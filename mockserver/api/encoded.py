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
replaced by a changed copy (a redaction) is encoded afresh. Events whose
bytes depend on more than the age (a redacted event carries its
redaction's age; an event with bundled aggregations) and lists cut by
``event_fields`` are encoded through :func:`client_event`, as before.

Memory: the kept bytes are a second copy of each served event's JSON (about
its size, plus ~150 bytes of bookkeeping); at most :attr:`EncodedEvents.LIMIT`
events are kept, after which the store starts afresh.
"""

from __future__ import annotations

from collections.abc import Sequence

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


class EncodedEvents:
    """Each served event's head and tail bytes, by event id (see the module's docstring)."""

    LIMIT = 500_000

    def __init__(self) -> None:
        self._kept: dict[str, tuple[Event, bytes, bytes]] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        self._kept.clear()

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

"""Simplified sliding sync (MSC4186), served at
``POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync``.

The handler reads ``pos`` and ``timeout`` from the query and the whole
configuration from the body, finds the state the connection reached at
``pos`` (``M_UNKNOWN_POS`` if it has none), and computes the answer with
:func:`~mockserver.core.sliding_sync.compute.compute_sliding_sync`. With a
``pos`` and a ``timeout`` it long-polls through the notifier, as v3
``/sync`` does, until something changed or the timeout passes. Then it
records the new connection state under a new ``pos`` and encodes the
answer in the shape Synapse serves. Events are encoded by the same
functions as v3 ``/sync``'s (timelines through the same shared memo).
"""

from __future__ import annotations

from typing import Any

import orjson

from mockserver.api import params
from mockserver.api.encoded import ENCODED
from mockserver.api.format import (
    account_data_event,
    receipt_event,
    stripped_event,
    to_device_event,
    typing_event,
)
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.api.sliding_entries import LAID_OUT_ENTRIES, described
from mockserver.api.sync import long_poll, timeline_aggregator
from mockserver.core.model import Event, JsonDict, Session
from mockserver.core.sliding_sync.compute import SlidingSyncResult, compute_sliding_sync
from mockserver.core.sliding_sync.connections import ConnectionKey
from mockserver.core.sliding_sync.extensions import ExtensionsResult
from mockserver.core.sliding_sync.request import SlidingSyncRequest, parse_request
from mockserver.core.sliding_sync.rooms import RoomResult
from mockserver.core.store import Store
from mockserver.core.tokens import ALL_PARTS

#: The ``unstable_features`` flag clients look for in ``/versions``.
FEATURE = "org.matrix.simplified_msc3575"


@endpoint(f"/{FEATURE}/sync", "POST")
async def post_sliding_sync(call: Call) -> Reply:
    session = call.session
    assert session is not None
    query = call.query
    timeout = params.query_int(query, "timeout", 0, minimum=0) or 0
    pos = query.get("pos")
    request = await _request(call)
    store = call.store
    key = ConnectionKey(session.user_id, session.device_id, request.conn_id or "")
    previous = store.connections.state_at(key, pos)

    def compute() -> SlidingSyncResult:
        return compute_sliding_sync(store, session.user_id, session.device_id, request, previous)

    if previous is None or timeout <= 0:
        result, now = compute(), store.now()
    else:
        result, now = await long_poll(call, compute, timeout)
    new_pos = store.connections.record(key, pos, result.state)
    call.hs.synced(session.user_id)
    return encode(result, new_pos, session, now, store)


#: Requests by their body's bytes: a client sends its whole configuration every time,
#: the same until it changes (a request is a value: parsing the same bytes gives an
#: equal one). At most :data:`REQUESTS_KEPT`, then it starts afresh.
_REQUESTS: dict[bytes, SlidingSyncRequest] = {}
REQUESTS_KEPT = 64


async def _request(call: Call) -> SlidingSyncRequest:
    """The request's body, checked whole (a refused one is not kept)."""
    raw = await params.body_bytes(call.request)
    found = _REQUESTS.get(raw)
    if found is None:
        found = parse_request(params.json_object_of(params.parse_json(raw)))
        if len(_REQUESTS) >= REQUESTS_KEPT:
            _REQUESTS.clear()
        _REQUESTS[raw] = found
    return found


# -- encoding ----------------------------------------------------------------------------


def encode(
    result: SlidingSyncResult, pos: str, session: Session, now: int, store: Store
) -> JsonDict:
    return {
        "pos": pos,
        "lists": {
            name: {
                "count": found.count,
                "ops": [
                    {"op": "SYNC", "range": list(bounds), "room_ids": list(room_ids)}
                    for bounds, room_ids in found.ranges
                ],
            }
            for name, found in result.lists.items()
        },
        "rooms": {
            room_id: encode_room(room, session, now, store)
            for room_id, room in result.rooms.items()
        },
        "extensions": encode_extensions(result.extensions),
    }


def encode_room(
    room: RoomResult, session: Session, now: int, store: Store
) -> JsonDict | orjson.Fragment:
    """One entry of ``rooms``, with only the fields that have something to say (a limited
    timeline's events with their bundled aggregations, as v3 /sync serves them); a room
    new to the connection from its laid-out bytes when they serve it
    (:mod:`mockserver.api.sliding_entries`)."""
    timeline = room.timeline
    aggregator = (
        timeline_aggregator(
            store, session.user_id, room.room_id, timeline, room.membership == "join"
        )
        if timeline is not None and timeline.events
        else None
    )
    if aggregator is None and room.shown is not None:
        laid_out = LAID_OUT_ENTRIES.filled(room, session, now)
        if laid_out is not None:
            return laid_out
    body: dict[str, Any] = {}
    if room.unread is not None:
        body["notification_count"], body["highlight_count"] = room.unread
    if room.bump_stamp is not None:
        body["bump_stamp"] = room.bump_stamp
    body.update(described(room))
    if room.expanded_timeline:
        body["unstable_expanded_timeline"] = True
    if room.required_state:
        body["required_state"] = ENCODED.events(room.required_state, session, now)
    if timeline is not None:
        if timeline.events:
            body["timeline"] = ENCODED.events(timeline.events, session, now, aggregator)
        body["limited"] = timeline.limited
        body["prev_batch"] = timeline.prev_batch.format(ALL_PARTS)
        body["num_live"] = room.num_live
    if room.is_dm:
        body["is_dm"] = True
    if room.invite_state is not None:
        body["invite_state"] = _invite_state(room.invite_state)
    return body


#: Encoded ``invite_state`` lists by the identity of the list (held, so ids are not
#: reused): a room new to a connection shows the list kept for the room's depth.
_INVITE_STATES: dict[int, tuple[list[Event], orjson.Fragment]] = {}
INVITE_STATES_KEPT = 1024


def forget_encodings() -> None:
    """Forget the kept requests, laid-out entries and ``invite_state`` encodings
    (answers are the same without them)."""
    _REQUESTS.clear()
    LAID_OUT_ENTRIES.clear()
    _INVITE_STATES.clear()


def _invite_state(events: list[Event]) -> orjson.Fragment:
    """The stripped events of an invite, encoded once per list."""
    kept = _INVITE_STATES.get(id(events))
    if kept is not None and kept[0] is events:
        return kept[1]
    encoded = orjson.Fragment(orjson.dumps([stripped_event(event) for event in events]))
    if len(_INVITE_STATES) >= INVITE_STATES_KEPT:
        _INVITE_STATES.clear()
    _INVITE_STATES[id(events)] = (events, encoded)
    return encoded


def encode_extensions(extensions: ExtensionsResult) -> JsonDict:
    body: JsonDict = {}
    if extensions.to_device is not None:
        body["to_device"] = {
            "next_batch": str(extensions.to_device.next_batch),
            "events": [to_device_event(m) for m in extensions.to_device.events],
        }
    if extensions.e2ee is not None:
        e2ee = extensions.e2ee
        body["e2ee"] = {
            "device_one_time_keys_count": e2ee.one_time_key_counts,
            "device_unused_fallback_key_types": e2ee.fallback_key_types,
        }
        if e2ee.device_lists is not None:
            body["e2ee"]["device_lists"] = {
                "changed": e2ee.device_lists.changed,
                "left": e2ee.device_lists.left,
            }
    if extensions.account_data is not None:
        body["account_data"] = {
            "global": [account_data_event(e) for e in extensions.account_data.global_data],
            "rooms": {
                room_id: [account_data_event(e) for e in entries]
                for room_id, entries in extensions.account_data.rooms.items()
            },
        }
    if extensions.receipts is not None:
        body["receipts"] = {
            "rooms": {
                room_id: receipt_event(receipts)
                for room_id, receipts in extensions.receipts.items()
            }
        }
    if extensions.typing is not None:
        body["typing"] = {
            "rooms": {room_id: typing_event(users) for room_id, users in extensions.typing.items()}
        }
    return body


routes = [post_sliding_sync]

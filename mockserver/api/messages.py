"""History: ``/rooms/{roomId}/messages`` and ``/rooms/{roomId}/context/{eventId}``."""

from __future__ import annotations

from typing import Any

import orjson

from mockserver.api import params
from mockserver.api.format import client_event
from mockserver.api.rooms import room_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import M_NOT_JSON, MatrixError, invalid_param, missing_param, not_found
from mockserver.core.filters import EMPTY_EVENT_FILTER, EventFilter, parse_event_filter
from mockserver.core.model import Event
from mockserver.core.pagination import depth_of_position, paginate, position_token
from mockserver.core.room import Room
from mockserver.core.visibility import may_see

MAX_LIMIT = 1000


def room_event_filter(text: str | None) -> EventFilter:
    if text is None or text == "":
        return EMPTY_EVENT_FILTER
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise MatrixError(M_NOT_JSON, "Invalid filter JSON") from None
    return parse_event_filter(value)


def _lazy_members(call: Call, room: Room, events: list[Event], depth: int) -> list[dict[str, Any]]:
    senders = {event.sender for event in events}
    now = call.store.now()
    found = []
    for sender in sorted(senders):
        member = room.state_event_at(("m.room.member", sender), depth)
        if member is not None:
            found.append(client_event(member, call.session, now))
    return found


@endpoint("/rooms/{room_id}/messages", "GET")
async def get_messages(call: Call) -> Reply:
    room_id = room_id_param(call)
    query = call.query
    direction = query.get("dir")
    if direction is None:
        raise missing_param("Missing 'dir'")
    if direction not in ("b", "f"):
        raise invalid_param("'dir' must be 'b' or 'f'")
    limit = params.query_int(query, "limit", 10, minimum=0)
    assert limit is not None
    event_filter = room_event_filter(query.get("filter"))
    store = call.store
    room = store.room(room_id)
    reading = store.reading(call.user_id, room_id)
    visible = reading.depth
    current = store.position
    backwards = direction == "b"
    from_text = query.get("from")
    if from_text:
        from_depth = depth_of_position(room, from_text, current)
    else:
        from_depth = visible if backwards else 0
    to_text = query.get("to")
    to_depth = depth_of_position(room, to_text, current) if to_text else None
    page = paginate(
        room,
        from_depth=from_depth,
        backwards=backwards,
        limit=min(limit, event_filter.limit_or(MAX_LIMIT), MAX_LIMIT),
        event_filter=event_filter,
        to_depth=to_depth,
        visible_depth=visible,
        viewer=call.user_id,
        peek_after=reading.member_depth,
    )
    now = store.now()
    bundles = store.aggregator(call.user_id, room, visible)
    body: dict[str, Any] = {
        "start": from_text or position_token(room, from_depth, current).format(),
        "chunk": [
            client_event(event, call.session, now, aggregator=bundles) for event in page.chunk
        ],
    }
    if page.end_depth is not None:
        body["end"] = position_token(room, page.end_depth, current).format()
    if event_filter.lazy_load_members and page.chunk:
        body["state"] = _lazy_members(call, room, page.chunk, visible)
    return body


@endpoint("/rooms/{room_id}/context/{event_id}", "GET")
async def get_context(call: Call) -> Reply:
    room_id = room_id_param(call)
    store = call.store
    limit = params.query_int(call.query, "limit", 10, minimum=0)
    assert limit is not None
    limit = min(limit, MAX_LIMIT)
    event_filter = room_event_filter(call.query.get("filter"))
    room = store.room(room_id)
    reading = store.reading(call.user_id, room_id)
    visible = reading.depth
    event = store.event(call.path["event_id"])
    if (
        event is None
        or event.room_id != room_id
        or event.depth > visible
        or not may_see(room, call.user_id, event, reading.member_depth)
    ):
        raise not_found("Event not found")
    current = store.position
    before_limit = limit // 2
    before = paginate(
        room,
        from_depth=event.depth - 1,
        backwards=True,
        limit=before_limit,
        event_filter=event_filter,
        visible_depth=visible,
        viewer=call.user_id,
        peek_after=reading.member_depth,
    )
    after = paginate(
        room,
        from_depth=event.depth,
        backwards=False,
        limit=limit - before_limit,
        event_filter=event_filter,
        visible_depth=visible,
        viewer=call.user_id,
        peek_after=reading.member_depth,
    )
    now = store.now()
    start_depth = before.chunk[-1].depth - 1 if before.chunk else event.depth - 1
    end_depth = after.chunk[-1].depth if after.chunk else event.depth
    last = after.chunk[-1].depth if after.chunk else event.depth
    bundles = store.aggregator(call.user_id, room, visible)
    return {
        "event": client_event(event, call.session, now, aggregator=bundles),
        "events_before": [
            client_event(e, call.session, now, aggregator=bundles) for e in before.chunk
        ],
        "events_after": [
            client_event(e, call.session, now, aggregator=bundles) for e in after.chunk
        ],
        "start": position_token(room, start_depth, current).format(),
        "end": position_token(room, end_depth, current).format(),
        "state": [
            client_event(e, call.session, now)
            for e in sorted(room.state_at(last).values(), key=lambda e: e.depth)
        ],
    }


routes = [get_messages, get_context]

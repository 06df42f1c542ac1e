"""Relations and threads: ``/v1/rooms/{roomId}/relations/...`` and ``/v1/rooms/{roomId}/threads``.

Both page with the room tokens ``/messages`` uses (a ``from`` may also be a
``/messages`` or ``/sync`` token), and serve each event with its bundled
aggregations. The index behind them is :mod:`mockserver.core.store.relations`.
"""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.format import client_event
from mockserver.api.rooms import room_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import not_found
from mockserver.core.model import Event
from mockserver.core.pagination import depth_of_position, position_token
from mockserver.core.room import Room
from mockserver.core.store.relations import (
    MAX_RECURSION,
    related_depths,
    relations_page,
    threads_page,
)
from mockserver.core.visibility import Reading, may_see

#: Synapse's defaults and cap.
RELATIONS_LIMIT = 5
THREADS_LIMIT = 5
MAX_LIMIT = 1000


def _shown(call: Call, room: Room, reading: Reading, event: Event) -> bool:
    """Whether the caller may see ``event`` (history visibility, a peek included)."""
    return event.depth <= reading.depth and may_see(room, call.user_id, event, reading.member_depth)


def _page(
    call: Call, room: Room, events: list[Event], next_depth: int | None, visible: int
) -> dict[str, object]:
    """A page of events with their bundled aggregations, and where the next one starts."""
    store = call.store
    now = store.now()
    bundles = store.aggregator(call.user_id, room, visible)
    body: dict[str, object] = {
        "chunk": [client_event(e, call.session, now, aggregator=bundles) for e in events]
    }
    if next_depth is not None:
        body["next_batch"] = position_token(room, next_depth, store.position).format()
    return body


async def _relations(call: Call, rel_type: str | None, event_type: str | None) -> Reply:
    room_id = room_id_param(call)
    query = call.query
    backwards = params.query_choice(query, "dir", ("b", "f"), "b") == "b"
    limit = params.query_int(query, "limit", RELATIONS_LIMIT, minimum=0)
    assert limit is not None
    recurse = params.query_bool(query, "recurse")
    store = call.store
    room = store.room(room_id)
    reading = store.reading(call.user_id, room_id)
    visible = reading.depth
    current = store.position
    from_text = query.get("from")
    to_text = query.get("to")
    from_depth = depth_of_position(room, from_text, current) if from_text else None
    to_depth = depth_of_position(room, to_text, current) if to_text else None
    parent = store.event(call.path["event_id"])
    if parent is None or parent.room_id != room_id or not _shown(call, room, reading, parent):
        raise not_found("Unknown parent event.")
    index = store.relations.of(room_id)
    depths = (
        related_depths(room, index, parent.event_id, rel_type, event_type, recurse)
        if index is not None
        else []
    )
    if room.restricted_history or reading.member_depth < visible:
        depths = [d for d in depths if _shown(call, room, reading, room.event_at(d))]
    page = relations_page(
        room,
        depths,
        from_depth=(visible if backwards else 0) if from_depth is None else from_depth,
        backwards=backwards,
        limit=min(limit, MAX_LIMIT),
        to_depth=to_depth,
        visible_depth=visible,
    )
    body = _page(call, room, page.chunk, page.next_depth, visible)
    if from_text:
        body["prev_batch"] = from_text
    if recurse:
        body["recursion_depth"] = MAX_RECURSION
    return body


@endpoint("/rooms/{room_id}/relations/{event_id}", "GET")
async def get_relations(call: Call) -> Reply:
    return await _relations(call, None, None)


@endpoint("/rooms/{room_id}/relations/{event_id}/{rel_type}", "GET")
async def get_relations_of_type(call: Call) -> Reply:
    return await _relations(call, call.path["rel_type"], None)


@endpoint("/rooms/{room_id}/relations/{event_id}/{rel_type}/{event_type}", "GET")
async def get_relations_of_type_and_event_type(call: Call) -> Reply:
    return await _relations(call, call.path["rel_type"], call.path["event_type"])


@endpoint("/rooms/{room_id}/threads", "GET")
async def get_threads(call: Call) -> Reply:
    room_id = room_id_param(call)
    query = call.query
    include = params.query_choice(query, "include", ("all", "participated"), "all")
    limit = params.query_int(query, "limit", THREADS_LIMIT, minimum=1)
    assert limit is not None
    store = call.store
    room = store.room(room_id)
    reading = store.reading(call.user_id, room_id)
    visible = reading.depth
    current = store.position
    from_text = query.get("from")
    from_depth = depth_of_position(room, from_text, current) if from_text else None
    index = store.relations.of(room_id)
    if index is None:
        return {"chunk": []}
    page = threads_page(
        room,
        index,
        call.user_id,
        store.event,
        from_depth=from_depth,
        limit=min(limit, MAX_LIMIT),
        participated_only=include == "participated",
        visible_depth=visible,
    )
    # A thread root the caller may not see is left out of its page (the page may then be
    # shorter than ``limit``, which the spec allows); ``next_batch`` still goes on.
    roots = [root for root in page.roots if _shown(call, room, reading, root)]
    return _page(call, room, roots, page.next_depth, visible)


routes = [
    get_relations,
    get_relations_of_type,
    get_relations_of_type_and_event_type,
    get_threads,
]

"""Spaces: ``GET /_matrix/client/v1/rooms/{roomId}/hierarchy`` (see core/spaces.py)."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.format import stripped_event
from mockserver.api.rooms import room_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import forbidden
from mockserver.core.spaces import DEFAULT_LIMIT, HierarchyRequest, accessible, hierarchy


@endpoint("/rooms/{room_id}/hierarchy", "GET")
async def get_hierarchy(call: Call) -> Reply:
    root = room_id_param(call)
    query = call.query
    limit = params.query_int(query, "limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
    request = HierarchyRequest(
        user_id=call.user_id,
        root=root,
        max_depth=params.query_int(query, "max_depth", minimum=0),
        suggested_only=params.query_bool(query, "suggested_only"),
        limit=min(limit, DEFAULT_LIMIT),
        page_token=query.get("from"),
    )
    store = call.store

    def membership(room_id: str) -> str | None:
        return store.membership(call.user_id, room_id)

    room = store.rooms.get(root)
    if room is None or not accessible(room, membership(root), lambda r: membership(r) == "join"):
        # Synapse's answer for a room it cannot preview, known or not.
        raise forbidden(f"User {call.user_id} not in room {root}, and room previews are disabled")
    rooms, next_batch = hierarchy(store.rooms, membership, request)
    body: dict[str, object] = {
        "rooms": [
            {
                **room.summary,
                "children_state": [
                    {**stripped_event(e), "origin_server_ts": e.origin_server_ts}
                    for e in room.children
                ],
            }
            for room in rooms
        ]
    }
    if next_batch is not None:
        body["next_batch"] = next_batch
    return body


routes = [get_hierarchy]

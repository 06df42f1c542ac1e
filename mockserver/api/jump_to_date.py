"""``GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event`` (jump to a date)."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.rooms import room_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import missing_param, not_found
from mockserver.core.timestamps import event_at_timestamp


@endpoint("/rooms/{room_id}/timestamp_to_event", "GET")
async def get_timestamp_to_event(call: Call) -> Reply:
    room_id = room_id_param(call)
    ts = params.query_int(call.query, "ts", minimum=0)
    if ts is None:
        raise missing_param("Missing integer query parameter 'ts'")
    direction = params.query_choice(call.query, "dir", ("f", "b"))
    if direction is None:
        raise missing_param("Missing string query parameter 'dir'")
    store = call.store
    upto = store.visible_depth(call.user_id, room_id)
    event = event_at_timestamp(store.room(room_id), ts, direction, upto)
    if event is None:
        raise not_found(f"Unable to find event from {ts} in direction {direction}")
    return {"event_id": event.event_id, "origin_server_ts": event.origin_server_ts}


routes = [get_timestamp_to_event]

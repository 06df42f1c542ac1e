"""``POST /rooms/{roomId}/upgrade`` and ``GET /rooms/{roomId}/aliases``."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.rooms import room_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import forbidden
from mockserver.core.room_summary import is_world_readable


@endpoint("/rooms/{room_id}/upgrade", "POST")
async def post_room_upgrade(call: Call) -> Reply:
    body = await call.json()
    room_id = room_id_param(call)
    new_version = params.required(body, "new_version", str)
    return {"replacement_room": call.store.upgrade_room(call.user_id, room_id, new_version)}


@endpoint("/rooms/{room_id}/aliases", "GET")
async def get_room_aliases(call: Call) -> Reply:
    """The room's local aliases, for its members (or anyone, if it is world-readable)."""
    room_id = room_id_param(call)
    store = call.store
    room = store.rooms.get(room_id)
    if room is None or not (
        is_world_readable(room) or store.membership(call.user_id, room_id) == "join"
    ):
        raise forbidden(f"User {call.user_id} not in room {room_id}, and room previews are disabled")
    return {"aliases": store.room_aliases(room_id)}


routes = [post_room_upgrade, get_room_aliases]

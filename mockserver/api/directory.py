"""Room aliases and the room directory."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.rooms import room_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import bad_json, forbidden, not_found


@endpoint("/directory/room/{room_alias}", "GET")
async def get_alias(call: Call) -> Reply:
    alias = call.path["room_alias"]
    room_id = call.store.aliases.get(alias)
    if room_id is None:
        raise not_found(f"Room alias {alias} not found")
    return {"room_id": room_id, "servers": [call.store.server_name]}


@endpoint("/directory/room/{room_alias}", "PUT")
async def put_alias(call: Call) -> Reply:
    body = await call.json()
    room_id = params.required(body, "room_id", str)
    if call.store.membership(call.user_id, room_id) != "join":
        # Synapse's rule; an unknown room is refused the same way.
        raise forbidden("You must be in the room to create an alias for it")
    call.store.set_alias(call.user_id, call.path["room_alias"], room_id)
    return {}


@endpoint("/directory/room/{room_alias}", "DELETE")
async def delete_alias(call: Call) -> Reply:
    call.store.delete_alias(call.user_id, call.path["room_alias"])
    return {}


@endpoint("/directory/list/room/{room_id}", "GET", public=True)
async def get_room_visibility(call: Call) -> Reply:
    room_id = room_id_param(call)
    call.store.known_room(room_id)  # public information: Synapse says 404 too
    return {"visibility": "public" if room_id in call.store.public_rooms else "private"}


@endpoint("/directory/list/room/{room_id}", "PUT")
async def put_room_visibility(call: Call) -> Reply:
    room_id = room_id_param(call)
    body = await call.json()
    visibility = params.required(body, "visibility", str)
    if visibility not in ("public", "private"):
        raise bad_json("'visibility' must be 'public' or 'private'")
    call.store.set_room_visibility(call.user_id, room_id, visibility)
    return {}


@endpoint("/publicRooms", "GET")
async def get_public_rooms(call: Call) -> Reply:
    limit = params.query_int(call.query, "limit", minimum=0)
    store = call.store
    chunk = []
    for room_id in store.public_rooms:
        room = store.room(room_id)
        entry: dict[str, object] = {
            "room_id": room_id,
            "num_joined_members": sum(1 for _ in room.members("join")),
            "world_readable": False,
            "guest_can_join": False,
        }
        for event_type, key, name in (
            ("m.room.name", "name", "name"),
            ("m.room.topic", "topic", "topic"),
            ("m.room.canonical_alias", "alias", "canonical_alias"),
            ("m.room.avatar", "url", "avatar_url"),
            ("m.room.join_rules", "join_rule", "join_rule"),
        ):
            event = room.current(event_type)
            if event is not None and isinstance(event.content.get(key), str):
                entry[name] = event.content[key]
        chunk.append(entry)
    total = len(chunk)
    return {"chunk": chunk[:limit] if limit is not None else chunk, "total_room_count_estimate": total}


routes = [
    get_alias,
    put_alias,
    delete_alias,
    get_room_visibility,
    put_room_visibility,
    get_public_rooms,
]

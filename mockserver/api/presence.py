"""Presence: ``GET/PUT /presence/{userId}/status``; only users sharing a room see each other's."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.format import presence_event
from mockserver.api.rooms import user_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import forbidden, invalid_param
from mockserver.core.model import PRESENCE_STATES
from mockserver.core.sync.presence import shares_room


@endpoint("/presence/{user_id}/status", "GET")
async def get_presence(call: Call) -> Reply:
    user_id = user_id_param(call)
    store = call.store
    joined = [store.room(room_id) for room_id in store.joined_rooms(call.user_id)]
    if not shares_room(call.user_id, user_id, joined):
        # As Synapse: whether the user exists is not told either.
        raise forbidden("You are not allowed to see their presence.")
    store.user(user_id)
    presence = store.presence.get(user_id)
    if presence is None:
        return {"presence": "offline"}
    content: dict[str, object] = presence_event(presence, store.now())["content"]
    return content


@endpoint("/presence/{user_id}/status", "PUT")
async def put_presence(call: Call) -> Reply:
    user_id = user_id_param(call)
    if user_id != call.user_id:
        raise forbidden("Cannot set presence of another user")
    body = await call.json()
    state = params.required(body, "presence", str)
    if state not in PRESENCE_STATES:
        raise invalid_param(f"Invalid presence state {state!r}")
    status_msg = params.field(body, "status_msg", str)
    if "status_msg" in body:
        call.store.set_presence(user_id, state, status_msg=status_msg)
    else:
        call.store.set_presence(user_id, state)
    return {}


routes = [get_presence, put_presence]
